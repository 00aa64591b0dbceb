"""`linkthread crawl`: the crawler's commands, added to the archive's click group.

The archive's CLI knows nothing of Scrapy; this module is the console script's entry
point and brings the crawl commands in. Scrapy and Twisted are imported by the commands
that crawl, when they run: importing them costs ~0.3 s that ``query``, ``show`` or
``search`` would pay at every start (tests/test_startup.py; bench/startup.py).
"""

from __future__ import annotations

import gc
import importlib
from typing import TYPE_CHECKING, Any

import click

from archive import sites
from archive.cli import cli, db_option
from archive.db import open_writer
from archive.errors import ArchiveError

if TYPE_CHECKING:
    import scrapy
    from scrapy.settings import Settings

# Spiders by registry name (archive.sites), as "module:class" so that naming them
# imports nothing: a site's grammar is the registry's, its crawl strategy the spider's.
SPIDERS: dict[str, str] = {sites.HN.name: "scraper.spiders.hn:HnSpider",
                           sites.LOBSTERS.name: "scraper.spiders.lobsters:LobstersSpider",
                           sites.REDDIT.name: "scraper.spiders.reddit:RedditSpider"}
# Sites whose crawl of threads read from their official API alone runs without Scrapy,
# which would have nothing to fetch: "module:function" (scraper.hnapi.cli.crawl_api).
API_CRAWLS: dict[str, str] = {sites.HN.name: "scraper.hnapi.cli:crawl_api",
                               # Stories alone, without Scrapy (scraper/direct/).
                               sites.LOBSTERS.name: "scraper.direct.lobsters:crawl_direct",
                               sites.REDDIT.name: "scraper.direct.reddit:crawl_direct"}


def spider_class(site: str) -> type[scrapy.Spider] | None:
    """The spider of ``site`` (importing Scrapy), or None if the site has no crawler."""
    where = SPIDERS.get(site)
    if where is None:
        return None
    module, _, name = where.partition(":")
    found: type[scrapy.Spider] = getattr(importlib.import_module(module), name)
    return found


def spider_targets(site: str, targets: tuple[str, ...]) -> dict[str, str]:
    """The spider's arguments from the command line's targets, read by the site's
    grammar: ``items`` (thread ids), ``listings`` (as the spider requests them),
    ``users``, and, only where the site has comment URLs without their story (Lobsters
    ``/c/ID``), ``comments``. ValueError (one line) for a word the grammar refuses."""
    known = sites.get(site)
    wanted: dict[str, list[str]] = {"items": [], "listings": [], "users": [], "comments": []}
    for t in sites.parse_targets(site, targets) if targets else ():
        if t.kind == "listing":
            wanted["listings"].append(known.listing_path(t.target))
        else:
            wanted[{"thread": "items", "user": "users", "comment": "comments"}[t.kind]].append(
                t.target)
    args = {name: ",".join(dict.fromkeys(values)) for name, values in wanted.items()}
    if not args["comments"]:
        del args["comments"]  # spiders of sites without comment targets do not take it
    return args


# Generated from the registry, so a new site's grammar shows up here by itself.
CRAWL_HELP = f"""Crawl threads, listings and profiles of SITE into the archive.

    SITE is one of {", ".join(sites.SITES)}. TARGETS are item ids or item URLs (every
    page of a long thread is followed), listings (each visit stores a ranked
    snapshot), and "user NAME" for a profile. A Lobsters comment URL (/c/ID) crawls
    its story, a Reddit comment permalink its whole thread. Reddit is read through
    its OAuth API with your own app's credentials (docs/sites.md says how).

    \b
    Listings:
{sites.listings_help(indent='      ')}

    Example: linkthread crawl hn 46621892 {sites.HN.item_url("1")} --db hn.db

    Example: linkthread crawl hn front --pages 2 --threads

    Example: linkthread crawl hn --resume   (after a crawl was killed or stopped)

    Example: linkthread crawl hn 8863 --via api   (the official API's tree alone)

    Example: linkthread crawl reddit r/python/top --time week --threads --max-requests 20
    """


