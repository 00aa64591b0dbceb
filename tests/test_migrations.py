"""archive.db / archive.migrations: schema creation, idempotence, connection settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive import migrations
from archive.db import open_db, open_readonly
from archive.errors import ArchiveError
from archive.migrations import MIGRATIONS, applied_migrations, apply_migrations


def schema_snapshot(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_fresh_database_gets_every_migration_once(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")

    assert applied_migrations(db) == [name for name, _ in MIGRATIONS]
    rows = db.conn.execute("SELECT name, count(*) FROM _migrations GROUP BY name").fetchall()
    assert rows == [(name, 1) for name, _ in sorted(MIGRATIONS)]


def test_applying_twice_is_a_no_op(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    before = schema_snapshot(db.conn)
    recorded = db.conn.execute("SELECT * FROM _migrations").fetchall()

    assert apply_migrations(db) == []
    db.close()
    again = open_db(tmp_path / "a.db")  # opening migrates too

    assert schema_snapshot(again.conn) == before
    assert again.conn.execute("SELECT * FROM _migrations").fetchall() == recorded


def test_a_new_migration_is_applied_once_to_an_existing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_db(tmp_path / "a.db").close()

    def m9999_example(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE stories ADD COLUMN note TEXT")

    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, ("9999_example", m9999_example)))
    db = open_db(tmp_path / "a.db")
    assert apply_migrations(db) == []

    assert applied_migrations(db) == [*(name for name, _ in MIGRATIONS), "9999_example"]
    assert columns(db.conn, "stories")[-1] == "note"


def test_failed_migration_leaves_no_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_db(tmp_path / "a.db").close()

    def m9999_broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE stories ADD COLUMN note TEXT")
        conn.execute("THIS IS NOT SQL")

    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, ("9999_broken", m9999_broken)))
    with pytest.raises(ArchiveError, match="syntax error"):
        open_db(tmp_path / "a.db")

    conn = sqlite3.connect(tmp_path / "a.db")
    assert "note" not in columns(conn, "stories")
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations")]
    assert names == [name for name, _ in MIGRATIONS]


def test_schema_columns(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "a.db").conn

    assert columns(conn, "stories") == [
        "site", "id", "title", "url", "domain", "author", "score", "comment_count",
        "created_at", "created_at_raw", "text_html", "text", "kind", "dead", "flagged",
        "deleted", "first_seen_at", "last_seen_at", "archived_count", "last_crawl_id",
        "merged_into", "extra", "source", "redacted_at",
    ]  # fmt: skip
    assert columns(conn, "comments") == [
        "site", "id", "story_id", "parent_id", "depth", "position", "author", "created_at",
        "created_at_raw", "text_html", "text", "dead", "flagged", "deleted", "colour",
        "synthetic_id", "first_seen_at", "last_seen_at", "last_crawl_id", "gone_at", "score",
        "edited", "edited_at", "edited_at_raw", "removed", "by_submitter", "extra", "source",
        "redacted_at",
    ]  # fmt: skip
    assert columns(conn, "pages") == [
        "id", "site", "url", "status", "sha256", "body", "first_fetched_at",
        "last_fetched_at", "fetch_count", "story_id", "crawl_id", "error", "redacted_at",
    ]  # fmt: skip
    assert columns(conn, "crawls") == [
        "id", "started_at", "finished_at", "command", "args", "status", "pages", "threads",
        "comments", "errors", "message", "host", "pid", "drift",
    ]  # fmt: skip
    assert columns(conn, "_migrations") == ["name", "applied_at"]
    indexes = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
    ).fetchall()
    assert [r[0] for r in indexes] == [
        "author_counts_comments", "comments_author_created_at", "comments_created_at",
        "comments_site_parent_id", "comments_site_story_id", "listing_snapshots_site_story_id",
        "markup_health_site_kind", "page_fetches_crawl_id", "pages_site_story_id",
        "pending_comments_parent", "redactions_site", "source_differences_story",
        "stories_author", "stories_created_at", "stories_unarchived", "story_tags_site_tag",
        "thread_latest_short", "watches_next_due_at",
    ]  # fmt: skip
    triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    assert [r[0] for r in triggers] == [
        "comments_ad", "comments_ai", "comments_au", "comments_search_ad", "comments_search_au",
        "stories_ad", "stories_ai", "stories_au", "thread_crawls_latest_ai",
        "thread_crawls_latest_au",
    ]  # fmt: skip
    fk = conn.execute("PRAGMA foreign_key_list(comments)").fetchall()
    assert sorted((r[2], r[3], r[4]) for r in fk) == [
        ("crawls", "last_crawl_id", "id"),
        ("stories", "site", "site"),
        ("stories", "story_id", "id"),
    ]


def test_connection_settings(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    pragmas = [
        db.conn.execute(f"PRAGMA {p}").fetchone()[0]
        for p in ("journal_mode", "foreign_keys", "busy_timeout", "cache_size", "mmap_size",
                  "wal_autocheckpoint")
    ]
    assert pragmas == ["wal", 1, 30000, -65536, 268435456, 10000]

    ro = open_readonly(tmp_path / "a.db")
    pragmas = [ro.execute(f"PRAGMA {p}").fetchone()[0]
               for p in ("query_only", "busy_timeout", "cache_size", "mmap_size")]  # fmt: skip
    assert pragmas == [1, 30000, -65536, 268435456]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.execute("INSERT INTO _migrations VALUES ('x', 'y')")


def test_reader_is_not_blocked_by_an_open_write(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    db.conn.execute("BEGIN IMMEDIATE")
    db.conn.execute("INSERT INTO crawls (started_at, command) VALUES ('2026-01-01T00:00:00Z', 'x')")

    ro = open_readonly(tmp_path / "a.db")  # WAL: readers see the last commit, no wait
    assert ro.execute("SELECT count(*) FROM crawls").fetchone() == (0,)
    db.conn.rollback()


def test_open_readonly_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"^no archive at .*missing\.db$"):
        open_readonly(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


def test_open_db_in_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="cannot open archive"):
        open_db(tmp_path / "nope" / "a.db")


# -- 0006_sites on an archive made before it ----------------------------------------

BEFORE_0006 = tuple((name, m) for name, m in MIGRATIONS if name < "0006")


def archive_at_0005(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An archive as 0005 left it, with rows in every table 0006 changes."""
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS", BEFORE_0006)
        conn = open_db(path).conn
    t = "2026-01-14T09:30:00Z"
    conn.execute("PRAGMA foreign_keys = OFF")  # for the dangling crawl id below
    conn.executescript(f"""
        INSERT INTO crawls (id, started_at, command) VALUES (1, '{t}', 'crawl');
        INSERT INTO stories (site, id, title, first_seen_at, last_seen_at, last_crawl_id)
            VALUES ('hn', '100', 'Foxes', '{t}', '{t}', 1);
        INSERT INTO comments (site, id, story_id, depth, position, text, first_seen_at,
            last_seen_at, last_crawl_id) VALUES
            ('hn', '1', '100', 0, 0, 'quick brown foxes', '{t}', '{t}', 1),
            ('hn', '2', '100', 0, 1, 'lazy dogs', '{t}', '{t}', NULL);
        INSERT INTO users (site, id, karma, first_seen_at, last_seen_at)
            VALUES ('hn', 'pg', 5, '{t}', '{t}');
        INSERT INTO comment_versions (rowid, site, comment_id, seen_at, crawl_id, change,
            text, deleted) VALUES
            (7, 'hn', '2', '2026-01-14T08:00:00Z', NULL, 'added', 'lazy dogs', 0),
            (9, 'hn', '2', '{t}', 1, 'deleted', 'lazy dogs', 1),
            (8, 'hn', '1', '{t}', 1, 'added', 'quick brown foxes', 0);
        -- An --as-of copy can hold a crawl id whose crawl it dropped: kept as it is.
        INSERT INTO comment_versions (site, comment_id, seen_at, crawl_id, change, text)
            VALUES ('hn', '1', '2026-01-14T10:00:00Z', 99, 'edited', 'quick foxes');
    """)  # fmt: skip
    conn.close()


