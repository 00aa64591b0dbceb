"""What a watch may name: the target grammar of each site, read from command-line words.

The crawl's spider owns these rules (scraper.spiders.hn: item_id, listing_path,
user_name), but the archive never imports the scraper, so they are repeated here and
a test (tests/test_targets.py) gives both copies the same words and wants the same
answers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import date
from urllib.parse import parse_qs, urlsplit

from archive.errors import ArchiveError

# What an HN watch may name (see the module docstring for why it is a copy).
SITES = ("hn",)
HN_HOST = "news.ycombinator.com"
HN_LISTINGS = ("front", "news", "newest", "ask", "show", "jobs", "best")
_HN_DAY = re.compile(r"front\?day=(\d{4}-\d{2}-\d{2})")
_HN_ID = re.compile(r"[1-9][0-9]{0,11}")
_HN_USER = re.compile(r"[A-Za-z0-9_-]{2,15}")


def hn_item_id(word: str, *, base_url: str | None = None) -> str:
    """An HN item id from an id or an item URL on HN's host or the base URL's host
    (``base_url``, else LINKTHREAD_HN_BASE_URL); a URL may leave out its scheme."""
    word = word.strip()
    if _HN_ID.fullmatch(word):
        return word
    # "news.ycombinator.com/item?id=5", as a browser's address bar shows it.
    parts = urlsplit(word if "://" in word else f"https://{word}")
    base = urlsplit(base_url or os.environ.get("LINKTHREAD_HN_BASE_URL") or f"https://{HN_HOST}")
    places = {(HN_HOST, "/item"), (base.hostname, base.path.rstrip("/") + "/item")}
    ids = parse_qs(parts.query).get("id", [])
    if parts.scheme.lower() in ("http", "https") and parts.hostname is not None \
            and (parts.hostname, parts.path) in places and ids and _HN_ID.fullmatch(ids[0]):
        return ids[0]
    raise ArchiveError(f"{word!r} is not a Hacker News item id or item URL "
                       f"(an item URL is on {HN_HOST} or the base URL's host)")


def hn_listing(word: str) -> str:
    """A listing target as watches name it (``news`` is ``front``); a day must be real."""
    word = word.strip()
    day = _HN_DAY.fullmatch(word)
    if word in HN_LISTINGS:
        return "front" if word == "news" else word
    if day is not None:
        try:
            date.fromisoformat(day.group(1))
        except ValueError:  # 2026-13-01, 2026-02-30
            pass
        else:
            return word
    raise ArchiveError(f"{word!r} is not a Hacker News listing "
                       f"({', '.join(HN_LISTINGS)}, front?day=YYYY-MM-DD)")


def parse_targets(site: str, words: Sequence[str], *,
                  base_url: str | None = None) -> list[tuple[str, str]]:
    """(kind, target) pairs from command-line words, read as ``crawl`` reads them: item
    ids or URLs, listing names (``news`` is ``front``), and ``user NAME`` pairs."""
    if site not in SITES:
        raise ArchiveError(f"site {site!r} cannot be watched yet (supported: {', '.join(SITES)})")
    out: list[tuple[str, str]] = []
    rest = iter(words)
    for word in rest:
        if word == "user":
            name = next(rest, None)
            if name is None or not _HN_USER.fullmatch(name):
                raise ArchiveError(f"{name!r} is not a Hacker News user name"
                                   if name else "'user' needs a user name after it")
            out.append(("user", name))
        elif word in HN_LISTINGS or word.startswith("front?"):
            out.append(("listing", hn_listing(word)))
        else:
            out.append(("thread", hn_item_id(word, base_url=base_url)))
    if not out:
        raise ArchiveError("name something to watch: an item id or URL, a listing, user NAME")
    return list(dict.fromkeys(out))
