"""``linkthread snapshot``: a consistent copy of the archive, now or at an earlier time."""

from __future__ import annotations

import click

from archive.cli import _user_errors, cli, db_option
from archive.rows import user_time
from archive.snapshot import snapshot


@cli.command(name="snapshot")
@click.argument("target", type=click.Path(dir_okay=False))
@click.option(
    "--as-of",
    "as_of",
    metavar="TIME",
    help="The archive as it stood at this UTC time (a date or 2026-01-20T00:00:00Z).",
)
@db_option
def snapshot_command(target: str, as_of: str | None, db: str) -> None:
    """Copy the archive to TARGET, consistently, even while a crawl writes to it.

    The copy holds only whole threads and is never written over: TARGET must not
    exist. With --as-of, rows first seen later are dropped and comments, stories
    and users are rolled back to their recorded versions at that time.

    Example: linkthread snapshot hn-2026-01-20.db --as-of 2026-01-20
    """
    with _user_errors():
        when = user_time(as_of, "--as-of") if as_of is not None else None
        path = snapshot(db, target, as_of=when)
    click.echo(f"wrote {path}" + (f" (as of {when})" if when else ""), err=True)
