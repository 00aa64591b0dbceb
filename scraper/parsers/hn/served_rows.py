"""HN comment rows of 2010-16 read from the served HTML, where a row is spelled exactly
as HN spelled it.

``item_rows.read_comment`` walks lxml's elements of a row: the cell, the indent, the
comhead's links and spans, the body's wrapper. That walk is ~9 us a row, most of it in
making element proxies and reading their attributes one call each (issue 14: the rows
were the largest share of an old item page's parse after lxml's own). A row in the
markup HN served from 2010 to 2016 is nearly fixed text: here one regex made mostly of
that literal text matches the row's own slice of the page, from its outer ``<tr>`` to
its body container (which ``text.container_starts`` finds), and the row's fields are its
groups. The regex takes no markup but HN's: an attribute, a tag, a space out of place
and the row is read by lxml's walk instead (``None`` here), so an odd row costs what it
did before and reads the same; the names and ages it takes are plain enough that what
the walk would make of them (the author's text, the age found in the head's text) is
the group itself. tests/test_served_rows.py holds this reading to the walk's on the
corpus and on random and hostile rows.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lxml import etree

from scraper.parsers import ages
from scraper.parsers.hn.item_rows import read_comment
from scraper.parsers.hn.text import (
    BODY_ENDS,
    RawBodies,
    served_cut,
    served_trim,
)

SITE = "hn"

_B = r"[ \t\n\r]"  # libxml2's blanks (Python's \s takes more, which libxml2 reads as text)
_NAME = r"[A-Za-z0-9_-]{1,32}"
_HEX = r"(?:\"\#[0-9a-fA-F]{6}\"|\#[0-9a-fA-F]{6})"
# A relative age, all of the head's text that the walk's age search could match.
_AGE = r"[0-9]{1,9} (?:minute|hour|day|month|year)s? ago"
_ID = r"[0-9]{1,18}"
# Attributes as libxml2 reads them here: a quoted value holds no "<" or ">" (an open
# quote would carry the markup after it into the value).
_ATTRS = rf"(?:{_B}+[a-z]+=(?:\"[^\"<>]*\"|'[^'<>]*'|[^ \t\n\r\"'<>=`]+))*{_B}*"
# The vote cell is not read, but held to HN's few spellings of it: the arrow (an image
# before 2014), with the hidden down arrow's span until 2015, or a spacer. Between the
# vote link's attributes, and in the comhead's tag, any blanks: HN broke its long lines
# there (a logged-in page's vote link, its auth token in the href: item-5002483), which
# libxml2 reads as the one space.
_VOTE = (r"(?:<center>(?:<a id=(?:up_[0-9]+|\"up_[0-9]+\")"
         rf"(?:{_B}+onclick=\"return vote\(this\)\")?{_B}+href=\"vote\?[^\"<>]*\">"
         r"(?:<img src=\"[^\"<>]*\" border=0 vspace=3 hspace=2>"
         r"|<div class=\"votearrow\" title=\"upvote\"></div>)</a>(?:<span id=down_[0-9]+></span>)?"
         r"|<img src=\"s\.gif\" height=\"[0-9]+\" width=\"[0-9]+\">)</center>)?")
_ROW = (
    # The outer row (2015-16: class 'athing', no id) and the indent's spacer.
    rf"<tr(?: class='athing')?><td><table border=(?:0|\"0\")>(?:  )?<tr>"
    rf"<td(?: class='ind')?><img src=\"(?P<src>[^\"<>&]*)\" height=(?:1|\"1\") "
    rf"width=(?:(?P<w1>[0-9]{{1,6}})|\"(?P<w2>[0-9]{{1,6}})\")></td>"
    rf"<td valign=(?:top|\"top\")(?: class=\"votelinks\")?>"
    rf"{_VOTE}</td><td class=\"default\"><div style=\"margin-top:2px; margin-bottom:-10px;"
    rf" ?\"><span{_B}+class=\"comhead\">{_B}*"
    # The author, in <font> for a new account.
    rf"<a href=\"user\?id={_NAME}\">(?:(?P<n1>{_NAME})|<font color={_HEX}>(?P<n2>{_NAME})"
    rf"</font>)</a> "
    # 2010-14: "3 days ago  | link"; 2015-16: the age is the link, in a span.age (no
    # title) from 2016.
    rf"(?:(?P<a1>{_AGE})  \| <a href=\"item\?id=(?P<i1>{_ID})\">link</a>"
    rf"|(?:<a href=\"item\?id=(?P<i2>{_ID})\">(?P<a2>{_AGE})</a>|<span class=\"age\">"
    rf"<a href=\"item\?id=(?P<i3>{_ID})\">(?P<a3>{_AGE})</a></span>)"
    rf" (?:<span class=\"par\"></span>)?"
    rf"<span class=\"deadmark\"></span>(?:{_B}*<span class='storyon'></span>)?{_B}*)"
    rf"</span></div><br>{_B}*")
# A row's close, from the tag that ends its body to the next row, in tags HN writes
# there: matched with the next row (``_CHAINED``), it lets that row be read from the
# bytes too (see ``read_rows``).
# Its tags one by one cost ~8 ns a character (the alternation and the attributes tried at
# each), so HN's own two closes of a 2010-15 body (the reply link, or the logged-out
# spacer) are tried first as their text: ~3x quicker. Each is a run of the loop's own
# tokens, its text runs whole, so the loop goes on from its end as it would have: the
# same matches (tests/test_hn_tail.py).
_USUAL_CLOSE = (r"""(?:</font></span><p><font size=(?:1|"1")>(?:<u><a href="reply\?[^"<>]*">"""
                r"""reply</a></u>|<font color=\#f6f6ef>-----</font>)</font>)?+""")
