"""Reddit's error bodies: each one clear line, never a thread, listing or profile.

* the API's JSON errors, ``{"message": "Forbidden", "error": 403}`` with, since about
  2018, a ``reason`` ("quarantined", "private", "banned", "gold_only"): 403 for a
  quarantined subreddit not opted into, a private or banned one; 404 for a post, user
  or subreddit that is not there (NoSuchItem); 400 for a bad request; 401 for a token
  that is missing or expired; 429 too many requests (ThrottledPage);
* the newer form of the same, no ``error`` number but the status's phrase as
  ``message`` and a code as ``reason``, often with an ``explanation`` and ``fields``:
  ``{"message": "Bad Request", "reason": "USER_DOESNT_EXIST", "explanation": "that
  user doesn't exist", "fields": ["id"]}``, ``{"reason": "PAGE_NOT_FOUND", "message":
  "Not Found"}``;
* ``/api/morechildren``'s own ``{"json": {"errors": [[CODE, message, field], ...]}}``
  (RATELIMIT is a throttle);
* HTML: the server's bare "400 Bad request" page (a ``children`` list it refuses),
  "whoa there, pardner!" (the old throttle page, a ThrottledPage), and the block page
  that asks to log in ("You've been blocked by network security", 2024-: a login
  wall, not something a retry mends).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage, TruncatedPage
from scraper.parsers.jsonload import TooDeep, loads

SITE = "reddit"

_REASONS = {
    "quarantined": "the subreddit is quarantined (opt in to view it with the account)",
    "private": "the subreddit is private",
    "banned": "the subreddit is banned",
    "gold_only": "the subreddit is for premium members only",
    "gated": "the subreddit is gated (opt in to view it with the account)",
}
_STATUS = {400: "bad request", 401: "not authorised (a missing or expired OAuth token)",
           403: "forbidden", 404: "not found", 413: "request too large",
           429: "too many requests", 500: "server error", 502: "bad gateway",
           503: "service unavailable", 504: "gateway timeout"}
# The newer error objects name their status by its phrase only ("Not Found" -> 404).
_PHRASES = {status.phrase: status.value for status in HTTPStatus}
# The keys an error object holds, nothing of a thing or listing among them.
ERROR_KEYS = frozenset({"error", "message", "reason", "explanation", "fields",
                        "error_type", "quarantine_message", "quarantine_message_html"})
_HTML_STATUS = re.compile(r"<h1>\s*(\d{3})\s+([^<]*?)\s*</h1>", re.I)
_PARDNER = re.compile(r"whoa there,\s*pardner", re.I)
_BLOCKED = re.compile(r"blocked by network security|"
                      r"log in to your Reddit account or use your developer token", re.I)


class ApiError(ParseError):
    """Reddit answered with an error instead of the page asked for; ``status`` is the
    HTTP status it names, ``transient`` whether the same request may work later."""

    def __init__(self, url: str, reason: str, *, status: int) -> None:
        super().__init__(SITE, url, reason)
        self.status = status
        self.transient = status >= 500


def check_text(text: str, *, url: str) -> None:
    """Raise for an empty body and for Reddit's HTML error pages (the JSON ones are
    read by ``check_json`` once decoded)."""
    if not text or text.isspace():  # (strip() would copy the page)
        raise TruncatedPage(SITE, url, "empty body")
    head = text[:4096]
    if head.lstrip()[:1] in ("{", "["):
        return
    if _PARDNER.search(head) or _PARDNER.search(text[:65536]):
        raise ThrottledPage(SITE, url, "Reddit's 'whoa there, pardner!' page: too many "
                                       "requests, slow down")
    if _BLOCKED.search(text[:65536]):
        raise ParseError(SITE, url, "Reddit's block page asks to log in: unauthenticated "
                                    "access is closed (use the OAuth API with credentials)")
    bare = _HTML_STATUS.search(head)
    if bare is not None and len(text) < 2048:
        status = int(bare.group(1))
        raise ApiError(url, f"HTTP {status} error page ({bare.group(2).strip()}"
                            f"{_hint(status)})", status=status)


def error_status(obj: Any) -> int | None:
    """The HTTP status a decoded body names where it is one of the API's error objects
    (``{"error": 404, ...}``, or the newer ``{"message": "Not Found", "reason": ...}``),
    else None."""
    if not isinstance(obj, Mapping) or not obj.keys() <= ERROR_KEYS:
        return None
    status = obj.get("error")
    if isinstance(status, int) and not isinstance(status, bool):
        return status
    message = obj.get("message")
    if "error" not in obj and isinstance(message, str) and isinstance(obj.get("reason"), str):
        return _PHRASES.get(message)
    return None


def _coded(obj: Mapping[str, Any], status: int, url: str) -> None:
    """The newer error object's one line: its explanation, else its code."""
    reason, explanation = str(obj.get("reason")), obj.get("explanation")
    what = f"{explanation} ({reason})" if isinstance(explanation, str) and explanation \
        else reason
    line = f"HTTP {status} {obj.get('message')}: {what}"
    if status == 404:
        raise NoSuchItem(SITE, url, line)
    if status == 429:
        raise ThrottledPage(SITE, url, line)
    raise ApiError(url, line, status=status)


