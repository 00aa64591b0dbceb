"""The parser and tree rebuild over pages the tests generate: always run, corpus or not."""

from __future__ import annotations

import pytest

from scraper.parsers import hn
from scraper.parsers.errors import ParseError
from scraper.parsers.tree import assemble_thread
from tests import hnpages

BASE = "https://news.ycombinator.com"


def parse_site(thread: hnpages.GenThread, *, era: str, per_page: int,
               bare_more: bool = False) -> list:
    served = hnpages.site_pages(thread, era=era, per_page=per_page, bare_more=bare_more)
    parsed = []
    url = f"{BASE}/item?id={thread.story_id}"
    while url:
        path = url.removeprefix(BASE)
        page = hn.parse_item_page(served[path], url=url, fetched_at=hnpages.FETCHED_AT,
                                  story_id=thread.story_id)
        parsed.append(page)
        url = page.next_url
    assert len(parsed) == len(served), "every continuation page must be followed"
    return parsed


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("per_page, bare_more", [(10**9, False), (37, False), (37, True)])
def test_modern_pages_give_back_the_generated_thread(seed: int, per_page: int,
                                                     bare_more: bool) -> None:
    gen = hnpages.random_thread(700, seed=seed)
    thread = assemble_thread(parse_site(gen, era="modern", per_page=per_page,
                                        bare_more=bare_more))

    assert [c.id for c in thread.comments] == [c.id for c in gen.comments]
    for got, want in zip(thread.comments, gen.comments, strict=True):
        assert (got.parent_id, got.depth) == (want.parent_id, want.depth)
        assert (got.dead, got.flagged, got.deleted) == (want.dead, want.flagged, want.deleted)
        assert got.created_at == hnpages.created_at(want, era="modern")
        if want.deleted:
            assert got.author is None and not got.text
            continue
        assert got.author == want.author
        if want.flagged:
            continue
        assert got.colour == want.colour
        if "<" not in want.text and "&" not in want.text:
            assert got.text == want.text
    story = thread.story
    assert (story.id, story.title, story.author, story.score, story.comment_count) == (
        gen.story_id, gen.title, gen.author, gen.score, 700)
    assert story.kind == "ask"
    assert story.text and story.text.startswith("What do you archive?")


def test_old_markup_pages_with_fnid_continuations_and_deleted_rows() -> None:
    gen = hnpages.random_thread(500, seed=3, max_depth=6)
    assert any(c.deleted and c.children for c in gen.comments)
    thread = assemble_thread(parse_site(gen, era="old", per_page=60))

    assert len(thread.comments) == len(gen.comments)
    for got, want in zip(thread.comments, gen.comments, strict=True):
        assert got.depth == want.depth
        assert got.deleted == want.deleted
        if want.deleted:
            assert got.synthetic_id and got.author is None
        else:
            assert got.id == want.id and got.author == want.author
            assert got.created_at == hnpages.created_at(want, era="old")
            if want.dead:
                assert got.dead
    real = {c.id: c for c in thread.comments}
    for got, want in zip(thread.comments, gen.comments, strict=True):
        if want.parent_id is not None and not got.deleted:
            parent = real[got.parent_id]  # type: ignore[index]
            assert parent.depth == want.depth - 1


def test_synthetic_ids_are_stable_when_the_thread_grows() -> None:
    gen = hnpages.random_thread(300, seed=3, max_depth=6)
    first = assemble_thread(parse_site(gen, era="old", per_page=10**9))
    grown = hnpages.random_thread(300, seed=3, max_depth=6)
    late = hnpages.GenComment(id="99999999", depth=0, parent_id=None, author="late",
                              text="a late top level comment", age_minutes=1)
    grown.comments.append(late)
    second = assemble_thread(parse_site(grown, era="old", per_page=10**9))
    ids = lambda t: {c.id for c in t.comments if c.synthetic_id}  # noqa: E731
    assert ids(first) and ids(first) <= ids(second)


def test_a_page_declaring_comments_but_showing_none_is_an_error() -> None:
    gen = hnpages.random_thread(9, seed=1)
    page = hn.parse_item_page(hnpages.modern_page(gen, [], declared=9),
                              url=f"{BASE}/item?id={gen.story_id}",
                              fetched_at=hnpages.FETCHED_AT)
    with pytest.raises(ParseError, match="9 comments"):
        assemble_thread([page])
