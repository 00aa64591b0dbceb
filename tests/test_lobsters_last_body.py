"""Lobsters' ``decoded`` keeps the last body's value, known by identity or equality (as
``lru_cache(maxsize=1)`` knew it), and decodes anything else afresh."""

from __future__ import annotations

import json

import pytest

from scraper.parsers.lobsters import common
from scraper.parsers.lobsters.common import decoded


def test_the_last_body_is_decoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def loads(text: str) -> object:
        seen.append(text)
        return json.loads(text)

    monkeypatch.setattr(common, "loads", loads)
    decoded.cache_clear()
    text = '{"short_id": "abc", "title": "caf\u00e9"}'
    first = decoded(text)
    assert first == json.loads(text)
    assert decoded(text) is first
    copy = text.encode().decode()
    assert copy is not text
    assert decoded(copy) is first  # an equal str: the same value, as lru_cache gave
    other = '{"short_id": "abd", "title": "caf\u00e9"}'  # the same length, other text
    assert decoded(other) == json.loads(other)
    assert decoded(text) == first and decoded(text) is not first
    decoded.cache_clear()
    decoded(text)
    assert seen == [text, other, text, text]


def test_a_refused_body_is_not_kept() -> None:
    decoded.cache_clear()
    with pytest.raises(json.JSONDecodeError):
        decoded('{"short_id": ')
    with pytest.raises(json.JSONDecodeError):
        decoded('{"short_id": ')
    assert decoded("[1]") == [1]
