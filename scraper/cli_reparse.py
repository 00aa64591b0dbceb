"""``linkthread reparse``: today's parsers over the kept pages (see :mod:`scraper.reparse`)."""

from __future__ import annotations

from pathlib import Path

import click

from archive.cli import _user_errors, cli, db_option
from archive.db import open_db
from archive.errors import ArchiveError
from archive.sites import SITES
from archive.terminal import safe_line


@cli.command(name="reparse")
@click.option("--site", type=click.Choice(sorted(SITES)), help="Only this site's pages.")
@click.option("--since", metavar="TIME", help="Only pages fetched at or after this UTC time.")
@click.option("--failed", is_flag=True,
              help="Only the pages kept with a parse error (the pages.error column), "
                   "instead of those that parsed.")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@db_option
def reparse_command(site: str | None, since: str | None, failed: bool, dry_run: bool,
                    db: str) -> None:
    """Parse the pages the archive kept again, with today's parsers, and store what
    they give, as observations at the pages' own fetch times.

    Use it after a parser fix or to retry pages that failed (--failed). History stays
    in time order: an older page only fills what the archive does not know. It prints
    what changed: threads, comments added or changed, pages that now parse and pages
    that no longer do (kept, with their error). A second reparse changes nothing.

    Example: linkthread reparse --failed --dry-run

    Example: linkthread reparse --site hn --since 2026-01-01
    """
    from scraper.reparse import reparse  # the parsers: only for this command (startup)

    with _user_errors():
        # Nothing to reparse in an archive that is not there: a mistyped --db would
        # otherwise become a new empty archive and a "reparsed 0 page(s)".
        if not Path(db).is_file():
            raise ArchiveError(f"no archive at {db}")
        archive = open_db(db)
        try:
            done = reparse(archive, site=site, since=since, failed=failed, dry_run=dry_run)
        finally:
            archive.close()
    would = " would be" if dry_run else ""
    click.echo(f"reparsed {done.pages} page(s), {done.threads} thread(s): "
               f"{done.new_comments} comment(s){would} added, {done.changed_comments}{would} "
               "changed")
    if done.unknown:
        click.echo(f"{done.unknown} page(s) no parser recognises, kept as they are")
    for url in done.now_parse:
        click.echo(safe_line(f"now parses: {url}"))
    for line in done.no_longer_parse:
        click.echo(safe_line(f"no longer parses: {line}"), err=True)
    if dry_run:
        click.echo("dry run: nothing was written")