def crawl_settings(db: str, overrides: tuple[str, ...], log_level: str) -> Settings:
    from scrapy.settings import Settings

    from scraper.overrides import check_override
    from scraper.settings import drop_unconfigured

    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    # The command hands Scrapy its spider class: walking SPIDER_MODULES (what `scrapy
    # crawl NAME` needs, to find a spider by name) would import every site's spider
    # and parsers at every crawl's start.
    settings.set("SPIDER_MODULES", [], priority="cmdline")
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
    drop_unconfigured(settings)
    return settings


@cli.command(help=CRAWL_HELP)
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
              help="Also crawl every thread the listings show (Reddit: and the threads "
                   "of a user's comments).")
@click.option("--via", type=click.Choice(["api", "html", "both"], case_sensitive=False),
              help="Where a thread is read, for a site with an official API (HN): its "
                   "API's tree (exact times, many requests at once), its page(s) (grey "
                   "levels, the visible state, at the polite pace), or both merged "
                   "[default: both; LINKTHREAD_HN_VIA]. Listings are read as pages.")
@click.option("--ignore-robots", is_flag=True,
              help="Crawl although the site's robots.txt forbids it: only with the site's "
                   "permission. Recorded in the crawl; its published limits are kept.")
@click.option("--time", "period", metavar="PERIOD",
              help="The period of the listings that cover one (Reddit's top and "
                   "controversial: hour, day, week, month, year, all).")
@click.option("--sort", metavar="ORDER",
              help="The order a thread's comments are asked for in, where the site has "
                   "one (Reddit: confidence, the default, top, new, controversial, old, "
                   "qa); recorded with the thread.")
@click.option("--max-requests", type=click.IntRange(0), metavar="N",
              help="Requests one thread may take after its first page (Reddit's 'more' "
                   "and 'continue this thread' stubs); what is left is recorded as a gap "
                   "that `linkthread gaps` lists.")
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="How much of Scrapy's log to show.")
def crawl(site: str, targets: tuple[str, ...], db: str, resume: bool,
          overrides: tuple[str, ...], pages: int, threads: bool, via: str | None,
          ignore_robots: bool, period: str | None, sort: str | None,
          max_requests: int | None, log_level: str) -> None:
    if site not in sites.SITES:
        raise click.UsageError(f"unknown site {site!r} (known: {', '.join(sites.SITES)})")
    if not targets and not resume:
        raise click.UsageError("give TARGETS to crawl, or --resume")
    if period is not None:
        # The grammar's own "LISTING --time PERIOD" form, for each listing named.
        known = sites.get(site)
        targets = tuple(f"{t} --time {period}" if known.looks_like_listing(t) else t
                        for t in targets)
    try:
        spider_args = spider_targets(site, targets)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="TARGETS") from e
    if via is not None:
        if sites.get(site).api_url is None:
            raise click.UsageError(f"--via: {sites.get(site).label} has no official API "
                                   "to read; its pages are what a crawl reads")
        spider_args["via"] = via.lower()
    if (site in API_CRAWLS and not (resume or overrides or ignore_robots)
            and sort is None and max_requests is None):
        module, _, name = API_CRAWLS[site].partition(":")
        api_crawl = getattr(importlib.import_module(module), name)
        run = api_crawl(spider_args, db=db, pages=pages, threads=threads,
                        log_level=log_level.upper())
        if run is not None:
            end_crawl(run.stats(), db, site, wanted=len(run.story_ids), threads=threads,
                      stopped=run.stopped, done=run.threads, total=len(run.story_ids))
            return
    spider_cls = spider_class(site)
    if spider_cls is None:
        raise click.UsageError(f"site {site!r} has no crawler yet (crawlers: "
                               f"{', '.join(SPIDERS)})")
    for option, value in (("sort", sort), ("max_requests", max_requests)):
        if value is not None:
            if option not in getattr(spider_cls, "options", frozenset()):
                raise click.UsageError(f"--{option.replace('_', '-')}: a crawl of {site} "
                                       "has no such option")
            spider_args[option] = str(value)
    preflight = getattr(spider_cls, "preflight", None)
    problem = preflight() if preflight is not None else None
    if problem is not None:
        raise click.ClickException(problem)  # before anything is opened or asked
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
    if ignore_robots:
        # Per command only, never from the environment or a default: the crawl row
        # records it (its args), and the site's published limits still hold.
        settings.set("ROBOTSTXT_OBEY", False, priority="cmdline")
        spider_args["ignore_robots"] = "1"
        known = sites.get(site)
        floor = float(settings.get("LINKTHREAD_MIN_DELAY") or known.politeness.min_delay)
        click.echo(f"Warning: ignoring robots.txt of {known.label} (--ignore-robots); "
                   f"keeping at least {floor:g} s between requests "
                   "and the site's rate limits", err=True)
    if not resume:
        check_db(db)  # resume_args has opened it already
    import logging

    from scrapy.crawler import CrawlerProcess

    from scraper import progress
    from scraper.stopping import stopping

    process = CrawlerProcess(settings)
    logging.getLogger("scrapy").setLevel(log_level.upper())
    crawler = process.create_crawler(spider_cls)
    # What is built by now (Scrapy, Twisted, the settings, the spider) lives as long as
    # the crawl: out of the cyclic collector's sight, each collection scans only what
    # the crawl itself makes (issue 14: the collector took 8% of a crawl).
    gc.freeze()
    stop = stopping(crawler)
    stop.install()
    with progress.shown(crawler) as seen:
        process.crawl(crawler, **spider_args, pages=str(pages), threads=str(int(threads)))
        process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    end_crawl(stats, db, site, wanted=len(getattr(crawler.spider, "item_ids", [])),
              threads=threads, stopped=stop.requested, done=seen.done, total=seen.total)


