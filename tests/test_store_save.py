"""A thread's first save takes a fast path (every comment new: a plain INSERT, and the
author summaries counted from the rows written rather than read back by SQL); here it
is held equal, whole, to the general path it skips (upsert_rows, and the parts read
back by a GROUP BY) on generated threads, on the corpus' HN pages, and on comments
with no author, no time, or authors that sort differently as bytes and as text.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils

import archive.store as store
from archive import summaries
from archive.db import open_db
from archive.models import Thread
from archive.rows import upsert_rows
from scraper.parsers import hn
from scraper.parsers.tree import assemble_thread
from tests import hnpages
from tests.test_hn_parser import ROWS, parse
from tests.test_store import T0, make_comment, make_story, make_thread
from tests.test_summaries import assert_recounted

TABLES = ("stories", "comments", "comment_versions", "thread_crawls", "pages")
KEYED = ("thread_latest", "author_threads", "author_counts")  # WITHOUT ROWID


def general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store as it saves a thread some of whose comments are stored already."""
    monkeypatch.setattr(store, "insert_rows", lambda conn, table, columns, rows: upsert_rows(
        conn, table, columns, ("site", "id"), rows))
    monkeypatch.setattr(summaries, "first_saved", lambda conn, site, story_id, comments:
                        summaries.threads_saved(conn, site, [story_id]))


def everything(db: sqlite_utils.Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables a save writes, rowids included, the views read from them,
    and every token of the full-text index with its row, column and place."""
    c = db.conn
    out = {t: c.execute(f"SELECT rowid, * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
    out |= {t: c.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall() for t in KEYED}
    out["top_authors"] = c.execute("SELECT * FROM top_authors").fetchall()
    c.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.tokens"
              " USING fts5vocab(main, comments_fts, instance)")
    out["tokens"] = c.execute("SELECT * FROM temp.tokens ORDER BY 1, 2, 3, 4").fetchall()
    c.execute("INSERT INTO comments_fts (comments_fts) VALUES ('integrity-check')")
    return out


def saved_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                    saves: list[Thread]) -> tuple[dict, dict]:  # type: ignore[type-arg]
    fast = open_db(tmp_path / "fast.db")
    for thread in saves:
        store.save_thread(fast, thread)
    with monkeypatch.context() as m:
        general_path(m)
        general = open_db(tmp_path / "general.db")
        for thread in saves:
            store.save_thread(general, thread)
    assert_recounted(fast)
    return everything(fast), everything(general)


def generated(n: int, seed: int, story_id: str) -> Thread:
    gen = hnpages.random_thread(n, seed=seed, story_id=story_id)
    url = f"https://news.ycombinator.com/item?id={story_id}"
    page = hnpages.site_pages(gen)[f"/item?id={story_id}"]
    return assemble_thread([hn.parse_item_page(page, url=url, fetched_at=hnpages.FETCHED_AT)])


def later(thread: Thread, hours: int) -> Thread:
    at = thread.fetched_at + timedelta(hours=hours)
    return Thread(story=thread.story, comments=thread.comments, fetched_at=at, pages=())


@pytest.mark.parametrize("seed", range(3))
def test_first_saves_equal_the_general_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            seed: int) -> None:
    threads = [generated(400, seed * 10 + k, str(46_000_000 + k * 1000)) for k in range(3)]
    # Then a re-crawl of each (the general path on both sides), and the first again.
    saves = [*threads, *(later(t, 1) for t in threads), threads[0]]
    fast, general = saved_both_ways(tmp_path, monkeypatch, saves)
    assert fast == general
    assert len(fast["comments"]) == 1200 and fast["tokens"]


AUTHORS = ["ann", "Bob", "émile", "zoë", "Zed", "😀x", None]


def test_first_saves_with_missing_authors_and_times(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    saves = []
    for k, story_id in enumerate(("100", "200", "300")):
        comments = tuple(make_comment(
            str(k * 100 + i + 1), story_id=story_id, position=i, author=rng.choice(AUTHORS),
            created_at=T0 + timedelta(minutes=rng.randrange(-900, 900))
            if rng.random() < 0.8 else None,
        ) for i in range(60))  # fmt: skip
        saves.append(make_thread(comments, story=make_story(id=story_id, comment_count=60)))
    fast, general = saved_both_ways(tmp_path, monkeypatch, saves)
    assert fast == general
    assert any(row[1] == "😀x" for row in fast["author_counts"])


def corpus_threads() -> Iterator[Thread]:
    for name in sorted(ROWS):
        page = parse(name)
        if page.story is not None and page.comments:
            yield assemble_thread([page])


def test_corpus_first_saves_equal_the_general_path(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    saves = list(corpus_threads())
    assert saves
    fast, general = saved_both_ways(tmp_path, monkeypatch, saves)
    assert fast == general
