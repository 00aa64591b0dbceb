"""What a site's answer says about waiting: ``Retry-After`` and the RateLimit headers.

Shared by the spider's middlewares and the crawls without Scrapy (``scraper.direct``),
so this module imports no Scrapy.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)
# A rate-limit reset further off than this is not kept as said (a garbled or hostile
# header must not hold a crawl for days): Reddit's window is 600 s.
MAX_WAIT_SETTING = "LINKTHREAD_MAX_RATELIMIT_WAIT"
MAX_WAIT = 600.0
# A number as a header writes one, in ASCII: float() also takes "inf", "1_000" and
# Arabic-Indic digits, and int(float("inf")) raised OverflowError out of a middleware.
_NUMBER = re.compile(r"[+-]?[0-9]{1,20}(?:\.[0-9]{1,20})?(?:[eE][+-]?[0-9]{1,3})?")


def env_float(name: str, default: float | None) -> float | None:
    """A number setting from the environment (the direct loop's, which has no Scrapy
    settings to read): unset or blank is ``default``."""
    raw = (os.environ.get(name) or "").strip()
    return float(raw) if raw else default


def number(text: str | None) -> float | None:
    """The finite number a header's ``text`` writes (see ``_NUMBER``), else None."""
    if text is None or not _NUMBER.fullmatch(text := text.strip()):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _capped(seconds: float, header: str | None, name: str = "X-Ratelimit-Reset") -> float:
    cap = env_float(MAX_WAIT_SETTING, MAX_WAIT) or 0.0
    if seconds <= cap:
        return seconds
    logger.warning("%s %s asks for %.6g s; waiting %g s at most (%s)",
                   name, header, seconds, cap, MAX_WAIT_SETTING)
    return cap


def retry_after(value: bytes | str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks us to wait (delay-seconds or an HTTP date), or
    None when there is none or it cannot be read."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    seconds = number(text)
    if seconds is None:
        # Here: an HTTP date is rare, and email.utils (with email.charset, base64,
        # random, calendar) was ~5 ms of every crawl's start-up.
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # HTTP dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    # A wait of years (a date in 9999, "1e300") would hold the crawl for good: it is
    # kept up to the cap of a rate limit's reset, said in a warning.
    return _capped(max(0.0, seconds), text, "Retry-After")


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name) if headers is not None else None
    if not value:
        return None
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def ratelimit_wait(headers: Any, *, now: float | None = None) -> float | None:
    """Seconds until the site's rate limit lets us in again, when its RateLimit headers
    say none are left (``RateLimit-Remaining: 0`` with ``RateLimit-Reset``, the same as
    ``X-Ratelimit-Remaining``/``X-Ratelimit-Reset``, or the one
    ``RateLimit: ...;r=0;t=30`` / ``remaining=0, reset=30`` header); None otherwise.
    A reset above a billion is a Unix time (some servers send one), else seconds."""
    remaining, reset = _header(headers, "RateLimit-Remaining"), _header(headers, "RateLimit-Reset")
    if remaining is None:  # the older X- form (Reddit's API, GitHub's): the same fields
        remaining = _header(headers, "X-Ratelimit-Remaining")
        reset = _header(headers, "X-Ratelimit-Reset")
    combined = _header(headers, "RateLimit")
    if combined is not None and remaining is None:
        fields = dict(
            (k.strip().lower(), v.strip()) for k, _, v in
            (part.partition("=") for part in combined.replace(",", ";").split(";")) if v)
        remaining = fields.get("r", fields.get("remaining"))
        reset = fields.get("t", fields.get("reset"))
    left, seconds = number(remaining), number(reset)
    if left is None or seconds is None or left >= 1:
        return None
    if seconds > 1e9:
        seconds -= time.time() if now is None else now
    return _capped(max(0.0, seconds), reset)


def budget_delay(headers: Any) -> float | None:
    """Seconds per request that spend what is left of the window evenly, or None when
    the headers say nothing (or none are left: a wait, not a pace)."""
    def read(name: str) -> float | None:
        return number(_header(headers, name))

    remaining, reset = read("X-Ratelimit-Remaining"), read("X-Ratelimit-Reset")
    if remaining is None or reset is None or remaining < 1 or reset < 0:
        return None
    return _capped(reset, str(reset)) / remaining
