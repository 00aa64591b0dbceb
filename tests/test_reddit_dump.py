"""Reddit dumps through the bulk path: a generated dump (tests/redditdump.py) imports
exactly (whole rows against the generator's own tree), twice adds nothing, a SIGKILL
mid-import then a restart ends equal to an uninterrupted import, filters keep what
they say, missing parents are kept, and a dumped thread saved live merges."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive import redact, summaries
from archive.db import open_db
from archive.models import Story, Thread
from archive.search import search
from archive.store import _comment_content, save_thread
from scraper.importers.detect import dump_kind
from scraper.importers.dump_run import run_dumps
from scraper.importers.reddit_dump import Filters
from scraper.parsers.reddit import things
from tests.conftest import LINKTHREAD, rows, wait_until
from tests.redditdump import Dump, generate
from tests.test_import import run_import

# Every table an import writes, but for the log of imports (crawls, import_progress).
TABLES = ("stories", "comments", "comment_versions", "comment_scores", "story_snapshots",
          "thread_crawls", "users", "pages", "import_comments", "author_threads",
          "author_counts", "thread_latest")


@pytest.fixture(scope="session")
def big(tmp_path_factory: pytest.TempPathFactory) -> Dump:
    return generate(tmp_path_factory.mktemp("dump"), comments=200_000, threads=2_000)


@pytest.fixture(scope="session")
def imported(big: Dump, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The big dump imported once, uninterrupted: what the other imports must equal."""
    db = tmp_path_factory.mktemp("imported") / "a.db"
    result = run_import(big.submissions_path, big.comments_path, "--db", db)
    assert result.exit_code == 0, result.output
    return db


@pytest.fixture(scope="session")
def imported_rows(imported: Path) -> dict[str, list[tuple]]:
    """``table_rows(imported)``, read once: 200,000 comments' rows are seconds to read."""
    return table_rows(imported)


def table_rows(db: Path) -> dict[str, list[tuple]]:
    """Every row of every data table, but the columns that name the crawl that wrote it."""
    out = {}
    with sqlite3.connect(db) as conn:
        for table in TABLES:
            columns = [c for (_, c, *_) in conn.execute(f"pragma table_info({table})")
                       if c not in ("crawl_id", "last_crawl_id")]
            out[table] = sorted(map(repr, conn.execute(
                f"select {', '.join(columns)} from {table}")))
    return out


