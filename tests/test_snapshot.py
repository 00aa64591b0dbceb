"""Snapshots: a consistent copy (also under a concurrent writer) and the archive as of T."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from archive.cli import cli
from archive.db import open_db
from archive.errors import ArchiveError
from archive.models import Listing, ListingEntry, User
from archive.rows import user_time
from archive.snapshot import snapshot
from archive.store import save_listing, save_thread, save_user
from tests.conftest import ROOT
from tests.test_history import CRAWLS, T2S, save_crawls
from tests.test_store import T0, T0S, T1, T1S, make_story, make_thread, table_rows
from tests.test_store_sites import save_crawls as save_site_crawls

TABLES = ("stories", "comments", "comment_versions", "story_snapshots", "thread_crawls",
          "pages", "crawls", "users", "listing_snapshots", "user_snapshots")  # fmt: skip


def archive_after(path: Path, crawls: int) -> sqlite_utils.Database:
    """An archive that saw only the first ``crawls`` crawls of test_history's thread."""
    db = open_db(path)
    for at, comments, score, count in CRAWLS[:crawls]:
        save_thread(
            db,
            make_thread(
                comments, fetched_at=at, story=make_story(score=score, comment_count=count)
            ),
        )
    return db


def test_a_snapshot_is_the_archive_with_a_note_of_what_it_is(tmp_path: Path) -> None:
    db = archive_after(tmp_path / "a.db", 3)
    out = snapshot(tmp_path / "a.db", tmp_path / "copy.db")

    copy = sqlite3.connect(out)
    for table in TABLES:
        assert table_rows(copy, table) == table_rows(db, table), table
    taken, as_of, source = copy.execute("SELECT * FROM _snapshot").fetchone()
    assert (as_of, source) == (None, str((tmp_path / "a.db").resolve()))
    assert taken.endswith("Z")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("crawls, as_of", [(1, T0S), (2, T1S), (3, T2S)])
def test_as_of_gives_the_archive_as_it_stood_then(tmp_path: Path, crawls: int,
                                                   as_of: str) -> None:  # fmt: skip
    save_crawls(open_db(tmp_path / "all.db"))
    then = archive_after(tmp_path / "then.db", crawls)

    copy = sqlite3.connect(snapshot(tmp_path / "all.db", tmp_path / "as-of.db", as_of=as_of))

    assert table_rows(copy, "stories") == table_rows(then, "stories")
    # last_seen_at is clamped to T, not recovered: no table records when a comment
    # that later vanished was last shown.
    assert table_rows(copy, "comments", drop=("last_seen_at",)) == table_rows(
        then, "comments", drop=("last_seen_at",)
    )
    for table in ("story_snapshots", "thread_crawls"):
        assert table_rows(copy, table) == table_rows(then, table), table
    # Versions up to T; the only extra rows are the 'added' states that later
    # changes wrote, dated when those comments were first archived (<= T).
    then_versions = table_rows(then, "comment_versions")
    extra = [v for v in table_rows(copy, "comment_versions") if v not in then_versions]
    assert {v["change"] for v in extra} <= {"added"}
    assert all(v["seen_at"] <= as_of for v in extra)
    search = (
        "SELECT c.id FROM comments_fts f JOIN comments c ON c.rowid = f.rowid"
        " WHERE comments_fts MATCH ? ORDER BY c.id"
    )
    assert (
        copy.execute(search, ("otters",)).fetchall()
        == then.conn.execute(search, ("otters",)).fetchall()
    )
    assert copy.execute("SELECT as_of FROM _snapshot").fetchone() == (as_of,)


@pytest.mark.parametrize("crawls, as_of", [(1, T0S), (2, T1S), (3, T2S)])
def test_as_of_rolls_back_comment_scores_removals_and_edits(tmp_path: Path, crawls: int,
                                                            as_of: str) -> None:  # fmt: skip
    save_site_crawls(open_db(tmp_path / "all.db"))
    then = open_db(tmp_path / "then.db")
    save_site_crawls(then, crawls)

    copy = sqlite3.connect(snapshot(tmp_path / "all.db", tmp_path / "as-of.db", as_of=as_of))

    # Scores, removed/edited flags, edit times and texts as they stood at T.
    assert table_rows(copy, "comments", drop=("last_seen_at",)) == table_rows(
        then, "comments", drop=("last_seen_at",)
    )
    for table in ("comment_scores", "story_tags"):
        assert table_rows(copy, table) == table_rows(then, table), table
    then_versions = table_rows(then, "comment_versions")
    extra = [v for v in table_rows(copy, "comment_versions") if v not in then_versions]
    assert {v["change"] for v in extra} <= {"added"}


def test_as_of_before_anything_was_archived_is_an_empty_archive(tmp_path: Path) -> None:
    save_crawls(open_db(tmp_path / "all.db"))
    copy = sqlite3.connect(
        snapshot(tmp_path / "all.db", tmp_path / "o.db", as_of="2020-01-01T00:00:00Z")
    )
    assert [copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES] == [0] * 10


