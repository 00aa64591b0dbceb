"""History (migration 0002): comment versions, snapshots, thread crawls, gaps, the CLI.

Whole rows from a fresh database (DESIGN rule 9), records built with test_store's
builders: the archive needs no scraper.
"""

from __future__ import annotations

import json
import re
import sqlite3
import struct
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import pytest
import sqlite_utils
from click.testing import CliRunner

from archive import migrations
from archive.cli import cli
from archive.db import open_db
from archive.history import comment_changes, gaps, story_history, unarchived
from archive.migrations import MIGRATIONS, applied_migrations, apply_migrations
from archive.models import Comment, Listing, ListingEntry, User
from archive.store import SaveResult, save_listing, save_thread, save_user
from tests.test_store import (
    HN_STORY_SITE_FIELDS,
    T0,
    T0S,
    T1,
    T1S,
    make_comment,
    make_story,
    make_thread,
    table_rows,
)

T2 = T1 + timedelta(hours=1)
T2S = "2026-01-14T11:30:00Z"
T3 = T2 + timedelta(hours=1)
T3S = "2026-01-14T12:30:00Z"
TEXT = "Comment {} about foxes jumping"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "h.db"


@pytest.fixture
def db(path: Path) -> sqlite_utils.Database:
    return open_db(path)


def version(id: str, seen: str, change: str, *, text: str | None = None, dead: int = 0,
            flagged: int = 0, deleted: int = 0) -> dict[str, Any]:  # fmt: skip
    text = TEXT.format(id) if text is None else text
    return dict(
        site="hn", comment_id=id, seen_at=seen, crawl_id=None, change=change,
        text_html=f"<p>{text}</p>", text=text, dead=dead, flagged=flagged, deleted=deleted,
        removed=0, edited=0, edited_at=None, edited_at_raw=None,  # 0006_sites: not on HN
        source="html",
    )  # fmt: skip


# Three crawls of one thread. 1 > 2 (reply); 3 (dead); 4; then 5 appears.
C1, C2, C3, C4 = (
    make_comment("1"),
    make_comment("2", parent="1", depth=1),
    make_comment("3", position=1, dead=True),
    make_comment("4", position=2),
)
C1_EDITED = replace(C1, text="Now about otters", text_html="<p>Now about otters</p>")
# HN shows a deleted comment as "[deleted]": no author, no text.
C2_DELETED = replace(C2, author=None, text=None, text_html=None, deleted=True, colour=None)
C5 = make_comment("5", position=3)
CRAWLS: tuple[tuple[Any, tuple[Comment, ...], int, int], ...] = (
    (T0, (C1, C2, C3, C4), 42, 4),
    # 1 edited, 2 deleted, 4 vanished, 5 added
    (T1, (C1_EDITED, C2_DELETED, C3, C5), 50, 4),
    # 3 flagged, 4 back, 5 made dead
    (T2, (C1_EDITED, C2_DELETED, replace(C3, flagged=True), C4, replace(C5, dead=True)), 50, 4),
)


def save_crawls(db: sqlite_utils.Database) -> list[SaveResult]:
    return [
        save_thread(db, make_thread(comments, fetched_at=at,
                                    story=make_story(score=score, comment_count=count)))
        for at, comments, score, count in CRAWLS
    ]  # fmt: skip


# A comment's 'added' row (its state when first archived) is written with its first
# change, just before it; comments that never change (none here) have no versions.
EXPECTED_VERSIONS = [
    version("1", T0S, "added"),
    version("2", T0S, "added"),
    version("4", T0S, "added"),
    version("1", T1S, "edited", text="Now about otters"),
    version("2", T1S, "deleted", deleted=1),  # the last known text is kept
    version("4", T1S, "gone"),
    version("3", T0S, "added", dead=1),
    version("5", T1S, "added"),
    version("3", T2S, "flagged", dead=1, flagged=1),
    version("4", T2S, "back"),
    version("5", T2S, "dead", dead=1),
]


