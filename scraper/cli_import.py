"""``linkthread import``: saved pages into the archive (see :mod:`scraper.importers`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from archive.cli import _user_errors, cli, db_option
from archive.db import open_db
from archive.sites import SITES
from archive.terminal import safe_line
from scraper.importers.pages import parse_time


def _time(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from e


@cli.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--site", "site", type=click.Choice(sorted(SITES)),
              help="Read the files as pages of this site only (default: work it out).")
@click.option("--url", help="The URL of the page, where the page does not state it "
                            "(one file only).")
@click.option("--fetched-at", "fetched_at", callback=_time, metavar="TIME",
              help="When the pages were seen (ISO 8601, UTC unless it says); default: "
                   "the time the page states, else the file's modification time.")
@db_option
def import_command(paths: tuple[Path, ...], site: str | None, url: str | None,
                   fetched_at: datetime | None, db: str) -> None:
    """Import saved pages (HTML or JSON files, or folders of them) into the archive.

    Each file's site and page kind (thread, listing, profile) come from its content,
    its URL from the page (or a mirror's file name, or --url), the time it was seen
    from --fetched-at, the page, or the file. The pages go through the same parsers
    and history rules as a crawl; the pages of a thread saved as several files are
    joined. A file that cannot be imported is one line; the others still import, and
    the exit status is 1. Importing the same files again adds nothing.

    Example: linkthread import ~/saved/hn-item-8863.html --db hn.db

    Example: linkthread import mirror/news.ycombinator.com --db hn.db

    Example: linkthread import hottest.json --url https://lobste.rs/hottest.json
    """
    # Here, not at the top: the parsers (lxml, BeautifulSoup) are for the commands that
    # read pages, and every other command's start would pay for them.
    from scraper.importers.run import import_paths

    with _user_errors():
        archive = open_db(db)
        try:
            outcome = import_paths(archive, list(paths), sites=[site] if site else None,
                                   url=url, fetched_at=fetched_at)
        except ValueError as e:  # --url with several files
            raise click.UsageError(str(e)) from e
        finally:
            archive.close()
    click.echo(f"imported {outcome.threads} thread(s), {outcome.comments} comments, "
               f"from {outcome.files} file(s) into {db}")
    for line in outcome.stored:
        click.echo(line)
    for line in outcome.failures:
        click.echo(f"Error: {safe_line(line)}", err=True)
    if outcome.failures:
        raise SystemExit(1)
