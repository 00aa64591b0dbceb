"""Automatic band upkeep (archive/search_auto.py): after any mix of saves, edits,
deletions and imports, and whatever it had time for, every kept band answers exactly
what FTS5's ranking statement gives (same rowids, same bm25 bits); once it has run to
the end, each band holds the band built from scratch and its premise is current; the
threshold starts the words in MIN_DOCS comments and no others."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import (
    cli_search,
    search_auto,
    search_build,
    search_counts,
    search_fold,
    search_index,
    search_upkeep,
)
from archive.cli import cli
from archive.db import open_db, transaction
from archive.health import Health
from archive.search_band import skyband
from archive.store import save_thread, start_crawl
from scraper.closing import close_crawl
from scraper.importers.run import import_paths
from tests import hnpages
from tests.test_search_band import exact, thread
from tests.test_store import make_comment, make_story, make_thread

DEPTH = 6
MIN_DOCS = 30


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shallow bands and a low threshold, so that a few hundred comments exercise all."""
    for module in (search_index, search_upkeep, search_build):
        monkeypatch.setattr(module, "DEPTH", DEPTH)
    monkeypatch.setattr(search_upkeep, "MIN_DEPTH", 2)
    monkeypatch.setattr(search_build, "MIN_DEPTH", 3)
    monkeypatch.setattr(search_auto, "MIN_DOCS", MIN_DOCS)
    monkeypatch.setattr(search_auto, "LOOK_EVERY", 1)
    monkeypatch.setattr(search_auto, "FOLD_MIN", 1)
    monkeypatch.delenv(search_auto.ENV, raising=False)


def kept(conn: sqlite3.Connection) -> list[tuple[str, str, int, int, int]]:
    return conn.execute("SELECT term, word, docs, upto, depth FROM search_terms"
                        " WHERE term NOT LIKE ' %' ORDER BY term").fetchall()  # fmt: skip


def check_answers(conn: sqlite3.Connection, *, folded: bool = True) -> int:
    """Every kept band answers exactly each limit it is deep enough for (all up to its
    stored depth once ``folded``; changes not folded lower it as a search runs)."""
    answered = 0
    for _, word, _, _, depth in kept(conn):
        for limit in range(1, DEPTH + 1):
            got = search_index.ranked(conn, word, limit)
            if folded:
                assert (got is None) == (limit > depth), (word, limit)
            if got is not None:
                assert got == exact(conn, word, limit), (word, limit)
                answered += 1
    return answered


def check_current(conn: sqlite3.Connection) -> None:
    """After a run to the end: each band's premise is now, its n is FTS5's count, and it
    holds the band built from scratch (so searching merges nothing in)."""
    top = conn.execute("SELECT max(rowid) FROM comments").fetchone()[0]
    everything = [r[0] for r in conn.execute("SELECT rowid FROM comments")]
    for term, word, docs, upto, depth in kept(conn):
        assert upto == top
        assert docs == search_counts.term_docs(conn, term, word)
        band = {r[0] for r in conn.execute("SELECT doc FROM search_band WHERE term = ?", (term,))}
        scratch = skyband(search_counts.term_points(conn, term, everything), depth)
        assert {p[0] for p in scratch} <= band, term
    assert not conn.execute("SELECT 1 FROM search_changes").fetchone()
    assert not conn.execute("SELECT 1 FROM search_before").fetchone()


def imported(tmp_path: Path, db: object, seed: int, story: int) -> None:
    t = hnpages.random_thread(30, seed=seed, story_id=str(900_000 + story * 100),
                              edge_cases=False)  # fmt: skip
    folder = tmp_path / f"import{story}"
    folder.mkdir()
    [html] = hnpages.site_pages(t).values()
    (folder / "page.html").write_text(html, encoding="utf-8")
    import_paths(db, [folder])  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_upkeep_keeps_every_band_exact_through_saves_edits_deletions_imports(
    tmp_path: Path, small: None, seed: int
) -> None:
    rng = random.Random(seed)
    db = open_db(tmp_path / "a.db")
    for story in range(1, 4):
        save_thread(db, thread(rng, story, 60))
    first = search_auto.upkeep(db, seconds=None)
    assert first.started and sorted(first.built) == sorted(first.started)
    assert not first.building
    check_answers(db.conn)
    check_current(db.conn)
    for round_ in range(8):
        save_thread(db, thread(rng, 10 + round_, 40))
        save_thread(db, thread(random.Random(seed * 10 + round_), 1 + round_ % 3, 60, edit=0.3))
        if round_ % 3 == 1:
            imported(tmp_path, db, seed * 7 + round_, round_)  # the import's own upkeep ran
        best = [r for r, _ in exact(db.conn, "otter", 2)] + rng.sample(range(1, 180), 4)
        with transaction(db) as conn:
            conn.executemany("DELETE FROM comments WHERE rowid = ?", [(r,) for r in best])
        check_answers(db.conn, folded=False)  # searches merge in what came since
        if round_ % 2:
            # A run with no time at all still moves a build one short step.
            search_auto.upkeep(db, seconds=0)
            check_answers(db.conn, folded=False)
        search_auto.upkeep(db, seconds=None)
        assert check_answers(db.conn) > 0
        check_current(db.conn)
    db.close()


