"""What a site's answer says about waiting: ``Retry-After`` and the RateLimit headers.

Shared by the spider's middlewares and the crawls without Scrapy (``scraper.direct``),
so this module imports no Scrapy.
"""

from __future__ import annotations

import logging
import math
import os
import time
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)
# A rate-limit reset further off than this is not kept as said (a garbled or hostile
# header must not hold a crawl for days): Reddit's window is 600 s.
MAX_WAIT_SETTING = "LINKTHREAD_MAX_RATELIMIT_WAIT"
MAX_WAIT = 600.0


def env_float(name: str, default: float | None) -> float | None:
    """A number setting from the environment (the direct loop's, which has no Scrapy
    settings to read): unset or blank is ``default``."""
    raw = (os.environ.get(name) or "").strip()
    return float(raw) if raw else default


def _capped(seconds: float, header: str | None) -> float:
    cap = env_float(MAX_WAIT_SETTING, MAX_WAIT) or 0.0
    if seconds <= cap:
        return seconds
    logger.warning("X-Ratelimit-Reset %s asks for %.0f s; waiting %g s at most (%s)",
                   header, seconds, cap, MAX_WAIT_SETTING)
    return cap


def retry_after(value: bytes | str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks us to wait (delay-seconds or an HTTP date), or
    None when there is none or it cannot be read."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    try:
        seconds = float(text)
    except ValueError:
        # Here: an HTTP date is rare, and email.utils (with email.charset, base64,
        # random, calendar) was ~5 ms of every crawl's start-up.
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # HTTP dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    # "nan" and "inf" parse as floats; neither is a wait we can keep.
    return max(0.0, seconds) if math.isfinite(seconds) else None


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
    try:
        if remaining is None or reset is None or int(float(remaining)) > 0:
            return None
        seconds = float(reset)
    except ValueError:
        return None
    if not math.isfinite(seconds):
        return None
    if seconds > 1e9:
        seconds -= time.time() if now is None else now
    return _capped(max(0.0, seconds), reset)


def budget_delay(headers: Any) -> float | None:
    """Seconds per request that spend what is left of the window evenly, or None when
    the headers say nothing (or none are left: a wait, not a pace)."""
    def read(name: str) -> float | None:
        value = headers.get(name) if headers is not None else None
        if value is None:
            return None
        try:
            number = float(value.decode("latin-1") if isinstance(value, bytes) else value)
        except (TypeError, ValueError):
            return None
        return number if math.isfinite(number) else None

    remaining, reset = read("X-Ratelimit-Remaining"), read("X-Ratelimit-Reset")
    if remaining is None or reset is None or remaining < 1 or reset < 0:
        return None
    return _capped(reset, str(reset)) / remaining
