"""Broken trees in a dump: cycles of parents, a comment its own parent, a parent in
another thread, the same comment twice (same content: one row; other content: the
later a version of the earlier, not a second row), a comment before its submission,
and missing parents (kept, recorded). The archive is consistent after each."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import rows
from tests.redditdump import comment, consistency_problems, ndjson, submission, zst
from tests.test_import import run_import

AT = 1_700_000_000


def imported(tmp_path: Path, lines: list[dict], name: str = "tree_comments.ndjson") -> Path:
    path = tmp_path / name
    path.write_bytes(ndjson(lines))
    db = tmp_path / f"{name}.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    assert consistency_problems(db) == []
    return db


def placed(db: Path) -> list[tuple]:
    return rows(db, "select id, parent_id, depth, position, extra ->> '$.parent_missing'"
                    " from comments order by id")


def test_a_comment_its_own_parent_and_a_cycle_are_kept_as_orphans(tmp_path: Path) -> None:
    db = imported(tmp_path, [
        comment("top", at=AT), comment("me", "me", at=AT + 1),
        comment("a", "b", at=AT + 2), comment("b", "c", at=AT + 3),
        comment("c", "a", at=AT + 4), comment("under", "top", at=AT + 5)])
    assert placed(db) == [
        ("a", "b", 1, 0, 1), ("b", "c", 1, 0, 1), ("c", "a", 1, 0, 1),
        ("me", "me", 1, 0, 1), ("top", None, 0, 0, None), ("under", "top", 1, 0, None)]


def test_a_parent_in_another_thread_is_a_missing_parent(tmp_path: Path) -> None:
    db = imported(tmp_path, [
        comment("here", story="one", at=AT), comment("there", story="two", at=AT + 1),
        comment("stray", "here", story="two", at=AT + 2),
        comment("reply", "stray", story="two", at=AT + 3)])
    assert rows(db, "select id, story_id, depth, extra ->> '$.parent_missing' from comments"
                    " order by id") == [
        ("here", "one", 0, None), ("reply", "two", 2, None), ("stray", "two", 1, 1),
        ("there", "two", 0, None)]


def test_the_same_comment_twice_with_the_same_content_is_one_row(tmp_path: Path) -> None:
    line = comment("twice", at=AT)
    db = imported(tmp_path, [line, comment("other", at=AT + 1), line])
    assert rows(db, "select id from comments order by id") == [("other",), ("twice",)]
    assert rows(db, "select count(*) from comment_versions") == [(0,)]


def test_the_same_comment_with_other_content_is_a_version(tmp_path: Path) -> None:
    first = comment("edited", at=AT, body="first words", retrieved_on=AT + 60)
    later = comment("edited", at=AT, body="second words", retrieved_on=AT + 7_200,
                    edited=AT + 3_000, score=9)
    db = imported(tmp_path, [first, comment("other", at=AT + 1), later,
                             comment("after", "edited", at=AT + 5)])
    assert rows(db, "select id, text, score, depth from comments order by id") == [
        ("after", "text of after", 1, 1), ("edited", "second words", 9, 0),
        ("other", "text of other", 1, 0)]
    assert rows(db, "select comment_id, change, text from comment_versions"
                    " order by seen_at, change") == [
        ("edited", "added", "first words"), ("edited", "edited", "second words")]
    assert rows(db, "select score from comment_scores where comment_id = 'edited'"
                    " order by seen_at") == [(1,), (9,)]


def test_three_observations_of_one_comment_in_one_batch(tmp_path: Path) -> None:
    db = imported(tmp_path, [
        comment("c", at=AT, body=f"take {n}", retrieved_on=AT + 100 * n) for n in (1, 2, 3)])
    assert rows(db, "select text from comments") == [("take 3",)]
    assert rows(db, "select text from comment_versions order by seen_at") == [
        ("take 1",), ("take 2",), ("take 3",)]


def test_a_comment_before_its_submission(tmp_path: Path) -> None:
    lines = [comment("early", at=AT), submission("post", num_comments=1, title="Late")]
    path = tmp_path / "order_comments.zst"
    path.write_bytes(zst(ndjson(lines)))
    db = tmp_path / "a.db"
    assert run_import(path, "--db", db).exit_code == 0
    assert rows(db, "select id, title, comment_count, archived_count from stories") == [
        ("post", "Late", 1, 1)]
    assert consistency_problems(db) == []
    # The same, the two kinds in two files given comments first.
    comments, stories = tmp_path / "c_comments.ndjson", tmp_path / "s_submissions.ndjson"
    comments.write_bytes(ndjson([comment("early2", story="p2", at=AT)]))
    stories.write_bytes(ndjson([submission("p2", title="Later")]))
    db2 = tmp_path / "b.db"
    assert run_import(comments, "--db", db2).exit_code == 0
    assert run_import(stories, "--db", db2).exit_code == 0
    assert rows(db2, "select id, title from stories") == [("p2", "Later")]
    assert consistency_problems(db2) == []


def test_missing_parents_are_kept_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "orphans_comments.ndjson"
    path.write_bytes(ndjson([comment("root", at=AT), comment("lost", "gone", at=AT + 1),
                             comment("below", "lost", at=AT + 2)]))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0
    assert "1 whose parent is in no file read" in result.output
    assert placed(db) == [("below", "lost", 2, 0, None), ("lost", "gone", 1, 0, 1),
                          ("root", None, 0, 0, None)]
    assert consistency_problems(db) == []
