"""The sites linkthread knows, each defined once: names, base URLs, target grammar,
URL forms and politeness facts.

Pure data and pure functions (no Scrapy, no I/O), so both halves read it: the crawl
(spiders, settings, ``crawl``'s target words) and the archive (watches, exports,
views, ``show``). Adding a site is adding a ``Site`` here, its spider and its parsers.

The grammar turns what a user types into ``archive.crawls.Target`` values:

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
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from urllib.parse import SplitResult, parse_qs, urlsplit

from archive.crawls import Target
from archive.errors import ArchiveError

# What the grammar may answer; crawls.KINDS (what a crawl or a watch stores) plus
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

    # -- where -----------------------------------------------------------------

    def configured_base_url(self, base_url: str | None = None) -> str:
        """``base_url``, else the setting's environment variable, else the public site."""
        return (base_url or os.environ.get(self.base_url_setting) or self.base_url).rstrip("/")

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


# -- Hacker News -------------------------------------------------------------------

_HN_ID = re.compile(r"[1-9][0-9]{0,11}")
_HN_DAY = re.compile(r"front\?day=(\d{4}-\d{2}-\d{2})")
_HN_USER = re.compile(r"[A-Za-z0-9_-]{2,15}")


def _real_day(word: str) -> bool:
    match = _HN_DAY.fullmatch(word)
    if match is None:
        return False
    try:
        date.fromisoformat(match.group(1))
    except ValueError:  # 2026-13-01, 2026-02-30
        return False
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class HackerNews(Site):
    """HN: numeric item ids (stories and comments share them), ``/item?id=``."""

    def looks_like_listing(self, word: str) -> bool:
        return word in self.listings or word.startswith("front?")

    def item_id(self, word: str, *, base_url: str | None = None) -> str:
        word = word.strip()
        if _HN_ID.fullmatch(word):
            return word
        parts = self._on_site(word, base_url)
        ids = parse_qs(parts.query).get("id", []) if parts is not None else []
        if parts is not None and parts.path == "/item" and ids and _HN_ID.fullmatch(ids[0]):
            return ids[0]
        raise TargetError(f"{word!r} is not a Hacker News item id or item URL "
                          f"(an item URL is on {self.hosts[0]} or the base URL's host)")

    def listing(self, word: str) -> str:
        """``news`` is ``front``; ``front?day=D`` needs a real date."""
        word = word.strip()
        if word in self.listings:
            return "front" if word == "news" else word
        if _real_day(word):
            return word
        raise TargetError(f"{word!r} is not a Hacker News listing ({self.listing_forms()})")

    def listing_forms(self) -> str:
        return ", ".join((*self.listings, "front?day=YYYY-MM-DD"))

    def listing_path(self, name: str) -> str:
        """"front" is the front page, requested as /news."""
        name = self.listing(name)
        return "news" if name == "front" else name

    def snapshot_name(self, name: str) -> str:
        """``news``, or ``front/D`` for a day (each day is its own listing)."""
        return "news" if name in ("front", "news") else name.replace("?day=", "/")

    def user_name(self, word: str) -> str:
        if not _HN_USER.fullmatch(word.strip()):
            raise TargetError(f"{word.strip()!r} is not a Hacker News user name"
                              if word.strip() else "'user' needs a user name after it")
        return word.strip()

    def item_url(self, item_id: str, *, base_url: str | None = None, json: bool = False) -> str:
        self._no_json(json)
        return f"{self._base(base_url)}/item?id={item_id}"

    def comment_url(self, story_id: str, comment_id: str, *,
                    base_url: str | None = None) -> str:
        return self.item_url(comment_id, base_url=base_url)  # a comment is an item

    def user_url(self, name: str, *, base_url: str | None = None, json: bool = False) -> str:
        self._no_json(json)
        return f"{self._base(base_url)}/user?id={name}"

    def listing_url(self, name: str, page: int = 1, *, base_url: str | None = None,
                    json: bool = False) -> str:
        self._no_json(json)
        path = self.listing_path(name)
        more = "" if page <= 1 else ("&" if "?" in path else "?") + f"p={page}"
        return f"{self._base(base_url)}/{path}{more}"


HN = HackerNews(
    name="hn",
    label="Hacker News",
    base_url="https://news.ycombinator.com",
    base_url_setting="LINKTHREAD_HN_BASE_URL",
    hosts=("news.ycombinator.com",),
    listings=("front", "news", "newest", "ask", "show", "jobs", "best"),
    politeness=Politeness(crawl_delay=30.0, min_delay=30.0,
                          note="robots.txt asks for a Crawl-delay of 30 s"),
)


# -- Lobsters ----------------------------------------------------------------------