def test_as_of_takes_a_story_s_values_from_whichever_page_showed_them(tmp_path: Path) -> None:
    db = open_db(tmp_path / "all.db")
    save_thread(db, make_thread(fetched_at=T0, story=make_story(score=5, comment_count=3)))
    # A listing row that showed neither score nor comments (a job ad, say).
    entry = ListingEntry(site="hn", story_id="100", rank=1, title="Show HN: A thing")
    save_listing(db, Listing(site="hn", name="news", page=1, fetched_at=T1, entries=(entry,),
                             url="https://news.ycombinator.com/news"))  # fmt: skip
    later = T1 + timedelta(hours=1)
    save_thread(db, make_thread(fetched_at=later, story=make_story(score=50, comment_count=3)))
    db.close()

    copy = sqlite3.connect(snapshot(tmp_path / "all.db", tmp_path / "as-of.db", as_of=T1S))

    assert copy.execute("SELECT score, comment_count, title FROM stories").fetchall() == [
        (5, 3, "Show HN: A thing")]  # fmt: skip


PROFILES = (
    (T0, User(site="hn", id="pg", karma=10, about="old", about_html="<p>old</p>")),
    (T1, User(site="hn", id="pg", karma=20)),  # a profile page that showed no about
    (T1 + timedelta(hours=1),
     User(site="hn", id="pg", karma=30, about="new", about_html="<p>new</p>")),
)  # fmt: skip


@pytest.mark.parametrize("seen", [1, 2])
def test_as_of_gives_users_as_they_stood_then(tmp_path: Path, seen: int) -> None:
    now, then = open_db(tmp_path / "all.db"), open_db(tmp_path / "then.db")
    for at, user in PROFILES:
        save_user(now, user, fetched_at=at)
    for at, user in PROFILES[:seen]:
        save_user(then, user, fetched_at=at)
    as_of = (T0S, T1S)[seen - 1]

    copy = sqlite3.connect(snapshot(tmp_path / "all.db", tmp_path / "as-of.db", as_of=as_of))

    # A page that showed no about did not blank it, in the archive as in its copy;
    # about_html has no history, so the copy does not show a later profile's.
    assert table_rows(copy, "users") == [
        {**row, "about_html": None} for row in table_rows(then, "users")
    ]


def test_as_of_puts_each_crawl_s_targets_back_as_they_stood(tmp_path: Path) -> None:
    db = open_db(tmp_path / "all.db")
    db.conn.executescript("""
        INSERT INTO crawls (id, started_at, finished_at, command, status) VALUES
            (1, '2026-01-14T10:00:00Z', '2026-01-14T11:00:00Z', 'crawl hn', 'interrupted'),
            (2, '2026-01-14T12:00:00Z', '2026-01-14T12:05:00Z', 'crawl hn', 'finished');
        INSERT INTO crawl_targets (crawl_id, site, kind, target, state, detail, updated_at)
        VALUES
            (1, 'hn', 'thread', '100', 'done', NULL, '2026-01-14T10:10:00Z'),
            (1, 'hn', 'thread', '200', 'queued', NULL, '2026-01-14T10:00:00Z'),
            (1, 'hn', 'thread', '300', 'done', NULL, '2026-01-14T10:50:00Z'),
            (1, 'hn', 'thread', '400', 'resumed', 'by crawl 2', '2026-01-14T12:00:00Z'),
            (1, 'hn', 'thread', '500', 'queued', NULL, '2026-01-14T10:40:00Z'),
            (2, 'hn', 'thread', '400', 'done', NULL, '2026-01-14T12:01:00Z');
    """)
    db.close()

    t = "2026-01-14T10:30:00Z"
    copy = sqlite3.connect(snapshot(tmp_path / "all.db", tmp_path / "then.db", as_of=t))

    assert copy.execute("SELECT id, status, finished_at FROM crawls").fetchall() == [
        (1, "running", None)]  # fmt: skip
    assert copy.execute(
        "SELECT crawl_id, target, state, detail, updated_at FROM crawl_targets ORDER BY target"
    ).fetchall() == [
        (1, "100", "done", None, "2026-01-14T10:10:00Z"),
        (1, "200", "queued", None, "2026-01-14T10:00:00Z"),
        (1, "300", "queued", None, t),  # done after T
        (1, "400", "queued", None, t),  # resumed by a crawl after T, which is gone
    ]  # 500 was queued after T; crawl 2 started after T  # fmt: skip
    assert copy.execute("PRAGMA foreign_key_check").fetchall() == []