_TAIL_LOOP = rf"(?:[^<]++|</?(?:font|span|p|u|a|div|br){_ATTRS}>)*+"
_TAIL_END = rf"</td>{_B}*</tr>{_B}*</table>{_B}*</td>{_B}*</tr>{_B}*"
_TAIL = _USUAL_CLOSE + _TAIL_LOOP + _TAIL_END
_ALONE = re.compile(_ROW)
_TRIES = 5  # rows tried on a page before it is taken to be in another markup
_CHAINED = re.compile(_TAIL + _ROW)
# The body's wrapper as the walk finds it (``text.is_wrapper``), the container's first
# child: span.cXX (2015-16) or font color=#rrggbb alone.
_WRAPPER = re.compile(
    rf"{_B}*<(?:span class=\"(?P<cls>c[0-9a-fA-F]{{2}})\"|font color=(?P<hex>{_HEX}))>")
# A body in a user's tags, with no attribute but a quoted link, up to the tag that ends
# it (as ``text.served_cut`` finds it: the first tag a user cannot write).
_PLAIN_BODY = re.compile(
    r"(?:[^<]++|<(?:/?(?:p|i|pre|code|a)|a href=\"[^\"<>]*\"(?: rel=\"nofollow\")?)>)*+"
    r"(?=<(?:/span|/font|/div|span|div)(?![a-zA-Z0-9]))")


# One row read from the bytes: its fields; whether the row before it was read from the
# bytes and led into it (``_CHAINED``); where its body ends if the body is plain (the
# next row may then be chained to it), else -1.
Served = tuple[dict[str, Any], bool, int]
Seen = dict[str, tuple[datetime | None, str | None]]

