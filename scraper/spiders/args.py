"""What every site's spider reads of its arguments (Scrapy passes them as strings) and
of a status-200 body before parsing it: shared by the spider base and the site spiders."""

from __future__ import annotations

from collections.abc import Callable

from scraper.parsers.errors import ParseError, ThrottledPage, TruncatedPage


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
