"""Reddit, as the registry (``archive.sites``) knows it.

Live access is Reddit's official OAuth Data API (``base_url``): robots.txt disallows
every crawler and unauthenticated ``.json`` URLs answer 403. The URL forms a user
pastes are the public site's (www/old/new/np.reddit.com, redd.it); the links an export
writes point at ``www.reddit.com`` (``WEB_URL``), which anyone can open, not at the API.

Ids are base36, lowercase. A post is ``ID`` or its fullname ``t3_ID``; a comment
permalink (``/r/SUB/comments/ID/slug/CID/``) archives its whole thread: the target is
the thread, and ``permalink_comment`` gives the comment id it pointed at. A bare
comment fullname ``t1_CID`` names no thread, so the grammar answers kind "comment".
Listings are ``r/SUB`` (hot) or ``r/SUB/SORT``; top and controversial take a period,
``r/SUB/top?t=week``, also written ``r/SUB/top --time week``.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qs

from archive.site import Politeness, Site, TargetError
from archive.targets import Target

WEB_URL = "https://www.reddit.com"
SORTS = ("hot", "new", "top", "rising", "controversial")
PERIODS = ("hour", "day", "week", "month", "year", "all")
# Sorts whose listing covers a period (Reddit's ``t`` parameter, "day" when absent).
_TIMED = ("top", "controversial")

_ID = re.compile(r"[0-9a-z]{1,13}")
_FULLNAME = re.compile(r"t([13])_([0-9a-z]{1,13})")
# /r/SUB/comments/ID[/slug[/CID]], /comments/ID/..., /user/NAME/comments/ID/... (a post
# on a profile), /gallery/ID; a ``.json`` suffix is the same page.
_POST = re.compile(r"(?:/(?:r|u|user)/[^/]+)?/(?:comments|gallery)/([0-9a-z]{1,13})"
                   r"(?:/[^/]*(?:/([0-9a-z]{1,13}))?)?/?")
_SHORT = re.compile(r"/([0-9a-z]{1,13})/?")  # redd.it/ID
_SUB = r"[A-Za-z0-9][A-Za-z0-9_]{1,20}"
_SUBS = re.compile(rf"{_SUB}(?:\+{_SUB})*")  # r/a+b is one listing of both
_LISTING = re.compile(rf"r/({_SUBS.pattern})(?:/([a-z]+))?/?(?:\?t=([a-z]+))?")
_USER = re.compile(r"[A-Za-z0-9_-]{3,20}")
_USER_PATH = re.compile(r"/(?:u|user)/([A-Za-z0-9_-]{3,20})(?:/[a-z]*)?/?")
_TIME_OPTION = re.compile(r"\s+--time\s+([a-z]+)\s*$")


class Reddit(Site):
    """Reddit through its OAuth API: base36 ids, ``t3_`` fullnames, ``r/SUB`` listings."""

    __slots__ = ()  # Site's fields and methods; no field of its own

    def parse_target(self, word: str, *, base_url: str | None = None) -> Target:
        word = word.strip()
        head, _, rest = word.partition(" ")
        if head == "user":
            return Target(self.name, "user", self.user_name(rest))
        if word.startswith(("u/", "/u/")):
            return Target(self.name, "user", self.user_name(word))
        if self.looks_like_listing(word):
            return Target(self.name, "listing", self.listing(word))
        fullname = _FULLNAME.fullmatch(word)
        if fullname is not None and fullname.group(1) == "1":
            # A comment's fullname names no thread: the crawl asks the API for it.
            return Target(self.name, "comment", fullname.group(2))
        parts = None if _ID.fullmatch(word) else self._on_site(word, base_url)
        if parts is not None:
            user = _USER_PATH.fullmatch(parts.path)
            if user is not None:
                return Target(self.name, "user", user.group(1))
            if parts.path.startswith("/r/") and not _POST.fullmatch(_path(parts)):
                return Target(self.name, "listing", self.listing(_listing_word(parts)))
        return Target(self.name, "thread", self.item_id(word, base_url=base_url))

    def looks_like_listing(self, word: str) -> bool:
        return word.startswith(("r/", "/r/"))

    def item_id(self, word: str, *, base_url: str | None = None) -> str:
        """A post's id from its id, its ``t3_`` fullname, or any of its URLs."""
        found = self._post(word, base_url)
        if found is None:
            raise TargetError(
                f"{word.strip()!r} is not a Reddit post id or post URL (an id such as "
                "1j7g9uj, t3_1j7g9uj, or /r/SUB/comments/ID/... on reddit.com, "
                "old.reddit.com, redd.it or the base URL's host)")
        return found[0]

    def permalink_comment(self, word: str, *, base_url: str | None = None) -> str | None:
        """The comment a permalink points at (``/comments/ID/slug/CID/``), else None.
        Its whole thread is the target; this is what the crawl may report or show."""
        found = self._post(word, base_url)
        return found[1] if found is not None else None

    def _post(self, word: str, base_url: str | None) -> tuple[str, str | None] | None:
        word = word.strip()
        if _ID.fullmatch(word):
            return word, None
        fullname = _FULLNAME.fullmatch(word)
        if fullname is not None:
            return (fullname.group(2), None) if fullname.group(1) == "3" else None
        parts = self._on_site(word, base_url)
        if parts is None:
            return None
        path = _path(parts)
        if parts.hostname == "redd.it":
            short = _SHORT.fullmatch(path)
            return (short.group(1), None) if short else None
        post = _POST.fullmatch(path)
        return (post.group(1), post.group(2)) if post else None

    def listing(self, word: str) -> str:
        """``r/SUB`` (hot), ``r/SUB/SORT``, ``r/SUB/top?t=PERIOD``: subreddit names
        lowercase (Reddit ignores their case), the hot sort and an absent period left
        implicit, so one listing has one name."""
        word = word.strip()
        timed = _TIME_OPTION.search(word)
        if timed is not None:
            word = f"{word[:timed.start()].rstrip('/')}?t={timed.group(1)}"
        m = _LISTING.fullmatch(word.removeprefix("/"))
        if m is None or (m.group(2) or "hot") not in SORTS:
            raise TargetError(f"{word!r} is not a Reddit listing ({self.listing_forms()})")
        subs, sort, period = m.group(1).lower(), m.group(2) or "hot", m.group(3)
        if period is not None and (sort not in _TIMED or period not in PERIODS):
            raise TargetError(f"{word!r}: only {' and '.join(_TIMED)} take a period "
                              f"({', '.join(PERIODS)})")
        name = f"r/{subs}" if sort == "hot" else f"r/{subs}/{sort}"
        return f"{name}?t={period}" if period else name

    def listing_forms(self) -> str:
        return ("r/SUB (hot), r/SUB/new, r/SUB/rising, r/SUB/top, r/SUB/controversial, "
                f"r/SUB/top?t=PERIOD (or r/SUB/top --time PERIOD; {', '.join(PERIODS)})")

    def listing_path(self, name: str) -> str:
        """The API path: ``r/SUB/hot``, ``r/SUB/top?t=week``."""
        name = self.listing(name)
        path, _, query = name.partition("?")
        if path.count("/") == 1:
            path += "/hot"
        return f"{path}?{query}" if query else path

    def snapshot_name(self, name: str) -> str:
        try:
            return self.listing(name)
        except TargetError:
            return name

    def user_name(self, word: str) -> str:
        name = word.strip().removeprefix("/").removeprefix("u/").removeprefix("user/")
        if not _USER.fullmatch(name):
            raise TargetError(f"{word.strip()!r} is not a Reddit user name"
                              if word.strip() else "'user' needs a user name after it")
        return name

    # -- URL forms: the API's with json=True (what the crawl requests), else the
    # public site's (what exports link to and a browser opens).

    def _where(self, base_url: str | None, json: bool) -> str:
        return self._base(base_url) if json or base_url else self.public_url()

    def item_url(self, item_id: str, *, base_url: str | None = None, json: bool = False) -> str:
        return f"{self._where(base_url, json)}/comments/{item_id}"

    def comment_url(self, story_id: str, comment_id: str, *,
                    base_url: str | None = None) -> str:
        return f"{self._where(base_url, False)}/comments/{story_id}/_/{comment_id}"

    def user_url(self, name: str, *, base_url: str | None = None, json: bool = False) -> str:
        return f"{self._where(base_url, json)}/user/{name}{'/about' if json else ''}"

    def listing_url(self, name: str, page: int = 1, *, base_url: str | None = None,
                    json: bool = False) -> str:
        """A listing's first page; later pages follow the ``after`` cursor each page
        gives (the parser's ``next_url``), as Reddit numbers no pages."""
        if page > 1:
            raise ValueError("Reddit listings page by their 'after' cursor: follow the "
                             "next_url of the page before")
        path = self.listing_path(name) if json else self.listing(name)
        return f"{self._where(base_url, json)}/{path}"


def _path(parts: SplitResult) -> str:
    return parts.path.removesuffix(".json")


def _listing_word(parts: SplitResult) -> str:
    """``/r/SUB/top/?t=week`` as the grammar writes it."""
    period = parse_qs(parts.query).get("t", [""])[0]
    word = _path(parts).strip("/")
    return f"{word}?t={period}" if period else word


REDDIT = Reddit(
    name="reddit",
    label="Reddit",
    base_url="https://oauth.reddit.com",
    base_url_setting="LINKTHREAD_REDDIT_API_URL",
    hosts=("www.reddit.com", "old.reddit.com", "new.reddit.com", "np.reddit.com",
           "oauth.reddit.com", "reddit.com", "redd.it"),
    listings=SORTS,
    json_pages=True,
    web_url=WEB_URL,
    politeness=Politeness(
        crawl_delay=0.6, min_delay=0.6, robots_forbids=True,
        note=("robots.txt disallows every crawler and unauthenticated .json pages answer "
              "403: the official OAuth API with the user's own approved client is the "
              "way, 100 requests a minute per client id")),
)