def test_versions_record_exactly_the_changes(db: sqlite_utils.Database) -> None:
    results = save_crawls(db)

    assert [r.gone for r in results] == [0, 1, 0]
    assert [r.new_comments for r in results] == [4, 1, 0]
    assert table_rows(db, "comment_versions") == EXPECTED_VERSIONS
    comments = {row["id"]: row for row in table_rows(db, "comments")}
    assert comments["2"]["text"] == TEXT.format(2)  # deleted, text kept
    assert comments["2"]["author"] == "user2"
    assert [comments[i]["gone_at"] for i in "12345"] == [None] * 5  # 4 came back


def test_gone_is_recorded_once_and_kept_until_back(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread((C1, C2), fetched_at=T0))
    save_thread(db, make_thread((C1,), fetched_at=T1))
    save_thread(db, make_thread((C1,), fetched_at=T2))  # still gone: no second row
    save_thread(db, make_thread((C1, C2), fetched_at=T0))  # an older fetch says nothing now

    rows = table_rows(db, "comments")
    assert [(r["id"], r["gone_at"], r["last_seen_at"]) for r in rows] == [
        ("1", None, T2S), ("2", T1S, T0S),
    ]  # fmt: skip
    assert [(v["comment_id"], v["seen_at"], v["change"]) for v in
            table_rows(db, "comment_versions")] == [
        ("2", T0S, "added"), ("2", T1S, "gone"),
    ]  # fmt: skip


def test_changes_since_a_time(db: sqlite_utils.Database) -> None:
    save_crawls(db)

    def change(seen: str, id: str, author: str, kind: str, text: str) -> dict[str, Any]:
        return dict(seen_at=seen, comment_id=id, author=author, change=kind, text=text)

    expected = [
        change(T1S, "1", "user1", "edited", "Now about otters"),
        change(T1S, "2", "user2", "deleted", TEXT.format(2)),
        change(T1S, "4", "user4", "gone", TEXT.format(4)),  # thread order within a crawl
        change(T1S, "5", "user5", "added", TEXT.format(5)),
        change(T2S, "3", "user3", "flagged", TEXT.format(3)),
        change(T2S, "4", "user4", "back", TEXT.format(4)),
        change(T2S, "5", "user5", "dead", TEXT.format(5)),
    ]
    assert comment_changes(db, "hn", "100", since=T1S) == expected
    assert len(comment_changes(db, "hn", "100")) == len(EXPECTED_VERSIONS)
    path = db_path(db)
    db.close()

    out = CliRunner().invoke(cli, ["changes", "hn", "100", "--since", T1S, "--json", "--db",
                                   str(path)])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == expected


def db_path(db: sqlite_utils.Database) -> Path:
    return Path(db.conn.execute("PRAGMA database_list").fetchone()[2])


def test_identical_resave_adds_no_versions_or_snapshots(db: sqlite_utils.Database) -> None:
    save_crawls(db)
    tables = ("comment_versions", "story_snapshots")
    before = {t: table_rows(db, t) for t in tables}

    at, comments, score, count = CRAWLS[-1]
    story = make_story(score=score, comment_count=count)
    save_thread(db, make_thread(comments, fetched_at=at, story=story))  # the same fetch again
    save_thread(db, make_thread(comments, fetched_at=T3, story=story))  # a later, unchanged one

    assert {t: table_rows(db, t) for t in tables} == before
    assert before["story_snapshots"] == [
        dict(site="hn", story_id="100", seen_at=T0S, crawl_id=None, source="thread", score=42,
             comment_count=4, title="Show HN: A thing", rank=None, via="html"),
        dict(site="hn", story_id="100", seen_at=T1S, crawl_id=None, source="thread", score=50,
             comment_count=4, title="Show HN: A thing", rank=None, via="html"),
    ]  # fmt: skip
    crawl_rows = [(r["seen_at"], r["archived"], r["dead"], r["deleted"], r["missing"])
                  for r in table_rows(db, "thread_crawls")]  # fmt: skip
    assert crawl_rows == [
        (T0S, 3, 1, 0, 1), (T1S, 2, 1, 1, 2), (T2S, 2, 2, 1, 2), (T3S, 2, 2, 1, 2),
    ]  # fmt: skip


