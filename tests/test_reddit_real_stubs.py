"""Shapes of Reddit's real morechildren answers that the generated ones lacked.

Reddit answers a call it finds too large with some of the ids asked and one ``more``
stub holding the rest (PRAW's recordings: 478 ids asked, 13 given, a stub of the other
465 under the post). Those ids were asked, but never answered: they are asked again
while each call gives some, and kept as a gap once a call gives none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clirun import forked
from tests.conftest import rows
from tests.redditapi import Cut, GenThread, RedditAPI, env, make_thread
from tests.server import SiteServer, serve

pytestmark = pytest.mark.e2e


@pytest.fixture
def api() -> Iterator[RedditAPI]:
    with serve(SiteServer()) as site:
        yield RedditAPI(site, cut=Cut(top=3, kids=2, depth=5))


def crawled(api: RedditAPI, db: Path, thread: GenThread, gives: int
            ) -> tuple[list[tuple[str, str | None]], str]:
    """The thread crawled with ``gives`` ids of each morechildren call answered: the
    stored (id, parent) rows and what the crawl said."""
    api.threads[thread.id] = thread
    api.morechildren_gives = gives
    result = forked("crawl", "reddit", thread.id, "--db", str(db), env=env(api))
    assert result.returncode == 0, result.stderr
    return rows(db, "SELECT id, parent_id FROM comments WHERE story_id = ?",
                thread.id), result.stderr


def test_ids_held_back_in_the_answers_stub_are_asked_again(api: RedditAPI,
                                                           tmp_path: Path) -> None:
    thread = make_thread(120, seed=12, recent=8)
    stored, said = crawled(api, tmp_path / "a.db", thread, 4)
    assert sorted(stored) == sorted((cid, parent) for cid, parent, _ in thread.order())
    assert rows(tmp_path / "a.db", "SELECT archived, unexpanded FROM thread_crawls") == [
        (120, 0)]
    assert "kept as a gap" not in said
    assert api.concurrent == 0


def test_a_call_that_gives_none_of_its_ids_ends_as_a_gap(api: RedditAPI,
                                                         tmp_path: Path) -> None:
    thread = make_thread(40, seed=5, recent=4)
    stored, said = crawled(api, tmp_path / "b.db", thread, 0)
    assert "asks again for what was asked already" in said
    # One call takes every id of the 40 (room for 100): its answer, a stub of them all,
    # is not asked again.
    assert api.morechildren_calls == 1
    assert 0 < len(stored) < len(thread.nodes)
    ((unexpanded,),) = rows(tmp_path / "b.db", "SELECT unexpanded FROM thread_crawls")
    assert unexpanded == len(thread.nodes) - len(stored)
