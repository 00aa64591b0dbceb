"""A search of a kept word filtered by author, ranked from the author's own matches
(archive/search_index.py ``_by_author``: FTS5 finds them through the author column,
highlight() counts the word in their text), gives exactly what FTS5's ranking
statement gives over the filter: the same rowids, the same bm25 bits, ties by rowid.
Seeded random archives with names the index reads in several ways, texts that hold
the word many times (or a NUL), then new threads, edits and deletions after the band
was kept; and each way ``ranked`` can answer an author is taken at least once."""

from __future__ import annotations

import itertools
import random
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from archive import search_index, search_upkeep
from archive.db import open_db, open_readonly, transaction
from archive.models import Thread
from archive.store import save_thread
from tests.test_store import T0, make_comment, make_story, make_thread

FILTERED = """SELECT c.rowid, bm25(comments_fts) AS score
FROM comments_fts CROSS JOIN comments c ON c.rowid = comments_fts.rowid
WHERE comments_fts MATCH :q{where} ORDER BY score, c.rowid LIMIT :limit"""
# "big" writes a third: the band's first rows hold enough of theirs, most often. The
# rest: a name that holds the word ("otter_fan": its author column counts), one whose
# phrase also matches longer names ("ann" in "ann_b"), a quote in a name, names the
# tokenizer reads as no token at all ("__", "-"), and a name of no comment.
AUTHORS = ["big", "otter_fan", "ann", "ann_b", 'say "hi"', "__", "-", "cy", "dee"]
WEIGHTS = [30, 5, 6, 6, 4, 4, 3, 8, 8]
WORDS = ["otter", "otters", "river", "stone", "the", "a", "ann"]
FILTERS = [
    (" AND c.author = :author", {}),
    (" AND c.author = :author AND c.created_at >= :since", {"since": "2026-01-14T12:00:00Z"}),
    (" AND c.author = :author AND c.site = :site", {"site": "hn"}),
]
DEPTH = 6


def thread(rng: random.Random, story: int, size: int, *, edit: float = 0.0) -> Thread:
    comments = []
    for k in range(size):
        n = rng.choice([1, 2, 4, 9, 20])
        text = " ".join(rng.choices(WORDS, weights=[6, 2, 3, 3, 6, 6, 1], k=n))
        if rng.random() < 0.03:
            text += "\x00 otter after a NUL"
        if edit and rng.random() < edit:
            text += " edited otter otter"
        comments.append(make_comment(
            str(story * 1000 + k), story_id=str(story), position=k, text=text,
            text_html=f"<p>{text}</p>", author=rng.choices(AUTHORS, weights=WEIGHTS)[0],
            created_at=T0 + timedelta(minutes=rng.randrange(-600, 600))))  # fmt: skip
    return make_thread(tuple(comments), story=make_story(id=str(story)))


def exact(conn: sqlite3.Connection, word: str, limit: int, where: str,
          params: dict[str, str]) -> list[tuple[int, float]]:  # fmt: skip
    sql = FILTERED.format(where=where)
    return conn.execute(sql, {"q": word, "limit": limit, **params}).fetchall()


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """A shallow band (most matches outside it), authors of up to half of all comments
    ranked from their own matches, and a count of which way each answer came."""
    monkeypatch.setattr(search_index, "DEPTH", DEPTH)
    monkeypatch.setattr(search_upkeep, "DEPTH", DEPTH)
    monkeypatch.setattr(search_upkeep, "MIN_DEPTH", 2)
    monkeypatch.setattr(search_index, "AUTHOR_SHARE", 2)
    seen = {"own": 0, "tokenized": 0, "band": 0}
    for name, key in (("_by_author", "own"), ("_points_where", "tokenized")):
        original = getattr(search_index, name)

        def counted(*args: object, _f=original, _k=key) -> object:  # type: ignore[no-untyped-def]
            seen[_k] += 1
            return _f(*args)

        monkeypatch.setattr(search_index, name, counted)
    return seen


def check(path: Path, seen: dict[str, int]) -> None:
    conn = open_readonly(path)
    try:
        for (where, extra), author, word, limit in itertools.product(
            FILTERS, [*AUTHORS, "nobody"], ["otter", "Otters", "ann"], [1, 2, 5, 20]
        ):
            params = {"author": author, **extra}
            before = seen["own"] + seen["tokenized"]
            got = search_index.ranked(conn, word, limit, where=where, params=params)
            if got is None:
                continue
            if seen["own"] + seen["tokenized"] == before:
                seen["band"] += 1
            assert got == exact(conn, word, limit, where, params), (word, author, where, limit)
    finally:
        conn.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_authors_own_matches_rank_as_fts5(tmp_path: Path, paths: dict[str, int],
                                             seed: int) -> None:  # fmt: skip
    rng = random.Random(seed)
    path = tmp_path / "a.db"
    db = open_db(path)
    for story in range(1, 5):
        save_thread(db, thread(rng, story, 70))
    with transaction(db) as conn:
        assert search_upkeep.keep(conn, ["otter", "ann"]) == ["otter", "ann"]
    check(path, paths)
    for round_ in range(4):
        # After the band was kept: a new thread (above its rowid), a thread saved again
        # with edited texts and some authors changed, deletions; a refresh every other.
        save_thread(db, thread(rng, 10 + round_, 40))
        save_thread(db, thread(random.Random(seed * 10 + round_), 1 + round_, 70, edit=0.3))
        with transaction(db) as conn:
            conn.executemany("DELETE FROM comments WHERE rowid = ?",
                             [(r,) for r in rng.sample(range(1, 280), 8)])  # fmt: skip
        check(path, paths)
        if round_ % 2:
            with transaction(db) as conn:
                search_upkeep.refresh(conn)
            check(path, paths)
    db.close()
    assert all(paths.values()), paths

