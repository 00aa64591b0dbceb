"""``linkthread crawl reddit ID|URL...`` of threads alone, without Scrapy.

A Reddit thread is its first page and every stub's expansion through the OAuth API;
an unchanged re-crawl re-asks the same answers and parses none of them. Through
Scrapy, its import and reactor were most of such a crawl's CPU (bench/reddit_api.py).
This reads each thread by the spider's rules (``scraper.spiders.reddit``):

* the credentials, token and user agent of ``scraper.spiders.reddit_token`` (no
  Scrapy there): none, the same one line and no request; one token kept for its
  lifetime, fetched again once on a 401 and the refused request sent once more;
  refused again, the spider's line (``scraper.direct.reddit_tokens``: the token's
  POST through this crawl's own client, in this thread, its socket shut by a stop);
* the politeness of ``scraper.direct.pages`` as an API client: no robots.txt, the
  published limit (LINKTHREAD_MIN_DELAY instead), the X-Ratelimit budget spread over
  its window and waited out when spent, every request's turn in the shared host_pace,
  429/5xx back-off and the RATELIMIT answer's soft error, one request at a time (so
  never two morechildren calls at once);
* the expansion of ``scraper.spiders.reddit_stubs``: ``next_call`` (largest stub
  first, <= 100 ids a morechildren call, continue-threads a page of their own), a stub
  that fails a gap, ``unexpanded`` recorded as the spider records it;
* the re-crawl of ``reddit_revisit``: the latest crawl's page set asked for in order,
  no answer placed while each has its stored body (an ``UnchangedThread``), and the
  first that differs has the others placed by ``reddit_stubs.replay``.

Records are stored by the shared runner (``scraper.direct.run``): one transaction a
thread; a stop leaves what is left queued for ``--resume``. The crawl runs in one
thread, without an event loop (``scraper.direct.stop``): by Reddit's rules it is
serial anyway. A listing, a profile, a
comment target, ``--resume``, ``-s``, ``--ignore-robots``, ``--sort`` or
``--max-requests`` needs the spider; ``scraper.cli`` sends those there.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from archive import sites
from archive.models import FetchedPage
from archive.revisits import PageSet, page_set
from scraper.direct.pages import FetchFailed, Page, PageClient, SharedPace
from scraper.direct.reddit_tokens import Tokens
from scraper.direct.run import DirectRun, crawl_threads, reparse_asked, serial_crawl, thread_run
from scraper.direct.stop import Stop
from scraper.items import FailedPage, UnchangedThread
from scraper.parsers.errors import ParseError
from scraper.spiders.args import attempt, retry_reason, split_args
from scraper.spiders.reddit_token import AuthFailed, Credentials, auth_url

# The parser and the expansion (reddit_stubs imports the parser) are imported where an
# answer is placed: an unchanged re-crawl places none, and their imports (regexes,
# dataclasses) were a large part of such a crawl's CPU.
if TYPE_CHECKING:
    import sqlite3

    from scraper.direct.run import Db
    from scraper.parsers.reddit.thread import More
    from scraper.spiders.reddit_stubs import Expansion

SITE = sites.REDDIT
SOURCE = "api"  # the spider's: every row came through the official API
SORT = "confidence"  # the spider's default; another --sort goes to the spider
ERROR_BODIES = (400, 403, 404, 413)  # the spider's: their body says what went wrong
UNAUTHORIZED = 401
REFUSED_AGAIN = (f"{SITE.name}: the API refused a fresh token too (HTTP 401): check that "
                 "the app is approved and the credentials are its own")
logger = logging.getLogger(__name__)


def direct_threads(spider_args: dict[str, str]) -> list[str] | None:
    """The post ids of a crawl of threads alone, or None if it needs the spider."""
    if any(spider_args.get(k) for k in ("listings", "users", "comments", "via")):
        return None
    base = SITE.configured_base_url()
    ids = [SITE.item_id(t, base_url=base) for t in split_args(spider_args.get("items", ""))]
    return list(dict.fromkeys(ids)) or None


def _decoded(body: bytes, encoding: str) -> str:
    from w3lib.encoding import html_to_unicode  # what Scrapy's TextResponse decodes with

    return html_to_unicode(f"charset={encoding}", body)[1]


def soft_error(body: bytes, encoding: str, url: str) -> str | None:
    """The spider's ``soft_error``: a small body read whole (an error object, a
    RATELIMIT answer), a long one checked by its head (``check_text``)."""
    # A body of 16 KiB is 4096 characters or more in any encoding, and check_text
    # passes any such text that opens with JSON: a thread's answer is not decoded here.
    if len(body) >= 4 * 4096 and body[:64].lstrip()[:1] in (b"{", b"["):
        return None
    from scraper.parsers.reddit.errors import check_text, read_json
    text = _decoded(body, encoding)
    check = read_json if len(text) < 4096 else check_text
    return retry_reason(lambda: check(text, url=url))


@dataclass
class Known:
    """The sha256 of the answers the thread being read had in its latest crawl: such
    an answer was read then, so it is no soft error (a RATELIMIT object places no
    comment, so a crawl that read one has no page set to follow)."""

    sha256: set[str] = field(default_factory=set)

    def soft_error(self, body: bytes, encoding: str, url: str) -> str | None:
        # A long answer is passed by its head in soft_error without a hash.
        if self.sha256 and len(body) < 4 * 4096 and \
                hashlib.sha256(body).hexdigest() in self.sha256:
            return None
        return soft_error(body, encoding, url)


class Halted(Exception):
    """The whole crawl ends (no token to be had): ``run.halt`` has said why."""


class ThreadLoop:
    """The threads of one crawl, each read whole before the next (see the module)."""

    def __init__(self, run: DirectRun, db: Db, client: PageClient,
                 tokens: Tokens, *, reparse: bool, known: Known | None = None) -> None:  # fmt: skip
        self.known = known or Known()
        self.run = run
        self.db = db
        self.client = client
        self.tokens = tokens
        self.reparse = reparse
        self.base = SITE.configured_base_url()

    def api(self, path: str, **params: str) -> str:
        query = urlencode({"raw_json": "1", **params})
        return f"{self.base}/{path.lstrip('/')}{'&' if '?' in path else '?'}{query}"

    def ask(self, url: str) -> Page:
        """An API answer, signed; a 401 fetches a new token and asks once more. Halted
        when no token can be had."""
        try:
            page = self.client.get(url, self.tokens.header())
            if page.status == UNAUTHORIZED:
                logger.info("%s: HTTP 401; fetching a new token and asking once more", url)
                self.tokens.drop()
                page = self.client.get(url, self.tokens.header())
        except AuthFailed as e:
            self.run.halt(f"{SITE.name}: {e}")
            raise Halted from None
        finally:
            self.run.requests = self.client.requests
        return page

    @staticmethod
    def fetched(page: Page) -> FetchedPage:
        return FetchedPage(site=SITE.name, url=page.url, fetched_at=datetime.now(UTC),
                           status=page.status, body=page.body)

    def visit(self, story_id: str) -> list[Any] | None:
        records: list[Any] = []
        self.known.sha256 = set()  # the thread before's answers are not this one's
        try:
            return self.thread(story_id, records)
        except Halted:
            return records  # what was read before stays stored (the spider's items)

    def thread(self, story_id: str, records: list[Any]) -> list[Any] | None:
        run, label = self.run, self.run.label(story_id)
        try:
            page = self.ask(self.api(f"comments/{story_id}", sort=SORT))
        except FetchFailed as e:
            run.fail(label, str(e))
            return records
        if page.status == UNAUTHORIZED:
            run.halt(REFUSED_AGAIN)
            return None
        if page.status >= 400:
            self.refused(page, label)
            return records
        fetched = self.fetched(page)
        expected = self.expected(story_id)
        self.known.sha256 = {sha for _, sha in expected} if expected is not None else set()
        if expected is not None and expected[0] == page_set((fetched,))[0]:
            state = self.follow(story_id, expected, [(page, fetched)], records)
            if state is None:
                return records
        else:
            from scraper.parsers.reddit.thread import ThreadPages
            from scraper.spiders.reddit_stubs import Expansion, largest_first

            built = ThreadPages()
            stubs = attempt(label, fetched, lambda: tuple(built.add(page.text(), url=page.url)),
                            run.fail)  # fmt: skip
            if not isinstance(stubs, tuple):
                return records + ([stubs] if stubs is not None else [])
            state = Expansion(story_id=story_id, label=label, pages=(fetched,),
                              stubs=largest_first(stubs), built=built)
        return self.expand(state, records)

    def refused(self, page: Page, label: str) -> None:
        """An error answer (403 quarantined or private, 404, ...): its one line."""
        from scraper.parsers.reddit.errors import read_json

        try:
            read_json(page.text(), url=page.url)
            reason = f"HTTP {page.status}"
        except ParseError as e:
            reason = e.reason
        self.run.fail(label, reason)

    def expected(self, story_id: str) -> PageSet | None:
        """The answers the thread's latest crawl read (``reddit_revisit.expected_pages``)."""
        if self.reparse:
            return None
        from archive.revisits import last_page_set

        return last_page_set(self.db, SITE.name, story_id, source=SOURCE)

    def follow(self, story_id: str, expected: PageSet, read: list[tuple[Page, FetchedPage]],
                     records: list[Any]) -> Expansion | None:  # fmt: skip
        """The latest crawl's answers asked for in its order, none placed while each
        has its stored body (``reddit_revisit.follow``/``followed``). None when the
        thread is done (unchanged, or its first answer no longer reads); else the
        state to expand on from, every answer so far placed."""
        while len(read) < len(expected):
            try:
                page: Page | None = self.ask(expected[len(read)][0])
            except FetchFailed:
                page = None
            if page is None or page.status >= 400:
                break
            fetched = self.fetched(page)
            read.append((page, fetched))
            if expected[len(read) - 1] != page_set((fetched,))[0]:
                break
        else:
            records.append(UnchangedThread(site=SITE.name, story_id=story_id,
                                           pages=tuple(f for _, f in read)))
            return None
        from scraper.spiders.reddit_stubs import Expansion, replay

        # Decoded only now: an unchanged answer is hashed, never decoded.
        state = Expansion(story_id=story_id, label=self.run.label(story_id),
                          pages=tuple(f for _, f in read), expected=expected,
                          unread=tuple(p.text() for p, _ in read))
        try:
            state, refused = replay(state, sort=SORT, url_of=lambda c: self.api(c.path,
                                                                                **c.params))
        except ParseError as e:  # the first answer, which read before, reads no longer
            self.run.fail(state.label, e.reason)
            records.extend(FailedPage(page=f, error=str(e), story_id=state.story_id)
                           for f in state.pages)
            return None
        records.extend(FailedPage(page=p, error=str(e), story_id=state.story_id)
                       for p, e in refused)
        return state

    def expand(self, state: Expansion, records: list[Any]) -> list[Any]:
        """Every stub asked for, one request at a time (``RedditSpider.expand``), then
        the whole thread."""
        from scraper.spiders.reddit_stubs import largest_first, next_call

        while True:
            call, state = next_call(state, sort=SORT)
            if call is None:
                return records + self.finish(state)
            stub = call.stub
            try:
                page = self.ask(self.api(call.path, **call.params))
            except FetchFailed as e:
                state = self.give_up(state, stub, str(e))
                continue
            if page.status >= 400:
                state = self.give_up(state, stub, f"HTTP {page.status}")
                continue
            fetched = self.fetched(page)
            # Placed as it comes; an answer that does not fit leaves the thread as it
            # was, its body kept, its stub a gap.
            try:
                found = tuple(state.built.add(page.text(), url=page.url))
            except ParseError as e:
                records.append(FailedPage(page=fetched, error=str(e), story_id=state.story_id))
                state = self.give_up(state, stub, e.reason)
                continue
            state = replace(state, pages=(*state.pages, fetched),
                            stubs=largest_first((*state.stubs, *found)))

    @staticmethod
    def give_up(state: Expansion, stub: More, why: str) -> Expansion:
        from scraper.spiders.reddit_stubs import held

        logger.warning("%s: could not expand a stub of %d comment(s) (%s); it is kept as "
                       "a gap", state.label, held([stub]), why)
        return replace(state, failed=(*state.failed, stub))

    def finish(self, state: Expansion) -> list[Any]:
        try:
            thread = state.built.thread(fetched_at=state.pages[0].fetched_at, sort=SORT)
        except ParseError as e:
            self.run.fail(state.label, e.reason)
            return [FailedPage(page=f, error=str(e), story_id=state.story_id)
                    for f in state.pages]
        from scraper.spiders.reddit_stubs import held

        left = (*state.stubs, *state.failed)
        gap = held(left)
        if gap:
            logger.warning("%s: stored with %d comment(s) in %d stub(s) left unexpanded "
                           "(errors); `linkthread gaps` lists it", state.label, gap, len(left))
        return [replace(thread, pages=state.pages, unexpanded=gap, source=SOURCE)]


