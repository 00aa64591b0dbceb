"""Lobsters pages saved to files: story, listing and profile pages, JSON or HTML.

Which kind a body is comes from ``scraper.parsers.lobsters.detect``; the page states
its time in ``<body data-now-unix>`` (2024-) and its story's or user's id in its
content (a JSON story's ``short_id``, an HTML story's header, a profile's name). The
front page says it is one (its title is "Lobsters" alone); any other listing says
nothing of which listing it is, so it needs its URL: a mirror's file name
(``lobste.rs/t/rust.json``) or ``--url``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from archive.sites import LOBSTERS, Site
from scraper.importers.pages import Kind, NotImportable, Parsed
from scraper.parsers import lobsters
from scraper.parsers.jsonload import loads
from scraper.parsers.lobsters.listing import PAGE_DIGITS

_MARKS = re.compile(r"""og:site_name["']\s+content=["']Lobsters|lobste\.rs|"""
                    r"""<title>(?:[^<]*\| )?Lobsters\s*</title>""")
_NOW = re.compile(r"""<body[^>]*\bdata-now-unix=["']?(\d{9,11})""")
_TITLE = re.compile(r"<title>([^<]*)</title>", re.I)
_PREVIOUS = re.compile(r"&lt;&lt;\s*Page\s+([0-9]+)\s*</a>")
_NEXT = re.compile(r"Page\s+([0-9]+)\s*&gt;&gt;\s*</a>")
_KINDS: dict[str, Kind] = {"story": "thread", "listing": "listing", "user": "user"}


class LobstersImporter:
    site: Site = LOBSTERS

    def recognise(self, text: str) -> Kind | None:
        found = lobsters.detect(text)
        if found == "unknown":
            return None
        if found == "error":
            return "thread"  # the parser raises with what the error page says
        if found.endswith("-html") and not _MARKS.search(text[:65536]):
            return None
        return _KINDS[found.partition("-")[0]]

    def stated_time(self, text: str) -> datetime | None:
        m = _NOW.search(text[:65536])
        return datetime.fromtimestamp(int(m.group(1)), UTC) if m else None

    def read(self, text: str, *, kind: Kind, url: str | None, fetched_at: datetime) -> Parsed:
        base = self.site.base_url.rstrip("/")
        is_json = text.lstrip()[:1] in ("{", "[")
        if kind == "listing":
            url = url or self._front_page_url(text)
            if url is None:
                raise NotImportable(
                    "a Lobsters listing does not say which listing it is (hottest, newest, "
                    "t/TAG, ...): give --url, or import it under its mirror name "
                    "(lobste.rs/hottest.json)")
            return Parsed(url=url, listing=lobsters.parse_listing(text, url=url,
                                                                  fetched_at=fetched_at))
        if kind == "user":
            user = lobsters.parse_user(text, url=url or f"{base}/", fetched_at=fetched_at)
            return Parsed(url=url or self.site.user_url(user.id, json=is_json), user=user)
        if url is None and is_json:
            # The JSON's own id: parsing it under that URL records no merge redirect.
            obj = loads(text) if lobsters.detect(text) == "story-json" else {}
            if isinstance(obj, dict) and isinstance(obj.get("short_id"), str):
                url = self.site.item_url(obj["short_id"], json=True)
        page = lobsters.parse_story(text, url=url or f"{base}/", fetched_at=fetched_at)
        return Parsed(url=url or self.site.item_url(page.thread.story.id), thread=page.thread,
                      merged=page.merged, users=page.users)

    def _front_page_url(self, text: str) -> str | None:
        """The front page says it is one: its title is the site's name alone; its page
        number is one past its "<< Page N" link, else one before its "Page N >>"."""
        title = _TITLE.search(text[:16384])
        if title is None or title.group(1).strip() != "Lobsters" or text.lstrip()[:1] != "<":
            return None
        back, ahead = _PREVIOUS.search(text), _NEXT.search(text)
        link = back or ahead
        if link is not None and len(link.group(1)) > PAGE_DIGITS:
            raise NotImportable(f"a Lobsters front page whose page links name a number over "
                                f"{PAGE_DIGITS} digits, more than any listing has")
        number = int(back.group(1)) + 1 if back else int(ahead.group(1)) - 1 if ahead else 1
        return self.site.listing_url("hottest", number)


IMPORTER = LobstersImporter()
