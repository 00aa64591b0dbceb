"""The ``linkthread`` command group: reading the archive from a terminal.

The scraper adds its ``crawl`` command to :data:`cli` (and reuses :func:`db_option`);
nothing here imports the scraper, so the archive's commands work without Scrapy.

A command's module is imported when the command runs (:class:`LazyGroup`), not at every
start: each command's own imports (the SQL guard, Datasette's metadata, the scheduler,
the bulk writer...) were most of the group's import, paid by a crawl that uses none.
"""

from __future__ import annotations

import importlib
import math
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from archive import sites
from archive.errors import ArchiveError, Interrupted
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
        raise click.ClickException(safe_line(database_error(e))) from e
    except KeyboardInterrupt as e:
        raise _Stopped("interrupted") from e
    except UnicodeEncodeError as e:
        # Bytes of an argument that were not UTF-8 reach Python as lone surrogates,
        # which SQLite (an id, a --reason, a path inside SQL) cannot take.
        if e.reason != "surrogates not allowed":
            raise
        raise click.ClickException(safe_line(not_utf8(e))) from e


def database_error(e: sqlite3.Error) -> str:
    """SQLite's words, and what they mean for the user where SQLite's alone say little."""
    if isinstance(e, sqlite3.OperationalError) and \
            str(e) in ("database is locked", "database table is locked"):
        from archive.db import BUSY_TIMEOUT_MS

        return (f"database error: {e}: another process (a crawl, an import, `linkthread "
                f"run`) held the archive's write lock for the {BUSY_TIMEOUT_MS / 1000:g} s "
                "this one waits: try again when it is done")
    return f"database error: {e}"


def not_utf8(e: UnicodeEncodeError) -> str:
    text = e.object if isinstance(e.object, str) else str(e.object)
    bad = text[e.start].encode("utf-8", "surrogateescape")
    shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return (f"{shown!r} is not valid UTF-8 (byte 0x{bad.hex()} at character {e.start + 1}); "
            "linkthread takes its arguments as UTF-8 text")


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


class LazyGroup(click.Group):
    """A group whose commands are registered by the import of their module, done when
    one is asked for by name (``lazy``: command name -> module); listing them (--help,
    docs/generate.py) imports them all."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = {}

    def load(self, name: str) -> None:
        module = self.lazy.get(name)
        if module is not None and name not in self.commands:
            importlib.import_module(module)
            if name not in self.commands:
                raise RuntimeError(f"{module} did not register the command {name!r}")

    def load_all(self) -> None:
        for name in list(self.lazy):
            self.load(name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self.load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self.load_all()
        return super().list_commands(ctx)


@click.group(cls=LazyGroup)
@click.version_option(package_name="linkthread")
def cli() -> None:
    """Archive link-aggregator discussions into SQLite, then query them.

    Example: linkthread show hn 8863

    Example: linkthread show hn 8863 --verbose   (ids and sources too)
    """


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


# Each command's module registers it on import (its @cli.command), when it is asked for.
cli.lazy.update({
    "query": "archive.cli_read", "show": "archive.cli_read",
    "export": "archive.cli_export",
    "datasette": "archive.cli_datasette", "datasette-metadata": "archive.cli_datasette",
    "history": "archive.cli_history", "changes": "archive.cli_history",
    "gaps": "archive.cli_history",
    "redact": "archive.cli_redact",
    "search": "archive.cli_search", "search-index": "archive.cli_search",
    "snapshot": "archive.cli_snapshot",
    "watch": "archive.cli_watch",
})
