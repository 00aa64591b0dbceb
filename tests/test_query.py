"""archive.query: read-only SQL and threads in display order."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from archive.db import open_db, open_readonly
from archive.errors import ArchiveError
from archive.query import QueryResult, display_order, load_thread, run_query
from archive.render import format_rows
from archive.store import save_thread
from tests.test_store import make_comment, make_thread, table_rows


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_thread(db, make_thread())
    db.close()
    return path


def test_run_query_returns_columns_and_rows(archive_path: Path) -> None:
    result = run_query(
        archive_path,
        "SELECT id, parent_id, depth FROM comments WHERE depth >= :depth ORDER BY id",
        {"depth": 0},
    )
    assert result == QueryResult(
        columns=["id", "parent_id", "depth"],
        rows=[("1", None, 0), ("2", "1", 1), ("3", None, 0)],
    )
    assert run_query(archive_path, "SELECT id FROM comments WHERE id = :id", {"id": "2"}) == (
        QueryResult(columns=["id"], rows=[("2",)])
    )


def test_run_query_cannot_write(archive_path: Path) -> None:
    db = open_db(archive_path)
    before = {t: table_rows(db, t) for t in ("stories", "comments", "crawls")}
    db.close()

    # Each refused by the authorizer before it runs; tests/test_query_guard.py has more.
    refused = "refused: the query tries to write ({}); linkthread query is read-only"
    for sql, what in (
        ("INSERT INTO crawls (started_at, command) VALUES ('2026-01-01T00:00:00Z', 'x')",
         "INSERT into crawls"),
        ("DELETE FROM comments", "DELETE from comments"),
        ("UPDATE stories SET title = 'x'", "UPDATE of stories"),
        ("CREATE TABLE t (x)", "CREATE TABLE t"),
        ("CREATE TEMP TABLE t (x)", "CREATE TEMP TABLE t"),
    ):  # fmt: skip
        with pytest.raises(ArchiveError) as info:
            run_query(archive_path, sql)
        assert str(info.value) == refused.format(what)
    for sql in ("PRAGMA user_version = 5", "PRAGMA journal_mode = delete"):
        with pytest.raises(ArchiveError, match=r"^refused: PRAGMA .* is not allowed"):
            run_query(archive_path, sql)
    with pytest.raises(ArchiveError, match=r"^refused: the query tries to attach"):
        run_query(archive_path, f"ATTACH '{archive_path.parent / 'new.db'}' AS x")
    assert not (archive_path.parent / "new.db").exists()

    db = open_db(archive_path)
    assert {t: table_rows(db, t) for t in ("stories", "comments", "crawls")} == before
    assert db.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize(
    ("sql", "params", "message"),
    [
        ("SELEKT 1", None, 'SQL error: near "SELEKT": syntax error'),
        ("SELECT nope FROM comments", None, "SQL error: no such column: nope"),
        ("SELECT :missing", {}, "SQL error: You did not supply a value for binding parameter"),
        ("SELECT 1; SELECT 2", None, "SQL error: You can only execute one statement at a time"),
    ],
)
def test_bad_sql_is_an_archive_error(
    archive_path: Path, sql: str, params: dict | None, message: str
) -> None:
    with pytest.raises(ArchiveError) as info:
        run_query(archive_path, sql, params)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_missing_archive_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match=r"^no archive at "):
        run_query(tmp_path / "none.db", "SELECT 1")
    assert list(tmp_path.iterdir()) == []


def test_not_an_archive_is_an_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    path.write_text("hello, not a database " * 100)
    with pytest.raises(ArchiveError, match=r"^cannot open archive at .*: file is not a database$"):
        run_query(path, "SELECT 1")


def test_load_thread_in_display_order(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    # Records handed over out of order: display order comes from parent/position.
    comments = (
        make_comment("5", position=1),
        make_comment("4", parent="1", depth=1, position=1),
        make_comment("3", parent="2", depth=2),
        make_comment("2", parent="1", depth=1),
        make_comment("1"),
        make_comment("6", parent="5", depth=1),
    )
    save_thread(db, make_thread(comments))

    story, rows = load_thread(db, "hn", "100")

    assert story["title"] == "Show HN: A thing"
    assert story["archived_count"] == 6
    assert [(r["id"], r["depth"]) for r in rows] == [
        ("1", 0), ("2", 1), ("3", 2), ("4", 1), ("5", 0), ("6", 1),
    ]  # fmt: skip
    # Same result through a read-only connection.
    conn = open_readonly(tmp_path / "a.db")
    assert load_thread(conn, "hn", "100") == (story, rows)
    assert rows[0] == dict(table_rows(db, "comments")[4])


def test_display_order_keeps_orphans_and_cycles() -> None:
    def row(id: str, parent: str | None, position: int, depth: int = 0) -> dict:
        return {"id": id, "parent_id": parent, "position": position, "depth": depth}

    rows = [
        row("9", "missing", 0, depth=2),  # parent never stored: shown after the roots
        row("10", None, 1),
        row("2", None, 0),
        row("7", "8", 0, depth=1),  # 7 and 8 are each other's parent: unreachable
        row("8", "7", 0, depth=1),
        row("11", "2", 0, depth=1),
    ]
    assert [r["id"] for r in display_order(rows)] == ["2", "11", "10", "9", "7", "8"]


def test_load_thread_unknown_thread_or_site(archive_path: Path) -> None:
    conn = open_readonly(archive_path)
    with pytest.raises(ArchiveError, match=r"^no thread hn/999 in the archive$"):
        load_thread(conn, "hn", "999")
    with pytest.raises(
        ArchiveError,
        match=r"^unknown site 'hackernews': the archive has no threads from it \(sites: hn\)$",
    ):
        load_thread(conn, "hackernews", "100")


@pytest.mark.parametrize("fmt, dialect", [("csv", "excel"), ("tsv", "excel-tab")])
def test_csv_output_keeps_line_breaks_inside_cells(fmt: str, dialect: str) -> None:
    texts = ["a lone\rCR", "two\nlines", "crlf\r\nend", 'a "quote", a comma\tand tab']
    lines = list(format_rows(["id", "text"], [(i, t) for i, t in enumerate(texts)], fmt))
    assert len(lines) == 1 + len(texts)  # one yielded record per row, header included
    back = list(csv.reader(io.StringIO("\n".join(lines) + "\n", newline=""), dialect=dialect))
    assert back == [["id", "text"], *([str(i), t] for i, t in enumerate(texts))]
