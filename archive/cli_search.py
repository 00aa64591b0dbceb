"""``linkthread search``: full-text search of stories and comments, best matches first."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import sqlite3
import textwrap
import time

import click

from archive import search_index
from archive.cli import _user_errors, cli, db_option, time_limit_option
from archive.db import open_readonly
from archive.errors import ArchiveError
from archive.search import DEFAULT_TIME_LIMIT, KINDS, MAX_LIMIT, SearchHit, search
from archive.terminal import safe_line

# A search slower than this, of one word no band is kept for, says how to make it quick.
SLOW = 0.5


@cli.command(name="search")
@click.argument("words", nargs=-1, required=True)
@click.option("--site", help="Only this site (hn).")
@click.option("--author", help="Only stories and comments by this user (exact name).")
@click.option("--since", metavar="TIME", help="Only items created at or after this UTC time.")
@click.option(
    "--until",
    metavar="TIME",
    help="Only items created at or before this UTC time (a date: all of it).",
)
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=20, show_default=True,
              help="How many matches to show.")  # fmt: skip
@click.option("--stories", is_flag=True, help="Search story titles and texts only.")
@click.option("--comments", is_flag=True, help="Search comments only.")
@click.option(
    "--literal",
    is_flag=True,
    help="Match the words as typed, ignoring FTS5 syntax (quotes, -, OR, NOT, *, :).",
)
@click.option(
    "--mark",
    nargs=2,
    default=("[", "]"),
    show_default=True,
    metavar="OPEN CLOSE",
    help="Put around each match in the snippet.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON array of matches instead of a list.")
@time_limit_option(DEFAULT_TIME_LIMIT, "search")
@db_option
def search_command(
    words: tuple[str, ...],
    site: str | None,
    author: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    stories: bool,
    comments: bool,
    literal: bool,
    mark: tuple[str, str],
    as_json: bool,
    time_limit: float,
    db: str,
) -> None:
    """Search stories and comments; the best matches (bm25) first, with a snippet.

    WORDS use SQLite FTS5 syntax: every word must appear; "a phrase" in double
    quotes; OR, NOT, prefix*, and author:NAME (comments only). A search FTS5 cannot
    read, such as it's or supply-chain, is an error saying how to quote it; --literal
    takes every word as plain text instead. Dates are UTC; --until with a date
    includes that whole day. A search stops after --time-limit seconds. Control
    characters in the archive's text are shown as escapes (\\x1b), except in --json.

    Example: linkthread search "supply chain" --since 2026-01-01 --comments

    Example: linkthread search '"left-pad" OR leftpad' --site hn --json
    """
    if stories and comments:
        raise click.UsageError("--stories and --comments exclude each other; give neither "
                               "to search both")  # fmt: skip
    kinds = tuple(k for k, only in (("story", stories), ("comment", comments)) if only) or KINDS
    with _user_errors():
        conn = open_readonly(db)
        started = time.monotonic()
        try:
            hits = search(
                conn, " ".join(words), site=site, author=author, since=since, until=until,
                limit=limit, kinds=kinds, literal=literal, mark=mark,
                time_limit=time_limit or None,
            )  # fmt: skip
        except ArchiveError as e:
            hint = "(time limit" in str(e) and unkept_hint(conn, " ".join(words), db, limit)
            if not hint:
                raise
            raise ArchiveError(f"{e}; {hint}") from e
        else:
            slow = time.monotonic() - started > SLOW
            hint = slow and unkept_hint(conn, " ".join(words), db, limit)
            if hint:
                click.echo(f"hint: {hint}", err=True)
        finally:
            conn.close()
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(h) for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo("(no matches)")
        return
    width = min(shutil.get_terminal_size((100, 24)).columns, 100)
    click.echo("\n\n".join("\n".join(hit_lines(h, mark, width)) for h in hits))


def unkept_hint(conn: sqlite3.Connection, query: str, db: str, limit: int) -> str | None:
    """What makes a slow search of one word quick, when no band of it answers it."""
    term = search_index.single_term(query)
    if term is None:
        return None
    try:
        row = conn.execute("SELECT depth FROM search_terms WHERE term = ?", (term[0],)).fetchone()
    except sqlite3.Error:
        row = None
    if row is not None and row[0] >= limit:
        return None
    return (f"{term[1]!r} is ranked match by match; `linkthread search-index {term[1]} --db"
            f" {db}` keeps its best comments once (seconds), and then this search takes"
            " milliseconds (crawls do it by themselves for a word in 20,000 comments)")


def hit_lines(hit: SearchHit, mark: tuple[str, str], width: int = 100) -> list[str]:
    """One match for the terminal: where and who, the story's title, snippet, link.

    Every field is other people's text, printed through :func:`archive.terminal.safe_line`
    so that no escape sequence in it reaches the terminal.
    """
    what = f"comment {hit.comment_id}" if hit.kind == "comment" else "story"
    head = [f"{hit.site}/{hit.story_id}", what + (f" by {hit.author}" if hit.author else "")]
    if hit.created_at:
        head.append(hit.created_at)
    lines = [safe_line(" · ".join(head)), "  " + safe_line(hit.title or "(no title)")]
    # Comment texts keep their paragraphs; one line of snippet reads better here.
    snippet = re.sub(r"\s+", " ", hit.snippet).strip()
    plain = snippet.replace(mark[0], "").replace(mark[1], "")
    if snippet and plain != (hit.title or ""):  # a title match would say the title twice
        lines.extend(
            textwrap.wrap(safe_line(snippet), width, initial_indent="  ", subsequent_indent="  ")
        )
    if hit.url:
        lines.append("  " + safe_line(hit.url))
    return lines


@cli.command(name="search-index")
@click.argument("words", nargs=-1)
@click.option("--frequent", is_flag=True,
              help="Also keep every word in at least --min-docs comments.")  # fmt: skip
@click.option("--min-docs", type=click.IntRange(1), default=20_000, show_default=True,
              help="With --frequent: how many comments make a word frequent.")  # fmt: skip
@click.option("--drop", is_flag=True, help="Stop keeping the WORDS given.")
@click.option("--upkeep", is_flag=True,
              help="Run the automatic upkeep now, for --seconds (0: until done).")  # fmt: skip
@click.option("--seconds", type=click.FloatRange(0), default=0, show_default=True,
              help="With --upkeep: stop after this long (what is left waits for the next run).")
@click.option("--auto/--no-auto", default=None,
              help="Turn the automatic upkeep after crawls, imports and reparses on or off "
                   "for this archive (on unless turned off).")  # fmt: skip
@db_option
def search_index_command(
    words: tuple[str, ...], frequent: bool, min_docs: int, drop: bool, upkeep: bool,
    seconds: float, auto: bool | None, db: str,
) -> None:  # fmt: skip
    """Keep the best comments of frequent words, so that searching one is quick.

    A search for a word in a large share of all comments ranks every match (seconds
    at millions). For a word kept here, the archive holds the few thousand comments
    that can be its best matches in any archive to come, and search ranks those
    alone: the same results, in milliseconds, for a search of that one word (with
    --since, --author and the like when the filter's rows are among its first
    2,000, or the author has few comments). WORDS builds each word's list (a minute
    for a word in millions of comments); every run also brings the kept lists up to
    date with what was saved since, which searches otherwise merge in as they run.
    --frequent reads the whole vocabulary first.

    Without a manual step, each crawl, import and reparse ends with a bounded upkeep
    (about a second): it folds what was saved into the kept lists, starts keeping a
    word once it is in 20,000 comments, and builds those lists a step at a time.
    --upkeep runs it now; --no-auto turns it off for the archive (as does the
    environment variable LINKTHREAD_SEARCH_UPKEEP=0 for one process).

    Example: linkthread search-index people --db hn.db

    Example: linkthread search-index --upkeep --db hn.db
    """
    from archive import search_auto, search_upkeep
    from archive.db import open_db, transaction

    with _user_errors():
        archive = open_db(db)
        try:
            if auto is not None:
                with transaction(archive) as conn:
                    search_auto.set_enabled(conn, auto)
                click.echo(f"automatic upkeep {'on' if auto else 'off'}")
            if upkeep:
                done = search_auto.upkeep(archive, seconds=seconds or None)
                click.echo(f"folded {done.folded:,} comments, started {len(done.started)},"
                           f" built {len(done.built)}, still building {len(done.building)}")
            if upkeep or (auto is not None and not words and not frequent and not drop):
                return
            with transaction(archive) as conn:
                try:
                    if drop:
                        search_upkeep.drop(conn, search_upkeep.terms(list(words)))
                        refreshed = search_upkeep.refresh(conn)
                        kept: list[str] = []
                    else:
                        refreshed = search_upkeep.refresh(conn)
                        chosen = list(words)
                        if frequent:
                            chosen += search_upkeep.frequent(conn, min_docs)
                        kept = search_upkeep.keep(conn, chosen)
                except ValueError as e:
                    raise click.UsageError(str(e)) from e
            total = conn.execute("SELECT count(*) FROM search_terms"
                                 " WHERE term NOT LIKE ' %'").fetchone()[0]  # fmt: skip
        finally:
            archive.close()
    click.echo(f"refreshed {refreshed}, built {len(kept)}: {total} words kept")
