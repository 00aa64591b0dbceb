"""What a Lobsters story JSON gives without a parse, for the spider and for the crawl
without Scrapy (``scraper.direct.lobsters``): no Scrapy here.

A story whose JSON comes back with the body its thread's latest crawl read is an
``UnchangedThread`` (and a merged story's redirect its ``MergedStories`` record, which
the asked and the answered URL give whole), unless the body holds a JSON object as a
member's value: the 2018-23 form's profiles, which only a parse knows to write
(see ``scraper.spiders.lobsters``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from archive.models import FetchedPage, Story
from archive.revisits import PageSet, page_set
from scraper.items import MergedStories, UnchangedThread
from scraper.parsers.errors import ParseError

_JSON_START = re.compile(rb"[ \t\r\n]*[\[{]")
# check_body reads no further than its first 2,000 characters of a body that opens as
# JSON; 8 KiB hold more than that in any encoding (at most 4 bytes a character).
_HEAD_BYTES = 8192


def holds_object_member(body: bytes) -> bool:
    """Whether some ``{`` in the body follows a ``:`` (whitespace between allowed): a
    JSON object as a member's value. A body without one has no profile in it, however
    its keys are spelt or escaped. A brace in a comment's text after a colon counts
    too, which costs a parse, never a missed profile. Only the braces are visited
    (one a comment in the form served since 2024), not every key's quote as a regular
    expression starting at ``"`` would: a quarter of the time on a 1,000-comment story."""
    at = body.find(b"{", 1)
    while at != -1:
        before = at - 1
        while before > 0 and body[before] in b" \t\r\n":
            before -= 1
        if body[before] == 0x3A:  # ":"
            return True
        at = body.find(b"{", at + 1)
    return False


def json_head(body: bytes, encoding: str | None) -> str | None:
    """The decoded head of a long body that opens as JSON, all that check_body reads of
    it: an unchanged story's JSON is then never decoded whole. None for anything else
    (the whole text is checked). ``encoding``: the response's (None: not a text one)."""
    if len(body) <= _HEAD_BYTES or encoding is None or not _JSON_START.match(body):
        return None
    from w3lib.encoding import html_to_unicode  # what TextResponse.text decodes with

    head = html_to_unicode(f"charset={encoding}", body[:_HEAD_BYTES])[1]
    return head if head.lstrip()[:1] in ("{", "[") else None


def unchanged_visit(site: str, asked: str, fetched: FetchedPage,
                    stored_pages: Callable[[str], PageSet | None]) -> list[Any] | None:
    """The records a story JSON whose body is its thread's latest crawl's gives
    without a parse, or None if it must be parsed: the asked-for story as merged
    (when the site redirected it) and the thread's visit."""
    from scraper.parsers.lobsters.common import story_id_of

    if holds_object_member(fetched.body):
        return None
    # The thread the body is: the one whose latest crawl read it at this URL.
    thread_id = story_id_of(fetched.url)
    if thread_id is None or stored_pages(thread_id) != page_set((fetched,)):
        return None
    found: list[Any] = []
    asked_id = story_id_of(asked)
    if asked_id is not None and asked_id != thread_id:
        # What the parser records of a redirect (parse_story_json), from the URLs.
        found.append(MergedStories(stories=(Story(site=site, id=asked_id,
                                                  merged_into=thread_id),),
                                   fetched_at=fetched.fetched_at))
    found.append(UnchangedThread(site=site, story_id=thread_id, pages=(fetched,)))
    return found


def parse_asked_story(text: str, *, asked: str, answered: str, story_id: str,
                      fetched_at: datetime) -> Any:
    """The StoryPage of story ``story_id``'s answer. A merged story's URL redirects to the
    story it went into, whose page records it as merged; an answer of another story's
    page at the asked URL itself, with no redirect, is refused (ParseError): it recorded
    the asked story as merged into whatever the answer held."""
    from scraper.parsers import lobsters

    page = lobsters.parse_story(text, url=asked, fetched_at=fetched_at)
    got = page.thread.story.id
    if got != story_id and answered == asked:
        raise ParseError(lobsters.SITE, asked,
                         f"the answer is story {got}'s page, not {story_id}'s (and no "
                         "redirect says it was merged)")
    return page
