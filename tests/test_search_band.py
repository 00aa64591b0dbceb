"""A kept band (archive/search_index.py) answers a one-word search with exactly what
FTS5's ranking statement gives (the same rowids, the same bm25 bits, ties by rowid),
on seeded random archives, after new threads, edits, deletions and refreshes; when it
cannot (too many members gone, a filter, another query), search ranks as before."""

from __future__ import annotations

import itertools
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import search_band, search_counts, search_index, search_upkeep
from archive.cli import cli
from archive.db import open_db, open_readonly, transaction
from archive.search import search
from archive.store import save_thread
from tests.test_store import make_comment, make_story, make_thread

RANK = """SELECT rowid, bm25(comments_fts) AS score FROM comments_fts
WHERE comments_fts MATCH :q ORDER BY score, rowid LIMIT :limit"""
FILTERED = """SELECT c.rowid, bm25(comments_fts) AS score
FROM comments_fts CROSS JOIN comments c ON c.rowid = comments_fts.rowid
WHERE comments_fts MATCH :q{where} ORDER BY score, c.rowid LIMIT :limit"""
# A share of a tenth or so (most often found among the band's first rows), one author
# among twelve, an author of no comment, and both at once.
FILTERS = [
    (" AND c.created_at >= :since", {"since": "2026-01-12T07:30:00Z"}),
    (" AND c.author = :author", {"author": "user3"}),
    (" AND c.author = :author", {"author": "nobody"}),
    (" AND c.author = :author AND c.site = :site", {"author": "user7", "site": "hn"}),
]
# "foxes" is stemmed (fox), and an author's name is a column of the index too.
WORDS = ["otter", "river", "stone", "foxes", "fox", "the", "a", "user7"]
DEPTH = 6


def thread(rng: random.Random, story: int, size: int, *, edit: float = 0.0) -> object:
    comments = []
    for k in range(size):
        n = rng.choice([1, 2, 3, 5, 8, 13])
        text = " ".join(rng.choices(WORDS, weights=[5, 3, 3, 2, 2, 6, 6, 1], k=n))
        if edit and rng.random() < edit:
            text += " edited otter"
        author = f"user{rng.randrange(12)}" if rng.random() < 0.9 else None
        comments.append(make_comment(str(story * 1000 + k), story_id=str(story), position=k,
                                     text=text, text_html=f"<p>{text}</p>", author=author))
    return make_thread(tuple(comments), story=make_story(id=str(story)))


def exact(conn: sqlite3.Connection, word: str, limit: int, where: str = "",
          params: dict[str, str] | None = None) -> list[tuple[int, float]]:  # fmt: skip
    sql = FILTERED.format(where=where) if where else RANK
    return conn.execute(sql, {"q": word, "limit": limit, **(params or {})}).fetchall()


FILTERED_ANSWERS: list[int] = []


def check(path: Path, words: list[str]) -> int:
    """Every limit the band is deep enough for gives the ranking statement's rows;
    the number of (word, limit) pairs the band answered unfiltered (and of filtered
    ones in FILTERED_ANSWERS)."""
    conn = open_readonly(path)
    answered = 0
    try:
        for word, limit in itertools.product(words, range(1, DEPTH + 1)):
            got = search_index.ranked(conn, word, limit)
            if got is not None:
                assert got == exact(conn, word, limit), (word, limit)
                answered += 1
            for where, params in FILTERS:
                got = search_index.ranked(conn, word, limit, where=where, params=params)
                if got is not None:
                    assert got == exact(conn, word, limit, where, params), (word, where)
                    FILTERED_ANSWERS.append(FILTERS.index((where, params)))
    finally:
        conn.close()
    return answered