# A chained row with its container's tag, wrapper and plain body: the three matches
# ``read_served_apart`` makes of such a row (~80% of its ~7 us), in one. The same
# patterns in the same order, so where the tag is the container's (it ends where
# ``container_starts`` says) the groups are those the three matches find.
# Its two long hrefs (the vote link's, ~140 characters on a logged-in page with its auth
# token, and the reply link's) are taken to their quote by ``[^"]*+``, one character
# tested against one (sre's own loop: ~2x quicker than the class ``[^"<>]``), and held
# free of "<" and ">" after the match (``_hrefs_plain``). Up to its quote a href spelt
# so is the span the class takes, so where neither holds "<" or ">" the match is the
# class's; else the row is read apart (tests/test_hn_fast_hrefs.py).
_VOTE_HREF = (r"href=\"vote\?[^\"<>]*\">", r"href=\"vote\?(?P<vote>[^\"]*+)\">")
_REPLY_HREF = (r"""href="reply\?[^"<>]*">""", r"""href="reply\?(?P<reply>[^"]*+)">""")


def _quick_hrefs(pattern: str) -> str:
    for slow, quick in (_VOTE_HREF, _REPLY_HREF):
        if pattern.count(slow) != 1:
            raise AssertionError(f"{slow!r} is not once in the row's pattern")
        pattern = pattern.replace(slow, quick)
    return pattern


_CHAINED_BODY = re.compile(_quick_hrefs(
    _TAIL + _ROW + r"(?P<tag><(?:span|div) class=\"comment\">)" + _WRAPPER.pattern
    + rf"(?P<body>{_PLAIN_BODY.pattern})"))


def _hrefs_plain(reply: str | None, vote: str | None) -> bool:
    """Whether the hrefs ``_CHAINED_BODY`` took hold no "<" or ">" (None: not there)."""
    return (reply is None or ("<" not in reply and ">" not in reply)) and (
        vote is None or ("<" not in vote and ">" not in vote))


def read_served(html: str, lo: int, start: int, *, after: int = -1, fetched_at: datetime,
                seen: Seen | None = None) -> Served | None:
    """The fields ``item_rows.read_comment`` gives the row whose container tag ends at
    ``start`` (the previous row's container ending at ``lo``, its plain body at
    ``after``), as the row's bytes spell them, or None where the row is not spelled as
    this reads. ``seen``: the ages of the page's rows read so far."""
    if after >= 0:
        m = _CHAINED_BODY.match(html, after)
        if m is not None and m.end("tag") == start:
            (reply, src, w1, w2, vote, n1, n2, a1, i1, i2, a2, i3, a3, _, cls, shown,
             body) = m.groups()
            width = int(w1 or w2)
            if not width % 40 and src.endswith("s.gif") and _hrefs_plain(reply, vote):
                return _fields(width, n1 or n2, a1 or a2 or a3, i1 or i2 or i3,
                               served_trim(body), cls, shown, fetched_at, seen), True, m.end()
    # Any other row (or one the walk must say what is wrong with) is read in pieces.
    return read_served_apart(html, lo, start, after=after, fetched_at=fetched_at, seen=seen)


def read_served_apart(html: str, lo: int, start: int, *, after: int = -1,
                      fetched_at: datetime, seen: Seen | None = None) -> Served | None:
    """``read_served``, the row, its wrapper and its body matched one by one: the
    reference the one-match reading of a chained row is held to."""
    tag_at = html.rfind("<", lo, start)
    m = _CHAINED.fullmatch(html, after, tag_at) if after >= 0 else None
    chained = m is not None
    if m is None:
        inner = html.rfind("<tr", lo, tag_at)
        outer = html.rfind("<tr", lo, inner) if inner > 0 else -1
        if outer < 0:
            return None
        m = _ALONE.fullmatch(html, outer, tag_at)
        if m is None:
            return None
    src, w1, w2, n1, n2, a1, a2, a3, i1, i2, i3 = m.group(
        "src", "w1", "w2", "n1", "n2", "a1", "a2", "a3", "i1", "i2", "i3")
    width = int(w1 or w2)
    if width % 40 or not src.endswith("s.gif"):
        return None  # the walk says what is wrong
    w = _WRAPPER.match(html, start)
    if w is None:
        return None  # bare text (a marker) or another wrapper: the walk reads it
    begin = w.end()
    plain = _PLAIN_BODY.match(html, begin)
    if plain is not None:
        end = plain.end()
        text_html = served_trim(html[begin:end])
    else:
        cut = served_cut(html, begin)
        if cut is None or cut[1] not in BODY_ENDS:
            return None
        text_html, end = cut[0], -1
    cls, shown = w.group("cls", "hex")
    return _fields(width, n1 or n2, a1 or a2 or a3, i1 or i2 or i3, text_html, cls, shown,
                   fetched_at, seen), chained, end


