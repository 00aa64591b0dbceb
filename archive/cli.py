"""The ``linkthread`` command group: reading the archive from a terminal.

The scraper adds its ``crawl`` command to :data:`cli` (and reuses :func:`db_option`);
nothing here imports the scraper, so the archive's commands work without Scrapy.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from archive.db import open_readonly
from archive.errors import ArchiveError
from archive.query import load_thread, run_query
from archive.render import format_rows, render_thread

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


@contextmanager
def _user_errors() -> Iterator[None]:
    # One line on stderr and exit 1, never a traceback, for what a user can fix.
    try:
        yield
    except ArchiveError as e:
        raise click.ClickException(str(e)) from e
    except sqlite3.Error as e:
        raise click.ClickException(f"database error: {e}") from e


@click.group()
@click.version_option(package_name="linkthread")
def cli() -> None:
    """Archive link-aggregator discussions into SQLite, then query them.

    Example: linkthread show hn 8863
    """


def _format_options(fn: F) -> F:
    # sqlite-utils' flags, mapped onto one `fmt` value so they cannot conflict.
    for flag, value, text in reversed(
        (
            ("--json", "json", "JSON array of objects (default)"),
            ("--nl", "nl", "Newline-delimited JSON objects"),
            ("--csv", "csv", "CSV with a header row"),
            ("--tsv", "tsv", "TSV with a header row"),
            ("--table", "table", "Aligned text table"),
        )
    ):
        # Only --json carries a default: another flag's default=False would win.
        extra: dict[str, Any] = {"default": True} if value == "json" else {}
        fn = click.option(flag, "fmt", flag_value=value, help=text, **extra)(fn)
    return fn


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
@_format_options
@db_option
def query(sql: str, params: tuple[tuple[str, str], ...], fmt: str, db: str) -> None:
    """Run a read-only SQL query against the archive.

    Example: linkthread query "select author, count(*) from comments group by author
    order by 2 desc limit 10" --table

    Example: linkthread query "select * from stories where id = :id" -p id 8863
    """
    with _user_errors():
        result = run_query(db, sql, dict(params))
    for line in format_rows(result.columns, result.rows, fmt):
        click.echo(line)


HN_ITEM = re.compile(r"^https?://news\.ycombinator\.com/item\?(?:.*&)?id=(\d+)")
LOBSTERS_STORY = re.compile(r"^https?://lobste\.rs/s/([a-z0-9]+)")


def item_id(value: str) -> str:
    """A thread id from an id or an item URL (HN ``item?id=N``, Lobsters ``/s/ID``)."""
    value = value.strip()
    for pattern in (HN_ITEM, LOBSTERS_STORY):
        match = pattern.match(value)
        if match:
            return match.group(1)
    if "://" in value:
        raise ArchiveError(f"cannot read a thread id from URL {value}")
    return value


@cli.command()
@click.argument("site")
@click.argument("id")
@click.option("--width", type=int, default=None, help="Wrap text at this width [terminal].")
@db_option
def show(site: str, id: str, width: int | None, db: str) -> None:
    """Print a thread from the archive as an indented tree.

    ID is the thread's id or its URL.

    Example: linkthread show hn 8863

    Example: linkthread show hn "https://news.ycombinator.com/item?id=8863"
    """
    with _user_errors():
        conn = open_readonly(db)
        try:
            story, comments = load_thread(conn, site, item_id(id))
        finally:
            conn.close()
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 100)
    click.echo(render_thread(story, comments, width=width), nl=False)
