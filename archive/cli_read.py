"""``linkthread query`` and ``linkthread show``: SQL over the archive, and a thread as
an indented tree (registered on :data:`archive.cli.cli` when either is asked for)."""

from __future__ import annotations

import functools
import shutil
import sys
from typing import Any

import click

from archive import sites
from archive.cli import F, _user_errors, cli, db_option, item_id, time_limit_option
from archive.db import open_readonly
from archive.errors import ArchiveError
from archive.query import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIME_LIMIT,
    QueryResult,
    load_thread,
    run_query,
)
from archive.render import format_rows, render_thread
from archive.sandbox import mib

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
@click.option("-v", "--verbose", is_flag=True,
              help="Also each comment's id and the sources that observed it and the "
                   "story (html, api, algolia, import...; api,html: both).")
@db_option
def show(site: str, id: str, width: int | None, verbose: bool, db: str) -> None:
    with _user_errors():
        conn = open_readonly(db)
        try:
            story, comments = load_thread(conn, site, item_id(id, site))
        finally:
            conn.close()
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 100)
    click.echo(render_thread(story, comments, width=width, verbose=verbose), nl=False)
