"""HN listing rows of 2010-15 read from the served HTML, where a row is spelled exactly
as HN spelled it.

``listing_rows.read_row`` walks lxml's elements of a row: the title row's cells, links
and spans, the subtext's, their texts one call each. On a listing of 2010-15 that walk
was about two thirds of the parse (issue 14). A row in that markup is nearly fixed
text: here one regex made mostly of that literal text matches the row from its title
``<tr>`` to the subtext row's ``</tr>``, and the entry's fields are its groups, handed
to the same functions the walk hands its texts to (``item_id_of``, ``join_url``,
``ages.parse_age``, ``story_kind``). The regex takes no markup but HN's: an attribute,
a tag, a space out of place, a job row (no points, no submitter), a dead row, and the
row is read by the walk instead. Titles and links carry character references; only the
few whose decoding is libxml2's for certain are taken (``_decoded``), any other row is
walked. tests/test_served_listing.py holds this reading to the walk's on the corpus and
on random and hostile rows.

As in ``served_rows``, a row's bytes say what lxml makes of them only if lxml reaches
the row in the state it reached the rows before in, so a row is taken from the bytes
where the row before it was and the spacer between them is HN's; any other row is read
by both, and the bytes trusted from there on only if the two agree. The last row of
each such run is read by both too: where they differ, the bytes' rows were not lxml's
rows (the subtexts of the bytes and of the tree paired wrongly), and the page is walked.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from lxml import etree

from archive.models import ListingEntry
from scraper.parsers import ages
from scraper.parsers.entries import new_entry
from scraper.parsers.errors import ParseError
from scraper.parsers.hn.listing_rows import fold, read_row
from scraper.parsers.hn.story import _prev_row, hn_path, item_id_of, story_kind
from scraper.parsers.values import join_url

SITE = "hn"

_B = r"[ \t\n]"  # blanks; no \r (libxml2 folds a CR LF before it counts)
_ID = r"[0-9]{1,18}"  # values.is_id's and values.number's digits
_NAME = r"[A-Za-z0-9_-]{1,32}"
_AGE = r"[0-9]{1,9} (?:minute|hour|day|month|year)s? ago"
# Characters taken in a title or a link as they stand: no markup, no controls (which
# libxml2 may replace or drop), no CR, no non-characters; in a link no blank or quote.
_PLAIN = r"<>&\x00-\x08\x0b-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff"
# The references taken, decoded by ``_decoded``. A bare "&" where no reference can
# start: in a title, before one letter or digit at most and then no ";" ("Q&A for"; no
# name of a reference is one letter long); in a link, before a name and "=" ("&dir=up",
# 2010-14: in an attribute no reference is read there).
_REF = r"&(?:amp|lt|gt|quot|nbsp|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});"
_TITLE = rf"(?:[^{_PLAIN}]++|{_REF}|&(?=[A-Za-z0-9]?[^A-Za-z0-9;#&]))*+"
_HREF = rf"(?:[^{_PLAIN}\" \t\n]++|{_REF}|&(?=[A-Za-z0-9]+=))*+"
_ROW = (
    # The title row: the rank (in span.rank from 2015), the vote arrow (an image until
    # 2014, with the hidden down arrow's span), the title link and its site.
    rf"<tr(?: class='athing')?>{_B}*"
    rf"<td align=(?:right|\"right\") valign=(?:top|\"top\") class=\"title\">"
    rf"(?:(?P<r1>{_ID})\.|<span class=\"rank\">(?P<r2>{_ID})\.</span>)</td>{_B}*"
    rf"<td><center>(?:<a id=(?:up_(?P<u1>{_ID})|\"up_(?P<u2>{_ID})\")"
    rf"(?: onclick=\"return vote\(this\)\")? href=\"vote\?[^\"<>]*\">"
    rf"(?:<img src=\"[^\"<>]*\" border=0 vspace=3 hspace=2>"
    rf"|<div class=\"votearrow\" title=\"upvote\"></div>)</a>"
    rf"(?:<span id=down_[0-9]+></span>)?)?</center></td>"
    rf"<td class=\"title\">(?:<span class=\"deadmark\"></span>)?"
    rf"<a href=\"(?P<href>{_HREF})\"(?: rel=\"nofollow\")?>(?P<title>{_TITLE})</a>"
    rf"(?:<span class=\"(?:sitebit )?comhead\"> \((?P<site>[a-zA-Z0-9.-]{{1,200}})\) ?</span>)?"
    rf"</td></tr>{_B}*"
    # The subtext row: points, submitter, age (a link from 2015), flag, comments.
    rf"<tr><td colspan=(?:2|\"2\")></td>(?P<sub><td class=\"subtext\">{_B}*"
    rf"<span (?:class=\"score\" )?id=(?:score_(?P<s1>{_ID})|\"score_(?P<s2>{_ID})\")>"
    rf"(?P<points>{_ID}) points?</span> by <a href=\"user\?id={_NAME}\">"
    rf"(?:(?P<n1>{_NAME})|<font color=#[0-9a-fA-F]{{6}}>(?P<n2>{_NAME})</font>)</a> "
    rf"(?:(?P<a1>{_AGE})|<a href=\"item\?id={_ID}\">(?P<a2>{_AGE})</a>){_B}*\|"
    rf"(?: <a href=\"flag\?[^\"<>]*\">(?:flag|unflag)</a>{_B}*\|)?"
    rf" <a href=\"item\?id={_ID}\">(?P<count>{_ID} comments?|discuss)</a>{_B}*</td>)"
    rf"</tr>")
# What lies between two rows: HN's spacer row.
_SPACER = rf"{_B}*<tr(?: class=\"spacer\")? style=\"height:5px\"></tr>{_B}*"
_ALONE = re.compile(_ROW)
_CHAINED = re.compile(_SPACER + _ROW)
_REFS = re.compile(r"&(?:(amp|lt|gt|quot|nbsp)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "nbsp": "\xa0"}
_TRIES = 5  # rows tried on a page before it is taken to be in another markup


def _safe(code: int) -> bool:
    """Whether libxml2 reads ``&#code;`` as the character ``code`` (the C1 range it
    maps to windows-1252, controls, surrogates and non-characters left to it)."""
    return ((0x20 <= code < 0x7F or 0xA0 <= code < 0xD800 or 0xE000 <= code < 0xFDD0
             or 0xFDF0 <= code <= 0x10FFFF) and code & 0xFFFE != 0xFFFE)


def _decoded(text: str) -> str | None:
    """``text`` with its references decoded as libxml2 decodes them, or None where one
    is not taken here."""
    if "&" not in text:
        return text
    out: list[str] = []
    at = 0
    for m in _REFS.finditer(text):
        out.append(text[at:m.start()])
        name, dec, hexa = m.groups()
        if name is not None:
            out.append(_NAMED[name])
        else:
            code = int(dec) if dec is not None else int(hexa, 16)
            if not _safe(code):
                return None
            out.append(chr(code))
        at = m.end()
    out.append(text[at:])
    return "".join(out)


def read_served(html: str, at: int, start: int, *, chained: bool, position: int,
                url: str, fetched_at: datetime) -> tuple[ListingEntry, int] | None:
    """The entry ``listing_rows.read_row`` gives the row whose subtext cell opens at
    ``start``, and where the row ends, as the row's bytes spell them; None where they
    are not spelled as this reads. ``at``: where the previous row ends (``chained``) or
    where this row's title row opens."""
    m = (_CHAINED if chained else _ALONE).match(html, at)
    if m is None or m.start("sub") != start:
        return None
    title, href = _decoded(m["title"]), _decoded(m["href"])
    if title is None or href is None or hn_path(href).startswith(("vote?", "from?")):
        return None
    title = fold(title)
    self_id = item_id_of(href)
    try:
        story_url = None if self_id or not href else join_url(
            url, href, site=SITE, what=f"row {position + 1}'s title link")
    except ParseError:
        return None  # the walk says it
    domain = m["site"]
    if story_url is None:
        domain = None
    elif domain is None:
        domain = (urlsplit(story_url).hostname or "").removeprefix("www.") or None
    author = m["n1"] or m["n2"]
    score = int(m["points"])
    count = m["count"]
    comments = 0 if count == "discuss" else int(count.split(" ", 1)[0])
    # The walk finds the first age in the subtext's whole text: the age, here, as no
    # blank comes before it but in "N points by NAME ", where no age fits.
    created_at, created_raw = ages.parse_age(None, m["a1"] or m["a2"], fetched_at)
    story_id = m["u1"] or m["u2"] or m["s1"] or m["s2"]
    rank = int(m["r1"] or m["r2"])
    return new_entry(SITE, story_id, rank, title or None, story_url, domain, author, score,
                     comments, created_at, created_raw, story_kind(title, author, score)
                     ), m.end()


