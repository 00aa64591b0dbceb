"""HN's target grammar, as the registry (archive.sites) defines it for crawl and watch,
and as the HN spider still checks its arguments: the same answers, word for word."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from archive import schedule
from archive.errors import ArchiveError
from archive.sites import HN
from scraper.spiders import hn

BASE = "http://127.0.0.1:8123"  # a test's local server, as LINKTHREAD_HN_BASE_URL names it


def spider_item(word: str) -> str:
    return hn.item_id(word, base_url=BASE)


def archive_item(word: str) -> str:
    return HN.item_id(word, base_url=BASE)


def spider_listing(word: str) -> str:
    path = hn.listing_path(word)
    return "front" if path == "news" else path  # the crawl requests /news for "front"


def archive_listing(word: str) -> str:
    return HN.listing(word)


def answer(read: Callable[[str], str], word: str) -> str | None:
    """What a grammar makes of a word: the target, or None when it refuses it."""
    try:
        return read(word)
    except (ValueError, ArchiveError) as e:
        assert "\n" not in str(e) and repr(word.strip()) in str(e)
        return None


ITEMS = [
    ("5", "5"),
    ("  46621892 ", "46621892"),
    ("https://news.ycombinator.com/item?id=5", "5"),
    ("http://news.ycombinator.com/item?id=5", "5"),
    ("https://NEWS.ycombinator.com/item?p=2&id=8863", "8863"),
    ("news.ycombinator.com/item?id=5", "5"),  # no scheme, as an address bar shows it
    (f"{BASE}/item?id=77", "77"),  # the configured base URL's host
    ("http://127.0.0.1:9/item?id=77", "77"),  # its host, whatever the port
    ("https://example.com/item?id=1", None),  # another host
    ("example.com/item?id=1", None),
    ("https://news.ycombinator.com.example.com/item?id=1", None),
    ("https://news.ycombinator.com@example.com/item?id=1", None),
    ("ftp://news.ycombinator.com/item?id=1", None),
    ("file:///item?id=1", None),
    ("https://news.ycombinator.com/x/item?id=1", None),
    ("https://news.ycombinator.com/item?id=0", None),
    ("https://news.ycombinator.com/item?id=abc", None),
    ("https://news.ycombinator.com/item", None),
    ("12ab", None),
    ("0", None),
    ("", None),
]


@pytest.mark.parametrize("read", [spider_item, archive_item], ids=["spider", "archive"])
@pytest.mark.parametrize("word, want", ITEMS)
def test_item_targets(read: Callable[[str], str], word: str, want: str | None) -> None:
    assert answer(read, word) == want


LISTINGS = [
    ("front", "front"),
    ("news", "front"),
    ("newest", "newest"),
    ("best", "best"),
    ("front?day=2026-01-14", "front?day=2026-01-14"),
    ("front?day=2024-02-29", "front?day=2024-02-29"),  # a leap day
    ("front?day=2026-13-01", None),  # no 13th month
    ("front?day=2026-02-30", None),
    ("front?day=2025-02-29", None),  # not a leap year
    ("front?day=2026-00-10", None),
    ("front?day=20260114", None),  # fromisoformat reads it; the grammar does not
    ("front?day=yesterday", None),
    ("front?day=2026-01-14&x=1", None),
    ("top", None),
]


@pytest.mark.parametrize("read", [spider_listing, archive_listing], ids=["spider", "archive"])
@pytest.mark.parametrize("word, want", LISTINGS)
def test_listing_targets(read: Callable[[str], str], word: str, want: str | None) -> None:
    assert answer(read, word) == want


def test_the_base_url_host_comes_from_the_environment_when_not_given(
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = "http://10.1.2.3:8080/item?id=9"
    monkeypatch.delenv("LINKTHREAD_HN_BASE_URL", raising=False)
    for read in (hn.item_id, HN.item_id):
        assert answer(read, url) is None
    monkeypatch.setenv("LINKTHREAD_HN_BASE_URL", "http://10.1.2.3:8080")
    for read in (hn.item_id, HN.item_id):
        assert answer(read, url) == "9"


def test_the_spider_refuses_an_item_url_of_another_host() -> None:
    with pytest.raises(ValueError, match="not a Hacker News item id or item URL"):
        hn.HnSpider(items="https://example.com/item?id=1", base_url=BASE)
    assert hn.HnSpider(items=f"{BASE}/item?id=3,news.ycombinator.com/item?id=4",
                       base_url=BASE).item_ids == ["3", "4"]


def test_watch_words_use_the_same_grammar() -> None:
    words = ["news.ycombinator.com/item?id=5", "front?day=2024-02-29"]
    assert schedule.parse_targets("hn", words, base_url=BASE) == [
        ("thread", "5"), ("listing", "front?day=2024-02-29")]
    with pytest.raises(ArchiveError, match="not a Hacker News listing"):
        schedule.parse_targets("hn", ["front?day=2026-13-01"])
    with pytest.raises(ArchiveError, match="not a Hacker News item id"):
        schedule.parse_targets("hn", ["https://example.com/item?id=1"], base_url=BASE)
