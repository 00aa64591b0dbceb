"""Lobsters: what to request for a target and which parser reads it.

The JSON forms (``/s/ID.json``, ``/hottest.json``, ``/t/TAG.json``, ``/~NAME.json``)
are what the crawl reads: the same records as the HTML, at a fraction of the bytes. A
story's JSON holds its whole thread, so a thread is one page. A story merged into
another answers with the other's JSON (a same-origin redirect): asked for by its own
id, it is recorded as merged, and the thread stored is the one it went into. A comment
target (``/c/ID``) is resolved to its story first.

A story whose JSON comes back with the body its thread's latest crawl read is not
parsed again (:meth:`LobstersSpider.unchanged_visit`), as HN's pages are not: it is an
``UnchangedThread``, and a merged story's redirect its ``MergedStories`` record, which
the asked and the answered URL give whole. A body that holds any JSON object member
(the 2018-23 form, whose ``submitter_user`` and ``commenting_user`` are profiles) is
parsed every time: each profile's sighting is a row of its own (``users.last_seen_at``,
its snapshots), which only a parse knows to write. The form served since 2024 names
users and holds no object member, so for it the visit writes O(1) rows.

Robots.txt forbids unnamed crawlers everything here; the base stops such a crawl at
the first refusal (see docs/lobsters.md for ``--ignore-robots`` and the pace kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from archive import sites
from archive.models import FetchedPage, Listing, User
from scraper.items import MergedStories, SeenUsers
from scraper.parsers import lobsters
from scraper.parsers.lobsters.errors import check_body
from scraper.parsers.lobsters.listing import listing_name_and_page
from scraper.spiders.args import retry_reason, split_args
from scraper.spiders.base import Done, SiteSpider
from scraper.spiders.lobsters_visit import holds_object_member as holds_object_member
from scraper.spiders.lobsters_visit import json_head, parse_asked_story, unchanged_visit

_STORY_IN_BODY = re.compile(r"/s/([a-z0-9]{6})\b")


def asked_url(response: Response) -> str:
    """The URL the request asked for, before any redirect (a merged story's)."""
    redirects = response.request.meta.get("redirect_urls") if response.request else None
    return str(redirects[0]) if redirects else response.url


class LobstersSpider(SiteSpider):
    name = "lobsters"
    site_def = sites.LOBSTERS

    def __init__(self, *args: Any, comments: str = "", **kwargs: Any) -> None:
        self.comment_ids = split_args(comments)
        super().__init__(*args, **kwargs)
        self.crawl_args["comments"] = self.comment_ids

    def split_listings(self, value: str) -> list[str]:
        """Commas also join the tags of one listing ("t/rust,go"): a piece that is not
        a listing of its own continues the tag list before it."""
        names: list[str] = []
        for piece in (p.strip() for p in value.split(",")):
            if not piece:
                continue
            if names and names[-1].startswith("t/") and not (
                    piece in self.site_def.listings or "/" in piece):
                names[-1] += f",{piece}"
            else:
                names.append(piece)
        return list(dict.fromkeys(names))

    def has_other_targets(self) -> bool:
        return bool(self.comment_ids)

    def listing_target(self, url: str) -> str:
        name, page = listing_name_and_page(url)
        return name if page == 1 else f"{name}/page/{page}"

    def other_requests(self) -> Iterator[scrapy.Request]:
        for comment_id in self.comment_ids:
            yield self.request(f"{self.base_url}/c/{comment_id}.json", self.parse_comment,
                               label=f"{self.site} comment {comment_id}")

    def read_listing(self, response: Response, fetched: FetchedPage, page: int) -> Listing:
        return lobsters.parse_listing(response.text, url=response.url,
                                      fetched_at=fetched.fetched_at)

    def read_user(self, response: Response, fetched: FetchedPage) -> User:
        return lobsters.parse_user(response.text, url=response.url,
                                   fetched_at=fetched.fetched_at)

    def soft_error(self, response: Response) -> str | None:
        """A 200 that is a throttle answer, an empty body or one of the site's transient
        error pages (a deploy's 502 page): worth fetching again after a back-off."""
        text = json_head(response.body, getattr(response, "encoding", None)) or (
            response.text if hasattr(response, "text") else "")
        return retry_reason(lambda: check_body(text, url=response.url))

    def parse_comment(self, response: Response, label: str) -> Iterator[Any]:
        """A comment's story, from where the site sent us or what its JSON names."""
        found = _STORY_IN_BODY.search(response.url) or _STORY_IN_BODY.search(response.text)
        if found is None:
            self.fail(label, f"{response.url} names no story to crawl")
            return
        yield from self.schedule_thread(found.group(1))

    def parse_thread_page(self, response: Response, label: str, story_id: str,
                          done: Done) -> Iterator[Any]:
        fetched = self.fetched(response)
        # The asked URL, so that a merged story's redirect is recorded as a merge.
        url = asked_url(response)
        unchanged = self.unchanged_visit(url, fetched)
        if unchanged is not None:
            yield from unchanged
            return
        page = self.attempt(label, fetched, lambda: parse_asked_story(
            response.text, asked=url, answered=response.url, story_id=story_id,
            fetched_at=fetched.fetched_at))
        if not isinstance(page, lobsters.StoryPage):
            if page is not None:
                yield page
            return
        if page.users:
            yield SeenUsers(users=page.users, fetched_at=fetched.fetched_at)
        if page.merged:
            # The asked-for story, now part of another: its own row says where it went
            # (its comments are in that thread).
            yield MergedStories(stories=page.merged, fetched_at=fetched.fetched_at)
        yield from self.carry(label, page.thread.story.id, (*done, (page.thread, fetched)),
                              None, lambda threads: threads[-1])

    def unchanged_visit(self, asked: str, fetched: FetchedPage) -> list[Any] | None:
        """The records a story JSON whose body is its thread's latest crawl's gives
        without a parse, or None if it must be parsed (``lobsters_visit``)."""
        if self.stored_pages is None or self.reparse:
            return None
        return unchanged_visit(self.site, asked, fetched, self.stored_pages)
