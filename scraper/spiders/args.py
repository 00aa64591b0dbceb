"""What every site's spider reads of its arguments (Scrapy passes them as strings) and
of a status-200 body before parsing it: shared by the spider base and the site spiders."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from archive.models import FetchedPage
from scraper.items import FailedPage
from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage, TruncatedPage

T = TypeVar("T")


def split_args(value: str) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in value.split(",") if t.strip()))


def flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")


def retry_reason(check: Callable[[], object]) -> str | None:
    """Why a status-200 body is worth fetching again, from what a parser's check of it
    raised: a throttle answer, a cut or empty body, a transient error page (an error
    with a ``status`` and ``transient``, such as a deploy's 502); None for a body a
    retry does not mend (the parser says what it is, once) or one that passed."""
    try:
        check()
    except ThrottledPage:
        return "throttled"
    except TruncatedPage as e:
        return e.reason
    except ParseError as e:
        status = getattr(e, "status", None)
        return f"HTTP {status} error page" if status and getattr(e, "transient", False) \
            else None
    return None


def attempt(label: str, page: FetchedPage, parse: Callable[[], T],
            fail: Callable[[str, str], None], kind: str = "thread") -> T | FailedPage | None:
    """What ``parse`` read, or else the failure recorded through ``fail(label, reason)``:
    a FailedPage to keep the raw body of a page that could not be read, None when there
    is nothing to keep. ``kind``: the kind of page asked for, which a failure is
    counted against."""
    try:
        return parse()
    except NoSuchItem as e:
        fail(label, e.reason)
    except (ThrottledPage, TruncatedPage) as e:
        fail(label, f"gave up after retries: {e.reason}")
    except ParseError as e:
        fail(label, e.reason)
        return FailedPage(page=page, error=str(e), kind=kind)
    return None
