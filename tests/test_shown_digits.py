"""Digits a page, URL, WARC header or setting shows are read so that none can crash:
``str.isdigit()`` is true of "²" and "٣", which ``int()`` rejects or reads; ``int()``
refuses runs of over 4,300 digits; an epoch of 20 digits is past any datetime."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree, html

from scraper.importers import dump_run, dump_stream, warc
from scraper.importers.hn import _first
from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters.common import html_time, page_now
from scraper.parsers.lobsters.listing import listing_name_and_page
from scraper.parsers.reddit.listing import DEFAULT_LIMIT, _place

FETCHED = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
ODD = ["\u00b2", "\u0663", "9" * 5000, "9" * 20, "--5", "-", " ", "1e5"]


@pytest.mark.parametrize("odd", ODD, ids=lambda v: repr(v)[:12])
def test_a_lobsters_epoch_that_is_no_time_reads_as_none(odd: str) -> None:
    doc = html.fromstring(f'<html><body data-now-unix="{odd}"><p>x</p></body></html>')
    assert page_now(doc, FETCHED) == FETCHED
    el = etree.fromstring(f'<time data-at-unix="{odd}" title="">3 hours ago</time>')
    # The epoch is no time: the relative text against the page's "now" is read instead.
    at, raw = html_time(el, FETCHED)
    assert at is None or at.year == 2026
    assert raw is None or not odd.strip() or odd not in raw


def test_a_lobsters_epoch_still_reads() -> None:
    el = etree.fromstring('<time data-at-unix="-86400" title="">x</time>')
    assert html_time(el, FETCHED)[0] == datetime(1969, 12, 31, tzinfo=UTC)


@pytest.mark.parametrize("odd", ODD, ids=lambda v: repr(v)[:12])
def test_a_listing_urls_odd_count_is_the_first_page(odd: str) -> None:
    assert _place(f"https://oauth.reddit.com/r/x/hot?count={odd}&limit={odd}") == \
        (0, DEFAULT_LIMIT)
    assert _first(f"https://news.ycombinator.com/item?id=1&p={odd}")


@pytest.mark.parametrize("odd", ODD, ids=lambda v: repr(v)[:12])
def test_settings_of_odd_digits_take_the_default(odd: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKTHREAD_DUMP_WORKERS", odd)
    monkeypatch.setenv("LINKTHREAD_DUMP_BATCH", odd)
    assert dump_stream.worker_count() >= 1
    assert dump_run.batch_size() == dump_run.BATCH


@pytest.mark.parametrize("code", ["\u00b2\u00b2\u00b2", "9" * 5000], ids=lambda v: repr(v)[:12])
def test_a_warc_status_of_odd_digits_is_no_http(code: str, tmp_path: Path) -> None:
    # Written by hand: warcio writes ASCII status lines only.
    payload = (f"HTTP/1.1 {code} OK\r\nContent-Type: text/html\r\n\r\n<html></html>"
               ).encode()
    head = ("WARC/1.0\r\nWARC-Type: response\r\n"
            "WARC-Target-URI: https://news.ycombinator.com/item?id=1\r\n"
            "WARC-Date: 2026-01-14T12:00:00Z\r\n"
            "WARC-Record-ID: <urn:uuid:12345678-1234-5678-1234-567812345678>\r\n"
            "Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode()
    path = tmp_path / "odd.warc"
    path.write_bytes(head + payload + b"\r\n\r\n")
    skipped: Counter[str] = Counter()
    assert list(warc.records(path, skipped)) == []
    assert sum(skipped.values()) == 1


@pytest.mark.parametrize("odd", ODD, ids=lambda v: repr(v)[:12])
def test_a_lobsters_listing_urls_odd_page_is_no_page_number(odd: str) -> None:
    search = f"https://lobste.rs/search?q=x&page={odd}"
    if odd.isascii() and odd.isdigit():  # a number too long to be a page's
        with pytest.raises(ParseError, match="over 9 digits"):
            listing_name_and_page(search)
    else:
        assert listing_name_and_page(search) == ("search?q=x", 1)
    # A page in the path that is no page number is refused, not made part of the name.
    with pytest.raises(ParseError, match="page"):
        listing_name_and_page(f"https://lobste.rs/t/meta/page/{odd}")
    assert listing_name_and_page("https://lobste.rs/t/meta/page/7") == ("t/meta", 7)
