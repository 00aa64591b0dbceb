"""`history`, `changes` and `gaps`: what the archive's history tables say, as tables
or JSON."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import click

from archive import sites
from archive.cli import _user_errors, cli, db_option, item_id
from archive.db import open_readonly
from archive.history import (
    GAP_COLUMNS,
    all_gaps,
    comment_changes,
    drifted,
    plot_history,
    story_history,
)
from archive.render import format_rows
from archive.terminal import safe_line


def _read(db: str, read: Callable[[sqlite3.Connection], list[dict[str, Any]]]) -> list[dict]:
    with _user_errors():
        conn = open_readonly(db)
        try:
            return read(conn)
        finally:
            conn.close()


def terminal_cells(values: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows for a text table: every text cell one line, with nothing a terminal obeys.

    JSON output needs no such step: it escapes every control character itself.
    """
    return [tuple(safe_line(v) if isinstance(v, str) else v for v in row) for row in values]


def _echo_rows(rows: list[dict[str, Any]], columns: tuple[str, ...], as_json: bool) -> None:
    values = [tuple(row[c] for c in columns) for row in rows]
    if not rows and not as_json:
        click.echo("(none)")
        return
    if not as_json:
        values = terminal_cells(values)
    for line in format_rows(columns, values, "json" if as_json else "table"):
        click.echo(line)


_JSON = click.option("--json", "as_json", is_flag=True, help="JSON array instead of a table.")


@cli.command()
@click.argument("site")
@click.argument("id")
@_JSON
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write a PNG of score and comments over time (needs matplotlib: from a "
    "checkout, pip install -e '.[plot]').",
)
@click.option("--force", is_flag=True, help="Overwrite the --plot file if it exists.")
@db_option
def history(site: str, id: str, as_json: bool, plot: str | None, force: bool, db: str) -> None:
    """A story's score, comment count and rank over time, one row per change.

    ID is the thread's id or its URL. Rows come from the thread's own page
    (source 'thread') and from listings (source 'listing:news', with its rank).

    Example: linkthread history hn 8863 --plot 8863.png
    """
    story_id = _user_item_id(id, site)
    points = _read(db, lambda conn: story_history(conn, site, story_id))
    _echo_rows(points, ("seen_at", "source", "score", "comment_count", "rank"), as_json)
    if plot:
        with _user_errors():
            plot_history(points, plot, title=f"{site}/{story_id}", force=force)


def _user_item_id(value: str, site: str) -> str:
    with _user_errors():
        return item_id(value, site)


@cli.command()
@click.argument("site")
@click.argument("id")
@click.option("--since", metavar="TIME", help="Only changes seen at or after this UTC time.")
@_JSON
@db_option
def changes(site: str, id: str, since: str | None, as_json: bool, db: str) -> None:
    """What changed in a thread's comments: added, edited, deleted, dead, flagged, gone...

    Also "differs": where one crawl read the thread two ways (the API and the page)
    and they disagree on a comment (in one only, or under another parent).

    ID is the thread's id or its URL. Edits show the new text; deleted comments
    keep their last known text.

    Example: linkthread changes hn 8863 --since 2026-01-14
    """
    story_id = _user_item_id(id, site)
    rows = _read(db, lambda conn: comment_changes(conn, site, story_id, since))
    _echo_rows(rows, ("seen_at", "comment_id", "author", "change", "text"), as_json)


@cli.command(name="gaps")
@click.option("--site", help="Only threads of this site.")
@_JSON
@db_option
def gaps_command(site: str | None, as_json: bool, db: str) -> None:
    """Threads the archive holds only in part, or not at all: candidates for a crawl.

    Short threads: the latest crawl found fewer comments (live, dead and deleted)
    than the site declares, or (Reddit) left stubs unexpanded: "unexpanded" counts the
    comments they hold. Largest shortfall first. Never archived: a listing showed
    the story with comments, but its thread was never crawled. --json gives both in
    one array, each row's "kind" saying which ("short", "unarchived", or "disagree":
    the latest crawl read the thread two ways, the API and the page, and they differ
    on "shortfall" comments; `changes` names them). Crawls whose pages seemed to change
    markup (the `health` view) follow, in the table form.

    Example: linkthread gaps --site hn --json
    """
    if site is not None:
        with _user_errors():
            sites.get(site)  # a typo is refused naming the known sites, not "no gaps"
    rows = _read(db, lambda conn: all_gaps(conn, site))
    if as_json:
        _echo_rows(rows, GAP_COLUMNS, as_json=True)
        return
    # One table per kind: a never-crawled story has no crawl to count, only a count.
    short = [r for r in rows if r["kind"] == "short"]
    never = [r for r in rows if r["kind"] == "unarchived"]
    click.echo("Short threads (the latest crawl found fewer comments than declared,"
               " or left some unexpanded):")
    _echo_rows(short, GAP_COLUMNS[1:], as_json=False)
    click.echo("")
    click.echo("Never archived (a listing declared comments; no crawl of the thread):")
    _echo_rows(never, ("site", "story_id", "title", "seen_at", "declared"), as_json=False)
    differ = [r for r in rows if r["kind"] == "disagree"]
    if differ:
        click.echo("")
        click.echo("Sources disagree (the latest crawl's API and page differ on this many"
                   " comments; see `linkthread changes`):")
        _echo_rows(differ, ("site", "story_id", "title", "seen_at", "shortfall"),
                   as_json=False)
    drift = _read(db, lambda conn: drifted(conn, site))
    if drift:
        # The threads above may be short because the parser no longer reads the site.
        click.echo("")
        click.echo("Markup drift (crawls whose pages no longer read as before; "
                   "the pages are kept for linkthread reparse):")
        _echo_rows(drift, ("crawl_id", "started_at", "site", "kind", "drift"), as_json=False)