def _fields(width: int, author: str, age: str, item_id: str, text_html: str,
            cls: str | None, shown: str | None, fetched_at: datetime,
            seen: Seen | None) -> dict[str, Any]:
    colour = None
    if text_html:
        # ``text.colour_code`` of what ``_WRAPPER`` takes: a class of one cXX, or a
        # quoted or bare #rrggbb, whose grey is its first two digits.
        colour = cls.lower() if cls is not None else (
            "c" + shown.strip('"')[1:3].lower())  # type: ignore[union-attr]
    known = seen.get(age) if seen is not None else None
    if known is None:  # ages.parse_age is pure: a page repeats its few hundred ages
        known = ages.parse_age(None, age, fetched_at)
        if seen is not None:
            seen[age] = known
    return {
        "site": SITE, "id": item_id, "depth": width // 40, "author": author,
        "created_at": known[0], "created_at_raw": known[1], "text_html": text_html or None,
        "dead": False, "flagged": False, "deleted": False, "colour": colour,
    }


class RowReader:
    """``item_rows.read_comment``'s stand-in for the rows of one page, called on each row
    in page order (by ``read_rows``, or by ``stream`` as it parses): the row from the
    served HTML where it may be, else by lxml's walk.

    A row's bytes say what lxml makes of them only if lxml reaches the row in the state
    it reached the rows before in: markup before it (an open quote, a stray table) can
    carry its tags elsewhere in the tree. So a row is taken from the bytes where the row
    before it was, that row's body is plain and its close leads into this row (which
    leaves lxml where that row found it); any other row (the first, one after a row the
    walk read) is read by both, and the bytes trusted from there on only if the two
    agree. ``raw`` must have matched the containers to their offsets."""

    def __init__(self) -> None:
        self.lo = 0  # where the previous row's container ends
        self.after = -1  # where the plain body of the row before ends; -1: none
        self.seen: dict[str, tuple[datetime | None, str | None]] = {}
        self.tried = True

    def __call__(self, container: etree._Element, n: int, raw: RawBodies, *, url: str,
                 fetched_at: datetime) -> dict[str, Any]:
        assert raw.starts is not None
        start = raw.starts[n]
        served = None
        if self.tried:
            served = read_served(raw.html, self.lo, start, after=self.after,
                                 fetched_at=fetched_at, seen=self.seen)
            # A page in later markup (2017-) has no row this reads: stop asking.
            self.tried = served is not None or n + 1 < _TRIES or bool(self.seen)
        self.lo = start
        if served is not None and served[1]:
            self.after = served[2]
            return served[0]
        walked = read_comment(container, n, raw, url=url, fetched_at=fetched_at)
        self.after = served[2] if served is not None and served[0] == walked else -1
        return walked


def read_rows(containers: list[etree._Element], raw: RawBodies, *, url: str,
              fetched_at: datetime) -> list[dict[str, Any]]:
    """Every row's fields: from the served HTML where ``raw`` has matched the containers
    to their offsets and the row is spelled as HN spelled it (``RowReader``), else by
    lxml's walk."""
    read = RowReader() if raw.starts is not None else read_comment
    return [read(c, n, raw, url=url, fetched_at=fetched_at) for n, c in enumerate(containers)]
