"""``linkthread watch``: the list of threads, listings and profiles ``linkthread run`` revisits.

The commands only edit the list (``archive.schedule``); the crawling is ``run``'s, in
the scraper. So the list can be kept on a machine without Scrapy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archive import sites
from archive.cli import _user_errors, cli, db_option
from archive.cli_history import terminal_cells
from archive.db import open_db
from archive.errors import ArchiveError
from archive.render import format_rows
from archive.schedule import (
    FIRST_INTERVAL,
    MAX_INTERVAL,
    Watch,
    add_watch,
    format_duration,
    list_watches,
    parse_duration,
    parse_targets,
    remove_watches,
)
from archive.terminal import safe_line

if TYPE_CHECKING:
    import sqlite_utils

TABLE_COLUMNS = ("id", "site", "kind", "target", "every", "state", "next_due_at", "until",
                 "runs", "last_run_at", "last_status", "last_result")  # fmt: skip


@contextmanager
def _archive(path: str, *, create: bool) -> Iterator[sqlite_utils.Database]:
    # Listing or removing from a file that does not exist is a typo, not a new archive.
    if not create and not Path(path).is_file():
        raise ArchiveError(f"no archive at {path}")
    db = open_db(path)
    try:
        yield db
    finally:
        db.close()


def _every(w: Watch) -> str:
    return "adaptive" if w.every is None else format_duration(w.every)


@cli.group()
def watch() -> None:
    """The watch list: threads, listings and profiles that `linkthread run` revisits.

    A thread is revisited often while new comments arrive and less as it goes quiet
    (10 minutes, doubling up to 12 hours), for 3 days unless --for says otherwise;
    --every fixes the interval. Listings are revisited every hour and profiles every
    day unless --every says otherwise, with no end unless --for gives one.

    Example: linkthread watch add hn 46621892 && linkthread run --once
    """


# The sites and their listings come from the registry, as crawl's help does.
ADD_HELP = f"""Watch TARGETS of SITE ({", ".join(sites.SITES)}), read as crawl reads them:
    item ids or item URLs, listings and "user NAME". The first visit is due at once.

    \b
    Listings:
{sites.listings_help(indent="      ")}

    Adding a watched target again replaces its --every and --for and restarts it.

    Example: linkthread watch add hn 46621892 --for 2d

    Example: linkthread watch add hn front --every 10m

    Example: linkthread watch add hn user pg --every 1d
    """


@watch.command(name="add", help=ADD_HELP)
@click.argument("site")
@click.argument("targets", nargs=-1, required=True)
@click.option("--every", metavar="DURATION",
              help="Revisit at this fixed interval: 90s, 15m, 2h, 1d (at least 1m). "
                   "Default: adaptive for threads, 1h for listings, 1d for profiles.")
@click.option("--for", "duration", metavar="DURATION",
              help="Stop revisiting after this long. Default: 3d for threads, no end "
                   "for listings and profiles.")
@db_option
def add_command(site: str, targets: tuple[str, ...], every: str | None, duration: str | None,
                db: str) -> None:  # fmt: skip
    now = datetime.now(UTC)
    with _user_errors():
        # Everything is checked before the archive is opened (or created).
        every_s = parse_duration(every) if every is not None else None
        duration_s = parse_duration(duration) if duration is not None else None
        wanted = parse_targets(site, targets)
        with _archive(db, create=True) as archive:
            added = [add_watch(archive.conn, now, site=site, kind=kind, target=target,
                               every=every_s, duration=duration_s)
                     for kind, target in wanted]  # fmt: skip
    for w in added:
        how = (f"every {_every(w)}" if w.every is not None else
               f"adaptive, {format_duration(FIRST_INTERVAL)} to {format_duration(MAX_INTERVAL)}")
        end = f" until {w.until}" if w.until else ""
        click.echo(safe_line(f"watching {w.site} {w.kind} {w.target} ({how}){end}; due now"))


@watch.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="JSON array of every column.")
@db_option
def list_command(as_json: bool, db: str) -> None:
    """List the watches, soonest due first, with their state (due, waiting, running,
    finished) and how their last visit went.

    Example: linkthread watch list

    Example: linkthread watch list --json | jq '.[] | select(.last_status == "failed")'
    """
    now = datetime.now(UTC)
    with _user_errors(), _archive(db, create=False) as archive:
        watches = list_watches(archive.conn)
    if as_json:
        columns = (*watches[0].as_dict(), "state") if watches else ()
        values = [(*w.as_dict().values(), w.state(now)) for w in watches]
        for line in format_rows(columns, values, "json"):
            click.echo(line)
        return
    if not watches:
        click.echo("(no watches: add one with linkthread watch add)")
        return
    shown = {"every": _every, "state": lambda w: w.state(now)}
    values = [tuple(shown[c](w) if c in shown else getattr(w, c) for c in TABLE_COLUMNS)
              for w in watches]  # fmt: skip
    # A last_result quotes a crawl's error, a target the archive's text: one safe line each.
    for line in format_rows(TABLE_COLUMNS, terminal_cells(values), "table"):
        click.echo(line)


@watch.command(name="remove")
@click.argument("site")
@click.argument("targets", nargs=-1, required=True)
@db_option
def remove_command(site: str, targets: tuple[str, ...], db: str) -> None:
    """Stop watching TARGETS of SITE (named as for `watch add`). If one of them is not
    watched, nothing is removed. What was archived stays.

    Example: linkthread watch remove hn 46621892

    Example: linkthread watch remove hn user pg
    """
    with _user_errors():
        wanted = parse_targets(site, targets)
        with _archive(db, create=False) as archive:
            remove_watches(archive.conn, site, wanted)
    for kind, target in wanted:
        click.echo(safe_line(f"stopped watching {site} {kind} {target}"))