def expected_row(cid: str, truth: tuple) -> tuple:
    """The comment's whole row as the store would write it from the dump's line, with
    the tree (parent, depth, position, missing-parent marker) from the generator."""
    story, parent, depth, position, missing, data = truth
    comment = things.comment_from(data, story_id=story, parent_id=parent, depth=depth,
                                  position=position)
    if missing:
        comment = replace(comment, extra={**(comment.extra or {}), "parent_missing": True})
    seen = datetime.fromtimestamp(data["retrieved_on"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ("reddit", cid, *_comment_content(comment), seen, seen)


def test_a_dump_imports_exactly_and_is_searchable(big: Dump, imported: Path) -> None:
    columns = "site, id, story_id, parent_id, depth, position, author, created_at, " \
              "created_at_raw, text_html, text, dead, flagged, deleted, colour, synthetic_id, " \
              "score, edited, edited_at, edited_at_raw, removed, by_submitter, extra, " \
              "first_seen_at, last_seen_at"
    got = rows(imported, f"select {columns} from comments order by id")
    want = sorted((expected_row(cid, t) for cid, t in big.truth.items()), key=lambda r: r[1])
    assert len(got) == len(big.truth) > 190_000
    assert got == want
    # Every thread's story is there: with its submission, or as what its comments say.
    stories = rows(imported, "select id, title, score, comment_count, archived_count from"
                             " stories order by id")
    by_story: dict[str, int] = {}
    for story, *_ in big.truth.values():
        by_story[story] = by_story.get(story, 0) + 1
    assert stories == sorted(
        (s, *(big.stories[s][:3] if s in big.stories else (None, None, None)), n)
        for s, n in by_story.items())
    # Their siblings are in time order, as the thread records: Reddit's "old" sort.
    assert rows(imported, "select extra ->> '$.sort', count(*) from stories group by 1") == [
        ("old", len(by_story))]
    assert rows(imported, "select count(*) from import_comments") == [(0,)]
    # Searchable when the command returns: the full-text index holds the new rows.
    target = next(cid for cid, t in big.truth.items() if not t[5]["body"].startswith("["))
    db = open_db(imported)
    try:
        hits = search(db, f"zebrafish{target}", site="reddit")
    finally:
        db.close()
    assert [(h.comment_id, h.story_id) for h in hits] == [(target, big.truth[target][0])]


def summaries_as_recounted(db: Path) -> None:
    """The author summaries an import kept equal those recounted from every comment."""
    tables = ("author_threads", "author_counts")
    with sqlite3.connect(db) as conn:
        kept = {t: sorted(conn.execute(f"select * from {t}")) for t in tables}
        conn.execute("begin")
        summaries.rebuild(conn)
        recounted = {t: sorted(conn.execute(f"select * from {t}")) for t in tables}
        conn.execute("rollback")
    assert kept == recounted
    assert kept["author_counts"]


def test_each_thread_has_its_crawl_and_the_summaries_are_kept(big: Dump,
                                                              imported: Path) -> None:
    seen: dict[str, int] = {}
    counts: dict[str, list[int]] = {}
    for story, *_, data in big.truth.values():
        seen[story] = max(seen.get(story, 0), data["retrieved_on"])
        n = counts.setdefault(story, [0, 0])
        n[data["body"] == "[deleted]"] += 1
    [(crawl,)] = rows(imported, "select id from crawls where command = 'import'")

    def iso(epoch: int) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    want = []
    for story, (kept, deleted) in counts.items():
        declared = big.stories[story][2] if story in big.stories else None
        want.append((story, crawl, iso(seen[story]), declared, kept, 0, deleted,
                     None if declared is None else max(declared - kept, 0), 0, None, None))
    assert rows(imported, "select story_id, crawl_id, seen_at, declared, archived, dead,"
                          " deleted, missing, unchanged, pages, unexpanded from thread_crawls"
                          " order by story_id") == sorted(want)
    summaries_as_recounted(imported)


def test_missing_parents_are_kept_with_their_parent_recorded(big: Dump,
                                                             imported: Path) -> None:
    orphans = {cid: t for cid, t in big.truth.items() if t[4]}
    assert len(orphans) > 100
    got = rows(imported, "select id, parent_id, depth, extra ->> '$.parent_missing' from"
                         " comments where extra ->> '$.parent_missing' order by id")
    assert got == sorted((cid, t[1], 1, 1) for cid, t in orphans.items())
    assert {t[1] for t in orphans.values()} <= big.missing


def test_importing_the_same_dump_again_adds_nothing(
        big: Dump, imported: Path, imported_rows: dict[str, list[tuple]],
        tmp_path: Path) -> None:
    db = tmp_path / "again.db"
    db.write_bytes(imported.read_bytes())  # byte for byte: its rows are imported_rows
    result = run_import(big.submissions_path, big.comments_path, "--db", db)
    assert result.exit_code == 0, result.output
    assert "already imported with these filters; nothing to add" in result.output
    assert table_rows(db) == imported_rows


@pytest.mark.e2e  # a child process killed
def test_a_killed_import_resumes_and_ends_equal(
        big: Dump, imported_rows: dict[str, list[tuple]], tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    args = [*cmd, "import", str(big.submissions_path), str(big.comments_path), "--db", str(db)]
    env = {**os.environ, "LINKTHREAD_DUMP_BATCH": "2000"}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)

    def moving() -> bool:
        if not db.exists():
            return False
        try:
            found = rows(db, "select position, state from import_progress where path = ?",
                         str(big.comments_path))
        except sqlite3.Error:  # the archive is still being made
            return False
        return bool(found) and found[0][0] > 0

    try:
        wait_until(moving, "the comments file's position moving in the archive", proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    [(position, state)] = rows(db, "select position, state from import_progress"
                                   " where path = ?", str(big.comments_path))
    assert state == "reading" and position > 0
    # Killed before publishing: the archive holds the staged rows and nothing half made.
    assert rows(db, "select count(*) from comments") == [(0,)]
    assert rows(db, "pragma foreign_key_check") == []
    result = run_import(big.submissions_path, big.comments_path, "--db", db)
    assert result.exit_code == 0, result.output
    # The submissions were read whole before the kill: not read again.
    assert "and 0 submission(s) from 2 dump file(s)" in result.output
    assert table_rows(db) == imported_rows


def test_filters_keep_only_what_they_name(big: Dump, tmp_path: Path) -> None:
    db = tmp_path / "filtered.db"
    since, until = 1_700_000_000 + 600 * 60, 1_700_000_000 + 1_200 * 60
    result = run_import(big.comments_path, "--subreddit", "Python", "--since",
                        datetime.fromtimestamp(since, UTC).isoformat(), "--until",
                        datetime.fromtimestamp(until, UTC).isoformat(), "--db", db)
    assert result.exit_code == 0, result.output
    want = sorted(cid for cid, t in big.truth.items() if t[5]["subreddit"] == "python"
                  and since <= float(t[5]["created_utc"]) < until)
    assert len(want) > 1_000
    assert [cid for (cid,) in rows(db, "select id from comments order by id")] == want


def test_a_dumped_thread_saved_live_merges_by_the_history_rules(tmp_path: Path) -> None:
    small = generate(tmp_path, comments=600, threads=3, seed=5)
    db_path = tmp_path / "merge.db"
    assert run_import(small.submissions_path, small.comments_path, "--db", db_path
                      ).exit_code == 0
    story = next(iter(small.stories))
    stored = rows(db_path, "select id, text, depth, position from comments where story_id"
                           " = ? order by id", story)
    edited = stored[0][0]
    live = [things.comment_from(t[5], story_id=t[0], parent_id=t[1], depth=t[2], position=t[3])
            for cid, t in sorted(small.truth.items()) if t[0] == story]
    live = [replace(c, text="changed on the site") if c.id == edited else c for c in live]
    fetched = datetime(2026, 6, 1, tzinfo=UTC)
    db = open_db(db_path)
    try:
        save_thread(db, Thread(story=Story(site="reddit", id=story, title="live title"),
                               comments=tuple(live), fetched_at=fetched))
    finally:
        db.close()
    assert rows(db_path, "select count(*) from comments where story_id = ?", story) == [
        (len(stored),)]
    assert rows(db_path, "select comment_id, change, text from comment_versions"
                         " order by rowid") == [
        (edited, "added", stored[0][1]), (edited, "edited", "changed on the site")]
    # The dump again, after the live crawl: its rows are older, so they change nothing
    # (the import is keyed by its filters: another filter reads the file again).
    before = table_rows(db_path)
    assert run_import(small.comments_path, "--since", "2000-01-01", "--db", db_path
                      ).exit_code == 0
    after = table_rows(db_path)
    assert after["comment_versions"] == before["comment_versions"]
    assert after["comments"] == before["comments"]
    summaries_as_recounted(db_path)


def test_dumps_are_told_by_their_fields(big: Dump, tmp_path: Path) -> None:
    plain = tmp_path / "sqlite_comments.ndjson"
    plain.write_text(json.dumps(next(iter(big.truth.values()))[5]) + "\n")
    page = tmp_path / "story.json"
    page.write_text(json.dumps({"short_id": "abc", "title": "x", "comments": []}))
    assert [dump_kind(p) for p in (big.comments_path, big.submissions_path, plain, page)] == [
        "comments", "submissions", "comments", None]


def test_the_progress_bar_shows_rate_and_position_at_a_terminal_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = generate(tmp_path, comments=300, threads=3, seed=7)
    for terminal in (False, True):
        db = open_db(tmp_path / f"bar-{terminal}.db")
        try:
            run_dumps(db, [(small.comments_path, "comments")], filters=Filters(),
                      terminal=terminal)
        finally:
            db.close()
        shown = capsys.readouterr()
        assert shown.out == ""
        if terminal:
            size = small.comments_path.stat().st_size
            assert "RC_gen.zst" in shown.err and f"{len(small.truth)} rows" in shown.err
            assert f"{size / 1000:.1f}/{size / 1000:.1f} kB" in shown.err
            assert "rows/s" in shown.err
        else:
            assert shown.err == ""


def test_a_damaged_dump_is_one_line_and_keeps_what_came_before(tmp_path: Path) -> None:
    small = generate(tmp_path, comments=3_000, threads=10, seed=9)
    cut = tmp_path / "cut_comments.zst"
    data = small.comments_path.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    plain = tmp_path / "few_comments.ndjson"
    lines = [json.dumps(t[5]) for t in list(small.truth.values())[:50]]
    plain.write_text("\n".join([*lines[:20], "{not json", *lines[20:]]) + "\n")
    db = tmp_path / "damaged.db"
    result = run_import(cut, plain, "--db", db)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(cut) in errors[0] and "damaged or cut short" in errors[0]
    assert "Traceback" not in result.output
    assert "1 line(s) were not a Reddit comment or submission" in result.stderr
    [(count,)] = rows(db, "select count(*) from comments")
    assert len(small.truth) // 3 < count < len(small.truth)
    ids = [t[5]["id"] for t in list(small.truth.values())[:50]]
    assert rows(db, "select count(*) from comments where id in (select value from"
                    " json_each(?))", json.dumps(ids)) == [(50,)]


def test_what_a_redaction_names_is_not_brought_back_by_a_dump(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = generate(tmp_path / "a", comments=800, threads=4, seed=3)
    later = generate(tmp_path / "b", comments=800, threads=4, seed=4, first_id=36**5 * 2)
    db_path = tmp_path / "redacted.db"
    assert run_import(first.comments_path, "--db", db_path).exit_code == 0
    cid = next(c for c, t in first.truth.items() if t[5]["body"][0] != "[")
    # An author with comments in both dumps.
    author = sorted({t[5]["author"] for t in first.truth.values()}
                    & {t[5]["author"] for t in later.truth.values()} - {"[deleted]"})[0]
    db = open_db(db_path)
    try:
        redact.redact(db, site="reddit", kind="comment", key=cid, reason="asked")
        redact.redact(db, site="reddit", kind="author", key=author, reason="asked")
    finally:
        db.close()
    # The same dump again (another filter reads it again: the merge path) and another
    # dump (new rows) of the same author.
    for path in (first.comments_path, later.comments_path):
        assert run_import(path, "--since", "2000-01-01", "--db", db_path).exit_code == 0
    assert rows(db_path, "select text, redacted_at is not null from comments where id = ?",
                cid) == [(None, 1)]
    theirs = [c for c, t in later.truth.items() if t[5]["author"] == author]
    assert theirs
    assert rows(db_path, "select count(*) from comments where id in (select value from"
                         " json_each(?)) and text is null and author is null and"
                         " redacted_at is not null", json.dumps(theirs)) == [(len(theirs),)]
    [(found,)] = rows(db_path, "select count(*) from comments_fts where comments_fts match ?",
                      f"zebrafish{cid}")
    assert found == 0
    summaries_as_recounted(db_path)


def test_a_cycle_of_parents_is_kept_as_orphans(tmp_path: Path) -> None:
    def line(cid: str, parent: str, at: int) -> str:
        return json.dumps({"id": cid, "link_id": "t3_post", "parent_id": parent,
                           "body": f"text {cid}", "author": "a", "created_utc": at,
                           "retrieved_on": at + 60, "subreddit": "python"})

    dump = tmp_path / "cycle_comments.ndjson"
    dump.write_text("\n".join([line("top", "t3_post", 10), line("x", "t1_y", 20),
                               line("y", "t1_x", 30), line("z", "t1_y", 40)]) + "\n")
    db = tmp_path / "cycle.db"
    assert run_import(dump, "--db", db).exit_code == 0
    assert rows(db, "select id, parent_id, depth, position, extra ->> '$.parent_missing'"
                    " from comments order by id") == [
        ("top", None, 0, 0, None), ("x", "y", 1, 0, 1), ("y", "x", 1, 0, 1),
        ("z", "y", 1, 0, 1)]


def test_the_staging_table_has_the_staged_columns(tmp_path: Path) -> None:
    # import_comments is made from the comments table (archive.bulk.staging_table): a
    # column added to comments and to COMMENT_COLUMNS needs its migration to add it here.
    from archive.bulk import STAGED_COLUMNS

    db = open_db(tmp_path / "fresh.db")
    try:
        staged = [row[1] for row in db.conn.execute("pragma table_info(import_comments)")]
    finally:
        db.close()
    assert sorted(staged) == sorted(STAGED_COLUMNS)