def _min_delay() -> float:
    raw = (os.environ.get("LINKTHREAD_MIN_DELAY") or "").strip()  # empty: unset
    return float(raw) if raw else SITE.politeness.min_delay


def crawl(run: DirectRun, creds: Credentials) -> None:
    from scraper import __version__
    from scraper.spiders.reddit_token import user_agent

    agent = user_agent(creds, __version__)
    reparse = reparse_asked()

    def body(db: sqlite3.Connection, stop: Stop) -> None:
        known = Known()
        with PageClient(SharedPace(db), known.soft_error, user_agent=agent, stop=stop,
                        robots=False, min_delay=_min_delay(), budget=True,
                        answers=(UNAUTHORIZED, *ERROR_BODIES)) as client:
            loop = ThreadLoop(run, db, client, Tokens(creds, auth_url(), agent, stop),
                              reparse=reparse, known=known)
            crawl_threads(run, db, stop, loop.visit)
    serial_crawl(run, body)


def crawl_direct(spider_args: dict[str, str], *, db: str, pages: int, threads: bool,
                 log_level: str) -> DirectRun | None:  # fmt: skip
    """``crawl reddit`` of threads alone, in this thread; None, having done nothing,
    if the crawl needs the spider."""
    from archive.cli import _user_errors
    from scraper.spiders.reddit_token import load_credentials

    story_ids = direct_threads(spider_args)
    if story_ids is None:
        return None
    run = thread_run(SITE.name, story_ids, db=db, pages=pages, threads=threads,
                     log_level=log_level, sort=SORT)
    with _user_errors():
        creds = load_credentials()  # none: one line, before the archive or a request
        gc.freeze()  # what is built by now lives as long as the crawl
        crawl(run, creds)
    return run