def test_a_build_in_small_steps_with_writes_between_equals_one_built_whole(
    tmp_path: Path, small: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_build, "CHECK_EVERY", 1)
    rng = random.Random(4)
    db = open_db(tmp_path / "a.db")
    for story in range(1, 5):
        save_thread(db, thread(rng, story, 50))
    search_build.start(db.conn, "otter", "otter")
    steps = 0
    while not search_build.step(db.conn, "otter", deadline=None, rows=7):
        steps += 1
        # Between two steps: a new thread, edits, and a deletion, behind and ahead of it.
        save_thread(db, thread(rng, 20 + steps, 3))
        with transaction(db) as conn:
            conn.execute("UPDATE comments SET text = text || ' otter' WHERE rowid = ?",
                         (rng.randrange(1, 200),))  # fmt: skip
            conn.execute("DELETE FROM comments WHERE rowid = ?", (rng.randrange(1, 200),))
        assert search_index.ranked(db.conn, "otter", 1) is None or kept(db.conn) == []
    assert steps > 5
    assert steps < 200  # the build outruns the writes
    # Done: in place, and after the writes of the last steps are folded, exact.
    assert [k[0] for k in kept(db.conn)] == ["otter"]
    check_answers(db.conn, folded=False)
    search_auto.upkeep(db, seconds=None)
    check_answers(db.conn)
    check_current(db.conn)
    db.close()


def test_tf_read_back_from_bm25_is_the_tokenizers(tmp_path: Path, small: None) -> None:
    rng = random.Random(8)
    db = open_db(tmp_path / "a.db")
    for story in range(1, 4):
        save_thread(db, thread(rng, story, 80))
    conn = db.conn
    for term, word in [("otter", "otter"), ("fox", "foxes"), ("the", "the"), ("user7", "user7")]:
        docs = search_counts.term_docs(conn, term, word)
        read, upto = search_build._read(conn, term, word, 0, 10**9, docs, None, 10**9)
        rows = [r[0] for r in conn.execute("SELECT rowid FROM comments")]
        assert sorted(read) == sorted(search_counts.term_points(conn, term, rows))
        assert upto == 10**9
    db.close()


def words_thread(story: int, counts: dict[str, int], size: int) -> object:
    """``size`` comments; the first counts[w] of them hold w; every one a word of its own."""
    comments = []
    for k in range(size):
        words = [w for w, n in counts.items() if k < n] + [f"only{story}x{k}"]
        text = " ".join(words)
        comments.append(make_comment(str(story * 1000 + k), story_id=str(story), position=k,
                                     text=text, text_html=f"<p>{text}</p>", author=None))
    return make_thread(tuple(comments), story=make_story(id=str(story)))


def test_the_threshold_starts_exactly_the_words_in_min_docs_comments(
    tmp_path: Path, small: None
) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, words_thread(1, {"alpha": 45, "beta": 29, "gamma": 15, "delta": 3}, 60))
    started = search_auto.upkeep(db, seconds=None).started
    assert started == ["alpha"]  # beta, one short, was counted and remembered
    assert db.conn.execute("SELECT term, docs FROM search_counted ORDER BY term").fetchall() == [
        ("beta", 29), ("gamma", 15)]  # fmt: skip
    # Two comments more hold gamma: 15 + 2 < 30, so it is not counted again.
    save_thread(db, words_thread(2, {"gamma": 2}, 2))
    assert search_auto.upkeep(db, seconds=None).started == []
    assert db.conn.execute("SELECT docs, at_rows FROM search_counted WHERE term = 'gamma'"
                           ).fetchone() == (15, 60)  # fmt: skip
    # Two more hold beta: it may now be in 30, and is counted again.
    save_thread(db, words_thread(3, {"beta": 2}, 2))
    assert search_auto.upkeep(db, seconds=None).started == ["beta"]
    # A word dropped by hand is not taken up again.
    with transaction(db) as conn:
        search_upkeep.drop(conn, ["alpha"])
    save_thread(db, words_thread(4, {"alpha": 5}, 5))
    assert search_auto.upkeep(db, seconds=None).started == []
    assert [k[0] for k in kept(db.conn)] == ["beta"]
    db.close()


