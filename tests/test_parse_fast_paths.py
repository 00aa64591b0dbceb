"""The parsers' quicker readings (issue 14) give what the plain ones gave, whole.

Each fast path is held to the reading it replaced, kept here as the reference: the
More link found by walking the links against the XPath union, a page handed to libxml2
as UTF-8 bytes against the ``str`` it was handed before, Lobsters' kind detection with
its word tests against the regexes alone, the readers told the body is checked against
the readers that check it again, and leaf text read without ``itertext``.
"""

from __future__ import annotations

import random
import re
import sys
from datetime import datetime

import lxml.html
from lxml import etree

from scraper.parsers import ages, lobsters, whole
from scraper.parsers.errors import ParseError
from scraper.parsers.hn import listing as hn_listing
from scraper.parsers.hn import story as hn_story
from scraper.parsers.hn.text import classes
from scraper.parsers.lobsters import common as lobsters_common
from scraper.parsers.lobsters import listing as lobsters_listing
from scraper.parsers.lobsters import story_html, story_json, user
from scraper.parsers.reddit import html as reddit_html
from scraper.parsers.values import number
from tests import hnpages
from tests.corpus import corpus_dir

# ``scraper.parsers.lobsters.detect`` the module (the package exports a function of
# that name, which hides it as an attribute).
_detect = sys.modules["scraper.parsers.lobsters.detect"]

_MORE_XPATH = etree.XPath(
    "//a[contains(concat(' ', normalize-space(@class), ' '), ' morelink ')]/@href"
    " | //td[contains(concat(' ', normalize-space(@class), ' '), ' title ')]"
    "/a[normalize-space()='More']/@href")


def _xpath_more(doc: etree._Element) -> str | None:
    found = next(iter(_MORE_XPATH(doc)), None)
    return str(found) if found is not None else None


def test_more_link_is_the_xpath_union_on_every_hn_page() -> None:
    pages = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir("hn").glob("*.html"))]
    thread = hnpages.random_thread(300, seed=2)
    for era in ("modern", "old"):
        pages += list(hnpages.site_pages(thread, era=era).values())
    for page in pages:
        doc, _ = whole.parse_html(page, site="hn", url="https://news.ycombinator.com/")
        assert hn_listing._more_href(doc) == _xpath_more(doc)


def test_more_link_is_the_xpath_union_on_odd_markup() -> None:
    cells = ['<td class="title"><a href="{h}">More</a></td>',
             '<td class="x\ttitle"><a href="{h}"> More\n</a></td>',
             '<td class="title"><a href="{h}">Mo<b>re</b></a></td>',
             '<td class="title"><span><a href="{h}">More</a></span></td>',
             '<td class="titles"><a href="{h}">More</a></td>',
             '<td class="title"><a>More</a></td>',
             '<td class="title"><a href="{h}">More\xa0</a></td>',
             '<td class="title"><a href="{h}">More<!-- c --></a></td>',
             '<td><a class="x morelink" href="{h}">x</a></td>',
             '<td><a class="morelinks" href="{h}">More</a></td>',
             '<td><a class="\nmorelink\n" href="{h}">x</a></td>',
             '<td><a class="morelink">x</a></td>',
             '<td class="title"><a href="">More</a></td>']
    rng = random.Random(7)
    for _ in range(400):
        row = "".join(rng.choice(cells).format(h=f"p{k}") for k in range(rng.randint(0, 4)))
        doc = etree.fromstring(f"<html><body><table><tr>{row}</tr></table></body></html>",
                               etree.HTMLParser())
        assert hn_listing._more_href(doc) == _xpath_more(doc), row


def _pages(site: str, suffix: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(corpus_dir(site).glob(f"*{suffix}"))]


def test_lobsters_pages_parse_as_bytes_to_the_tree_of_the_str() -> None:
    pages = _pages("lobsters", ".html")
    assert len(pages) >= 8
    for page in pages:
        ours = lobsters_common.html_doc(page, url="https://lobste.rs/", checked=True)
        before = etree.fromstring(page, etree.HTMLParser(huge_tree=True))
        assert etree.tostring(ours) == etree.tostring(before)


def test_reddit_pages_parse_as_bytes_to_the_tree_of_the_str() -> None:
    seen = 0
    for page in _pages("reddit", ".html"):
        try:
            ours = reddit_html._doc(page, "https://old.reddit.com/")
        except ParseError:  # an error page, refused before any parse
            continue
        assert etree.tostring(ours) == etree.tostring(lxml.html.fromstring(page))
        seen += 1
    assert seen >= 3


def _detect_by_regex(text: str) -> str:
    """``detect_checked`` as it was: the three regexes alone, in order."""
    if text.lstrip()[:1] in ("{", "["):
        return _detect.detect_checked(text)
    for kind, pattern in (("story-html", _detect._STORY_HTML), ("user-html", _detect._USER_HTML),
                          ("listing-html", _detect._LISTING_HTML)):
        if pattern.search(text):
            return kind
    return "unknown"


