"""Hacker News profile pages (``user?id=NAME``) -> User records. Pure.

Every era lays a profile out as label rows ("user:", "created:", "karma:", "about:")
in one table, so the parser keys on the labels, not on the row order or classes.

One's own profile, saved logged in, is an edit form instead: the "about:" cell holds a
``<textarea name="about">`` with the text in HN's input format, then a "help" link. What
the user wrote is the textarea's text; the rest of that cell is the form's chrome.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from archive.models import User
from scraper.parsers import ages, bodies, whole
from scraper.parsers.errors import (
    NoSuchItem,
    ParseError,
    ThrottledPage,
    TruncatedPage,
    parser_entry,
)
from scraper.parsers.hn.item import SITE, is_throttle_page, looks_complete
from scraper.parsers.hn.text import inner_html
from scraper.parsers.values import number

_LABEL = re.compile(r"^\s*(user|created|karma|about):\s*$")
# A label cell as served: a user cannot write a <td>, so this never matches an "about".
_LABEL_CELL = re.compile(r"<td[^>]*>\s*(?:user|created|karma|about):\s*</td>")
_DAY = re.compile(r"day=([0-9]{4}-[0-9]{2}-[0-9]{2})")


def _created(cell: etree._Element, fetched_at: datetime) -> tuple[datetime | None, str | None]:
    raw = " ".join("".join(cell.itertext()).split()) or None
    # The "created:" link goes to that day's front page: front?day=2006-10-09.
    for a in cell.iter("a"):
        m = _DAY.search(a.get("href") or "")
        if m:
            try:
                return datetime.strptime(m.group(1), "%Y-%m-%d").replace(tzinfo=UTC), raw
            except ValueError:  # an impossible day (9999-99-99): read the text instead
                break
    for fmt in ("%B %d, %Y", "%b %d, %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw or "", fmt).replace(tzinfo=UTC), raw
        except ValueError:
            continue
    # Before the date and its link (~2014) the row said only how long ago: "2202 days ago".
    m = ages.find_age_text(raw or "")
    if m is not None and m["n"] is not None:
        return ages.resolve_age_text(m, fetched_at), raw
    return None, raw


@parser_entry(SITE)
def parse_user(html: str, *, url: str, fetched_at: datetime) -> User:
    """The profile on an HN ``user?id=`` page."""
    if is_throttle_page(html):
        raise ThrottledPage(SITE, url, "the site asks to slow down")
    if html.strip() in ("No such user.", ""):
        if not html.strip():
            raise TruncatedPage(SITE, url, "empty body")
        raise NoSuchItem(SITE, url, "no such user")
    if not looks_complete(html):
        raise TruncatedPage(SITE, url, "the page stops before its end")
    doc, parser = whole.parse_html(html, site=SITE, url=url)
    fields: dict[str, etree._Element] = {}
    labels = 0
    for row in doc.iter("tr"):
        cells = [c for c in row if c.tag == "td"]
        if len(cells) >= 2:
            m = _LABEL.match("".join(cells[0].itertext()))
            if m:
                labels += 1
                fields.setdefault(m.group(1), cells[1])
    # lxml stops early on broken markup and returns the tree so far (see ``whole``).
    declared = [m.start() for m in _LABEL_CELL.finditer(html)]
    whole.check_rows(html, declared, labels, what="profile rows", site=SITE, url=url,
                     parser=parser)
    whole.check_footer(html, whole.footer_start(html),
                       any(s.get("class") == "yclinks" for s in doc.iter("span")),
                       site=SITE, url=url, parser=parser, after=declared[-1] if declared else 0)
    if "user" not in fields:
        raise ParseError(SITE, url, "no 'user:' row: not an HN profile page")
    name = " ".join("".join(fields["user"].itertext()).split())
    wanted = parse_qs(urlsplit(url).query).get("id", [None])[0]
    if wanted and name != wanted:
        raise ParseError(SITE, url, f"page shows user {name!r}, not {wanted!r}")
    created_at, created_raw = _created(fields["created"], ages.as_utc(fetched_at)) \
        if "created" in fields else (None, None)
    karma_text = "".join(fields["karma"].itertext()).replace(",", "").strip() \
        if "karma" in fields else ""
    karma = number(karma_text.removeprefix("-"))
    if karma is not None and karma_text.startswith("-"):
        karma = -karma
    editor = fields["about"].find(".//textarea") if "about" in fields else None
    if editor is not None:
        # The page shows the source text, not rendered HTML: keep the text alone.
        written = (editor.text or "").strip()
        return User(site=SITE, id=name, created_at=created_at, created_at_raw=created_raw,
                    karma=karma, about_html=None, about=written or None)
    about_html = inner_html(fields["about"]) if "about" in fields else ""
    return User(
        site=SITE, id=name, created_at=created_at, created_at_raw=created_raw,
        karma=karma,
        about_html=about_html or None,
        about=(bodies.text(about_html) or None) if about_html else None,
    )
