"""`linkthread backfill SITE` and `linkthread follow SITE`: a site's official API into the
archive, a range of ids or a live tail. Each site with such an API adds its commands
here, under its registry name."""

from __future__ import annotations

from archive import sites
from archive.cli import cli
from scraper.hnapi import cli as hn_api


@cli.group()
def backfill() -> None:
    """Fetch a range of a site's items through its official API into the archive.

    Example: linkthread backfill hn --from 1 --to 100000 --db hn.db
    """


@cli.group(name="follow")
def follow_group() -> None:
    """Follow a site live through its official API (a daemon): new and changed items.

    Example: linkthread follow hn --db hn.db
    """


backfill.add_command(hn_api.backfill_hn, name=sites.HN.name)
follow_group.add_command(hn_api.follow_hn, name=sites.HN.name)
