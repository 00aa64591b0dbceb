"""What a site is: its definition (name, base URL, target grammar, URL forms) and its
politeness facts. Each site is one ``Site`` in a module of its own (``sites_hn``,
``sites_lobsters``); ``archive.sites`` is the registry of them.

Pure data and pure functions (no Scrapy, no I/O), so both halves read it: the crawl
(spiders, settings, ``crawl``'s target words) and the archive (watches, exports,
views, ``show``).

The grammar turns what a user types into ``archive.targets.Target`` values (also
``archive.crawls.Target``):

- kind "thread": a story's id (HN: ``46621892``; Lobsters: ``ktew3s``) from an id or
  any story URL a user pastes, on the site's host or the configured base URL's host.
- kind "listing": a listing name as watches store it (HN ``front``; Lobsters
  ``hottest``, ``t/rust,go``); ``listing_path`` turns it into what the crawl requests.
- kind "user": a user name, from the pair ``user NAME``.
- kind "comment" (Lobsters ``/c/ID`` only): a comment whose story is not in the URL.
  It is a grammar answer, never a stored target: the crawl resolves the comment to its
  story (the site redirects ``/c/ID`` to it) and queues that story as a "thread". A
  comment URL that names its story (``/s/ID/slug#c_CID``) is simply that thread.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from archive.errors import ArchiveError
from archive.targets import Target

# What the grammar may answer; targets.KINDS (what a crawl or a watch stores) plus
# "comment", which the crawl resolves to its thread (see the module docstring).
GRAMMAR_KINDS = ("thread", "listing", "user", "comment")


class TargetError(ArchiveError, ValueError):
    """A word the grammar refuses. One line naming the word and what was expected; a
    ValueError too, as the spiders' argument checks have always raised."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Politeness:
    """A site's published limits, as data the crawl's politeness layer reads."""

    crawl_delay: float  # robots.txt's Crawl-delay when last read (kept when it cannot be read)
    min_delay: float  # seconds between requests that keep within every published limit
    robots_forbids: bool = False  # robots.txt disallows everything to unnamed crawlers
    per_hour: int | None = None  # requests an hour per address the site allows
    user_pages: tuple[int, int] | None = None  # (requests, seconds) for user pages
    note: str = ""  # one line: what the site asks of crawlers

    def delay_for(self, kind: str) -> float:
        """Seconds between requests for pages of ``kind`` ("thread", "listing", "user")
        that keep within every published limit: user pages may have a stricter one."""
        delay = max(self.crawl_delay, self.min_delay)
        if self.per_hour:
            delay = max(delay, 3600 / self.per_hour)
        if kind == "user" and self.user_pages:
            requests, seconds = self.user_pages
            delay = max(delay, seconds / requests)
        return delay


