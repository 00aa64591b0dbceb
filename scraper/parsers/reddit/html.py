"""Saved HTML of Reddit's pages: old.reddit (the classic markup, 2008-) comment pages and
listings, and the 2018 redesign's comment pages. Pure; read with lxml.

Old reddit marks every post and comment as ``div.thing`` with ``data-fullname``,
``data-author``, ``data-type`` ("link", "comment", "morechildren"); a comment's replies
are inside its own ``div.child``, so the tree is the nesting. It shows exact times
(``<time datetime>``), exact scores (``title`` of ``span.score.unvoted``), the edit
time, the submitter mark; "load more comments" stubs carry their id but not the ids
they hide.

The redesign (a React page) shows each comment as ``div.Comment.t1_ID`` with a
"level N" label and nothing structural: the tree comes from the levels in page
order. It shows no exact time ("4 yr. ago"), no exact score ("11.0k"), no edit time,
no author of a deleted comment, and its "N more replies" / "Continue this thread"
buttons name no ids: what it cannot give is said in docs/reddit.md.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from archive.models import Comment, Listing, ListingEntry, Story, Thread
from scraper.parsers import ages, bodies
from scraper.parsers.errors import ParseError, parser_entry
from scraper.parsers.parents import UNKNOWN, Row, place
from scraper.parsers.reddit.errors import SITE, check_text
from scraper.parsers.reddit.gone import body_state
from scraper.parsers.reddit.listing import listing_name
from scraper.parsers.reddit.things import (
    GONE_AUTHOR,
    epoch,
    unprefixed,
)
from scraper.parsers.values import number, signed

_THING = "contains(concat(' ', normalize-space(@class), ' '), ' thing ')"
_LEVEL = re.compile(r"level\s+(\d+)")
_NEW_ID = re.compile(r"\bt1_([0-9a-z]+)\b")
_POST_ID = re.compile(r"\bt3_([0-9a-z]+)\b")
_INT = re.compile(r"-?\d+")


# check_text's case-blind scans of a page's first 64 KiB (the throttle and block pages)
# each look for a phrase holding one of these words, none of whose letters has another
# case that str.lower() leaves apart (as U+0131 and U+017F are from "i" and "s"):
# where lower() of the window holds none, those scans find nothing.
_ERROR_WORDS = ("pardner", "network", "developer token")


def _check_listing(text: str, url: str) -> None:
    """``check_text`` of a listing page, its three case-blind regex scans (~3/4 of the
    cost of old-listing-r-programming-2016's check, issue 14) replaced by one lower()
    and three substring tests where that says they would find nothing. Its other
    tests cannot raise on such a page: it is not blank, is over 2 KiB, not JSON."""
    if len(text) >= 2048 and not text.isspace() and \
            text[:4096].lstrip()[:1] not in ("{", "["):
        window = text[:65536].lower()
        if not any(w in window for w in _ERROR_WORDS):
            return
    check_text(text, url=url)


def _doc(text: str, url: str, *, checked: bool = False) -> Any:
    if not checked:
        check_text(text, url=url)
    try:
        # As UTF-8 bytes, libxml2's own encoding (see whole.parse_html): a str with any
        # character past Latin-1 reaches it as UCS-2/4 and is converted first.
        return lxml_html.fromstring(text.encode("utf-8"),
                                    parser=lxml_html.HTMLParser(encoding="utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: lxml's own reading of the str
        return lxml_html.fromstring(text)
    except (etree.ParserError, ValueError) as e:
        raise ParseError(SITE, url, f"not an HTML page ({e})") from None


def _classes(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


def _iso(el: Any) -> tuple[datetime | None, str | None]:
    raw = el.get("datetime") if el is not None else None
    if not raw:
        return None, None
    try:
        return ages.as_utc(datetime.fromisoformat(raw)), raw
    except ValueError:
        return None, raw


def _inner(el: Any) -> str:
    return etree.tostring(el, encoding="unicode", method="html", with_tail=False)


def _number(raw: str | None) -> int | None:
    m = _INT.search(raw or "")
    return signed(m.group()) if m else None


# -- old reddit ------------------------------------------------------------------------


def _old_story(doc: Any, url: str) -> Story:
    found = doc.xpath(f"//div[{_THING} and @data-type='link']")
    if not found:
        raise ParseError(SITE, url, "no post (div.thing[data-type=link]) on the page")
    post = found[0]
    sid = unprefixed(post.get("data-fullname")) or ""
    title = _ROW_TITLE(post)
    score = _ROW_SCORE(post)
    link = post.get("data-url") or None
    if link and link.startswith("/"):
        link = None  # a self post links to itself
    stamp = number(post.get("data-timestamp"))
    created_at, created_raw = epoch(stamp / 1000) if stamp is not None \
        else _iso(post.find(".//time"))
    body = post.xpath(".//div[contains(@class, 'expando')]//div[@class='md']")
    text_html = _inner(body[0]) if body else None
    author = post.get("data-author")
    return Story(
        site=SITE, id=sid, title=title[0].text_content().strip() if title else None,
        url=link, domain=post.get("data-domain") if link else None,
        author=None if author in (None, GONE_AUTHOR) else author,
        score=_number(post.get("data-score") or (score[0].get("title") if score else None)),
        comment_count=_number(post.get("data-comments-count")),
        created_at=created_at, created_at_raw=created_raw, text_html=text_html,
        text=bodies.text(text_html) or None if text_html else None,
        extra={k: v for k, v in (("subreddit", post.get("data-subreddit")),
                                  ("permalink", post.get("data-permalink"))) if v} or None)


# Compiled once, as the listing's below: ``el.xpath(...)`` compiles its expression at
# each call, six a comment here.
_COMMENTS = etree.XPath(f"//div[{_THING} and @data-type='comment']")
_STUBS = etree.XPath(f"//div[{_THING} and @data-type='morechildren']")
_ABOVE = etree.XPath(f"ancestor::div[{_THING} and @data-type='comment'][1]")
_TAGLINE = etree.XPath("./p[contains(@class, 'tagline')]")
_BODY = etree.XPath(".//div[contains(@class, 'usertext-body')]/div[@class='md']")
_SCORE = etree.XPath("./span[contains(@class, 'score') and contains(@class, 'unvoted')]")
_EDITED = etree.XPath("./time[contains(@class, 'edited-timestamp')]")
_AUTHOR = etree.XPath("./a[contains(@class, 'author')]")


@parser_entry(SITE)
def parse_old_comments(text: str, *, url: str, fetched_at: datetime,
                       source: str = "html") -> Thread:
    """An old.reddit comment page: the post and every comment it shows, in place."""
    doc = _doc(text, url)
    story = _old_story(doc, url)
    things = _COMMENTS(doc)
    rows, made = [], []
    for el in things:
        cid = unprefixed(el.get("data-fullname"))
        if not cid:
            raise ParseError(SITE, url, "a comment without data-fullname")
        above = _ABOVE(el)
        rows.append(Row(id=cid, parent=unprefixed(above[0].get("data-fullname"))
                        if above else None, depth=None))
        made.append(_old_comment(el))
    places = place(rows, site=SITE, url=url)
    shown = iter(bodies.texts([m["text_html"] for m in made if m["text_html"]]))
    comments = []
    for m, row, where in zip(made, rows, places, strict=True):
        shown_text = next(shown) if m["text_html"] else None
        comments.append(Comment(
            site=SITE, id=row.id, story_id=story.id, parent_id=where.parent_id,
            depth=where.depth, position=where.position, text=shown_text or None, **m))
    stubs = len(_STUBS(doc))
    if not comments and not stubs and story.comment_count:
        raise ParseError(SITE, url, f"the post says {story.comment_count} comments but "
                                    "the page shows none")
    extra = {**(story.extra or {}), "sort": "confidence", "unexpanded_stubs": stubs}
    return Thread(story=Story(**{**_fields(story), "extra": extra}), comments=tuple(comments),
                  fetched_at=fetched_at, source=source)


def _fields(story: Story) -> dict[str, Any]:
    return {f: getattr(story, f) for f in Story.__dataclass_fields__}


def _old_comment(el: Any) -> dict[str, Any]:
    entry = el.find("./div[@class]")
    entry = next((c for c in el if "entry" in _classes(c)), entry)
    tagline = _TAGLINE(entry) if entry is not None else []
    line = tagline[0] if tagline else el
    body = _BODY(entry) if entry is not None else []
    body_html = _inner(body[0]) if body else None
    plain = body[0].text_content().strip() if body else None
    author = el.get("data-author")
    score = _SCORE(line)
    created_at, created_raw = _iso(line.find("./time[@class='live-timestamp']"))
    edited = _EDITED(line)
    edited_at, edited_raw = _iso(edited[0]) if edited else (None, None)
    deleted, removed = body_state(plain)
    extra: dict[str, Any] = {"collapsed": "collapsed" in _classes(el)}
    if author in (None, GONE_AUTHOR):
        extra["author"] = GONE_AUTHOR
    if "collapsed-for-reason" in _classes(el):
        extra["collapsed_reason"] = "collapsed for a reason the page gives"
    if "controversial" in _classes(el):
        extra["controversiality"] = 1
    if deleted or removed:
        extra["gone_text"] = plain
    author_link = _AUTHOR(line)
    return {
        "author": None if author in (None, GONE_AUTHOR) else author,
        "created_at": created_at, "created_at_raw": created_raw,
        "text_html": None if deleted or removed else body_html,
        "deleted": deleted or "deleted" in _classes(el), "removed": removed,
        "score": _number(score[0].get("title")) if score else None,
        "edited": bool(edited), "edited_at": edited_at, "edited_at_raw": edited_raw,
        "by_submitter": bool(author_link and "submitter" in _classes(author_link[0])),
        "extra": extra,
    }


# Compiled once: ``el.xpath(...)`` compiles its expression at each call, and the three
# a row asks were half of a listing's own reading (issue 14).
_LISTING_ROWS = etree.XPath(f"//div[@id='siteTable']/div[{_THING} and @data-type='link']")
_ROW_TITLE = etree.XPath(".//a[contains(@class, 'title')]")
_ROW_SCORE = etree.XPath(".//div[contains(@class, 'score') and contains(@class, 'unvoted')]")
_ROW_COUNT = etree.XPath(".//a[contains(@class, 'comments')]")
_NEXT = etree.XPath("//span[@class='next-button']/a/@href")


@parser_entry(SITE)
def parse_old_listing(text: str, *, url: str, fetched_at: datetime,
                      source: str = "html") -> Listing:
    """An old.reddit listing page: its posts with their ranks, the "next" link."""
    _check_listing(text, url)
    doc = _doc(text, url, checked=True)
    entries: list[ListingEntry] = []
    for el in _LISTING_ROWS(doc):
        sid = unprefixed(el.get("data-fullname"))
        if not sid:
            raise ParseError(SITE, url, "a listing row without data-fullname")
        rank = _number(el.get("data-rank")) or len(entries) + 1
        title = _ROW_TITLE(el)
        link = el.get("data-url") or None
        score = _ROW_SCORE(el)
        count = _ROW_COUNT(el)
        stamp = number(el.get("data-timestamp"))
        created_at, created_raw = epoch(stamp / 1000) if stamp is not None else (None, None)
        entries.append(ListingEntry(
            site=SITE, story_id=sid, rank=rank,
            title=title[0].text_content().strip() if title else None,
            url=None if not link or link.startswith("/") else link,
            domain=el.get("data-domain") if link and not link.startswith("/") else None,
            author=el.get("data-author"),
            score=_number(el.get("data-score") or (score[0].text_content() if score else None)),
            comment_count=_number(el.get("data-comments-count") or (
                count[0].text_content() if count else None)) or 0,
            created_at=created_at, created_at_raw=created_raw))
    if not entries:
        raise ParseError(SITE, url, "no posts (div.thing[data-type=link]) in #siteTable")
    after = _NEXT(doc)
    first = entries[0].rank
    return Listing(site=SITE, name=listing_name(url), page=(first - 1) // 25 + 1, url=url,
                   fetched_at=fetched_at, entries=tuple(entries),
                   next_url=str(after[0]) if after else None, source=source)


# -- the redesign ----------------------------------------------------------------------


# Compiled once, as the old page's (five a comment).
_NEW_LEVEL = etree.XPath(".//span[starts-with(normalize-space(.), 'level ')]")
_NEW_HEADER = etree.XPath(".//*[starts-with(@data-testid, 'post-comment-header')]")
_NEW_AUTHOR = etree.XPath(".//a[@data-testid='comment_author_link']")
_NEW_BODY = etree.XPath(".//div[@data-testid='comment']")
_NEW_AGE = etree.XPath(".//a[@data-testid='comment_timestamp']")
_NEW_FOLDED = etree.XPath(".//i[contains(@class, 'icon-expand')]")


@parser_entry(SITE)
def parse_new_comments(text: str, *, url: str, fetched_at: datetime,
                       source: str = "html") -> Thread:
    """A redesign comment page: the comments it shows, placed by their "level N"."""
    doc = _doc(text, url)
    title = doc.xpath("//h1")
    holder = doc.xpath("//*[@data-test-id='post-content' or @data-testid='post-container']"
                       "//*[contains(@class, 't3_')]") or doc.xpath(
        "//*[contains(@class, ' t3_')]")
    sid = next((m.group(1) for el in holder if (m := _POST_ID.search(el.get("class") or ""))),
               None)
    if sid is None:
        raise ParseError(SITE, url, "no post id (class t3_ID) on the page")
    rows, made = [], []
    for el in doc.xpath("//div[contains(concat(' ', @class, ' '), ' Comment ')]"):
        m = _NEW_ID.search(el.get("class") or "")
        if m is None:
            continue
        level = _NEW_LEVEL(el)
        label = _LEVEL.search(level[0].text_content()) if level else None
        depth = int(label.group(1)) - 1 if label else None
        rows.append(Row(id=m.group(1), parent=UNKNOWN, depth=depth))
        made.append(_new_comment(el))
    places = place(rows, site=SITE, url=url)
    shown = iter(bodies.texts([m["text_html"] for m in made if m["text_html"]]))
    comments = tuple(
        Comment(site=SITE, id=row.id, story_id=sid, parent_id=where.parent_id,
                depth=where.depth, position=where.position,
                text=(next(shown) or None) if m["text_html"] else None, **m)
        for m, row, where in zip(made, rows, places, strict=True))
    story = Story(site=SITE, id=sid,
                  title=" ".join(title[0].text_content().split()) if title else None,
                  extra={"sort": "confidence", "page": "redesign"})
    return Thread(story=story, comments=comments, fetched_at=fetched_at, source=source)


def _new_comment(el: Any) -> dict[str, Any]:
    header = _NEW_HEADER(el)
    gone = header[0].get("data-testid", "").endswith("-deleted") if header else False
    note = el.text_content()
    removed = gone and "Comment removed" in note
    deleted = gone and not removed
    author = _NEW_AUTHOR(el)
    body = _NEW_BODY(el)
    age = _NEW_AGE(el)
    extra: dict[str, Any] = {}
    if not author and header and GONE_AUTHOR in header[0].text_content():
        extra["author"] = GONE_AUTHOR
    if not body and not gone and _NEW_FOLDED(el):
        extra["collapsed"] = True  # shown folded: the page holds no body for it
    if age:
        extra["age_shown"] = age[0].text_content().strip()  # "4 yr. ago": no exact time
    if gone:
        extra["gone_text"] = "Comment removed by moderator" if removed \
            else "Comment deleted by user"
    return {
        "author": author[0].text_content().strip() if author else None,
        "text_html": _inner(body[0]) if body and not gone else None,
        "deleted": deleted, "removed": removed, "extra": extra or None,
    }