def all_rows(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    return conn.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall()


def test_0006_migrates_a_0005_archive_keeping_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    archive_at_0005(path, monkeypatch)
    old = sqlite3.connect(path)
    before = {t: all_rows(old, t) for t in ("crawls", "stories", "comments", "users",
                                            "comment_versions")}  # fmt: skip
    old.close()

    db = open_db(path)

    conn = db.conn
    assert "0006_sites" in applied_migrations(db)
    # Every row kept, rowids too; the new columns NULL / 0 (what HN leaves them).
    assert all_rows(conn, "crawls") == [(*r, None) for r in before["crawls"]]  # 0016: drift
    # ... and 0008_source: rows from a crawl of the site's pages are 'html'.
    # ... and 0015_redactions: nothing redacted.
    assert all_rows(conn, "stories") == [(*r, None, None, "html", None)
                                         for r in before["stories"]]  # fmt: skip
    assert all_rows(conn, "comments") == [(*r, None, 0, None, None, 0, 0, None, "html", None)
                                          for r in before["comments"]]  # fmt: skip
    assert all_rows(conn, "users") == [(*r, None, "html", None) for r in before["users"]]
    assert all_rows(conn, "comment_versions") == [(*r, 0, 0, None, None, "html")
                                                  for r in before["comment_versions"]]  # fmt: skip
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)  # back on after migrating
    # Full-text search, its triggers and the key still work on the migrated rows.
    assert conn.execute(
        "SELECT rowid FROM comments_fts WHERE comments_fts MATCH 'foxes'"
    ).fetchall() == [(1,)]
    conn.execute(
        "INSERT INTO comment_versions (site, comment_id, seen_at, change, removed)"
        " VALUES ('hn', '1', '2026-01-15T00:00:00Z', 'removed', 1)"
    )
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute(
            "INSERT INTO comment_versions (site, comment_id, seen_at, change)"
            " VALUES ('hn', '1', '2026-01-15T00:00:00Z', 'bogus')"
        )
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        conn.execute(
            "INSERT INTO comment_versions (site, comment_id, seen_at, change)"
            " VALUES ('hn', '2', '2026-01-14T09:30:00Z', 'deleted')"
        )


