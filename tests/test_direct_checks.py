"""The direct Reddit loop's per-answer shortcuts: the soft-error check passed over for
an answer its thread's latest crawl read, and the answers' headers as a dict."""

from __future__ import annotations

import hashlib
import json

from scraper.direct.fetch import Headers
from scraper.direct.reddit import Known, soft_error

URL = "http://127.0.0.1/api/morechildren?link_id=t3_abc12"
RATELIMIT = json.dumps({"json": {"errors": [
    ["RATELIMIT", "you are doing that too much", "ratelimit"]]}}).encode()
ANSWER = json.dumps({"json": {"errors": [], "data": {"things": []}}}).encode()


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_a_short_answer_the_latest_crawl_read_is_not_checked_again() -> None:
    known = Known({sha(ANSWER)})
    assert known.soft_error(ANSWER, "utf-8", URL) is None
    assert soft_error(ANSWER, "utf-8", URL) is None  # what the check says of it too


def test_a_throttle_answer_is_still_a_soft_error_whatever_the_thread_read() -> None:
    reason = soft_error(RATELIMIT, "utf-8", URL)
    assert reason is not None
    assert Known({sha(ANSWER)}).soft_error(RATELIMIT, "utf-8", URL) == reason
    assert Known().soft_error(RATELIMIT, "utf-8", URL) == reason


def test_headers_are_read_by_any_case_the_first_of_a_repeated_one() -> None:
    headers = Headers([("Content-Type", "application/json; charset=UTF-8"),
                       ("X-Ratelimit-Remaining", "99"), ("x-ratelimit-remaining", "5")])
    assert headers.get("content-type") == "application/json; charset=UTF-8"
    assert headers.get("X-RateLimit-Remaining") == "99"  # as Message.get gives it
    assert headers.get("Retry-After") is None
    assert headers.get("Location", "") == ""
