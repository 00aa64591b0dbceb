"""The guard around `linkthread query`: only reading runs, nothing is written anywhere,
a runaway query stops at its time limit and a huge result stops at its row cap.

Through the library (run_query), click's runner, and the real console script.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click.testing
import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.db import open_db
from archive.errors import ArchiveError
from archive.query import MAX_SQL_BYTES, QueryResult, run_query
from archive.store import save_thread
from tests.conftest import run_linkthread
from tests.test_store import make_comment, make_thread

WRITE = "refused: the query tries to write ({}); linkthread query is read-only"
PRAGMA = (
    "refused: PRAGMA {} is not allowed; linkthread query allows only pragmas that read, "
    "such as table_info(name), index_list(name) or a bare user_version"
)
ATTACH = (
    "refused: the query tries to attach another database (ATTACH '{}'); "
    "linkthread query reads only the archive"
)
VACUUM = (
    "refused: the query tries to write ({}); linkthread query is read-only "
    "(linkthread snapshot makes a copy)"
)
# 2,500 rows from nothing, and a CTE that never ends (count(*) waits for its last row).
ROWS_2500 = (
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 2500) SELECT n FROM r"
)
FOREVER = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
FTS = (
    "SELECT c.id, snippet(comments_fts, 0, '[', ']', '…', 4) AS snippet, "
    "bm25(comments_fts) < 0 AS ranked FROM comments_fts "
    "JOIN comments c ON c.rowid = comments_fts.rowid "
    "WHERE comments_fts MATCH :q ORDER BY rank"
)


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "a.db"
    db = open_db(path)
    comments = (
        make_comment("1", text="Supply chain attacks reach npm again"),
        make_comment("2", parent="1", depth=1, text="The supply of chain saws is fine"),
        make_comment("3", position=1, text="Nothing to see here"),
    )
    save_thread(db, make_thread(comments))
    db.close()
    (folder / "other.db").write_bytes(path.read_bytes())
    # A reader of a WAL archive creates its -shm and -wal files; let that happen first,
    # so what the guarded queries do is compared against a folder that already has them.
    run_query(path, "SELECT 1")
    return path


def folder_state(path: Path) -> dict[str, object]:
    """What must not change: the files present, the archive's bytes and mtime, the
    bytes of the other database and of the WAL (its -shm holds reader marks)."""
    return {
        "files": sorted(p.name for p in path.parent.parent.rglob("*")),
        "archive": (path.read_bytes(), path.stat().st_mtime_ns),
        "wal": path.with_name("a.db-wal").read_bytes(),
        "other": path.with_name("other.db").read_bytes(),
    }


def refusals(folder: Path) -> list[tuple[str, str]]:
    """(sql, the one-line error) for every kind of statement the guard refuses."""
    new, elsewhere = folder / "new.db", folder.parent / "elsewhere.db"
    return [
        ("INSERT INTO crawls (started_at, command) VALUES ('x', 'y')",
         WRITE.format("INSERT into crawls")),
        ("REPLACE INTO comments_fts (rowid, text) VALUES (1, 'x')",
         WRITE.format("INSERT into comments_fts")),
        ("UPDATE comments SET text = 'x'", WRITE.format("UPDATE of comments")),
        ("DELETE FROM stories", WRITE.format("DELETE from stories")),
        ("WITH g AS (SELECT 1) DELETE FROM pages", WRITE.format("DELETE from pages")),
        ("CREATE TABLE t (x)", WRITE.format("CREATE TABLE t")),
        ("CREATE TEMP VIEW v AS SELECT 1", WRITE.format("CREATE TEMP VIEW v")),
        ("CREATE INDEX i ON comments (text)", WRITE.format("CREATE INDEX i")),
        ("DROP TABLE comments", WRITE.format("DROP TABLE comments")),
        ("ALTER TABLE comments ADD COLUMN x", WRITE.format("ALTER TABLE comments")),
        ("UPDATE sqlite_master SET sql = ''",
         WRITE.format("table sqlite_master may not be modified")),
        ("REINDEX", WRITE.format("REINDEX")),
        (f"ATTACH '{folder / 'other.db'}' AS o", ATTACH.format(folder / "other.db")),
        (f"ATTACH '{new}' AS n", ATTACH.format(new)),
        ("ATTACH ':memory:' AS m", ATTACH.format(":memory:")),
        (f"VACUUM INTO '{new}'", VACUUM.format(f"VACUUM INTO '{new}'")),
        (f"/* a copy */ vacuum into '{elsewhere}'", VACUUM.format(f"VACUUM INTO '{elsewhere}'")),
        ("VACUUM", VACUUM.format("VACUUM")),
        ("PRAGMA query_only = 0", PRAGMA.format("query_only = 0")),
        ("PRAGMA journal_mode = delete", PRAGMA.format("journal_mode = delete")),
        ("PRAGMA user_version = 5", PRAGMA.format("user_version = 5")),
        ("PRAGMA writable_schema = 1", PRAGMA.format("writable_schema = 1")),
        ("SELECT load_extension('/tmp/x.so')",
         "refused: the function load_extension() is not allowed; it reaches outside the "
         "archive, and linkthread query only reads it"),
        ("BEGIN IMMEDIATE",
         "refused: the query tries to control a transaction (BEGIN); "
         "linkthread query runs one read-only statement"),
        ("SAVEPOINT s",
         "refused: the query tries to control a transaction (SAVEPOINT s); "
         "linkthread query runs one read-only statement"),
        ("x" * (MAX_SQL_BYTES + 1),
         f"refused: the SQL is {MAX_SQL_BYTES + 1:,} bytes; linkthread query takes at most "
         f"{MAX_SQL_BYTES:,}"),
    ]  # fmt: skip


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


def test_library_refuses_and_writes_nothing(archive_path: Path) -> None:
    before = folder_state(archive_path)
    for sql, message in refusals(archive_path.parent):
        with pytest.raises(ArchiveError) as info:
            run_query(archive_path, sql)
        assert (sql[:60], str(info.value)) == (sql[:60], message)
        assert folder_state(archive_path) == before, sql
    # The writer still finds the archive as it left it.
    db = open_db(archive_path)
    assert db.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.conn.execute("PRAGMA user_version").fetchone() == (0,)
    assert db.conn.execute("SELECT count(*) FROM comments").fetchone() == (3,)
    db.close()


def test_cli_refuses_in_one_line_and_writes_nothing(archive_path: Path) -> None:
    before = folder_state(archive_path)
    for sql, message in refusals(archive_path.parent):
        result = invoke("query", sql, "--db", str(archive_path))
        assert (sql[:60], result.exit_code, result.stdout, result.stderr) == (
            sql[:60],
            1,
            "",
            f"Error: {message}\n",
        )
    assert folder_state(archive_path) == before


@pytest.mark.e2e
def test_console_script_refuses(archive_path: Path) -> None:
    before = folder_state(archive_path)
    new = archive_path.parent / "new.db"
    for sql, message in (
        (f"VACUUM INTO '{new}'", VACUUM.format(f"VACUUM INTO '{new}'")),
        ("PRAGMA query_only = 0", PRAGMA.format("query_only = 0")),
    ):
        done = run_linkthread("query", sql, "--db", str(archive_path), timeout=60)
        assert (done.returncode, done.stdout, done.stderr) == (1, "", f"Error: {message}\n")
    assert folder_state(archive_path) == before


def test_reading_still_works(archive_path: Path) -> None:
    assert run_query(
        archive_path, "SELECT id, author FROM comments WHERE author = :a", {"a": "user2"}
    ) == QueryResult(columns=["id", "author"], rows=[("2", "user2")])
    assert run_query(archive_path, FTS, {"q": "supply chain"}) == QueryResult(
        columns=["id", "snippet", "ranked"],
        rows=[
            ("1", "[Supply] [chain] attacks reach…", 1),
            ("2", "The [supply] of [chain]…", 1),
        ],
    )
    assert run_query(archive_path, "SELECT * FROM comments_fts('nothing')") == QueryResult(
        columns=["text", "author"], rows=[("Nothing to see here", "user3")]
    )
    assert run_query(archive_path, "PRAGMA table_info(stories)").rows[1] == (
        1, "id", "TEXT", 1, None, 2
    )  # fmt: skip
    assert run_query(
        archive_path, "SELECT name FROM pragma_index_info('comments_author_created_at')"
    ) == QueryResult(columns=["name"], rows=[("author",), ("created_at",)])
    assert run_query(archive_path, "PRAGMA user_version").rows == [(0,)]


def test_cli_reads_fts_and_params(archive_path: Path) -> None:
    result = invoke("query", FTS, "-p", "q", "npm", "--db", str(archive_path))
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout) == [
        {"id": "1", "snippet": "…attacks reach [npm] again", "ranked": 1}
    ]


def test_runaway_query_stops_at_the_time_limit(archive_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(ArchiveError) as info:
        run_query(archive_path, FOREVER, time_limit=0.2)
    assert str(info.value) == "query stopped after 0.2 s (time limit; raise it with --time-limit)"
    assert time.monotonic() - start >= 0.2  # it ran until the limit (a hang never returns)

    result = invoke("query", FOREVER, "--time-limit", "0.2", "--db", str(archive_path))
    assert (result.exit_code, result.stdout, result.stderr) == (
        1, "", "Error: query stopped after 0.2 s (time limit; raise it with --time-limit)\n"
    )  # fmt: skip


def test_default_time_limit_is_one_second(archive_path: Path) -> None:
    result = invoke("query", FOREVER, "--db", str(archive_path))
    assert result.stderr == (
        "Error: query stopped after 1.0 s (time limit; raise it with --time-limit)\n"
    )
    # A time limit does not cut short a query that finishes within it.
    assert run_query(archive_path, f"SELECT sum(n) FROM ({ROWS_2500})", time_limit=5).rows == [
        (3126250,)
    ]


def test_huge_result_is_capped_and_says_so(archive_path: Path) -> None:
    capped = run_query(archive_path, ROWS_2500)
    assert capped == QueryResult(columns=["n"], rows=[(n,) for n in range(1, 1001)], truncated=True)
    assert run_query(archive_path, ROWS_2500, max_rows=3) == QueryResult(
        columns=["n"], rows=[(1,), (2,), (3,)], truncated=True
    )
    exact = run_query(archive_path, ROWS_2500, max_rows=2500)
    assert (len(exact.rows), exact.truncated) == (2500, False)
    whole = run_query(archive_path, ROWS_2500, max_rows=None)
    assert (whole.rows[-1], len(whole.rows), whole.truncated) == ((2500,), 2500, False)


def test_cli_cap_on_stderr_and_all_lifts_it(archive_path: Path) -> None:
    db = str(archive_path)
    note = "linkthread: stopped at {} rows; the query has more (raise --max-rows, or --all)\n"

    capped = invoke("query", ROWS_2500, "--db", db)
    assert capped.exit_code == 0
    assert json.loads(capped.stdout) == [{"n": n} for n in range(1, 1001)]
    assert capped.stderr == note.format("1,000")

    csv = invoke("query", ROWS_2500, "--csv", "--max-rows", "2", "--db", db)
    assert (csv.stdout, csv.stderr) == ("n\n1\n2\n", note.format("2"))

    whole = invoke("query", ROWS_2500, "--all", "--nl", "--db", db)
    assert whole.stdout.splitlines() == [json.dumps({"n": n}) for n in range(1, 2501)]
    assert whole.stderr == ""

    done = run_linkthread("query", ROWS_2500, "--table", "--max-rows", "1", "--db", db, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "  n\n---\n  1\n", note.format("1"))