def test_0006_on_a_migrated_archive_is_the_schema_of_a_fresh_one_and_applies_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive_at_0005(tmp_path / "old.db", monkeypatch)
    migrated = open_db(tmp_path / "old.db")
    fresh = open_db(tmp_path / "new.db")
    schema = schema_snapshot(migrated.conn)

    assert schema == schema_snapshot(fresh.conn)
    assert apply_migrations(migrated) == []
    migrated.close()
    assert schema_snapshot(open_db(tmp_path / "old.db").conn) == schema


def test_rebuild_table_keeps_rows_rowids_indexes_and_triggers(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "r.db")
    conn.executescript("""
        CREATE TABLE t (a TEXT NOT NULL CHECK (a IN ('x', 'y')), b INTEGER);
        CREATE INDEX t_b ON t (b);
        CREATE TABLE log (a TEXT);
        CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.a); END;
        INSERT INTO t (rowid, a, b) VALUES (5, 'x', 1), (2, 'y', 2);
    """)
    objects = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 't' AND type != 'table'"
    ).fetchall()

    with conn:
        migrations.rebuild_table(
            conn, "t", "CREATE TABLE t (a TEXT NOT NULL CHECK (a IN ('x', 'y', 'z')), b INTEGER,"
            " c INTEGER NOT NULL DEFAULT 0)",
        )  # fmt: skip

    assert conn.execute("SELECT rowid, * FROM t ORDER BY rowid").fetchall() == [
        (2, "y", 2, 0), (5, "x", 1, 0),
    ]  # fmt: skip
    assert (
        conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 't' AND type != 'table'"
        ).fetchall()
        == objects
    )
    conn.execute("INSERT INTO t (a, b) VALUES ('z', 3)")  # the new CHECK admits 'z'
    # The trigger fired for the first two rows and for 'z', not for the copy.
    assert conn.execute("SELECT * FROM log").fetchall() == [("x",), ("y",), ("z",)]
    names = conn.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
    assert names == [("log",), ("t",), ("t_ai",), ("t_b",)]


def test_a_read_command_brings_an_older_archive_up_to_date_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import archive.db as db_module


    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        # An archive made by a linkthread that knew the first seven migrations only.
        m.setattr(db_module, "MIGRATIONS", MIGRATIONS[:7])
        m.setattr(migrations, "MIGRATIONS", MIGRATIONS[:7])
        open_db(path).close()
    assert len(applied_migrations(sqlite3.connect(path))) == 7

    conn = open_readonly(path)  # what `gaps`, `show`, `query` open

    assert applied_migrations(conn) == [name for name, _ in MIGRATIONS]
    assert conn.execute("SELECT count(*) FROM health").fetchone() == (0,)
    conn.close()
