"""Which ids a Reddit thread's expansion asks for next (scraper/spiders/reddit_stubs.py):
largest stub first, calls filled up to 100 ids, continue-threads a page each, nothing
asked twice, what is left counted."""

from __future__ import annotations

from dataclasses import replace

from scraper.parsers.reddit.thread import More
from scraper.spiders.reddit_stubs import Expansion, fill, held, largest_first, next_call


def more(first: int, n: int, *, count: int | None = None, parent: str | None = None) -> More:
    ids = tuple(f"i{k}" for k in range(first, first + n))
    return More(id=ids[0], parent_id=parent, count=n if count is None else count,
                children=ids, depth=0)


CONTINUE = More(id="_", parent_id="p1", count=0, children=(), depth=9)


def state(*stubs: More) -> Expansion:
    return Expansion(story_id="abc12", label="reddit item abc12", pages=(),
                     stubs=largest_first(stubs))


def test_the_largest_stub_goes_first_and_a_call_is_filled_to_100() -> None:
    big, mid, small = more(0, 150, count=300), more(200, 30), more(300, 10)
    call, after = next_call(state(small, big, mid), sort="top")
    assert call is not None and call.morechildren
    assert call.path == "api/morechildren"
    assert call.params == {"link_id": "t3_abc12", "children": ",".join(big.children[:100]),
                           "api_type": "json", "sort": "top"}
    assert call.stub.count == 200  # 100 of its 150 ids: that share of its 300 comments
    assert after.requests == 1
    # The rest of the big stub (its share), then the others, largest first.
    assert [(s.children[0], len(s.children), s.count) for s in after.stubs] == [
        ("i100", 50, 100), ("i200", 30, 30), ("i300", 10, 10)]
    call, after = next_call(after, sort="top")
    assert call is not None
    assert call.params["children"].split(",") == [
        *big.children[100:], *mid.children, *small.children]
    assert after.stubs == () and after.requests == 2
    assert next_call(after, sort="top") == (None, after)


def test_a_continue_thread_is_a_page_of_its_own() -> None:
    first = state(CONTINUE, more(0, 3))
    call, after = next_call(replace(first, stubs=(CONTINUE, *first.stubs[1:])),
                            sort="confidence")
    assert call is not None and not call.morechildren
    assert call.path == "comments/abc12/_/p1" and call.params == {"sort": "confidence"}
    # Asked once: the same stub again (a page repeating it) is not asked for.
    call, _ = next_call(replace(after, stubs=(CONTINUE,)), sort="confidence")
    assert call is None


def test_ids_asked_already_are_not_asked_again() -> None:
    asked = frozenset(f"i{k}" for k in range(5))
    ids, holding, left = fill((more(0, 8),), asked)
    assert ids == ("i5", "i6", "i7") and holding == 3 and left == ()
    call, after = next_call(replace(state(more(0, 5)), asked=asked), sort="new")
    assert call is None and after.stubs == ()


def test_what_stubs_hold() -> None:
    assert held([more(0, 3, count=40), CONTINUE, more(5, 2, count=0)]) == 40 + 1 + 2