# Lobsters' short ids (stories and comments) are 6 lowercase letters or digits.
_LOB_ID = re.compile(r"[a-z0-9]{6}")
_LOB_STORY = re.compile(r"/s/([a-z0-9]{6})(?:/[^/]*)?/?")
_LOB_COMMENT = re.compile(r"/c/([a-z0-9]{6})/?")
_LOB_FRAGMENT = re.compile(r"c_([a-z0-9]{6})")
_LOB_TAG = re.compile(r"[a-z0-9][a-z0-9+_.-]{0,24}")
_LOB_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,24}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Lobsters(Site):
    """Lobsters: 6-character short ids, ``/s/ID/slug``, ``/c/ID``, ``/~NAME``, tags."""

    def looks_like_listing(self, word: str) -> bool:
        return word in self.listings or word.startswith("t/")

    def item_target(self, word: str, *, base_url: str | None = None) -> Target:
        word = word.strip()
        parts = None if _LOB_ID.fullmatch(word) else self._on_site(word, base_url)
        if parts is not None:
            comment = _LOB_COMMENT.fullmatch(parts.path)
            if comment is not None and not parts.fragment:
                return Target(self.name, "comment", comment.group(1))
        return Target(self.name, "thread", self.item_id(word, base_url=base_url))

    def item_id(self, word: str, *, base_url: str | None = None) -> str:
        """A story's id from its id or a story URL (a ``#c_ID`` on it is a comment of
        that story: the thread is the target)."""
        word = word.strip()
        if _LOB_ID.fullmatch(word):
            return word
        parts = self._on_site(word, base_url)
        story = _LOB_STORY.fullmatch(parts.path.removesuffix(".json")) if parts else None
        if parts is not None and story is not None and (
                not parts.fragment or _LOB_FRAGMENT.fullmatch(parts.fragment)):
            return story.group(1)
        raise TargetError(f"{word!r} is not a Lobsters story id or story URL "
                          f"(a 6-character id, or /s/ID/... on {self.hosts[0]} "
                          "or the base URL's host)")

    def listing(self, word: str) -> str:
        """``hottest`` (the front page), ``newest``, ``active``, ``t/TAG`` or
        ``t/TAG1,TAG2`` (tags lowercase, each once)."""
        word = word.strip()
        if word in self.listings:
            return word
        if word.startswith("t/"):
            tags = word[2:].split(",")
            if tags and all(_LOB_TAG.fullmatch(t) for t in tags):
                return "t/" + ",".join(dict.fromkeys(tags))
        raise TargetError(f"{word!r} is not a Lobsters listing ({self.listing_forms()})")

    def listing_forms(self) -> str:
        return ", ".join((*self.listings, "t/TAG", "t/TAG1,TAG2"))

    def user_name(self, word: str) -> str:
        name = word.strip().removeprefix("~")
        if not _LOB_USER.fullmatch(name):
            raise TargetError(f"{word.strip()!r} is not a Lobsters user name"
                              if word.strip() else "'user' needs a user name after it")
        return name

    def item_url(self, item_id: str, *, base_url: str | None = None, json: bool = False) -> str:
        return f"{self._base(base_url)}/s/{item_id}{'.json' if json else ''}"

    def comment_url(self, story_id: str, comment_id: str, *,
                    base_url: str | None = None) -> str:
        return f"{self._base(base_url)}/s/{story_id}#c_{comment_id}"

    def user_url(self, name: str, *, base_url: str | None = None, json: bool = False) -> str:
        return f"{self._base(base_url)}/~{name}{'.json' if json else ''}"

    def listing_url(self, name: str, page: int = 1, *, base_url: str | None = None,
                    json: bool = False) -> str:
        """``/hottest.json`` and ``/page/N`` for the front page; ``/NAME/page/N`` else."""
        name = self.listing(name)
        if page > 1:
            path = f"/page/{page}" if name == "hottest" else f"/{name}/page/{page}"
        else:
            path = f"/{name}"
        return f"{self._base(base_url)}{path}{'.json' if json else ''}"


LOBSTERS = Lobsters(
    name="lobsters",
    label="Lobsters",
    base_url="https://lobste.rs",
    base_url_setting="LINKTHREAD_LOBSTERS_BASE_URL",
    hosts=("lobste.rs", "www.lobste.rs"),
    listings=("hottest", "newest", "active"),
    json_pages=True,
    politeness=Politeness(
        crawl_delay=1.0, min_delay=9.0, robots_forbids=True, per_hour=400,
        user_pages=(30, 300),
        note=("robots.txt allows named search engines only (User-agent: * / Disallow: /)"
              " and the maintainers ask people not to scrape; the rate limiter allows"
              " 400 requests an hour per address, user pages 30 per 5 minutes")),
)


SITES: Mapping[str, Site] = MappingProxyType({s.name: s for s in (HN, LOBSTERS)})


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


def site_of_url(url: str) -> Site | None:
    """The site whose public hosts serve ``url``, if any (not the base URL's host)."""
    host = urlsplit(url if "://" in url else f"https://{url}").hostname
    return next((s for s in SITES.values() if host in s.hosts), None)


def known_crawl_delays() -> dict[str, float]:
    """Host -> the Crawl-delay to keep when robots.txt cannot be read (settings)."""
    return {host: s.politeness.crawl_delay for s in SITES.values() for host in s.hosts}


__all__ = ["GRAMMAR_KINDS", "HN", "LOBSTERS", "SITES", "Politeness", "Site", "TargetError",
           "get", "known_crawl_delays", "parse_targets", "site_of_url"]
