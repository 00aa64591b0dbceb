"""Hacker News threads saved from Algolia's API (``hn.algolia.com/api/v1/items/ID``):
the whole tree in one JSON file, read by ``scraper.parsers.hn.algolia`` (which names
its differences from the page). Its comments enter with source "algolia" and the
thread says their order is Algolia's, not the page's.

The file states no time of its own (``created_at`` is the story's): the import's time
is ``--fetched-at`` or the file's modification time, as for any page without one.
"""

from __future__ import annotations

from datetime import datetime

from archive.sites import HN, Site
from scraper.importers.pages import Kind, Parsed
from scraper.parsers.hn import algolia

ITEM_URL = "https://hn.algolia.com/api/v1/items/{id}"


class AlgoliaImporter:
    site: Site = HN

    def recognise(self, text: str) -> Kind | None:
        return "thread" if algolia.looks_like_item(text) else None

    def stated_time(self, text: str) -> datetime | None:
        return None

    def read(self, text: str, *, kind: Kind, url: str | None, fetched_at: datetime) -> Parsed:
        thread = algolia.parse_algolia_item(text, url=url or ITEM_URL.format(id="?"),
                                            fetched_at=fetched_at)
        return Parsed(url=url or ITEM_URL.format(id=thread.story.id), thread=thread)


IMPORTER = AlgoliaImporter()