def listing(at: Any, entries: tuple[ListingEntry, ...]) -> Listing:
    return Listing(site="hn", name="news", page=1, url="https://news.ycombinator.com/news",
                   fetched_at=at, entries=entries)  # fmt: skip


def entry(story_id: str, rank: int, score: int | None, count: int | None) -> ListingEntry:
    return ListingEntry(
        site="hn", story_id=story_id, rank=rank, title=f"Story {story_id}",
        url=f"https://example.com/{story_id}", domain="example.com", author="bob", score=score,
        comment_count=count, created_at=T0 - timedelta(hours=1), created_at_raw="1 hour ago",
    )  # fmt: skip


def test_listing_saved_three_times_gives_three_points(
    db: sqlite_utils.Database, path: Path
) -> None:
    for at, rank, score in ((T0, 3, 10), (T1, 2, 20), (T2, 1, 30)):
        page = listing(at, (entry("7", rank, score, 5), entry("8", 9, 1, None)))
        assert save_listing(db, page) == 2
    save_listing(db, listing(T3, (entry("7", 1, 30, 5),)))  # unchanged: no story snapshot

    points = [
        dict(seen_at=T0S, source="listing:news", score=10, comment_count=5, rank=3),
        dict(seen_at=T1S, source="listing:news", score=20, comment_count=5, rank=2),
        dict(seen_at=T2S, source="listing:news", score=30, comment_count=5, rank=1),
    ]
    assert story_history(db, "hn", "7") == points
    assert table_rows(db, "listing_snapshots")[:2] == [
        dict(site="hn", listing="news", page=1, rank=3, story_id="7", score=10, comment_count=5,
             seen_at=T0S, crawl_id=None, via="html"),
        dict(site="hn", listing="news", page=1, rank=9, story_id="8", score=1,
             comment_count=None, seen_at=T0S, crawl_id=None, via="html"),
    ]  # fmt: skip
    assert len(table_rows(db, "listing_snapshots")) == 7
    story = table_rows(db, "stories")[0]
    assert story == dict(
        site="hn", id="7", title="Story 7", url="https://example.com/7", domain="example.com",
        author="bob", score=30, comment_count=5, created_at="2026-01-14T08:30:00Z",
        created_at_raw="1 hour ago", text_html=None, text=None, kind="story", dead=0,
        flagged=0, deleted=0, first_seen_at=T0S, last_seen_at=T3S, archived_count=0,
        last_crawl_id=None, **HN_STORY_SITE_FIELDS,
    )  # fmt: skip
    db.close()

    out = CliRunner().invoke(cli, ["history", "hn", "7", "--json", "--db", str(path)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == points
    url = "https://news.ycombinator.com/item?id=7"
    table = CliRunner().invoke(cli, ["history", "hn", url, "--db", str(path)])
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split() == [
        "seen_at", "source", "score", "comment_count", "rank",
    ]  # fmt: skip
    assert len(table.output.splitlines()) == 2 + 3


def test_listing_never_touches_text_flags_or_comments(db: sqlite_utils.Database) -> None:
    story = make_story(text="Body", text_html="<p>Body</p>", flagged=True)
    save_thread(db, make_thread(story=story))
    before = table_rows(db, "stories")[0]
    comments = table_rows(db, "comments")

    save_listing(db, listing(T1, (replace(entry("100", 4, 99, 3), title=None),)))

    after = table_rows(db, "stories")[0]
    assert after == {**before, "score": 99, "url": "https://example.com/100",
                     "author": "bob", "created_at": "2026-01-14T08:30:00Z",
                     "created_at_raw": "1 hour ago", "last_seen_at": T1S}  # fmt: skip
    assert table_rows(db, "comments") == comments


def test_history_plot_writes_a_png(db: sqlite_utils.Database, path: Path, tmp_path: Path) -> None:
    for at, rank, score in ((T0, 3, 10), (T1, 2, 20), (T2, 1, 30)):
        save_listing(db, listing(at, (entry("7", rank, score, 5 + rank),)))
    db.close()
    png = tmp_path / "7.png"

    out = CliRunner().invoke(cli, ["history", "hn", "7", "--plot", str(png), "--db", str(path)])

    assert out.exit_code == 0, out.output
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind, width, height = struct.unpack(">I4sII", data[8:24])
    assert (length, kind, width, height) == (13, b"IHDR", 800, 450)


def test_gaps_lists_threads_short_of_their_declared_count(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread(story=make_story(comment_count=10)))  # 2 live + 1 dead of 10
    full = make_story(id="200", comment_count=1, title="Complete")
    save_thread(db, make_thread((make_comment("9", story_id="200"),), story=full))
    # Short once, complete in its latest crawl: not a gap.
    fixed = make_story(id="300", comment_count=1, title="Fixed")
    save_thread(db, make_thread((), story=fixed))
    save_thread(db, make_thread((make_comment("8", story_id="300"),), story=fixed,
                                fetched_at=T1))  # fmt: skip

    expected = [
        dict(site="hn", story_id="100", title="Show HN: A thing", seen_at=T0S, declared=10,
             archived=2, dead=1, deleted=0, shortfall=7),
    ]  # fmt: skip
    assert gaps(db) == expected
    assert gaps(db, "hn") == expected
    assert gaps(db, "lobsters") == []
    path = db_path(db)
    db.close()
    out = CliRunner().invoke(cli, ["gaps", "--site", "hn", "--json", "--db", str(path)])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == [{"kind": "short", **row} for row in expected]


def test_gaps_lists_listed_stories_never_archived_apart(db: sqlite_utils.Database) -> None:
    save_thread(db, make_thread(story=make_story(comment_count=10)))  # short: 3 of 10
    # 500 declares 7 comments, 600 none; 100's thread is archived (short, not unarchived).
    save_listing(db, listing(T1, (entry("500", 1, 5, 7), entry("600", 2, 5, 0),
                                  entry("100", 3, 5, 12))))  # fmt: skip
    never = dict(kind="unarchived", site="hn", story_id="500", title="Story 500",
                 seen_at=T1S, declared=7, archived=0, dead=0, deleted=0, shortfall=7)
    assert unarchived(db) == [{k: v for k, v in never.items() if k != "kind"}]
    assert unarchived(db, "lobsters") == []
    path = db_path(db)
    db.close()

    out = CliRunner().invoke(cli, ["gaps", "--json", "--db", str(path)])
    assert out.exit_code == 0, out.output
    assert [(g["kind"], g["story_id"]) for g in json.loads(out.output)] == [
        ("short", "100"), ("unarchived", "500")]
    assert json.loads(out.output)[1] == never

    table = CliRunner().invoke(cli, ["gaps", "--db", str(path)]).output.splitlines()
    split = table.index("")
    short, listed = table[:split], table[split + 1:]
    assert short[0].startswith("Short threads") and len(short) == 4  # title, header, rule, row
    assert short[3].split()[:2] == ["hn", "100"]
    assert listed[0].startswith("Never archived") and len(listed) == 4
    assert listed[3].split() == ["hn", "500", "Story", "500", T1S, "7"]


def test_save_user_snapshots_only_changes(db: sqlite_utils.Database) -> None:
    user = User(
        site="hn",
        id="pg",
        created_at=T0 - timedelta(days=9000),
        created_at_raw="May 25, 2001",
        karma=100,
        about_html="<p>Hi</p>",
        about="Hi",
    )
    save_user(db, user, fetched_at=T0)
    save_user(db, user, fetched_at=T1)  # unchanged
    save_user(db, replace(user, karma=120, about=None, about_html=None), fetched_at=T2)

    assert table_rows(db, "users") == [
        dict(site="hn", id="pg", created_at="2001-05-25T09:30:00Z",
             created_at_raw="May 25, 2001", karma=120, about_html="<p>Hi</p>", about="Hi",
             first_seen_at=T0S, last_seen_at=T2S, extra=None, source="html",
             redacted_at=None),
    ]  # fmt: skip
    assert table_rows(db, "user_snapshots") == [
        dict(site="hn", user_id="pg", seen_at=T0S, crawl_id=None, karma=100, about="Hi",
             via="html"),
        dict(site="hn", user_id="pg", seen_at=T2S, crawl_id=None, karma=120, about=None,
             via="html"),
    ]  # fmt: skip


def test_unknown_thread_is_one_clear_line(path: Path) -> None:
    open_db(path).close()
    out = CliRunner().invoke(cli, ["history", "hn", "1", "--db", str(path)])
    assert out.exit_code == 1
    assert (
        out.output == "Error: unknown site 'hn': the archive has no threads from it "
        "(sites: none yet)\n"
    )


def test_a_0001_archive_migrates_in_place(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
        old = open_db(path)
        old.conn.execute(
            "INSERT INTO stories (site, id, title, first_seen_at, last_seen_at)"
            " VALUES ('hn', '100', 'Old', ?, ?)", (T0S, T0S),
        )  # fmt: skip
        old.conn.execute(
            "INSERT INTO comments (site, id, story_id, depth, position, text, first_seen_at,"
            " last_seen_at) VALUES ('hn', '1', '100', 0, 0, 'kept', ?, ?)", (T0S, T0S),
        )  # fmt: skip
        old.conn.commit()
        assert applied_migrations(old) == ["0001_initial"]
        old.close()

    db = open_db(path)
    assert applied_migrations(db) == [name for name, _ in MIGRATIONS]
    comments = table_rows(db, "comments")
    assert [(c["id"], c["text"], c["gone_at"]) for c in comments] == [("1", "kept", None)]
    schema = db.conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    assert apply_migrations(db) == []  # twice: a no-op
    db.close()
    again = open_db(path)
    assert (
        again.conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        == schema
    )
    names = [r[0] for r in again.conn.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in MIGRATIONS]

    # The migrated archive takes a re-crawl: the old comment's first change records
    # its state when first archived, then the edit.
    save_thread(again, make_thread((replace(C1, text="changed"),), fetched_at=T1))
    assert [(v["comment_id"], v["change"], v["text"]) for v in
            table_rows(again, "comment_versions")] == [
        ("1", "added", "kept"), ("1", "edited", "changed")]  # fmt: skip
    with pytest.raises(sqlite3.IntegrityError):
        again.conn.execute(
            "INSERT INTO comment_versions (site, comment_id, seen_at, change)"
            " VALUES ('hn', '1', ?, 'renamed')", (T1S,),
        )  # fmt: skip


def test_changes_since_reads_times_as_search_does(db: sqlite_utils.Database) -> None:
    save_crawls(db)
    path = db_path(db)
    db.close()

    def changes(since: str) -> click.testing.Result:
        return CliRunner().invoke(cli, ["changes", "hn", "100", "--since", since, "--json",
                                        "--db", str(path)])  # fmt: skip

    exact = json.loads(changes(T1S).output)
    # The same instant with an offset, and the same time with no zone (UTC).
    assert json.loads(changes("2026-01-14T11:30:00+01:00").output) == exact
    assert json.loads(changes("2026-01-14T10:30:00").output) == exact
    refused = changes("nope")
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr == ("Error: --since 'nope' is not a date or time: use e.g. "
                              "2026-01-14 or 2026-01-14T09:30:00Z\n")  # fmt: skip


def test_plot_without_matplotlib_names_a_command_that_works(
    db: sqlite_utils.Database, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_listing(db, listing(T0, (entry("7", 1, 10, 5),)))
    db.close()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    out = CliRunner().invoke(cli, ["history", "hn", "7", "--plot", str(tmp_path / "7.png"),
                                   "--db", str(path)])  # fmt: skip
    assert out.exit_code == 1
    assert out.stderr == ("Error: --plot needs matplotlib: pip install -e '.[plot]' in a "
                          "linkthread checkout, or pip install matplotlib\n")  # fmt: skip


def test_no_install_hint_names_a_package_that_no_index_has() -> None:
    # linkthread is not on a package index: "pip install 'linkthread[plot]'" fails.
    root = Path(__file__).resolve().parent.parent
    files = [root / "README.md", *sorted((root / "archive").rglob("*.py")),
             *sorted((root / "scraper").rglob("*.py"))]  # fmt: skip
    found = [f"{f.name}: {line.strip()}" for f in files
             for line in f.read_text(encoding="utf-8").splitlines()
             if re.search(r"pip install\W+linkthread\b", line)]  # fmt: skip
    assert found == []