def end_crawl(stats: dict[str, Any], db: str, site: str, *, wanted: int, threads: bool,
              stopped: bool, done: int, total: int) -> None:  # fmt: skip
    """The crawl's last lines, and its exit status: 130 if it was stopped, 1 if a
    target was not stored."""
    failed = report_crawl(stats, db, wanted=wanted, threads=threads)
    if stopped or stats.get("finish_reason") == "shutdown":
        click.echo(resume_hint(site, db, done, total), err=True)
        raise SystemExit(130)  # 128 + SIGINT, as a shell reports a command Ctrl-C stopped
    if failed:
        raise SystemExit(1)


def resume_hint(site: str, db: str, done: int, total: int) -> str:
    """The last line of an interrupted crawl."""
    # Quoted as a shell needs it: the line is there to be pasted.
    import shlex  # an interrupted crawl's alone

    return (f"interrupted: {done} of {total} targets done; "
            f"finish with: linkthread crawl {site} --resume --db {shlex.quote(db)}")


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
    drift: list[str] = stats.get("linkthread/drift", [])
    for line in drift:
        click.echo(f"Warning: {line}; the pages are kept (linkthread reparse reads them "
                   "again once the parser is fixed)", err=True)
    return bool(failures or drift) or stats.get("finish_reason") != "finished"


def check_db(db: str) -> None:
    """Create or migrate the archive now, so a --db that cannot be one (a missing
    folder, another program's file, a full disk) is one line before Scrapy starts."""
    try:
        open_writer(db).close()
    except ArchiveError as e:
        raise click.ClickException(str(e)) from e


def resume_args(db: str, site: str) -> tuple[int, bool] | None:
    """The largest ``--pages`` and any ``--threads`` of the crawls of ``site`` that left
    targets queued, or None if nothing is left."""
    from archive.crawls import crawl_args, resumable

    try:
        archive = open_writer(db)
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


# Registered by their modules when asked for (archive.cli.LazyGroup).
cli.lazy.update({"backfill": "scraper.cli_follow", "follow": "scraper.cli_follow",
                 "import": "scraper.cli_import", "reparse": "scraper.cli_reparse",
                 "run": "scraper.cli_run"})


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
