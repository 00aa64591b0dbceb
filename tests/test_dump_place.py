"""A first dump's tree placed in one sorted read (archive.bulk_place) gives the archive
the recursive walk gives, whole tables: generated dumps, threads over the cap left to
the walk, and broken files (a cycle, a parent staged in another thread, a parent
nowhere), which fall back to the walk where one thread's read cannot place them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import bulk_place
from tests.redditdump import generate
from tests.test_import import run_import
from tests.test_reddit_dump import table_rows


def _both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *files: Path
          ) -> tuple[dict[str, list[tuple]], list[int | None]]:  # fmt: skip
    """The archive by the sorted read (and what place_first answered), then by the walk."""
    answers: list[int | None] = []
    place = bulk_place.place_first

    def spied(tx: object) -> int | None:
        answers.append(place(tx))  # type: ignore[arg-type]
        return answers[-1]

    with monkeypatch.context() as patch:
        patch.setattr(bulk_place, "place_first", spied)
        assert run_import(*files, "--db", tmp_path / "read.db").exit_code == 0
    with monkeypatch.context() as patch:
        patch.setattr(bulk_place, "place_first", lambda tx: None)
        assert run_import(*files, "--db", tmp_path / "walked.db").exit_code == 0
    read, walked = table_rows(tmp_path / "read.db"), table_rows(tmp_path / "walked.db")
    assert read == walked
    assert read["comments"] and read["author_threads"] and read["author_counts"]
    return read, answers


def test_a_generated_dump_is_placed_as_the_walk_places_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    dump = generate(tmp_path, comments=5_000, threads=50, seed=21)
    _, answers = _both(tmp_path, monkeypatch, dump.submissions_path, dump.comments_path)
    assert answers == [0]  # every thread placed by the read


def test_threads_over_the_cap_are_left_to_the_walk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    dump = generate(tmp_path, comments=5_000, threads=50, seed=22)
    monkeypatch.setattr(bulk_place, "THREAD_CAP", 150)
    _, answers = _both(tmp_path, monkeypatch, dump.submissions_path, dump.comments_path)
    [left] = answers
    assert left and 0 < left < 5_000  # some threads walked, the rest read


def _line(cid: str, story: str, parent: str, at: int, author: str | None = "a") -> str:
    return json.dumps({"id": cid, "link_id": f"t3_{story}", "parent_id": parent,
                       "body": f"text {cid}", "author": author, "created_utc": at,
                       "retrieved_on": at + 60, "subreddit": "python"})


def _broken(tmp_path: Path) -> Path:
    """Two threads: a cycle (x, y) and a reply (z) under it, a parent nowhere (w under
    gone), siblings at the same second (ties by id), a deleted author; and in thread
    two a reply whose parent is staged in thread one."""
    lines = [_line("top", "one", "t3_one", 10), _line("b", "one", "t1_top", 20),
             _line("aa", "one", "t1_top", 20, None), _line("x", "one", "t1_y", 20),
             _line("y", "one", "t1_x", 30), _line("z", "one", "t1_y", 40),
             _line("w", "one", "t1_gone", 50, "[deleted]"),
             _line("c", "one", "t1_b", 15), _line("t2", "two", "t3_two", 5),
             _line("q", "two", "t1_t2", 6, "b")]  # fmt: skip
    path = tmp_path / "broken_comments.ndjson"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cycles_and_missing_parents_are_placed_as_the_walk_places_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    read, answers = _both(tmp_path, monkeypatch, _broken(tmp_path))
    assert answers == [0]
    [row] = [r for r in read["comments"] if r.startswith("('reddit', 'z',")]
    assert "parent_missing" in row  # under the cycle: reached by no walk


def test_a_parent_in_another_thread_falls_back_to_the_walk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    path = _broken(tmp_path)
    path.write_text(path.read_text() + _line("r", "two", "t1_b", 60) + "\n")
    _, answers = _both(tmp_path, monkeypatch, path)
    assert answers == [None]


def test_a_large_thread_with_a_parent_elsewhere_is_walked_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Thread two over the cap, one of its replies under thread one's comment: the walk
    of the large threads alone would not reach it, so every thread is walked."""
    path = _broken(tmp_path)
    extra = [_line(f"m{n}", "two", "t1_t2", 100 + n) for n in range(10)]
    path.write_text(path.read_text() + "\n".join([*extra, _line("r", "two", "t1_b", 60)])
                    + "\n")
    monkeypatch.setattr(bulk_place, "THREAD_CAP", 8)  # thread one's eight comments read
    read, answers = _both(tmp_path, monkeypatch, path)
    assert answers == [13]  # thread two's 13 left to the walk, then every thread walked
    [row] = [r for r in read["comments"] if r.startswith("('reddit', 'r',")]
    assert "parent_missing" not in row


def test_a_thread_of_more_authors_than_the_cap_falls_back_to_the_walk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    path = tmp_path / "many_comments.ndjson"
    path.write_text("\n".join(_line(f"k{n}", "one", "t3_one", n, f"u{n}") for n in range(9))
                    + "\n")
    monkeypatch.setattr(bulk_place, "AUTHOR_CAP", 4)
    _, answers = _both(tmp_path, monkeypatch, path)
    assert answers == [None]
