"""Errors a parser raises when a page is not the page that was asked for.

A page that fails here is never stored as data: the spider retries it (throttle),
ends that item with a clear message (no such item), or reports it (anything else).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar


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


P = ParamSpec("P")
R = TypeVar("R")


def parser_entry(site: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The contract of a parser's public entry point: a page it cannot read raises a
    ParseError (site, URL, reason) and nothing else, so a caller never mistakes a bad
    page for a bug of its own. The causes found are fixed where they arise; this is the
    guarantee for the ones not found yet. ``url`` is the keyword every parser takes."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def entry(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except ParseError:
                raise
            except Exception as exc:
                reason = " ".join(str(exc).split())[:160]
                raise ParseError(site, str(kwargs.get("url", "?")),
                                 f"unreadable page ({type(exc).__name__}: {reason})") from exc
        return entry

    return wrap
