"""The ``linkthread`` command group: reading the archive from a terminal.

The scraper adds its ``crawl`` command to :data:`cli` (and reuses :func:`db_option`);
nothing here imports the scraper, so the archive's commands work without Scrapy.
"""

from __future__ import annotations

import functools
import math
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from archive import sites
from archive.db import open_readonly
from archive.errors import ArchiveError
from archive.history import (
    GAP_COLUMNS,
    all_gaps,
    comment_changes,
    plot_history,
    story_history,
)
from archive.query import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIME_LIMIT,
    QueryResult,
    load_thread,
    run_query,
)
from archive.render import format_rows, render_thread
from archive.sandbox import Interrupted, mib
from archive.terminal import safe_line

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "linkthread.db"


def db_option(fn: F) -> F:
    """``--db PATH`` (env ``LINKTHREAD_DB``, default ``linkthread.db``), passed as ``db``."""
    return click.option(
        "--db",
        "db",
        default=DEFAULT_DB,
        envvar="LINKTHREAD_DB",
        show_default=True,
        show_envvar=True,
        type=click.Path(dir_okay=False),
        help="Archive file.",
    )(fn)


class _Stopped(click.ClickException):
    exit_code = 130  # what a shell reports for a command ended by SIGINT (128 + 2)


@contextmanager
def _user_errors() -> Iterator[None]:
    # One line on stderr and exit 1, never a traceback, for what a user can fix. A
    # message can quote the archive (a site name, an id), so it is made safe to print.
    try:
        yield
    except Interrupted as e:
        raise _Stopped(str(e)) from e
    except ArchiveError as e:
        raise click.ClickException(safe_line(str(e))) from e
    except sqlite3.Error as e:
        raise click.ClickException(safe_line(f"database error: {e}")) from e
    except KeyboardInterrupt as e:
        raise _Stopped("interrupted") from e


class _Seconds(click.ParamType):
    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or seconds < 0:
            self.fail(f"{value!r} is not a finite number of seconds >= 0", param, ctx)
        return seconds


def time_limit_option(default: float, what: str) -> Callable[[F], F]:
    """``--time-limit SECONDS``: a finite number >= 0 (0: none), passed as ``time_limit``."""
    return click.option(
        "--time-limit",
        type=_Seconds(),
        default=default,
        show_default=True,
        metavar="SECONDS",
        help=f"Stop the {what} after this long (0: no limit).",
    )


@click.group()
@click.version_option(package_name="linkthread")
def cli() -> None:
    """Archive link-aggregator discussions into SQLite, then query them.

    Example: linkthread show hn 8863
    """


_FORMATS = (
    ("--json", "json", "JSON array of objects (default)"),
    ("--nl", "nl", "Newline-delimited JSON objects"),
    ("--csv", "csv", "CSV with a header row"),
    ("--tsv", "tsv", "TSV with a header row"),
    ("--table", "table", "Aligned text table"),
)


def _format_options(fn: F) -> F:
    # sqlite-utils' flags, passed on as one `fmt` value; two of them is an error, since
    # which one wins would otherwise depend on their order.
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        chosen = [flag for flag, value, _ in _FORMATS if kwargs.pop(f"fmt_{value}")]
        if len(chosen) > 1:
            raise click.UsageError(f"choose one output format, not {' and '.join(chosen)}")
        fmt = next((v for flag, v, _ in _FORMATS if chosen and flag == chosen[0]), "json")
        return fn(*args, fmt=fmt, **kwargs)

    for flag, value, text in reversed(_FORMATS):
        wrapper = click.option(flag, f"fmt_{value}", is_flag=True, help=text)(wrapper)
    return wrapper  # type: ignore[return-value]


@cli.command()
@click.argument("sql")
@click.option(
    "-p",
    "--param",
    "params",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="Named parameter for :NAME in the SQL (repeatable).",
)
@time_limit_option(DEFAULT_TIME_LIMIT, "query")
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_ROWS,
    show_default=True,
    metavar="N",
    help="Print at most N rows, and say so on stderr when there were more.",
)
@click.option(
    "--all",
    "all_rows",
    is_flag=True,
    help="Print every row (no --max-rows cap; --max-bytes still holds).",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    metavar="N",
    help="Stop with an error once the result holds more than N bytes of values (0: no "
    "limit), so that a huge result cannot take the machine's memory.",
)
@_format_options
@db_option
def query(
    sql: str,
    params: tuple[tuple[str, str], ...],
    time_limit: float,
    max_rows: int,
    all_rows: bool,
    max_bytes: int,
    fmt: str,
    db: str,
) -> None:
    """Run a read-only SQL query against the archive.

    Only reading is allowed: writes, ATTACH, VACUUM and pragmas that set a value are
    refused. A query stops after --time-limit seconds, or once its result passes
    --max-bytes; at most --max-rows rows are printed (a note on stderr says when
    there were more). Values of over 256 KiB are neither read nor built. Control
    characters in text are shown as escapes in --table, and in --csv/--tsv at a
    terminal.

    Example: linkthread query "select author, count(*) from comments group by author
    order by 2 desc limit 10" --table

    Example: linkthread query "select * from stories where id = :id" -p id 8863

    Example: linkthread query "select id from comments_fts where comments_fts match 'rust'"
    --all --time-limit 10
    """
    with _user_errors():
        result = run_query(
            db,
            sql,
            dict(params),
            time_limit=time_limit or None,
            max_rows=None if all_rows else max_rows,
            max_bytes=max_bytes or None,
        )
        if fmt == "table" and max_bytes:
            _check_table_size(result, max_bytes)
        terminal = sys.stdout.isatty()
        for line in format_rows(result.columns, result.rows, fmt, terminal=terminal):
            click.echo(line)
    if result.truncated:
        click.echo(
            f"linkthread: stopped at {len(result.rows):,} rows; the query has more "
            "(raise --max-rows, or --all)",
            err=True,
        )