def test_lobsters_detection_is_the_regexes_alone() -> None:
    pages = _pages("lobsters", ".html")
    marks = ['<div id="story_comments">', "<li class='comments_subtree'>",
             '<div class="story_text">', "story_comments", "story_text", "comments_subtree",
             '<section class="profile">', "<div class='labelled_grid'>", "profile",
             "labelled_grid", '<ol class="stories">', "<ol class='search_results'>", "x"]
    rng = random.Random(3)
    pages += [" ".join(rng.choice(marks) for _ in range(rng.randint(0, 4)))
              for _ in range(500)]
    for page in pages:
        assert _detect.detect_checked(page) == _detect_by_regex(page)


def _outcome(read: object) -> object:
    try:
        return read()  # type: ignore[operator]
    except ParseError as exc:
        return f"{type(exc).__name__}: {exc}"


def test_readers_told_the_body_is_checked_give_what_checking_readers_give() -> None:
    at = hnpages.FETCHED_AT
    readers = {"story": (lobsters.parse_story, story_json.parse_story_json,
                         story_html.parse_story_html),
               "user": (lobsters.parse_user, user.parse_user_json, user.parse_user_html),
               "listing": (lobsters.parse_listing, lobsters_listing.parse_listing_json,
                           lobsters_listing.parse_listing_html)}
    names = {"front": "listing", "hottest": "listing", "tag": "listing",
             "search": "listing", "story": "story", "user": "user"}
    seen = 0
    for path in sorted(corpus_dir("lobsters").glob("*.*")):
        kind = names.get(path.name.split("-")[0])
        if kind is None or path.suffix not in (".html", ".json"):
            continue
        page = path.read_text(encoding="utf-8")
        url = f"https://lobste.rs/s/{path.stem.split('-')[1]}" + (
            ".json" if path.suffix == ".json" else "")
        public, from_json, from_html = readers[kind]
        own = from_json if path.suffix == ".json" else from_html
        assert _outcome(lambda p=page, u=url, r=public: r(p, url=u, fetched_at=at)) == \
            _outcome(lambda p=page, u=url, r=own: r(p, url=u, fetched_at=at))
        seen += 1
    assert seen >= 15


_SPACE_RUN = re.compile(r"[ \t\n\r\f]+")


def _hn_text_before(el: etree._Element) -> str:
    return _SPACE_RUN.sub(" ", "".join(el.itertext())).replace("\xa0", " ").strip()


def _lobsters_text_before(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).replace("\xa0", " ").split())


def test_element_text_is_the_itertext_reading() -> None:
    pieces = ["a", " ", "  ", "\n", "\t", "\r", "\f", "\v", "\xa0", "\u2003", "é", "<b>",
              "</b>", "<i>x</i>", "<!-- c -->", "<br>", "&nbsp;", "&amp;"]
    rng = random.Random(11)
    for _ in range(1500):
        inner = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        doc = etree.fromstring(f"<html><body><span>{inner}</span></body></html>",
                               etree.HTMLParser())
        for el in doc.iter("span", "b", "i"):
            assert hn_story.text_of(el) == _hn_text_before(el), inner
            assert lobsters_common.text_of(el) == _lobsters_text_before(el), inner


def _subtext_before(subtext: etree._Element, fetched_at: datetime) -> tuple[object, ...]:
    """``read_subtext`` as it was: every link's text read twice, the cell's always."""
    author = score = comment_count = None
    for a in subtext.iter("a"):
        href = a.get("href") or ""
        if author is None and ("hnuser" in classes(a)
                               or hn_story.hn_path(href).startswith("user?id=")):
            author = _hn_text_before(a) or None
        shown = _hn_text_before(a)
        m = re.match(r"^([0-9]+)\s+comments?$", shown)
        if m:
            comment_count = number(m.group(1))
        elif shown == "discuss":
            comment_count = 0
    age_title = None
    for span in subtext.iter("span"):
        cls = classes(span)
        if score is None and ("score" in cls or (span.get("id") or "").startswith("score_")):
            m = re.search(r"([0-9]+)\s+points?", _hn_text_before(span))
            score = number(m.group(1)) if m else None
        if age_title is None and "age" in cls:
            age_title = span.get("title")
    created_at, created_raw = ages.parse_age(age_title, _hn_text_before(subtext), fetched_at)
    return author, score, comment_count, created_at, created_raw


def test_subtext_cells_read_as_before() -> None:
    pages = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir("hn").glob("*.html"))]
    thread = hnpages.random_thread(50, seed=4)
    for era in ("modern", "old"):
        pages += list(hnpages.site_pages(thread, era=era).values())
    cells = 0
    for page in pages:
        doc, _ = whole.parse_html(page, site="hn", url="https://news.ycombinator.com/")
        for td in doc.iter("td"):
            if "subtext" in classes(td):
                cells += 1
                assert hn_story.read_subtext(td, hnpages.FETCHED_AT) == \
                    _subtext_before(td, hnpages.FETCHED_AT)
    assert cells >= 250
