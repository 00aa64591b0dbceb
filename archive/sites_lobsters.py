"""Lobsters, as the registry (``archive.sites``) knows it."""

from __future__ import annotations

import re

from archive.site import Politeness, Site, TargetError
from archive.targets import Target

# -- Lobsters ----------------------------------------------------------------------

# Lobsters' short ids (stories and comments) are 6 lowercase letters or digits.
_LOB_ID = re.compile(r"[a-z0-9]{6}")
_LOB_STORY = re.compile(r"/s/([a-z0-9]{6})(?:/[^/]*)?/?")
_LOB_COMMENT = re.compile(r"/c/([a-z0-9]{6})/?")
_LOB_FRAGMENT = re.compile(r"c_([a-z0-9]{6})")
_LOB_TAG = re.compile(r"[a-z0-9][a-z0-9+_.-]{0,24}")
_LOB_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,24}")


class Lobsters(Site):
    """Lobsters: 6-character short ids, ``/s/ID/slug``, ``/c/ID``, ``/~NAME``, tags."""

    __slots__ = ()  # Site's fields and methods; no field of its own

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


