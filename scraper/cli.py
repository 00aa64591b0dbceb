"""`linkthread crawl`: the crawler's commands, added to the archive's click group.

The archive's CLI knows nothing of Scrapy; this module is the console script's entry
point and brings the crawl commands in.
"""

from __future__ import annotations

import logging
from typing import Any

import click
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.cli import cli, db_option
from archive.crawls import crawl_args, resumable
from archive.db import open_db
from archive.errors import ArchiveError
from scraper import progress
from scraper.overrides import check_override
from scraper.spiders.hn import LISTINGS, HnSpider, item_id, listing_path, user_name
from scraper.stopping import resume_hint, stopping

PLANNED = ("lobsters", "reddit")


def hn_targets(targets: tuple[str, ...]) -> dict[str, str]:
    """The spider's arguments from the command line's targets: item ids or URLs, listing
    names (front, newest, ..., front?day=D), and ``user NAME`` pairs."""
    items: list[str] = []
    listings: list[str] = []
    users: list[str] = []
    words = iter(targets)
    for word in words:
        if word == "user":
            name = next(words, None)
            if name is None:
                raise ValueError("'user' needs a user name after it")
            users.append(user_name(name))
        elif word in LISTINGS or word.startswith("front?"):
            listings.append(listing_path(word))
        else:
            items.append(item_id(word))
    return {"items": ",".join(items), "listings": ",".join(listings), "users": ",".join(users)}


SPIDERS = {"hn": (HnSpider, hn_targets)}


def crawl_settings(db: str, overrides: tuple[str, ...], log_level: str) -> Settings:
    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.set("LINKTHREAD_DB", db, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    for pair in overrides:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-s")
        problem = check_override(settings, name, value)
        if problem is not None:
            raise click.BadParameter(problem, param_hint="-s")
        settings.set(name, value, priority="cmdline")
    return settings


@cli.command()
@click.argument("site")
@click.argument("targets", nargs=-1)
@db_option
@click.option("--resume", is_flag=True,
              help="Also crawl what earlier crawls of SITE left queued (killed or stopped).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Set a Scrapy or LINKTHREAD_* setting for this crawl.")
@click.option("--pages", default=1, show_default=True, type=click.IntRange(1, 50),
              help="How many pages of each listing to read.")
@click.option("--threads", is_flag=True,
              help="Also crawl every thread the listings show.")
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="How much of Scrapy's log to show.")
def crawl(site: str, targets: tuple[str, ...], db: str, resume: bool,
          overrides: tuple[str, ...], pages: int, threads: bool, log_level: str) -> None:
    """Crawl threads, listings and profiles of SITE into the archive.

    TARGETS are item ids or item URLs (every page of a long thread is followed),
    listings (front, newest, ask, show, jobs, best, front?day=YYYY-MM-DD: each visit
    stores a ranked snapshot), and "user NAME" for a profile.

    Example: linkthread crawl hn 46621892 https://news.ycombinator.com/item?id=1 --db hn.db

    Example: linkthread crawl hn front --pages 2 --threads

    Example: linkthread crawl hn --resume   (after a crawl was killed or stopped)
    """
    if site in PLANNED:
        raise click.UsageError(f"site {site!r} is not supported yet (supported: hn)")
    if site not in SPIDERS:
        raise click.UsageError(f"unknown site {site!r} (supported: {', '.join(SPIDERS)})")
    spider_cls, read_targets = SPIDERS[site]
    if not targets and not resume:
        raise click.UsageError("give TARGETS to crawl, or --resume")
    try:
        spider_args = read_targets(targets)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="TARGETS") from e
    if resume:
        # A look, not a claim: the crawl takes the targets over when it starts, in one
        # transaction, so a resume running meanwhile gets each of them at most once.
        left = resume_args(db, site)
        if left is None and not targets:
            click.echo(f"nothing to resume in {db}", err=True)
            return
        if left is not None:
            old_pages, old_threads = left
            pages, threads = max(pages, old_pages), threads or old_threads
            spider_args["resume"] = "1"
    settings = crawl_settings(db, overrides, log_level.upper())
    if not resume:
        check_db(db)  # resume_args has opened it already
    process = CrawlerProcess(settings)
    logging.getLogger("scrapy").setLevel(log_level.upper())
    crawler = process.create_crawler(spider_cls)
    stop = stopping(crawler)
    stop.install()
    with progress.shown(crawler) as seen:
        process.crawl(crawler, **spider_args, pages=str(pages), threads=str(int(threads)))
        process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    failed = report_crawl(stats, db, wanted=len(getattr(crawler.spider, "item_ids", [])),
                          threads=threads)
    if stop.requested or stats.get("finish_reason") == "shutdown":
        click.echo(resume_hint(site, db, seen.done, seen.total), err=True)
        raise SystemExit(130)  # 128 + SIGINT, as a shell reports a command Ctrl-C stopped
    if failed:
        raise SystemExit(1)


def report_crawl(stats: dict[str, Any], db: str, *, wanted: int, threads: bool) -> bool:
    """The crawl's summary, from what the pipeline left in its stats: what was stored,
    then each target not stored, once. True if any was not (or the crawl stopped)."""
    # Missing only if the pipeline never closed the crawl: then nothing is known stored.
    failures: list[str] = stats.get("linkthread/failures",
                                    ["the crawl ended before its record was closed"])
    stored: list[str] = stats.get("linkthread/stored", [])
    archived = stats.get("linkthread/threads", 0)
    if archived or wanted or threads or not stored:
        wanted_text = f" of {wanted}" if wanted and not threads else ""
        click.echo(f"archived {archived}{wanted_text} thread(s), "
                   f"{stats.get('linkthread/comments', 0)} comments, into {db}")
    for line in stored:
        click.echo(line)
    for message in failures:
        click.echo(f"Error: {message}", err=True)
    return bool(failures) or stats.get("finish_reason") != "finished"


def check_db(db: str) -> None:
    """Create or migrate the archive now, so a --db that cannot be one (a missing
    folder, another program's file, a full disk) is one line before Scrapy starts."""
    try:
        open_db(db).close()
    except ArchiveError as e:
        raise click.ClickException(str(e)) from e


def resume_args(db: str, site: str) -> tuple[int, bool] | None:
    """The largest ``--pages`` and any ``--threads`` of the crawls of ``site`` that left
    targets queued, or None if nothing is left."""
    try:
        archive = open_db(db)
    except ArchiveError as e:
        raise click.ClickException(str(e)) from e
    try:
        crawl_ids, left = resumable(archive, site)
        args = crawl_args(archive, crawl_ids)
    finally:
        archive.close()
    if not left:
        return None
    pages = max((int(a.get("pages", 1)) for a in args), default=1)
    return pages, any(a.get("threads") for a in args)


from scraper import cli_import as _import  # noqa: E402,F401  (registers its command)
from scraper import cli_run as _run  # noqa: E402,F401  (registers its command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
