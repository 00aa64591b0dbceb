"""Errors a parser raises when a page is not the page that was asked for.

A page that fails here is never stored as data: the spider retries it (throttle),
ends that item with a clear message (no such item), or reports it (anything else).
"""

from __future__ import annotations

import functools
import gc
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


# A class, not a generator made a context manager by contextlib: that one was ~1 us of
# every parser entry (a few a parse; 4b1tfm is ~80 us in all), this ~0.2 us.
class gc_paused:
    """Python's cyclic garbage collector held off for the length of a parse.

    A parse makes several objects per row (lxml proxies, strings, records) that all live
    until the page is stored, and none of them in a cycle: each collection the
    allocations trigger scans all of them again, and the older generations grow with the
    page (8% of a crawl; the per-comment cost rose with the page size). Reference
    counting still frees everything; the one collection after the parse finds what a
    collection would have found. A nested parse leaves the outer one to switch it back.
    """

    __slots__ = ("_enabled",)

    def __enter__(self) -> None:
        self._enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self._enabled:
            gc.enable()


def parser_entry(site: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The contract of a parser's public entry point: a page it cannot read raises a
    ParseError (site, URL, reason) and nothing else, so a caller never mistakes a bad
    page for a bug of its own. The causes found are fixed where they arise; this is the
    guarantee for the ones not found yet. ``url`` is the keyword every parser takes.
    The garbage collector waits while it runs (``gc_paused``)."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def entry(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                with gc_paused():
                    return fn(*args, **kwargs)
            except ParseError:
                raise
            except Exception as exc:
                raise unreadable(site, str(kwargs.get("url", "?")), exc) from exc
        return entry

    return wrap


def unreadable(site: str, url: str, exc: Exception) -> ParseError:
    """The ParseError a parser entry gives for ``exc``, an error no check named."""
    reason = " ".join(str(exc).split())[:160]
    return ParseError(site, url, f"unreadable page ({type(exc).__name__}: {reason})")


def as_entry(site: str, url: str, step: Callable[..., R], *args: object) -> R:
    """``step(*args)`` inside a parser's entry, raising what an entry of its own would
    (naming ``url``): for a parser whose steps are entries too when called alone, at
    the cost of a call where an entry was ~0.4 us."""
    try:
        return step(*args)
    except ParseError:
        raise
    except Exception as exc:
        raise unreadable(site, url, exc) from exc