def _title_start(html: str, start: int) -> int:
    """Where the title row of the subtext cell opening at ``start`` opens, if the two
    rows are spelled as HN spelled them (else a place ``_ALONE`` does not match)."""
    own = html.rfind("<tr", 0, start)
    return html.rfind("<tr", 0, own) if own > 0 else -1


def read_rows(html: str, subtexts: list[etree._Element], starts: list[int], offset: int,
              *, url: str, fetched_at: datetime) -> tuple[ListingEntry, ...]:
    """Every row's entry: from the served HTML where the row is spelled as HN spelled it
    (see the module's doc), else by lxml's walk. ``starts``: where each subtext cell
    opens in ``html``, in page order."""
    def walk(n: int) -> ListingEntry:
        s = subtexts[n]
        row = s.getparent()
        return read_row(s, _prev_row(row) if row is not None else None, n, offset, url=url,
                        fetched_at=fetched_at)

    if len(starts) != len(subtexts):
        return tuple(walk(n) for n in range(len(subtexts)))
    out: list[ListingEntry] = []
    after = -1  # where the previous row, read from the bytes, ends; -1: it was walked
    run = False  # whether the previous row was taken from the bytes unchecked
    tried = True
    read = 0
    for n, start in enumerate(starts):
        served = None
        if tried:
            at = after if after >= 0 else _title_start(html, start)
            if at >= 0:
                served = read_served(html, at, start, chained=after >= 0, position=n,
                                     url=url, fetched_at=fetched_at)
            read += served is not None
            # A page in later markup (2016-) has no row this reads: stop asking.
            tried = bool(read) or n + 1 < _TRIES
        if served is not None and after >= 0:
            out.append(served[0])
            after, run = served[1], True
            continue
        if run and walk(n - 1) != out[-1]:
            return tuple(walk(k) for k in range(len(subtexts)))
        walked = walk(n)
        out.append(walked)
        after = served[1] if served is not None and served[0] == walked else -1
        run = False
    if run and walk(len(out) - 1) != out[-1]:
        return tuple(walk(k) for k in range(len(subtexts)))
    return tuple(out)