def test_a_stem_is_kept_under_a_word_that_searches_for_it(tmp_path: Path, small: None) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, words_thread(1, {"foxes": 35}, 50))
    search_auto.upkeep(db, seconds=None)
    [(term, word, docs, _, _)] = kept(db.conn)
    assert (term, word, docs) == ("fox", "foxes", 35)
    check_answers(db.conn)
    db.close()


def test_upkeep_off_for_the_archive_or_the_process(
    tmp_path: Path, small: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_thread(db, words_thread(1, {"alpha": 40}, 40))
    runner = CliRunner()
    assert runner.invoke(cli, ["search-index", "--no-auto", "--db", str(path)]).exit_code == 0
    assert search_auto.upkeep(db, seconds=None).started == []
    assert runner.invoke(cli, ["search-index", "--auto", "--db", str(path)]).exit_code == 0
    monkeypatch.setenv(search_auto.ENV, "0")
    assert search_auto.upkeep(db, seconds=None).started == []
    monkeypatch.delenv(search_auto.ENV)
    result = runner.invoke(cli, ["search-index", "--upkeep", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "started 1, built 1" in result.output
    assert [k[0] for k in kept(db.conn)] == ["alpha"]
    db.close()


def test_nothing_new_writes_nothing(tmp_path: Path, small: None) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, words_thread(1, {"alpha": 40}, 40))
    search_auto.upkeep(db, seconds=None)
    changes = db.conn.total_changes
    again = search_auto.upkeep(db, seconds=None)
    assert (again.folded, again.looked, again.started, again.built) == (0, 0, [], [])
    assert db.conn.total_changes == changes
    db.close()


def test_the_change_log_keeps_the_text_before(tmp_path: Path, small: None) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, words_thread(1, {"alpha": 40}, 40))
    search_auto.upkeep(db, seconds=None)
    with transaction(db) as conn:
        conn.execute("UPDATE comments SET text = 'beta' WHERE rowid = 3")
        conn.execute("DELETE FROM comments WHERE rowid = 5")
    rows = db.conn.execute("SELECT c.seq, c.doc, b.doc, b.text FROM search_changes c"
                           " JOIN search_before b USING (seq) ORDER BY seq").fetchall()  # fmt: skip
    assert [(r[1], r[2], r[3]) for r in rows] == [(3, 3, "alpha only1x2"), (5, 5, "alpha only1x4")]
    search_auto.upkeep(db, seconds=None)
    check_current(db.conn)
    db.close()


def test_a_crawls_end_runs_the_upkeep(tmp_path: Path, small: None) -> None:
    db = open_db(tmp_path / "a.db")
    save_thread(db, words_thread(1, {"alpha": 40}, 40))
    with transaction(db) as conn:
        search_upkeep.keep(conn, ["alpha"])
    save_thread(db, words_thread(2, {"alpha": 10}, 10))
    assert search_fold.pending(db.conn) == 10
    crawl = start_crawl(db, command="crawl", targets=[], args={})
    close_crawl(db, crawl, db_path="a.db", status="finished", pages=1, threads=1, comments=10,
                failures=[], unstored=[], health=Health())  # fmt: skip
    assert search_fold.pending(db.conn) == 0
    check_current(db.conn)
    db.close()


def test_a_slow_search_of_an_unkept_word_says_how_to_make_it_quick(
    tmp_path: Path, small: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_thread(db, words_thread(1, {"alpha": 10, "beta": 10}, 10))
    with transaction(db) as conn:
        search_upkeep.keep(conn, ["beta"])
    db.close()
    monkeypatch.setattr(cli_search, "SLOW", -1.0)  # every search counts as slow
    runner = CliRunner()
    alpha = runner.invoke(cli, ["search", "alpha", "--db", str(path)])
    assert alpha.exit_code == 0
    assert "linkthread search-index alpha" in alpha.stderr
    beta = runner.invoke(cli, ["search", "beta", "--limit", "5", "--db", str(path)])
    assert beta.exit_code == 0 and "hint" not in beta.stderr
    both = runner.invoke(cli, ["search", "alpha beta", "--db", str(path)])
    assert both.exit_code == 0 and "hint" not in both.stderr
