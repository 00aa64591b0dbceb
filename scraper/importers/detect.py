"""Which importer takes a saved page: each is asked in turn, from the text alone (HN's
markup, an Algolia item's JSON shape, Lobsters' ``og:site_name`` or JSON shape, Reddit's
API objects). A new site adds its importer module and its entry here; a site may have
several (HN's pages and its threads saved from Algolia's API)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scraper.importers import hn, hn_algolia, lobsters, reddit, reddit_dump
from scraper.importers.pages import Kind, SiteImporter
from scraper.importers.reddit_dump import DumpKind

IMPORTERS: tuple[SiteImporter, ...] = (hn.IMPORTER, hn_algolia.IMPORTER, lobsters.IMPORTER,
                                       reddit.IMPORTER)
SITES = tuple(dict.fromkeys(i.site.name for i in IMPORTERS))


def recognise(text: str, sites: Sequence[str] | None = None) -> tuple[SiteImporter, Kind] | None:
    """The importer and page kind of ``text`` among ``sites`` (all known by default)."""
    for importer in IMPORTERS:
        if sites and importer.site.name not in sites:
            continue
        kind = importer.recognise(text)
        if kind is not None:
            return importer, kind
    return None


def dump_kind(path: Path) -> DumpKind | None:
    """Whether ``path`` is a community dump (one JSON object a line, maybe zstd), read
    as a stream by :mod:`scraper.importers.reddit_dump` rather than as a saved page."""
    return reddit_dump.dump_kind(path)
