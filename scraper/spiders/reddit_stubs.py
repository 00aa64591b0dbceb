"""A Reddit thread's expansion as data: the pages read and the stubs left, and which
ids one ``/api/morechildren`` call asks for. Pure: the spider (``reddit.py``) decides
when to ask; this says what.

PRAW's ``replace_more`` takes the stubs largest first, one call per stub. A call may
ask for ids of any stubs of the thread, though (the answer names each comment's
parent, and the parser places it at its stub), so a call with room left takes ids of
the next stubs too: fewer calls for a thread of many small stubs.

A re-crawl whose answers come back as its thread's latest crawl read them asks for
the same URLs in the same order without placing them (``expected``, their bodies kept
in ``unread``); the first answer that differs has the ones before it placed by
``replay``, which asks ``next_call`` what it would have asked at each of them, so
that the expansion goes on exactly as if it had read every answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlsplit

from w3lib.url import canonicalize_url

from archive.models import FetchedPage
from archive.revisits import PageSet
from scraper.parsers.errors import ParseError
from scraper.parsers.reddit.thread import More, ThreadPages

MORE_IDS = 100  # ids one /api/morechildren call may ask for
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Expansion:
    """One thread on its way: the pages read, the stubs still to expand (largest
    first), the requests made after the first page, the stubs given up on, and the
    answers placed so far (``built``: each decoded once, when it came)."""

    story_id: str
    label: str
    pages: tuple[FetchedPage, ...]
    stubs: tuple[More, ...] = ()
    requests: int = 0
    failed: tuple[More, ...] = ()
    # Ids asked for (and "_/PARENT" for continue-threads): a stub that repeats them
    # (a server going round in circles) is not asked again.
    asked: frozenset[str] = frozenset()
    # The ids of the last morechildren call, until the next call is chosen: Reddit
    # answers a call with some of them and a stub holding the rest (478 asked, 13
    # given, 465 in a stub), which are asked again while each call gives some.
    pending: frozenset[str] = frozenset()
    # Mutable, shared by every state of one thread: only the spider adds to it.
    built: ThreadPages = field(default_factory=ThreadPages, compare=False)
    # While every answer is the latest crawl's: its page set, and the bodies not placed.
    expected: PageSet | None = None
    unread: tuple[str, ...] = ()


def largest_first(stubs: tuple[More, ...]) -> tuple[More, ...]:
    # Stable: of two stubs of one size, the one found first goes first.
    return tuple(sorted(stubs, key=lambda m: -m.count))


def part(stub: More, ids: tuple[str, ...]) -> More:
    """The stub with only ``ids`` left, holding its share of the comments it counted."""
    share = round(stub.count * len(ids) / len(stub.children)) if stub.children else 0
    return replace(stub, children=ids, count=max(share, len(ids)))


def fill(stubs: tuple[More, ...],
         asked: frozenset[str]) -> tuple[tuple[str, ...], int, tuple[More, ...]]:
    """The ids of one morechildren call: the first (largest) stub's, then, while there is
    room for 100, the next stubs' (one call may ask for ids of any stubs of the thread;
    the answer names each comment's parent). Returns them, the comments they hold, and
    the stubs left. A stub all of whose ids were asked for already is left out: the
    caller sees it gone from ``left`` and keeps it as a gap (``next_call``)."""
    ids: list[str] = []
    holding = 0
    left: list[More] = []
    for stub in stubs:
        new = tuple(dict.fromkeys(c for c in stub.children if c not in asked and c not in ids))
        room = MORE_IDS - len(ids)
        if stub.is_continue or room <= 0 or not new:
            if stub.is_continue or (room <= 0 and new):
                left.append(stub)
            continue
        ids.extend(new[:room])
        holding += part(stub, new[:room]).count
        if new[room:]:
            left.append(part(stub, new[room:]))
    return tuple(ids), holding, largest_first(tuple(left))


def held(stubs: tuple[More, ...] | list[More]) -> int:
    """The comments a set of stubs holds: a "load more" stub says how many; a
    "continue this thread" says 0, yet it stands for at least one."""
    return sum(max(m.count, len(m.children), 1) for m in stubs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One request of an expansion: an API path and its parameters, the stub it expands
    (with the ids asked and the comments they hold), and whether it is a morechildren
    call (Reddit takes one of those at a time)."""

    path: str
    params: dict[str, str]
    stub: More
    morechildren: bool


