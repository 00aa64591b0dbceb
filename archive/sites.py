"""The registry: every site linkthread knows, each defined once (``archive.site``
says what a definition holds). Adding a site is one module beside ``sites_hn`` and
``sites_lobsters`` and ``sites_reddit``, one entry here, its spider and its parsers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from urllib.parse import urlsplit

from archive.site import GRAMMAR_KINDS, Politeness, Site, TargetError
from archive.sites_hn import HN
from archive.sites_lobsters import LOBSTERS
from archive.sites_reddit import REDDIT
from archive.targets import Target

SITES: Mapping[str, Site] = MappingProxyType({s.name: s for s in (HN, LOBSTERS, REDDIT)})


def get(name: str) -> Site:
    """The site called ``name``; TargetError (a ValueError) naming the known ones."""
    try:
        return SITES[name]
    except KeyError:
        raise TargetError(f"unknown site {name!r} (known: {', '.join(SITES)})") from None


def parse_targets(site: str, words: Sequence[str], *,
                  base_url: str | None = None) -> list[Target]:
    """Targets from command-line words, as ``crawl`` and ``watch`` read them: ids or
    URLs, listing names, and ``user NAME`` pairs; each once, in order."""
    known = get(site)
    out: list[Target] = []
    rest = iter(words)
    for word in rest:
        if word.strip() == "user":
            out.append(Target(known.name, "user", known.user_name(next(rest, ""))))
        else:
            out.append(known.parse_target(word, base_url=base_url))
    if not out:
        raise TargetError("name a target: an item id or URL, a listing, user NAME")
    return list(dict.fromkeys(out))


def listings_help(indent: str = "") -> str:
    """One line per site naming its listings, for ``--help`` texts."""
    return "\n".join(f"{indent}{s.name}: {s.listing_forms()}" for s in SITES.values())


def site_of_url(url: str) -> Site | None:
    """The site whose public hosts serve ``url``, if any (not the base URL's host)."""
    host = urlsplit(url if "://" in url else f"https://{url}").hostname
    return next((s for s in SITES.values() if host in s.hosts), None)


def known_crawl_delays() -> dict[str, float]:
    """Host -> the Crawl-delay to keep when robots.txt cannot be read (settings)."""
    return {host: s.politeness.crawl_delay for s in SITES.values() for host in s.hosts}


__all__ = ["GRAMMAR_KINDS", "HN", "LOBSTERS", "REDDIT", "SITES", "Politeness", "Site",
           "TargetError", "get", "known_crawl_delays", "listings_help", "parse_targets",
           "site_of_url"]

