"""The HN parsers' quicker readings (issue 14) give what the readings they replaced gave.

The streamed reading of a big page now learns where each row starts from a marker
comment fed before its container (``hn.stream``), not from an event per span and div:
held here to the element-event reading it replaced (kept below as the reference) and to
the whole reading, on pages that hold their own HTML comments, one that spells the
marker, and markup where libxml2 moves the marker away from its container. A narrow
body's entities decode in one regex pass (``narrow._decoded``), held to the ten
``replace`` passes it replaced on random text and every body of the pages.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import Any

import pytest
from lxml import etree

from scraper.parsers import hn, narrow
from scraper.parsers.errors import ParseError
from scraper.parsers.hn import item_rows, stream
from scraper.parsers.hn.text import RawBodies, container_starts
from tests import hnpages
from tests.corpus import corpus_dir


def _event_rows(html: str, declared: list[tuple[int, int]], *, url: str,
                fetched_at: datetime) -> list[dict[str, Any]] | None:
    """The rows as the element-event reading read them (before the markers): an end
    event per span and div, each ``div/span.comment`` read at its end."""
    parser = etree.HTMLPullParser(events=("end",), tag=("span", "div"), collect_ids=False,
                                  huge_tree=True, encoding="utf-8")
    raw = RawBodies.trusted(html, [pos for pos, _ in declared])
    rows: list[dict[str, Any]] = []
    regions: set[etree._Element] | None = None
    for start in range(0, len(html), 64 * 1024):
        parser.feed(html[start:start + 64 * 1024].encode("utf-8"))
        for _, el in parser.read_events():
            if el.get("class") != "comment":
                continue
            n = len(rows)
            if n >= len(declared) or el.sourceline != declared[n][1]:
                return None
            above = list(el.iterancestors())
            if regions is None:
                regions = stream._regions(above[-1] if above else el)
            if any(a in regions for a in above):
                return None
            rows.append(item_rows.read_comment(el, n, raw, url=url, fetched_at=fetched_at))
    parser.close()
    return rows if len(rows) == len(declared) else None


def _marker_rows(html: str, url: str) -> list[dict[str, Any]] | None:
    read = stream.read_rows(html, container_starts(html), url=url,
                            fetched_at=hnpages.FETCHED_AT, read_row=item_rows.read_comment)
    return read.rows if read is not None else None


def _pages() -> list[tuple[str, str]]:
    """(url, html) of every corpus item page and generated pages of both markups."""
    out = []
    for path in sorted(corpus_dir("hn").glob("item-*.html")):
        sid = path.stem.split("-")[1]
        out.append((f"https://news.ycombinator.com/item?id={sid}",
                    path.read_text(encoding="utf-8")))
    for era in ("modern", "old"):
        thread = hnpages.random_thread(400, seed=5)
        for path, page in hnpages.site_pages(thread, era=era, per_page=150).items():
            out.append((f"https://news.ycombinator.com{path}", page))
    return out


def test_marker_rows_are_the_event_rows_on_every_page() -> None:
    for url, html in _pages():
        declared = container_starts(html)
        expected = _event_rows(html, declared, url=url, fetched_at=hnpages.FETCHED_AT)
        assert expected is not None, url  # every one of these pages streams
        assert _marker_rows(html, url) == expected, url


def test_no_marker_is_left_in_the_tree() -> None:
    thread = hnpages.random_thread(300, seed=3)
    for era in ("modern", "old"):
        html = hnpages.site_pages(thread, era=era)[f"/item?id={thread.story_id}"]
        read = stream.read_rows(html, container_starts(html), url="u",
                                fetched_at=hnpages.FETCHED_AT, read_row=item_rows.read_comment)
        assert read is not None
        assert len(read.rows) == 300
        left = [c for c in read.doc.iter(etree.Comment) if c.text == stream.MARK]
        assert left == []
        # The first row (read again by the item parser) keeps its container, unmarked.
        assert read.first.getprevious() is not None
        assert read.first.getprevious().tag == "br"


def _both(html: str, url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    def parse() -> object:
        try:
            return hn.parse_item_page(html, url=url, fetched_at=hnpages.FETCHED_AT)
        except ParseError as exc:
            return f"ParseError: {exc}"

    with monkeypatch.context() as m:
        m.setattr(stream, "MIN_SIZE", 0)
        streamed = parse()
    with monkeypatch.context() as m:
        m.setattr(stream, "MIN_SIZE", 10**12)
        whole = parse()
    return streamed, whole


def _generated(era: str) -> tuple[str, str]:
    thread = hnpages.random_thread(60, seed=9)
    html = hnpages.site_pages(thread, era=era)[f"/item?id={thread.story_id}"]
    return f"https://news.ycombinator.com/item?id={thread.story_id}", html


@pytest.mark.parametrize("era", ["modern", "old"])
def test_the_pages_own_comments_are_not_markers(era: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    url, html = _generated(era)
    tag = "<div class=\"comment\">" if era == "modern" else "<span class=\"comment\">"
    # A comment of the page's own before every container, and one that spells the marker.
    odd = html.replace(tag, "<!-- a note -->" + tag).replace(
        tag, f"<!--{stream.MARK}-->" + tag, 1)
    assert odd.count("<!--") == html.count(tag) + 1 + html.count("<!--")
    streamed, whole = _both(odd, url, monkeypatch)
    assert streamed == whole
    assert not isinstance(whole, str)
    plain, _ = _both(html, url, monkeypatch)
    assert streamed == plain  # HTML comments change no record


@pytest.mark.parametrize("era", ["modern", "old"])
def test_a_container_moved_from_its_marker_is_read_whole(era: str,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    url, html = _generated(era)
    tag = "<div class=\"comment\">" if era == "modern" else "<span class=\"comment\">"
    at = html.index(tag, html.index(tag) + 1)  # the second container
    # An open <p> before a <div> container: libxml2 closes the p at the div, so the
    # marker (inside the p) is no longer the container's sibling.
    odd = html[:at] + "<p>" + html[at:]
    assert _marker_rows(odd, url) is None or era == "old"
    streamed, whole = _both(odd, url, monkeypatch)
    assert streamed == whole


_OLD_ENTITIES = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&#39;": "'",
                 "&#x2F;": "/", "&#60;": "<", "&#62;": ">", "&#34;": '"'}


def _replaced(flat: str) -> str:
    """The entities decoded as before the one-pass regex: a replace() per spelling, the
    two spellings of "&" last."""
    if "&" in flat:
        numeric = "&#" in flat
        for entity, char in _OLD_ENTITIES.items():
            if numeric or entity[1] != "#":
                flat = flat.replace(entity, char)
        flat = re.sub("&(?:amp|#38);", "&", flat) if "&#38;" in flat else \
            flat.replace("&amp;", "&")
    return flat


def test_entities_decode_in_one_pass_as_in_ten() -> None:
    pieces = [*_OLD_ENTITIES, "&amp;", "&#38;", "&", "#", ";", "amp", "lt", "x27", "38",
              "a", " ", "\u00e9", "\u4e2d", "&#x2f;", "&AMP;", "&#3", "8;"]
    rng = random.Random(14)
    for _ in range(20000):
        flat = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert narrow._decoded(flat) == _replaced(flat), repr(flat)
    # and every body of the corpus and of generated pages, as the reader sees it
    for url, html in _pages():
        page = hn.parse_item_page(html, url=url, fetched_at=hnpages.FETCHED_AT,
                                  story_id=url.split("id=")[1].split("&")[0])
        for c in page.comments:
            if c.text_html:
                assert narrow._decoded(c.text_html) == _replaced(c.text_html)


# The containers' opening as one regex, before the class part was searched for alone.
_WHOLE_CONTAINER = re.compile(
    r"""<(?:span|div)\s+class\s*=\s*(?:"comment"|'comment'|comment(?=[\s>]))\s*>""")


def _whole_starts(html: str) -> list[tuple[int, int]]:
    out = []
    line, last = 1, 0
    for m in _WHOLE_CONTAINER.finditer(html):
        line += html.count("\n", last, m.start())
        last = m.start()
        out.append((m.end(), line))
    return out


def test_container_starts_as_the_whole_regex_found_them() -> None:
    """``container_starts`` finds what the one regex of the whole opening found, on
    every page and on random markup made of the pieces of openings."""
    for _, html in _pages():
        assert container_starts(html) == _whole_starts(html)
    pieces = ["<span", "<div", "<p", "<", " ", "\n", "\t", "class", "=", " = ", '"comment"',
              "'comment'", "comment", "comments", ">", "x", "<span class=comment>",
              '<div class="comment">', "<span\nclass='comment' >", "<spanclass=comment>"]
    rng = random.Random(14)
    found = 0
    for _ in range(20000):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        starts = container_starts(html)
        assert starts == _whole_starts(html), repr(html)
        found += len(starts)
    assert found > 1000