@pytest.fixture
def small_depth(monkeypatch: pytest.MonkeyPatch) -> None:
    # A shallow band, so that a few hundred comments leave most of them outside it.
    monkeypatch.setattr(search_index, "DEPTH", DEPTH)
    monkeypatch.setattr(search_upkeep, "DEPTH", DEPTH)
    monkeypatch.setattr(search_upkeep, "MIN_DEPTH", 2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_band_equals_ranking_through_saves_edits_deletions(
    tmp_path: Path, small_depth: None, seed: int
) -> None:
    rng = random.Random(seed)
    FILTERED_ANSWERS.clear()
    path = tmp_path / "a.db"
    db = open_db(path)
    for story in range(1, 5):
        save_thread(db, thread(rng, story, 60))
    with transaction(db) as conn:
        assert search_upkeep.keep(conn, ["otter", "foxes", "the", "user7"]) == [
            "otter", "fox", "the", "user7"]  # fmt: skip
    words = ["otter", "Otter", '"fox"', "foxes", "the", "user7"]
    assert check(path, words) == len(words) * DEPTH
    for round_ in range(6):
        # New threads, a thread saved again with edited texts, rows deleted (the best
        # ones first: they are the band's members), then sometimes a refresh.
        save_thread(db, thread(rng, 10 + round_, 40))
        save_thread(db, thread(random.Random(seed * 10 + round_), 1 + round_ % 4, 60, edit=0.3))
        best = [r for r, _ in exact(db.conn, "otter", 2)] + rng.sample(range(1, 240), 5)
        with transaction(db) as conn:
            conn.executemany("DELETE FROM comments WHERE rowid = ?", [(r,) for r in best])
        check(path, words)
        if round_ % 2:
            with transaction(db) as conn:
                search_upkeep.refresh(conn)
            assert check(path, words) > 0
    # A band left shallower than MIN_DEPTH is built again, whole.
    search_upkeep.MIN_DEPTH = DEPTH  # type: ignore[misc]  # monkeypatched: restored after
    with transaction(db) as conn:
        search_upkeep.refresh(conn)
        assert conn.execute("SELECT count(*) FROM search_changes").fetchone()[0] == 0
    assert check(path, words) == len(words) * DEPTH
    # Each filter was answered from the band (or from the author's own rows) sometimes.
    assert set(FILTERED_ANSWERS) == set(range(len(FILTERS)))
    db.close()


def test_a_band_too_shallow_leaves_ranking_to_fts5(tmp_path: Path, small_depth: None) -> None:
    rng = random.Random(5)
    db = open_db(tmp_path / "a.db")
    save_thread(db, thread(rng, 1, 80))
    with transaction(db) as conn:
        search_upkeep.keep(conn, ["otter"])
    top = [r for r, _ in exact(db.conn, "otter", DEPTH)]
    with transaction(db) as conn:
        conn.executemany("DELETE FROM comments WHERE rowid = ?", [(r,) for r in top[:3]])
    conn = open_readonly(tmp_path / "a.db")
    assert search_index.ranked(conn, "otter", DEPTH) is None  # 3 members gone
    assert search_index.ranked(conn, "otter", DEPTH - 3) == exact(conn, "otter", DEPTH - 3)
    conn.close()
    db.close()


def test_search_gives_the_same_hits_with_and_without_a_band(tmp_path: Path) -> None:
    rng = random.Random(9)
    path = tmp_path / "a.db"
    db = open_db(path)
    for story in range(1, 4):
        save_thread(db, thread(rng, story, 50))
    conn = open_readonly(path)
    queries = [("otter", {}), ("the", {"limit": 7}), ("otter", {"author": "user3"}),
               ("otter river", {}), ("fox*", {}), ("otter", {"kinds": ("comment",)})]  # fmt: skip
    before = [search(conn, q, **kw) for q, kw in queries]  # type: ignore[arg-type]
    conn.close()
    with transaction(db) as tx:
        search_upkeep.keep(tx, ["otter", "the"])
    db.close()
    conn = open_readonly(path)
    assert search_index.ranked(conn, "otter", 20) is not None
    assert [search(conn, q, **kw) for q, kw in queries] == before  # type: ignore[arg-type]
    conn.close()


def dominators(points: list[tuple[int, int, int]], p: tuple[int, int, int]) -> int:
    """Points that rank before p for every avgdl: tf as high, dl as low, and the earlier
    rowid when both are the same."""
    return sum(1 for q in points if q is not p and q[1] >= p[1] and q[2] <= p[2]
               and ((q[1], q[2]) != (p[1], p[2]) or q[0] < p[0]))  # fmt: skip


def test_search_merges_edits_in_the_sandbox(tmp_path: Path) -> None:
    # Edits and deletions since the band was kept: search counts the word's rows
    # afresh, inside the sandbox that may create nothing (not even a temp table).
    rng = random.Random(4)
    path = tmp_path / "a.db"
    db = open_db(path)
    save_thread(db, thread(rng, 1, 60))
    with transaction(db) as tx:
        search_upkeep.keep(tx, ["otter"])
    save_thread(db, thread(random.Random(40), 1, 60, edit=0.5))
    with transaction(db) as tx:
        tx.execute("DELETE FROM comments WHERE rowid IN (3, 5, 8)")
    conn = open_readonly(path)
    kept = [search(conn, "otter", limit=n, kinds=("comment",)) for n in (1, 5, 20)]
    assert search_index.ranked(conn, "otter", 20) is not None
    conn.close()
    with transaction(db) as tx:
        search_upkeep.drop(tx, ["otter"])
    db.close()
    conn = open_readonly(path)
    assert [search(conn, "otter", limit=n, kinds=("comment",)) for n in (1, 5, 20)] == kept
    conn.close()


def test_skyband_is_the_points_fewer_than_depth_dominate() -> None:
    rng = random.Random(3)
    for _ in range(200):
        points = [(i, rng.randrange(1, 5), rng.randrange(1, 12)) for i in range(rng.randrange(40))]
        depth = rng.randrange(1, 6)

        want = sorted(p for p in points if dominators(points, p) < depth)
        assert sorted(search_band.skyband(points, depth)) == want


def test_one_word_queries_only() -> None:
    assert search_index.single_term("people") == ("peopl", "people")
    assert search_index.single_term(' "People" ') == ("peopl", "People")
    for query in ("people*", "a b", '"a b"', "author:x", "NOT", "-people", "foo_bar", "x-y"):
        assert search_index.single_term(query) is None, query


def test_the_private_tokenizer_keeps_nothing_of_a_large_batch() -> None:
    # A fold hands it ~a million comments at once; nothing of them may stay, neither in
    # its index (every later small call would walk it) nor as pages held.
    tokens = search_counts.Tokens()
    tokens.KEEP_PAGES = 50  # the batch below outgrows it
    first = tokens.conn
    many = [(n, f"otter word{n} river otter", "someone") for n in range(1, 20_001)]
    assert tokens.docs(many)["otter"] == 20_000
    assert tokens.conn is not first  # made anew: the pages went with the old one
    assert tokens.counts("otter", [(7, "Otter otter river", None)]) == {7: 2}
    conn = tokens.conn
    assert tokens.docs([(1, "river", None)]) == {"river": 1}
    assert tokens.conn is conn  # a small call keeps it
    # 'delete-all' leaves an empty index: its structure record and averages alone.
    assert conn.execute("SELECT count(*) FROM t_data").fetchone()[0] <= 2


def test_varints_as_sqlite_writes_them() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, b)")
    long = " ".join(["w"] * 20_000)
    conn.execute("INSERT INTO t (rowid, a, b) VALUES (1, ?, 'x y')", (long,))
    (sz,) = conn.execute("SELECT sz FROM t_docsize WHERE id = 1").fetchone()
    assert search_band.decode_varints(sz) == [20_000, 2]


def test_search_index_command(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_thread(db, thread(random.Random(2), 1, 30))
    db.close()
    run = CliRunner().invoke
    done = run(cli, ["search-index", "otter", "river", "--db", str(path)])
    assert (done.exit_code, done.output) == (0, "refreshed 0, built 2: 2 words kept\n")
    done = run(cli, ["search-index", "--db", str(path)])
    assert (done.exit_code, done.output) == (0, "refreshed 2, built 0: 2 words kept\n")
    done = run(cli, ["search-index", "--frequent", "--min-docs", "5", "--db", str(path)])
    assert done.exit_code == 0 and "built" in done.output
    done = run(cli, ["search-index", "--drop", "otter", "river", "--db", str(path)])
    assert done.exit_code == 0, done.output
    conn = open_readonly(path)
    terms = {t for t, in conn.execute("SELECT term FROM search_terms")}
    assert "otter" not in terms and "river" not in terms and "the" in terms
    conn.close()
    done = run(cli, ["search-index", "two words", "--db", str(path)])
    assert done.exit_code == 2 and "not one word" in done.output
