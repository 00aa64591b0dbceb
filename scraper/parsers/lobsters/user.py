"""Lobsters profiles (``/~NAME``, ``/u/NAME`` before 2021; ``/~NAME.json``) -> User. Pure.

The HTML lays a profile out as label/value pairs (``div.labelled_grid``: a ``<label>``
then its value; ``dl.labelled_grid`` of ``dt``/``dd`` in Lobsters' current code), so the
parser keys on the labels: "Joined" (a time, with who invited them), "Karma", "About";
every other label ("Status", "Homepage", "GitHub", "Stories
Submitted", ...) is kept in ``extra`` as shown. Admins' karma is not shown (nor sent in
the JSON): None.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from lxml import etree

from archive.models import User
from scraper.parsers import bodies
from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters.common import (
    SITE,
    as_int,
    html_doc,
    html_time,
    inner_html,
    load_json,
    page_now,
    text_of,
    user_of_href,
    user_record,
)
from scraper.parsers.lobsters.errors import check_body


def _wanted(url: str, shown: str) -> None:
    wanted = user_of_href(url)
    if wanted is not None and wanted != shown:
        raise ParseError(SITE, url, f"page shows user {shown!r}, not {wanted!r}")


def parse_user_json(text: str, *, url: str, fetched_at: datetime,
                    checked: bool = False) -> User:
    """A ``/~NAME.json`` profile."""
    if not checked:
        check_body(text, url=url)
    obj = load_json(text, url=url)
    user = user_record(obj) if isinstance(obj, Mapping) else None
    if user is None:
        raise ParseError(SITE, url, "no username: not a Lobsters user's JSON")
    _wanted(url, user.id)
    return user


def _pairs(profile: etree._Element) -> dict[str, etree._Element]:
    """Label -> value element: ``<label>`` then its value (-2026-05), ``<dt>`` then its
    ``<dd>`` (later); the first of each name (moderators see more grids below)."""
    found: dict[str, etree._Element] = {}
    for label in profile.iter("label", "dt"):
        value = label.getnext()
        name = text_of(label).rstrip(":").strip()
        if value is not None and name and name not in found:
            found[name] = value
    return found


def parse_user_html(text: str, *, url: str, fetched_at: datetime,
                    checked: bool = False) -> User:
    """A profile page."""
    if not checked:
        check_body(text, url=url)
    doc = html_doc(text, url=url, checked=checked)
    inside = doc.find(".//div[@id='inside']")
    heading = inside.find(".//h1") if inside is not None else None
    if heading is None or not text_of(heading):
        raise ParseError(SITE, url, "no user name heading: not a Lobsters profile page")
    name = text_of(heading)
    _wanted(url, name)
    pairs = _pairs(inside) if inside is not None else {}
    if not pairs:
        raise ParseError(SITE, url, "no profile fields (label/value pairs): not a profile")
    now = page_now(doc, fetched_at)
    created_at = created_raw = None
    extra: dict[str, object] = {}
    joined = pairs.pop("Joined", None)
    if joined is not None:
        when = joined.find(".//time")
        if when is None:
            when = next((s for s in joined.iter("span") if s.get("title")), None)
        if when is not None:
            created_at, created_raw = html_time(when, now)
        inviter = [user_of_href(a.get("href")) for a in joined.iter("a")]
        invited_by = next((n for n in inviter if n), None)
        if invited_by:
            extra["invited_by_user"] = invited_by
    karma_el = pairs.pop("Karma", None)
    karma = as_int(text_of(karma_el).replace(",", "")) if karma_el is not None else None
    about_el = pairs.pop("About", None)
    about_html = inner_html(about_el) if about_el is not None else ""
    for label, value in pairs.items():
        extra[label] = text_of(value)
    return User(site=SITE, id=name, created_at=created_at, created_at_raw=created_raw,
                karma=karma, about_html=about_html or None,
                about=(bodies.text(about_html) or None) if about_html else None,
                extra=extra or None)