def _forbidden_hint(url: str) -> str:
    if "/user/" in url or "/u/" in url:
        return " (a user's saved, hidden, upvoted and downvoted listings are theirs " \
               "alone, as is a private profile; or a client without access)"
    return " (a quarantined subreddit not opted into, a private or banned one, or a " \
           "client without access)"


def check_json(obj: Any, *, url: str) -> None:
    """Raise if a decoded body is one of the API's error objects."""
    if not isinstance(obj, Mapping):
        return
    if "error" not in obj and "message" in obj:
        coded = error_status(obj)
        if coded is not None:
            _coded(obj, coded, url)
    status = obj.get("error")
    if isinstance(status, int) and not isinstance(status, bool) and "data" not in obj:
        reason = obj.get("reason")
        what = _REASONS.get(reason, f"reason {reason!r}") if isinstance(reason, str) \
            else _STATUS.get(status, str(obj.get("message") or "error"))
        line = f"HTTP {status} {obj.get('message') or ''}".rstrip() + f": {what}"
        if status == 404:
            raise NoSuchItem(SITE, url, f"{line} (no such post, user or subreddit)")
        if status == 429:
            raise ThrottledPage(SITE, url, line)
        if status == 403 and not isinstance(reason, str):
            line += _forbidden_hint(url)
        raise ApiError(url, line, status=status)
    inner = obj.get("json")
    errors = inner.get("errors") if isinstance(inner, Mapping) else None
    if isinstance(errors, list) and errors:
        first = errors[0]
        code = str(first[0]) if isinstance(first, list) and first else str(first)
        message = str(first[1]) if isinstance(first, list) and len(first) > 1 else ""
        line = f"the API refused the request: {code}" + (f" ({message})" if message else "")
        if code == "RATELIMIT":
            raise ThrottledPage(SITE, url, line)
        raise ParseError(SITE, url, line)


def _hint(status: int) -> str:
    if status == 400:
        return "; /api/morechildren answers so for a children list it refuses"
    if status == 413:
        return "; too many ids in one request"
    return ""


def read_json(text: str, *, url: str) -> Any:
    """The decoded body of an API answer, or the one line saying why it is none: an
    error page or object, a body cut off (TruncatedPage), or not JSON at all."""
    check_text(text, url=url)
    if text.lstrip()[:1] not in ("{", "["):
        raise ParseError(SITE, url, "not a JSON answer of Reddit's API (an HTML page?)")
    try:
        obj = loads(text)  # json.loads's value, by orjson where it is the same
    except TooDeep:  # no answer of Reddit's nests within a factor 100 of this
        raise ParseError(SITE, url, "the JSON is nested too deep to decode (over ~1000 "
                                    "levels)") from None
    except json.JSONDecodeError as e:
        if e.pos >= len(text.rstrip()) - 1 or text.rstrip()[-1:] not in ("}", "]"):
            raise TruncatedPage(SITE, url, "the JSON stops before its end") from None
        raise ParseError(SITE, url, f"not valid JSON ({e.msg} at {e.pos})") from None
    check_json(obj, url=url)
    return obj
