"""The pieces under the hostile end-to-end tests, alone: a refused answer leaves the
thread as it was, a stub with no progress is a gap, a reset days away is capped, a
token's junk lifetime is an hour."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from scraper.headers import MAX_WAIT, budget_delay, ratelimit_wait
from scraper.parsers.errors import ParseError
from scraper.parsers.reddit.thread import ThreadPages
from scraper.spiders.reddit_stubs import Expansion, next_call
from scraper.spiders.reddit_token import AuthFailed, read_token
from tests.redditapi import listing
from tests.reddithostile import t1

POST = {"kind": "t3", "data": {"id": "abc12", "name": "t3_abc12", "title": "P",
                               "num_comments": 4, "created_utc": 1_700_000_000.0}}
MORE = {"kind": "more", "data": {"id": "c2", "name": "t1_c2", "parent_id": "t3_abc12",
                                 "count": 2, "depth": 0, "children": ["c2", "c3"]}}
WHEN = datetime(2026, 1, 1, tzinfo=UTC)
FIRST_URL = "https://oauth.reddit.com/comments/abc12?raw_json=1"
MORE_URL = ("https://oauth.reddit.com/api/morechildren?raw_json=1&link_id=t3_abc12"
            "&children=c2%2Cc3&api_type=json")


def first_page() -> ThreadPages:
    built = ThreadPages()
    stubs = built.add(json.dumps([listing([POST]), listing([t1("c1", "t3_abc12"), MORE])]),
                      url=FIRST_URL)
    assert [s.children for s in stubs] == [("c2", "c3")]
    return built


def answer(*things: dict) -> str:
    return json.dumps({"json": {"errors": [], "data": {"things": list(things)}}})


@pytest.mark.parametrize(("things", "said"), [
    ([t1("c2", "t1_c2")], "comment c2 is its own ancestor"),
    ([t1("c2", "t1_c3"), t1("c3", "t1_c2")], "is its own ancestor"),
    ([t1("c2", "t1_c1"), t1("c3", "t3_zzz99", story="zzz99")], "of post zzz99"),
    ([t1("c2", "t1_c1"), {"kind": "t5", "data": {}}], "kind 't5'"),
    ([{"kind": "t1", "data": {"id": 7, "parent_id": "t3_abc12"}}], "without an id"),
    ([{"kind": "more", "data": {"id": "m", "children": "c2c3"}}], "children are not a list"),
])
def test_a_refused_answer_leaves_the_thread_as_it_was(things: list[dict], said: str) -> None:
    built = first_page()
    before = built.unexpanded()
    with pytest.raises(ParseError, match=said):
        built.add(answer(*things), url=MORE_URL)
    assert built.unexpanded() == before
    thread = built.thread(fetched_at=WHEN)
    assert [c.id for c in thread.comments] == ["c1"]


def test_a_cycle_closing_through_the_tree_is_refused() -> None:
    built = first_page()
    # c3 comes first, under c2 which is not in the thread yet: kept aside for c2.
    built.add(answer(t1("c3", "t1_c2")), url=MORE_URL)
    with pytest.raises(ParseError, match="own ancestor"):
        built.add(answer(t1("c2", "t1_c3")), url=MORE_URL)
    built.add(answer(t1("c2", "t1_c1")), url=MORE_URL)  # an honest answer still fits
    thread = built.thread(fetched_at=WHEN)
    assert [(c.id, c.parent_id) for c in thread.comments] == [
        ("c1", None), ("c2", "c1"), ("c3", "c2")]


def test_a_chain_thousands_deep_is_placed_without_recursion() -> None:
    built = first_page()
    ids = [f"q{k:05d}" for k in range(5000)]
    built.add(answer(*(t1(c, f"t1_{ids[k - 1]}" if k else "t1_c1")
                       for k, c in enumerate(ids))), url=MORE_URL)
    thread = built.thread(fetched_at=WHEN)
    assert len(thread.comments) == 5001


def test_a_stub_asking_again_for_what_was_asked_is_a_gap(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    built = first_page()
    state = Expansion(story_id="abc12", label="reddit item abc12", pages=(),
                      stubs=tuple(built.unexpanded()), built=built)
    call, state = next_call(state, sort="confidence")
    assert call is not None and call.params["children"] == "c2,c3"
    # The answer is the same stub again.
    again = built.add(answer(MORE), url=MORE_URL)
    with caplog.at_level(logging.WARNING):
        call, state = next_call(replace(state, stubs=tuple(again)), sort="confidence")
    assert call is None
    assert [m.children for m in state.failed] == [("c2", "c3")]
    assert "no progress" in caplog.text


@pytest.mark.parametrize("reset", ["864000", "9999999999", "1e15"])
def test_a_reset_days_away_is_capped(reset: str, monkeypatch: pytest.MonkeyPatch,
                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("LINKTHREAD_MAX_RATELIMIT_WAIT", raising=False)
    with caplog.at_level(logging.WARNING):
        assert ratelimit_wait({"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset},
                              now=0.0) == MAX_WAIT
        assert budget_delay({"X-Ratelimit-Remaining": "2", "X-Ratelimit-Reset": reset}
                            ) == MAX_WAIT / 2
    assert "at most" in caplog.text
    monkeypatch.setenv("LINKTHREAD_MAX_RATELIMIT_WAIT", "5")
    assert ratelimit_wait({"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset},
                          now=0.0) == 5.0


@pytest.mark.parametrize("headers", [
    {"X-Ratelimit-Remaining": "lots", "X-Ratelimit-Reset": "60"},
    {"X-Ratelimit-Remaining": "10", "X-Ratelimit-Reset": "soon"},
    {"X-Ratelimit-Remaining": "nan", "X-Ratelimit-Reset": "inf"},
    {"X-Ratelimit-Remaining": "-3", "X-Ratelimit-Reset": "-10"},
    {},
])
def test_garbled_headers_ask_for_no_long_wait(headers: dict[str, str]) -> None:
    assert (ratelimit_wait(headers, now=0.0) or 0.0) == 0.0
    assert budget_delay(headers) is None


@pytest.mark.parametrize("raw", ['"soon"', "null", "true", "-5", "0", "60", '"nan"', "1e300"])
def test_a_junk_lifetime_is_an_hour(raw: str) -> None:
    token = read_token(f'{{"access_token": "t", "expires_in": {raw}}}'.encode(), now=0.0)
    assert math.isclose(token.expires_at, 3600 - 60)


@pytest.mark.parametrize("body", [b'{"access_token": 5}', b'{"access_token": ""}',
                                  b'{"token_type": "bearer"}', b"[]", b"<html>"])
def test_no_token_is_one_line(body: bytes) -> None:
    with pytest.raises(AuthFailed):
        read_token(body, now=0.0)