# A site's class subclasses this one with ``__slots__ = ()`` and no field of its own: the
# fields, __init__, __repr__, __eq__, __hash__ and the frozen __setattr__ are these,
# where re-made by @dataclass they cost ~0.6 ms of every command's start-up a site.
@dataclass(frozen=True, slots=True, kw_only=True)
class Site(ABC):
    """One site: what it is called, where it lives, and how its targets are written.

    ``base_url`` is the public site's; the URL forms use it unless given another (a
    test's local stand-in), so exported links point at the real site. The grammar
    also accepts URLs on the base URL's host, from ``base_url`` or else the setting's
    environment variable, as the crawl is pointed there.
    """

    name: str
    label: str
    base_url: str
    base_url_setting: str
    hosts: tuple[str, ...]
    listings: tuple[str, ...]
    politeness: Politeness
    json_pages: bool = False  # the site serves its pages as JSON too
    # An official API on an origin of its own (HN's Firebase API), which a crawl may
    # read beside the pages (``crawl --via``); None where the site has none. It keeps
    # its own limits: the pages' Crawl-delay is not the API's.
    api_url: str | None = None
    api_url_setting: str | None = None
    # Where links to the site point when ``base_url`` is an API a browser cannot open
    # (Reddit's OAuth API): exports resolve a body's relative links on it.
    web_url: str | None = None

    # -- where -----------------------------------------------------------------

    def configured_base_url(self, base_url: str | None = None) -> str:
        """``base_url``, else the setting's environment variable, else the public site."""
        return (base_url or os.environ.get(self.base_url_setting) or self.base_url).rstrip("/")

    def configured_api_url(self, api_url: str | None = None) -> str | None:
        """``api_url``, else the API setting's environment variable, else the public
        API's; None if the site has no API."""
        if self.api_url is None:
            return None
        env = os.environ.get(self.api_url_setting) if self.api_url_setting else None
        return (api_url or env or self.api_url).rstrip("/")
    def public_url(self) -> str:
        """Where a browser finds the site: ``web_url``, else ``base_url``."""
        return (self.web_url or self.base_url).rstrip("/")

    def _base(self, base_url: str | None) -> str:
        return (base_url or self.base_url).rstrip("/")

    def _on_site(self, word: str, base_url: str | None) -> SplitResult | None:
        """The parts of ``word`` if it is an http(s) URL on one of the site's hosts or
        the base URL's host, with the base URL's path prefix taken off; else None.
        A URL may leave out its scheme, as a browser's address bar shows it."""
        parts = urlsplit(word if "://" in word else f"https://{word}")
        if parts.scheme.lower() not in ("http", "https") or parts.hostname is None:
            return None
        base = urlsplit(self.configured_base_url(base_url))
        if parts.hostname in self.hosts:
            return parts
        prefix = base.path.rstrip("/")
        if parts.hostname == base.hostname and parts.path.startswith(prefix + "/"):
            return parts._replace(path=parts.path[len(prefix):])
        return None

    # -- the grammar -----------------------------------------------------------

    def parse_target(self, word: str, *, base_url: str | None = None) -> Target:
        """One target from one word: a listing name, else an id or URL. ``user NAME``
        is two words: see ``parse_targets`` (or pass them as one, space between)."""
        word = word.strip()
        head, _, name = word.partition(" ")
        if head == "user":
            return Target(self.name, "user", self.user_name(name))
        if self.looks_like_listing(word):
            return Target(self.name, "listing", self.listing(word))
        return self.item_target(word, base_url=base_url)

    def looks_like_listing(self, word: str) -> bool:
        return word in self.listings

    def item_target(self, word: str, *, base_url: str | None = None) -> Target:
        return Target(self.name, "thread", self.item_id(word, base_url=base_url))

    @abstractmethod
    def item_id(self, word: str, *, base_url: str | None = None) -> str:
        raise NotImplementedError

    @abstractmethod
    def listing(self, word: str) -> str:
        """The listing's name as watches store it; TargetError if it is not one."""
        raise NotImplementedError

    @abstractmethod
    def listing_forms(self) -> str:
        """The listings the grammar accepts, as help and errors list them."""

    def listing_path(self, name: str) -> str:
        """What the crawl requests for a listing name (also how failures name it)."""
        return self.listing(name)

    def snapshot_name(self, name: str) -> str:
        """The name a listing's rows carry in ``listing_snapshots`` (the parser's).
        Unchecked: a watch stored before its grammar was checked still has one."""
        return name

    @abstractmethod
    def user_name(self, word: str) -> str:
        raise NotImplementedError

    # -- URL forms -------------------------------------------------------------

    @abstractmethod
    def item_url(self, item_id: str, *, base_url: str | None = None, json: bool = False) -> str:
        raise NotImplementedError

    @abstractmethod
    def comment_url(self, story_id: str, comment_id: str, *,
                    base_url: str | None = None) -> str:
        raise NotImplementedError

    @abstractmethod
    def user_url(self, name: str, *, base_url: str | None = None, json: bool = False) -> str:
        raise NotImplementedError

    @abstractmethod
    def listing_url(self, name: str, page: int = 1, *, base_url: str | None = None,
                    json: bool = False) -> str:
        raise NotImplementedError

    def _no_json(self, json: bool) -> None:
        if json:
            raise ValueError(f"{self.label} pages have no JSON form")