def next_call(state: Expansion, *, sort: str) -> tuple[Call | None, Expansion]:
    """The next request of a thread's expansion and the state once it is made; None
    when nothing is left that was not asked for already (the state's stubs are then
    empty). The largest stub goes first: a continue-thread is a page of its own, a
    "load more" stub a morechildren call filled up to 100 ids."""
    if state.pending and state.stubs:  # (nothing left: the state stays as it is)
        state = _released(state)
    while state.stubs:
        stub = state.stubs[0]
        if stub.is_continue:  # "continue this thread": the parent's page of its own
            key = f"_/{stub.parent_id}"
            if stub.parent_id is None or key in state.asked:
                state = replace(state, stubs=state.stubs[1:], failed=(*state.failed, stub))
                _no_progress(state, stub)
                continue
            return (Call(path=f"comments/{state.story_id}/_/{stub.parent_id}",
                         params={"sort": sort}, stub=stub, morechildren=False),
                    replace(state, stubs=state.stubs[1:], requests=state.requests + 1,
                            asked=state.asked | {key}))
        ids, holding, rest = fill(state.stubs, state.asked)
        # A stub that asks only for what was asked already (a server going round in
        # circles): asking again would never end; it stays a gap.
        spent = tuple(m for m in state.stubs if not m.is_continue and all(
            c in state.asked for c in m.children))
        for gone in spent:
            _no_progress(state, gone)
        if spent:
            state = replace(state, failed=(*state.failed, *spent))
        if not ids:  # nothing in them that was not asked for already
            state = replace(state, stubs=rest)
            continue
        params = {"link_id": f"t3_{state.story_id}", "children": ",".join(ids),
                  "api_type": "json", "sort": sort}
        return (Call(path="api/morechildren", params=params,
                     stub=replace(stub, children=ids, count=holding), morechildren=True),
                replace(state, stubs=rest, requests=state.requests + 1,
                        asked=state.asked | set(ids), pending=frozenset(ids)))
    return None, state


def _released(state: Expansion) -> Expansion:
    """The state once the last morechildren call's answer is placed: where it gave any
    of the ids asked, the others may be asked again (Reddit holds them back in a stub
    of the answer); where it gave none, asking again would make no progress."""
    given = state.built.holds(state.pending)
    asked = state.asked - (state.pending - given) if given else state.asked
    return replace(state, asked=asked, pending=frozenset())


def _no_progress(state: Expansion, stub: More) -> None:
    what = "continue-thread" if stub.is_continue else f"stub of {held([stub])} comment(s)"
    logger.warning("%s: a %s asks again for what was asked already (no progress); it is "
                   "kept as a gap", state.label, what)


def replay(state: Expansion, *, sort: str, url_of: Callable[[Call], str]
           ) -> tuple[Expansion, tuple[tuple[FetchedPage, ParseError], ...]]:
    """The state a crawl that placed every answer of ``state.unread`` would be in, and
    the pages it could not place, with why (left to be asked again). ``url_of``: the
    URL a call is requested at. Raises the first page's ParseError."""
    built = ThreadPages()
    pages, texts = state.pages, state.unread
    out = Expansion(story_id=state.story_id, label=state.label, pages=(pages[0],),
                    stubs=largest_first(tuple(built.add(texts[0], url=pages[0].url))),
                    built=built)
    refused: list[tuple[FetchedPage, ParseError]] = []
    for page, text in zip(pages[1:], texts[1:], strict=True):
        call, after = next_call(out, sort=sort)
        try:
            found = tuple(built.add(text, url=page.url))
        except ParseError as e:
            refused.append((page, e))
            continue
        if call is not None and canonicalize_url(url_of(call)) == canonicalize_url(page.url):
            out = replace(after, pages=(*out.pages, page),
                          stubs=largest_first((*after.stubs, *found)))
        else:  # read in another order (another version's): what is left is the tree's
            asked = out.asked | _asked(page.url)
            out = replace(out, pages=(*out.pages, page), requests=out.requests + 1,
                          asked=asked, stubs=largest_first(tuple(built.unexpanded())))
    return out, tuple(refused)


def _asked(url: str) -> frozenset[str]:
    parts = urlsplit(url)
    bits = parts.path.rstrip("/").split("/")
    if len(bits) >= 2 and bits[-2] == "_":
        return frozenset({f"_/{bits[-1]}"})
    children = parse_qs(parts.query).get("children", [""])[0]
    return frozenset(c for c in children.split(",") if c)
