"""The one-walk readings of Lobsters' HTML (a row's block with its byline, a comment's
byline and its children) give what a walk for each lookup gave: on every corpus block
and comment, and on copies damaged at random (``test_lobsters_listing_entry``'s)."""

from __future__ import annotations

import copy
import random

from lxml import etree

from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters.common import has_class, html_doc, html_time, page_now
from scraper.parsers.lobsters.story_html import _comment_divs, _parts
from scraper.parsers.lobsters.story_row import (
    _COUNT,
    _NO_COMMENTS,
    _read,
    _row,
    byline_parts,
    byline_time,
    byline_user,
    story_items,
    user_of,
)
from tests import hnpages
from tests.corpus import corpus_dir
from tests.test_lobsters_listing_entry import _damage

URL = "https://lobste.rs/"


def _docs(*kinds: str) -> list[etree._Element]:
    return [html_doc(p.read_text(encoding="utf-8"), url=URL)
            for p in sorted(corpus_dir("lobsters").glob("*.html"))
            if p.name.split("-")[0] in kinds]


def _first_child(el: etree._Element | None, cls: str) -> etree._Element | None:
    if el is None:
        return None
    return next((c for c in el if c.tag == "div" and has_class(c, cls)), None)


def _block_as_walked(details: etree._Element, now: object) -> object:
    """What ``_read`` reads of a block's byline, the byline read by a walk per lookup."""
    try:
        b = _read(details, fallback_id=None, page_url=URL, now=now)  # type: ignore[arg-type]
    except ParseError as exc:
        return str(exc)
    if b.byline is None:
        return (b.user, b.author, b.created_at, b.created_at_raw, b.comment_count) == \
            (None, None, None, None, None)
    user, when = byline_user(b.byline), byline_time(b.byline)
    label = next((s for s in b.byline.iter("span") if has_class(s, "comments_label")), None)
    shown = html_time(when, now) if when is not None else (None, None)  # type: ignore[arg-type]
    count = None
    if label is not None:
        text = " ".join(label.xpath("string()").replace("\xa0", " ").split())
        m = _COUNT.search(text)
        count = int(m.group(1)) if m else 0 if _NO_COMMENTS.search(text) else None
    author = user_of(user.get("href")) if user is not None else None
    return (b.user is user and b.author == author and (b.created_at, b.created_at_raw) == shown
            and b.comment_count == count)


def _blocks(li: etree._Element) -> list[etree._Element]:
    try:
        return _row(li, page_url=URL)[2]
    except ParseError:
        return []


def test_every_corpus_block_reads_alike() -> None:
    seen = last = 0
    for doc in _docs("front", "search", "story"):
        now = page_now(doc, hnpages.FETCHED_AT)
        for li in story_items(doc):
            for details in _blocks(li):
                assert _block_as_walked(details, now) is True
                byline = _first_child(details, "byline")
                last += byline is not None and byline.getnext() is None
                seen += 1
    assert seen >= 100
    assert last >= 100  # the byline read in the block's walk, not by a walk of its own


def test_damaged_blocks_read_alike() -> None:
    rng = random.Random(14)
    rows = [(li, page_now(doc, hnpages.FETCHED_AT)) for doc in _docs("front", "search")
            for li in story_items(doc)]
    for _ in range(1500):
        li, now = rng.choice(rows)
        li = copy.deepcopy(li)
        _damage(li, rng)
        for details in _blocks(li):
            if rng.random() < 0.3:  # the byline no longer the block's last child
                after = etree.SubElement(details, rng.choice(["span", "div", "a"]))
                after.set("href", "/~eve")
                after.set("title", "2020-01-02 03:04:05 -0600")
                after.set("class", "comments_label")
                after.text = "4 comments"
            outcome = _block_as_walked(details, now)
            assert outcome is True or isinstance(outcome, str)


def _comment_alike(div: etree._Element) -> None:
    parts = _parts(div)
    details = _first_child(div, "details")
    assert parts.voters is _first_child(div, "voters")
    assert parts.byline is _first_child(details, "byline")
    assert parts.body is _first_child(details, "comment_text")
    if parts.byline is not None:
        user, when, spans, links = byline_parts(parts.byline)
        assert user is byline_user(parts.byline)
        assert when is byline_time(parts.byline)
        assert spans == list(parts.byline.iter("span"))
        assert links == list(parts.byline.iter("a"))


def test_every_corpus_comment_reads_alike() -> None:
    divs = [d for doc in _docs("story") for d in _comment_divs(doc)]
    assert len(divs) >= 20
    for div in divs:
        _comment_alike(div)


def test_damaged_comments_read_alike() -> None:
    rng = random.Random(7)
    divs = [d for doc in _docs("story") for d in _comment_divs(doc)]
    for _ in range(1500):
        div = copy.deepcopy(rng.choice(divs))
        _damage(div, rng)
        _comment_alike(div)
