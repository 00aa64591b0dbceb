"""Lobsters' own error bodies: its static 5xx/422 pages and Rack::Attack's throttle text.

None of them is ever a thread, a listing or a profile. Each raises one of the shared
parser errors (``scraper.parsers.errors``) or ``ServerErrorPage`` below, a
``ParseError`` that says which status the page names and whether to try again later.
(It belongs beside the shared errors; it lives here until that module is free to change.)
"""

from __future__ import annotations

import re

from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage, TruncatedPage

SITE = "lobsters"

# The static pages (public/422.html, 500, 502, 504) title themselves "Lobsters HTTP N status".
_STATIC = re.compile(r"<title>\s*Lobsters HTTP (\d{3}) status:\s*([^<]*?)\s*</title>", re.I)
# Rack::Attack: Lobsters' own 429 text since 2021, and the library's default before it.
_THROTTLE = re.compile(r"\A\s*(?:Throttled, sleep\(\d+\) between hits|Retry later)\b")
# Rendered inside the site's layout (so only searched for, not matched at the start):
# about/404 (any unknown path, and a gone story's .json), stories/_missing (a removed
# story's page, logged out: "Story was removed by a moderator."), users/not_found.
_NOT_FOUND = re.compile(r"""<h1 class=["']title["']>\s*404\s*</h1>""")
_STORY_GONE = re.compile(r"""<div class=["']box["']>\s*<p>\s*Story (?:was )?removed by """
                         r"""(a moderator|submitter)""")
_USER_GONE_TEXT = "If this user used to exist, they changed their username"
# 5xx pages say the server failed (a deploy, a timeout): the same request may work later.
_TRANSIENT = frozenset({500, 502, 503, 504})


class ServerErrorPage(ParseError):
    """The site sent one of its error pages instead of the page asked for."""

    def __init__(self, site: str, url: str, reason: str, *, status: int) -> None:
        super().__init__(site, url, reason)
        self.status = status
        self.transient = status in _TRANSIENT


def found_at(text: str, literal: str, pattern: re.Pattern[str]) -> bool:
    """``pattern.search(text) is not None`` for a pattern every match of which starts with
    ``literal``: ``pattern`` is tried only where ``str.find`` finds it, so the page is
    scanned once at ``find``'s speed (2-4x a regex's) however often the literal occurs."""
    at = text.find(literal)
    while at >= 0:
        if pattern.match(text, at) is not None:
            return True
        at = text.find(literal, at + 1)
    return False


def check_body(text: str, *, url: str) -> None:
    """Raise if the body is empty, a throttle answer, one of Lobsters' error pages, or
    its page for something that is not there (NoSuchItem)."""
    head = text[:2000]
    if not text or text.isspace():  # (strip() would copy the page)
        raise TruncatedPage(SITE, url, "empty body")
    if _THROTTLE.match(head):
        raise ThrottledPage(SITE, url, "the site asks to slow down (rate limit)")
    m = _STATIC.search(head)
    if m is not None:
        status = int(m.group(1))
        raise ServerErrorPage(SITE, url, f"the site's HTTP {status} error page ({m.group(2)})",
                              status=status)
    if text.lstrip()[:1] in ("{", "["):
        return
    body = text[:200_000]
    # Each regex runs only where a literal every match of it holds occurs: ``in`` scans
    # a page 2-4x faster than the regexes, which were ~0.1 ms of a ~2 ms front page
    # (the verdicts are the regexes' alone: tests/test_lobsters_checks holds them).
    gone = _STORY_GONE.search(body) if "removed by " in body else None
    if gone is not None:
        raise NoSuchItem(SITE, url, f"the story was removed by {gone.group(1)}")
    if found_at(body, "<h1 class=", _NOT_FOUND):
        raise NoSuchItem(SITE, url, "the site's 404 page: no such story, user or page")
    if _USER_GONE_TEXT in body:
        raise NoSuchItem(SITE, url, "no such user (renamed or never existed)")
