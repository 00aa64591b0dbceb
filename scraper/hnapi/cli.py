"""``linkthread backfill hn`` and ``linkthread follow hn``, added to their groups by
``scraper.cli_follow``; and ``crawl hn --via api`` of threads alone, which
``scraper.cli`` runs here instead of through Scrapy (:func:`crawl_api`)."""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

import click

from archive import sites_hn
from archive.cli import _user_errors, db_option

# The client, the parsers, aiohttp and asyncio are imported by the commands that use
# them: the read commands, which register these with the rest, must not pay for them
# (startup).
if TYPE_CHECKING:
    from scraper.hnapi.client import ApiClient
    from scraper.hnapi.crawl import ApiCrawl

_CONCURRENCY = click.option(
    "--concurrency", type=click.IntRange(1, 512), envvar=sites_hn.API_CONCURRENCY_SETTING,
    default=sites_hn.API_CONCURRENCY, show_default=True, show_envvar=True,
    help="Connections to the API at once.",
)  # fmt: skip


def _check_db(db: str) -> None:
    # Imported here: scraper.cli imports this module (through cli_follow) to register it.
    from scraper.cli import check_db

    check_db(db)


def _client(concurrency: int | None) -> ApiClient:
    from scraper.hnapi.client import ApiClient

    try:
        return ApiClient.from_env(concurrency=concurrency)
    except ValueError as e:
        raise click.UsageError(str(e)) from e


def crawl_api(spider_args: dict[str, str], *, db: str, pages: int, threads: bool,
              log_level: str) -> ApiCrawl | None:  # fmt: skip
    """``crawl hn`` of threads read from the API alone (``scraper.hnapi.crawl``), run on
    a plain event loop; None, having done nothing, if the crawl needs the spider."""
    import asyncio

    from scraper.hnapi.crawl import ApiCrawl, api_threads, crawl
    from scraper.hnapi.status import display

    story_ids = api_threads(spider_args)
    if story_ids is None:
        return None
    client = _client(None)  # LINKTHREAD_HN_API_URL and _CONCURRENCY, checked before anything
    # The archive is created or migrated in the crawl's own archive thread while the
    # first requests are in flight; one it cannot be is the same one line from there.
    logging.basicConfig(level=log_level, format="%(asctime)s [%(name)s] %(levelname)s: "
                                                "%(message)s")  # fmt: skip
    run = ApiCrawl(db_path=db, story_ids=story_ids, pages=pages, threads_flag=threads)
    # What is built by now lives as long as the crawl (as in scraper.cli's crawl).
    gc.freeze()
    with _user_errors():
        asyncio.run(crawl(run, client, display()))
    return run


@click.command()
@click.option("--from", "first", type=click.IntRange(1), help="The first item id.")
@click.option("--to", "last", type=click.IntRange(1), help="The last item id.")
@click.option("--last", "count", type=click.IntRange(1),
              help="The N items up to the newest (maxitem) instead of --from/--to.")
@click.option("--batch", default=sites_hn.API_BATCH, show_default=True,
              type=click.IntRange(1, 100_000),
              help="Items per transaction (a kill loses at most one batch's fetches).")
@_CONCURRENCY
@db_option
def backfill_hn(first: int | None, last: int | None, count: int | None, batch: int,
                concurrency: int, db: str) -> None:
    """Fetch Hacker News items by id through its API into the archive.

    Every id of the range is asked for, many at once, and stored as a story or a
    comment; replies are linked into their threads as their parents arrive. A killed
    or stopped (Ctrl-C, SIGTERM) backfill of the same range continues where it stopped
    and fetches nothing it had stored. At a terminal a progress bar shows the rate and
    the time left.

    Example: linkthread backfill hn --from 1 --to 100000 --db hn.db

    Example: linkthread backfill hn --last 5000 --db hn.db
    """
    if count is not None and (first is not None or last is not None):
        raise click.UsageError("give --last N, or --from A --to B, not both")
    if count is None and (first is None or last is None):
        raise click.UsageError("give --from A --to B, or --last N")
    if first is not None and last is not None and first > last:
        raise click.UsageError(f"--from {first} is after --to {last}")
    import asyncio

    from scraper.hnapi.backfill import BackfillResult, backfill
    from scraper.hnapi.client import ApiError
    from scraper.hnapi.status import counts, display

    _check_db(db)
    client = _client(concurrency)

    async def go() -> BackfillResult:
        async with client:
            return await backfill(client, db, first=first, last=last, count=count,
                                  display=display(), batch=batch)  # fmt: skip

    with _user_errors():
        try:
            result = asyncio.run(go())
        except ApiError as e:
            raise click.ClickException(f"{e} (what was fetched before it is stored; "
                                       "run the same backfill again to continue)") from e
    t = result.tally
    click.echo(f"backfilled {result.first}-{t.position} of {result.first}-{result.last}: "
               f"{counts(t)}, {client.requests} requests, into {db}", err=True)
    if result.stopped:
        click.echo(f"stopped: run `linkthread backfill hn --from {result.first} --to "
                   f"{result.last} --db {db}` to continue", err=True)
        raise SystemExit(130)


@click.command()
@click.option("--interval", type=click.FloatRange(0.05), envvar=sites_hn.FOLLOW_INTERVAL_SETTING,
              default=sites_hn.FOLLOW_INTERVAL, show_default=True, show_envvar=True,
              help="Seconds between two looks at maxitem and updates.")
@click.option("--from", "since", type=click.IntRange(1),
              help="On the first run, start at this id instead of the newest.")
@click.option("--watch-new-stories", is_flag=True,
              help="Add every new story to the watch list (see `linkthread watch`).")
@_CONCURRENCY
@db_option
def follow_hn(interval: float, since: int | None, watch_new_stories: bool, concurrency: int,
              db: str) -> None:
    """Follow Hacker News live through its API: new items and changed ones.

    It looks at the newest id (maxitem) and at the items and profiles changed lately
    (updates) every --interval seconds, and stores every new item and every changed one
    with its history (a changed score, text or dead flag is a snapshot or a version).
    A restart continues after the last item stored, after a kill too. SIGTERM or Ctrl-C
    stops it cleanly (what was fetched is stored) and it exits 0.

    Example: linkthread follow hn --db hn.db

    Example: linkthread follow hn --watch-new-stories --interval 60 --db hn.db
    """
    import asyncio

    from scraper.hnapi.client import ApiError
    from scraper.hnapi.follow import FollowTally, follow
    from scraper.hnapi.status import counts, display

    _check_db(db)
    client = _client(concurrency)
    tally = FollowTally()

    async def go() -> None:
        async with client:
            await follow(client, db, interval=interval, since=since,
                         watch_new=watch_new_stories, display=display(), tally=tally)

    with _user_errors():
        try:
            asyncio.run(go())
        except ApiError as e:
            raise click.ClickException(f"{e} (what was fetched before it is stored; "
                                       "start it again to continue)") from e
    click.echo(f"followed to item {tally.position}: {counts(tally)}, {tally.changed} changed "
               f"items, {tally.profiles} profiles, {client.requests} requests, into {db}",
               err=True)  # fmt: skip
