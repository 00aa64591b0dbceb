"""Errors a parser raises when a page is not the page that was asked for.

A page that fails here is never stored as data: the spider retries it (throttle),
ends that item with a clear message (no such item), or reports it (anything else).
"""

from __future__ import annotations


class ParseError(Exception):
    """The page cannot be read as what was asked for."""

    def __init__(self, site: str, url: str, reason: str) -> None:
        super().__init__(f"{site}: {url}: {reason}")
        self.site = site
        self.url = url
        self.reason = reason


class ThrottledPage(ParseError):
    """The site answered with a 'slow down' page (HN serves it with status 200): retry later."""


class NoSuchItem(ParseError):
    """The site says the item does not exist: nothing to archive for it."""


class TruncatedPage(ParseError):
    """The body stops before the page's end: fetch it again."""
