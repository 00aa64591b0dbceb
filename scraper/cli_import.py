"""``linkthread import``: saved pages into the archive (see :mod:`scraper.importers`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archive.cli import _user_errors, cli, db_option
from archive.db import open_db
from archive.sites import SITES
from archive.terminal import safe_line

if TYPE_CHECKING:
    from scraper.importers.reddit_dump import DumpOutcome


def _time(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    from scraper.importers.pages import parse_time  # the page importers: this command's

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
@click.option("--subreddit", "subreddits", multiple=True, metavar="NAME",
              help="Dumps: keep only this subreddit's rows (repeat for several).")
@click.option("--since", callback=_time, metavar="TIME",
              help="Dumps: keep only rows created at or after TIME (ISO 8601).")
@click.option("--until", callback=_time, metavar="TIME",
              help="Dumps: keep only rows created before TIME (ISO 8601).")
@db_option
def import_command(paths: tuple[Path, ...], site: str | None, url: str | None,
                   fetched_at: datetime | None, subreddits: tuple[str, ...],
                   since: datetime | None, until: datetime | None, db: str) -> None:
    """Import saved pages (HTML or JSON files, or folders of them) into the archive.

    Each file's site and page kind (thread, listing, profile) come from its content,
    its URL from the page (or a mirror's file name, or --url), the time it was seen
    from --fetched-at, the page, or the file. The pages go through the same parsers
    and history rules as a crawl; the pages of a thread saved as several files are
    joined. A file that cannot be imported is one line; the others still import, and
    the exit status is 1. Importing the same files again adds nothing.

    Example: linkthread import ~/saved/hn-item-8863.html --db hn.db

    Example: linkthread import mirror/ --db hn.db

    Example: linkthread import crawl.warc.gz --db hn.db

    Reddit's community dumps (NDJSON, zstd-compressed or not: RC_/RS_ files, per
    subreddit *_comments/*_submissions) are recognised by their fields and streamed
    through the bulk path; --subreddit, --since and --until filter them. A killed
    dump import started again goes on where it stopped.

    Example: linkthread import RS_2024-01.zst RC_2024-01.zst --subreddit sqlite
    """
    # Here, not at the top: the parsers (lxml, BeautifulSoup) and zstandard are for
    # the commands that read pages, and every other command's start would pay for them.
    from scraper.importers.detect import dump_kind
    from scraper.importers.dump_run import run_dumps
    from scraper.importers.files import walk
    from scraper.importers.reddit_dump import Filters, refusal
    from scraper.importers.run import import_paths

    filters = Filters(subreddits=frozenset(s.lower() for s in subreddits), since=since,
                      until=until)
    names = list(walk(paths))
    # A folder with nothing in it to read: its one line, or the import would say
    # "0 files" and succeed.
    refused = [f"{p}: a folder with no file in it to import" for p in paths
               if p.is_dir() and not any(True for _ in walk([p]))]
    dumps = [(p, kind) for p in names if (kind := dump_kind(p)) is not None]
    dumped = {p for p, _ in dumps}
    pages = []
    for p in names:
        if p in dumped:
            continue
        # A .zst that is no dump: why, rather than a saved page's "binary file".
        reason = refusal(p)
        if reason is None:
            pages.append(p)
        else:
            refused.append(f"{p}: {reason}")
    if url is not None and dumps:
        raise click.UsageError("--url names a saved page; a dump names its own threads")
    if url is not None and len(names) != 1:
        # Asked here rather than caught from import_paths' ValueError: any other
        # ValueError from reading a file would be shown as a usage error.
        raise click.UsageError(f"--url names one page, but {len(names)} files were given")
    dumped_outcome = outcome = None
    with _user_errors():
        archive = open_db(db)
        try:
            if dumps:
                dumped_outcome = run_dumps(archive, dumps, filters=filters)
            if pages or not (dumps or refused):
                outcome = import_paths(archive, pages, sites=[site] if site else None,
                                       url=url, fetched_at=fetched_at)
        finally:
            archive.close()
    failed = dumped_outcome is not None and _report_dumps(dumped_outcome, db)
    for line in refused:
        click.echo(f"Error: {safe_line(line)}", err=True)
    failed = failed or bool(refused)
    if outcome is None:
        if failed:
            raise SystemExit(1)
        return
    click.echo(f"imported {outcome.threads} thread(s), {outcome.comments} comments, "
               f"from {outcome.files} file(s) into {db}")
    for line in outcome.stored:
        click.echo(line)
    for line in outcome.failures:
        click.echo(f"Error: {safe_line(line)}", err=True)
    if outcome.failures or failed:
        raise SystemExit(1)


def _report_dumps(outcome: DumpOutcome, db: str) -> bool:
    """Print what a dump import did; whether anything failed."""
    published = outcome.published
    new = published.new if published else 0
    merged = published.merged if published else 0
    missing = published.missing_parents if published else 0
    click.echo(f"imported {outcome.comments:,} comment(s) and {outcome.stories:,} "
               f"submission(s) from {outcome.files} dump file(s) into {db}: {new:,} new "
               f"comments, {merged:,} already archived merged, {missing:,} whose parent "
               "is in no file read")
    if outcome.bad_lines:
        click.echo(f"{outcome.bad_lines:,} line(s) were not a Reddit comment or submission "
                   "(not JSON, or no id): skipped", err=True)
    for line in outcome.notes:
        click.echo(f"Warning: {safe_line(line)}", err=True)
    for path in outcome.skipped:
        click.echo(f"{path}: already imported with these filters; nothing to add")
    for line in outcome.failures:
        click.echo(f"Error: {safe_line(line)}", err=True)
    return bool(outcome.failures)
