"""`linkthread crawl`: the crawler's commands, added to the archive's click group.

The archive's CLI knows nothing of Scrapy; this module is the console script's entry
point and brings the crawl commands in.
"""

from __future__ import annotations

import logging

import click
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.cli import cli, db_option
from scraper.spiders.hn import HnSpider, item_id

SPIDERS = {"hn": (HnSpider, item_id)}
PLANNED = ("lobsters", "reddit")


def crawl_settings(db: str, overrides: tuple[str, ...], log_level: str) -> Settings:
    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.set("LINKTHREAD_DB", db, priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    for pair in overrides:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-s")
        settings.set(name, value, priority="cmdline")
    return settings


@cli.command()
@click.argument("site")
@click.argument("targets", nargs=-1, required=True)
@db_option
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Set a Scrapy or LINKTHREAD_* setting for this crawl.")
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="How much of Scrapy's log to show.")
def crawl(site: str, targets: tuple[str, ...], db: str, overrides: tuple[str, ...],
          log_level: str) -> None:
    """Crawl whole threads of SITE into the archive.

    TARGETS are item ids or item URLs; every page of a long thread is followed.

    Example: linkthread crawl hn 46621892 https://news.ycombinator.com/item?id=1 --db hn.db
    """
    if site in PLANNED:
        raise click.UsageError(f"site {site!r} is not supported yet (supported: hn)")
    if site not in SPIDERS:
        raise click.UsageError(f"unknown site {site!r} (supported: {', '.join(SPIDERS)})")
    spider_cls, to_id = SPIDERS[site]
    try:
        ids = list(dict.fromkeys(to_id(t) for t in targets))
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="TARGETS") from e
    process = CrawlerProcess(crawl_settings(db, overrides, log_level.upper()))
    logging.getLogger("scrapy").setLevel(log_level.upper())
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, items=",".join(ids))
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    failures: list[str] = getattr(crawler.spider, "failures", [])
    click.echo(
        f"archived {stats.get('linkthread/threads', 0)} of {len(ids)} thread(s), "
        f"{stats.get('linkthread/comments', 0)} comments, into {db}"
    )
    for message in failures:
        click.echo(f"Error: {message}", err=True)
    if failures or stats.get("finish_reason") != "finished":
        raise SystemExit(1)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
