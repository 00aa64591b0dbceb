"""An HN listing row read in one walk (``listing_rows.read_row``) gives what the
reading with the item parser's helpers (``entry_reference`` below) gave: on every
row of the corpus's listings of every era, and on rows damaged at random (classes,
ids, links, texts and titles taken away or changed), entries and errors alike."""

from __future__ import annotations

import copy
import hashlib
import random
from datetime import datetime

from lxml import etree

from archive.models import ListingEntry
from scraper.parsers import whole
from scraper.parsers.errors import ParseError
from scraper.parsers.hn import listing
from scraper.parsers.hn.listing_rows import _shown, read_row
from scraper.parsers.hn.story import (
    _domain,
    _header_id,
    _prev_row,
    _title_link,
    item_id_of,
    read_subtext,
    story_kind,
    text_of,
)
from scraper.parsers.hn.text import classes
from scraper.parsers.values import join_url
from tests import hnpages
from tests.corpus import corpus_dir

SITE = listing.SITE
URL = "https://news.ycombinator.com/news"
AT = hnpages.FETCHED_AT


def entry_reference(subtext: etree._Element, position: int, offset: int, *, url: str,
                     fetched_at: datetime) -> ListingEntry:
    """A row's entry read with ``hn.story``'s helpers, as the listing parser read it
    before ``listing_rows.read_row``: the reference that reading is held to."""
    subtext_row = subtext.getparent()
    title_row = _prev_row(subtext_row) if subtext_row is not None else None
    if subtext_row is None or title_row is None:
        raise ParseError(SITE, url, f"row {position + 1}: a subtext with no title row above")
    cells = [c for c in title_row if c.tag == "td" and "title" in classes(c)]
    link = _title_link(cells[-1]) if cells else None
    if link is None:
        raise ParseError(SITE, url, f"row {position + 1}: no title link")
    title = text_of(link)
    href = link.get("href") or ""
    self_id = item_id_of(href)
    story_url = None if self_id or not href else join_url(
        url, href, site=SITE, what=f"row {position + 1}'s title link")
    author, score, comments, created_at, created_raw = read_subtext(subtext, fetched_at)
    kind = story_kind(title, author, score)
    # A self post's title links its own item (2015-04's job ad shows its id nowhere else).
    story_id = _header_id(title_row, subtext) or self_id
    if story_id is None:
        if kind != "job":
            raise ParseError(SITE, url, f"row {position + 1} ({title[:60]!r}) shows no id")
        # Old job ads with an outside link show no id at all (2012-03, 2015-06): name
        # the row after its link, stable across fetches of the same ad.
        digest = hashlib.sha1((story_url or title).encode(), usedforsecurity=False)
        story_id = f"job-{digest.hexdigest()[:12]}"
    rank = listing._rank(title_row)
    return listing._new_entry(
        site=SITE, story_id=story_id,
        rank=rank if rank is not None else offset + position + 1,
        title=title or None, url=story_url,
        domain=_domain(cells[-1], story_url) if story_url else None,
        author=author, score=score, comment_count=comments,
        created_at=created_at, created_at_raw=created_raw, kind=kind,
    )


def _subtexts(doc: etree._Element) -> list[etree._Element]:
    return [td for td in doc.iter("td") if "subtext" in (td.get("class") or "").split()]


def _both(subtext: etree._Element, i: int) -> tuple[object, object]:
    def outcome(read: object) -> object:
        try:
            return read()  # type: ignore[operator]
        except ParseError as exc:
            return f"{type(exc).__name__}: {exc}"
    ours = outcome(lambda: read_row(subtext, listing._title_row(subtext), i, 30, url=URL,
                                    fetched_at=AT))
    return ours, outcome(lambda: entry_reference(subtext, i, 30, url=URL,
                                                          fetched_at=AT))


def _pages() -> list[str]:
    pages = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir("hn").glob("news-*"))]
    stories = [hnpages.GenStory(id=str(100 + k), title=f"Show HN: {k}", score=k or None,
                                comments=k) for k in range(5)]
    return [*pages, hnpages.listing_page(stories, next_href="news?p=2")]


def test_every_corpus_row_reads_alike() -> None:
    seen = 0
    for page in _pages():
        doc, _ = whole.parse_html(page, site="hn", url=URL)
        for i, subtext in enumerate(_subtexts(doc)):
            ours, reference = _both(subtext, i)
            assert ours == reference
            seen += 1
    assert seen >= 200


_ATTRS = ("class", "id", "href", "title")
_VALUES = ("", "title", "subtext", "rank", "sitebit", "sitestr", "comhead", "score", "age",
           "hnuser", "up_12", "score_x", "score_34", "item?id=56", "user?id=bob",
           "vote?for=1", "from?site=x.com", "https://www.example.com/a", "2024-01-02T03:04:05",
           "2025-05-15T13:56:47 1747317407", "nonsense")
_TEXTS = ("", "7.", "12 points", "3 comments", "discuss", "5 hours ago", "on Oct 9, 2006",
          " x  \n y ", "\xa0", "(a.com)", "More")


def _damage(row: etree._Element, rng: random.Random) -> None:
    els = [el for el in row.iter() if isinstance(el.tag, str)]
    for _ in range(rng.randint(1, 4)):
        el = rng.choice(els)
        what = rng.random()
        if what < 0.4:
            attr = rng.choice(_ATTRS)
            if rng.random() < 0.5:
                el.attrib.pop(attr, None)
            else:
                el.set(attr, rng.choice(_VALUES))
        elif what < 0.7:
            el.text = rng.choice(_TEXTS)
        elif what < 0.85:
            el.tail = rng.choice(_TEXTS)
        elif el.getparent() is not None and el is not row:
            el.getparent().remove(el)
            els = [e for e in row.iter() if isinstance(e.tag, str)]


def test_damaged_rows_read_alike() -> None:
    rng = random.Random(14)
    docs = [whole.parse_html(page, site="hn", url=URL)[0] for page in _pages()]
    for _ in range(1500):
        doc = copy.deepcopy(rng.choice(docs))
        subtexts = _subtexts(doc)
        i = rng.randrange(len(subtexts))
        subtext = subtexts[i]
        title_row = listing._title_row(subtext)
        for row in (subtext.getparent(), title_row):
            if row is not None and rng.random() < 0.8:
                _damage(row, rng)
        ours, reference = _both(subtext, i)
        assert ours == reference


def test_cell_text_is_text_of() -> None:
    pieces = ["a", " ", "  ", "\n", "\t", "\xa0", "<b>b</b>", "<i> i </i>", "<!-- c -->",
              "<br>", "&nbsp;", "&amp;", "<span>s<a>t</a>u</span>", "<script>x</script>",
              "<?pi q?>", "é"]
    rng = random.Random(3)
    for _ in range(500):
        inner = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        doc = etree.fromstring(f"<html><body><table><tr><td class=subtext>{inner}</td>tail"
                               "</tr></table></body></html>", etree.HTMLParser())
        td = doc.find(".//td")
        assert td is not None
        if len(td):
            assert _shown(td) == text_of(td), inner


def test_digit_runs_read_as_number() -> None:
    from scraper.parsers.hn.listing_rows import _digits
    from scraper.parsers.values import number

    for run in ["0", "7", "0042", "9" * 18, "9" * 19, "1" * 400]:
        assert _digits(run) == number(run)