def test_snapshot_never_overwrites_and_says_why(tmp_path: Path) -> None:
    archive_after(tmp_path / "a.db", 1).close()
    target = tmp_path / "there.db"
    target.write_bytes(b"precious")
    with pytest.raises(ArchiveError, match="already exists; not overwriting"):
        snapshot(tmp_path / "a.db", target)
    assert target.read_bytes() == b"precious"
    with pytest.raises(ArchiveError, match="is not a directory"):
        snapshot(tmp_path / "a.db", tmp_path / "missing" / "x.db")
    with pytest.raises(ArchiveError, match="no archive at"):
        snapshot(tmp_path / "nope.db", tmp_path / "y.db")
    with pytest.raises(ArchiveError, match="is not a date or time"):
        user_time("yesterday", "--as-of")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "there.db"]


def _open_under(folder: Path) -> list[str]:
    """What this process holds open in ``folder`` (nothing where /proc is absent)."""
    held = []
    for fd in Path("/proc/self/fd").glob("*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed since the listing (the listing's own descriptor, too)
        if target.startswith(str(folder)):
            held.append(target)
    return held


def test_a_file_system_error_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive_after(tmp_path / "a.db", 1).close()
    snapshot(tmp_path / "a.db", tmp_path / "ok.db")
    # By what the descriptors name, not their count: another thread of this worker (a
    # finished test's server, the collector) may close descriptors of its own meanwhile.
    assert _open_under(tmp_path) == []  # the temporary file's descriptor is closed

    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("os.link", no_links)
    with pytest.raises(ArchiveError, match=r"^cannot write .*x\.db: Operation not permitted$"):
        snapshot(tmp_path / "a.db", tmp_path / "x.db")

    def no_room(**kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", no_room)
    with pytest.raises(ArchiveError, match=r"^cannot write .*y\.db: Permission denied$"):
        snapshot(tmp_path / "a.db", tmp_path / "y.db")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert not (tmp_path / "x.db").exists() and not (tmp_path / "y.db").exists()


def test_snapshot_command(tmp_path: Path) -> None:
    archive_after(tmp_path / "a.db", 3)
    runner = CliRunner()
    db = ["--db", str(tmp_path / "a.db")]
    ok = runner.invoke(
        cli, ["snapshot", str(tmp_path / "s.db"), "--as-of", "2026-01-14T10:30:00+00:00", *db]
    )
    assert ok.exit_code == 0, ok.output
    assert f"(as of {T1S})" in ok.output
    again = runner.invoke(cli, ["snapshot", str(tmp_path / "s.db"), *db])
    assert again.exit_code == 1
    assert again.output.strip() == f"Error: {tmp_path / 's.db'} already exists; not overwriting it"
    bad = runner.invoke(cli, ["snapshot", str(tmp_path / "t.db"), "--as-of", "soon", *db])
    assert bad.exit_code == 1 and "is not a date or time" in bad.output


WRITER = textwrap.dedent("""
    import sys
    from archive.db import open_db
    from archive.store import save_thread
    from tests.test_store import make_comment, make_story, make_thread
    db = open_db(sys.argv[1])
    for n in range(int(sys.argv[2])):
        sid = str(1000 + n)
        size = 200 + 37 * n
        comments = tuple(make_comment(str(int(sid) * 100_000 + i), position=i, story_id=sid)
                         for i in range(1, size + 1))
        save_thread(db, make_thread(comments, story=make_story(id=sid, comment_count=size)))
        print(sid, flush=True)
        if n < int(sys.argv[3]):
            sys.stdin.readline()  # the test takes its snapshot of this state first
""")
HELD = 3  # states the writer waits in until a snapshot has been taken of each


@pytest.mark.e2e
def test_snapshots_taken_during_a_crawl_hold_only_whole_threads(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    open_db(path).close()
    threads = 40
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(threads), str(HELD)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    copies: list[Path] = []
    try:
        assert writer.stdin is not None and writer.stdout is not None
        for _ in range(HELD):
            writer.stdout.readline()  # one more thread is in, and the writer waits
            copies.append(snapshot(path, tmp_path / f"snap-{len(copies)}.db"))
            writer.stdin.write("go\n")
            writer.stdin.flush()
        # Then as fast as it goes, while the writer writes.
        while writer.poll() is None and len(copies) < 20:
            copies.append(snapshot(path, tmp_path / f"snap-{len(copies)}.db"))
    finally:
        if writer.stdin is not None:
            writer.stdin.close()  # a writer still waiting goes on
        writer.wait(timeout=120)
    assert writer.returncode == 0
    counts = []
    for copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stories = conn.execute("SELECT id, comment_count, archived_count FROM stories").fetchall()
        for sid, declared, archived in stories:
            stored = conn.execute(
                "SELECT count(*) FROM comments WHERE story_id = ?", (sid,)
            ).fetchone()[0]
            assert stored == declared == archived, f"{copy.name}: thread {sid} is not whole"
        counts.append(len(stories))
    assert counts[:HELD] == list(range(1, HELD + 1))
    assert counts == sorted(counts)