def _check_table_size(result: QueryResult, max_bytes: int) -> None:
    # A table pads every cell to its column's widest, so one long value in a column
    # costs its length in every row: refuse before building it. Numbers and BLOBs
    # ("<262000 bytes>") print short.
    widths = [
        max((len(v) if isinstance(v, str) else 24 for v in (r[i] for r in result.rows)), default=0)
        for i in range(len(result.columns))
    ]
    size = len(result.rows) * (sum(widths) + 2 * len(widths))
    if size > max_bytes:
        raise ArchiveError(
            f"query stopped: as a table its {len(result.rows):,} rows would take "
            f"{mib(size)}, past --max-bytes {mib(max_bytes)}; use --json or --csv"
        )


def item_id(value: str, site: str | None = None) -> str:
    """A thread id from an id or a story URL, read by the grammar of ``site`` (of every
    registered site when None). Another site's name keeps the value as an id, so the
    archive can say what it holds; a URL no grammar reads is refused."""
    value = value.strip()
    grammars = list(sites.SITES.values()) if site is None else \
        [sites.SITES[site]] if site in sites.SITES else []
    for known in grammars:
        try:
            return known.item_id(value)
        except ValueError:
            continue
    if "://" in value:
        raise ArchiveError(f"cannot read a thread id from URL {value}")
    return value


# The examples name real story URLs, from the registry (no host is written twice).
SHOW_HELP = f"""Print a thread from the archive as an indented tree.

    SITE is one of {", ".join(sites.SITES)}. ID is the thread's id or its URL.

    Example: linkthread show hn 8863

    Example: linkthread show hn "{sites.HN.item_url("8863")}"

    Example: linkthread show lobsters "{sites.LOBSTERS.item_url("ktew3s")}/a_slug"
    """

MIN_WIDTH, MAX_WIDTH = 20, 1000  # narrower leaves no room for text (see render._wrap)


@cli.command(help=SHOW_HELP)
@click.argument("site")
@click.argument("id")
@click.option(
    "--width",
    type=click.IntRange(MIN_WIDTH, MAX_WIDTH),
    default=None,
    metavar="COLUMNS",
    help=f"Wrap text at this width, {MIN_WIDTH} to {MAX_WIDTH} [terminal, at most 100].",
)
@db_option
def show(site: str, id: str, width: int | None, db: str) -> None:
    with _user_errors():
        conn = open_readonly(db)
        try:
            story, comments = load_thread(conn, site, item_id(id, site))
        finally:
            conn.close()
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 100)
    click.echo(render_thread(story, comments, width=width), nl=False)


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
@db_option
def history(site: str, id: str, as_json: bool, plot: str | None, db: str) -> None:
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
            plot_history(points, plot, title=f"{site}/{story_id}")


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
    than the site declares, largest shortfall first. Never archived: a listing showed
    the story with comments, but its thread was never crawled. --json gives both in
    one array, each row's "kind" saying which ("short" or "unarchived").

    Example: linkthread gaps --site hn --json
    """
    rows = _read(db, lambda conn: all_gaps(conn, site))
    if as_json:
        _echo_rows(rows, GAP_COLUMNS, as_json=True)
        return
    # One table per kind: a never-crawled story has no crawl to count, only a count.
    short = [r for r in rows if r["kind"] == "short"]
    never = [r for r in rows if r["kind"] == "unarchived"]
    click.echo("Short threads (the latest crawl found fewer comments than declared):")
    _echo_rows(short, GAP_COLUMNS[1:], as_json=False)
    click.echo("")
    click.echo("Never archived (a listing declared comments; no crawl of the thread):")
    _echo_rows(never, ("site", "story_id", "title", "seen_at", "declared"), as_json=False)


import archive.cli_export  # noqa: E402,F401  (registers its command)
from archive import cli_datasette as _datasette  # noqa: E402,F401  (registers its command)
from archive import cli_search as _search  # noqa: E402,F401  (registers its command)
from archive import cli_snapshot  # noqa: E402,F401  (registers its command)
from archive import cli_watch as _watch  # noqa: E402,F401  (registers its command)
