"""Reading commands attacked as a careless or hostile user would: odd limits, dates,
paths and SQL that once gave a traceback, a hang past the limit, a silent loss, or a
write where only a read was asked for. Each test failed before its fix.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from archive import watchdog
from archive.db import open_db, open_readonly
from archive.errors import ArchiveError
from archive.printf_bound import needed, schema_calls
from archive.query import run_query
from archive.sandbox import Sandbox
from tests import test_query
from tests.clirun import in_process
from tests.hostile import make_hostile_archive
from tests.test_query_guard import FOREVER

archive_path = test_query.archive_path  # the fixture: an archive of one thread, hn/100


def one_line(archive_path: Path, args: tuple[str, ...], said: str) -> None:
    """``linkthread ARGS --db ARCHIVE`` ({dir}: the archive's folder) fails in one line
    that says ``said``."""
    args = tuple(a.replace("{dir}", str(archive_path.parent)) for a in args)
    result = in_process(*args, "--db", str(archive_path))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert said in result.stderr


@pytest.mark.parametrize("limit", ["1e308", "1e30", "100000000000"])
@pytest.mark.parametrize("command", [("query", "SELECT 1"), ("search", "foxes")])
def test_a_huge_time_limit_is_no_limit_and_the_watchdog_lives_on(
        archive_path: Path, limit: str, command: tuple[str, str]) -> None:
    result = in_process(*command, "--time-limit", limit, "--db", str(archive_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # The one watchdog thread still stops the next statement at its deadline.
    thread = watchdog.WATCHDOG._thread
    assert thread is not None and thread.is_alive()
    with pytest.raises(ArchiveError, match="time limit"):
        run_query(archive_path, FOREVER, time_limit=0.2)


@pytest.mark.parametrize("args", [
    ("search", "foxes", "--until", "9999-12-31"),
    ("search", "foxes", "--until", "9999-12-31T23:59:59Z"),
    ("search", "foxes", "--since", "0001-01-01T00:00:00+05:00"),
    ("search", "foxes", "--until", "9999-12-31T23:00:00-05:00"),
    ("changes", "hn", "100", "--since", "0001-01-01T00:00:00+01:00"),
    ("export", "--warc", "{dir}/x.warc", "--since", "0001-01-01T00:00:00+01:00"),
    ("reparse", "--since", "0001-01-01T00:00:00+01:00"),
    ("snapshot", "{dir}/s.db", "--as-of", "0001-01-01T00:00:00+01:00"),
])  # fmt: skip
def test_a_time_at_the_ends_of_the_calendar_is_one_line(
        archive_path: Path, args: tuple[str, ...]) -> None:
    one_line(archive_path, args, "is out of range: times go from 0001-01-01 to 9999-12-31 UTC")


# One C call of SQLite's printf ran 8 s per conversion (24 s for three) under a 1 s limit.
@pytest.mark.parametrize("sql", [
    "SELECT printf('%.*c', 2000000000, 'x')",
    "SELECT printf('%!.2000000000c', 'x')",
    "SELECT format('%.*c%.*c%.*c', 2000000000, 'x', 2000000000, 'x', 2000000000, 'x')",
    "SELECT printf('%.*c', '2000000000', 'x')",
    "SELECT printf('%-5.*c', -2000000000, 'x')",
    "SELECT count(*) FROM comments WHERE printf('%.*c', 2000000000, text) IS NULL",
    # Under the cap one by one, over it together: SQLite's NULL is an error here.
    "SELECT printf('%.200000c%.200000c', 'x', 'y')",
])  # fmt: skip
def test_printf_past_the_value_cap_is_refused_before_it_runs(archive_path: Path, sql: str) -> None:
    with pytest.raises(ArchiveError, match="past 256 KiB"):
        run_query(archive_path, sql, time_limit=5)


def test_printf_in_the_sandbox_gives_what_sqlites_printf_gives(archive_path: Path) -> None:
    rng = random.Random(20261208)
    pieces = ["%", "%%", "%d", "%s", "%c", "%q", "%Q", "%w", "%x", "%X", "%o", "%f", "%e",
              "%g", "%i", "%u", "%z", "%n", "%p", "%r", "%T", "%5", "%-", "%0", "%!", "%,",
              "*", ".", ".*", "l", "ll", "12", "3", "abc", " ", "\u00e9", "c", "s", "d"]
    values = [None, 0, 1, -1, 7, 42, 2**31 + 5, -(2**31), 3.5, -2.25, 1e300, "", "7", "x",
              "it's", "12abc", b"", b"\x00\xff", b"9"]  # fmt: skip
    plain = sqlite3.connect(":memory:")
    cases = []
    for _ in range(3000):
        fmt = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        cases.append((fmt, *(rng.choice(values) for _ in range(rng.randint(0, 5)))))
    expected = []
    for case in cases:
        marks = ", ".join("?" * len(case))
        expected.append(plain.execute(f"SELECT printf({marks})", case).fetchone()[0])
    got = []
    for start in range(0, len(cases), 500):  # under the sandbox's SQL length cap
        chunk = list(enumerate(cases))[start:start + 500]
        sql = " UNION ALL ".join(
            f"SELECT {i}, printf({', '.join(f':v{i}_{j}' for j in range(len(case)))})"
            for i, case in chunk)
        params = {f"v{i}_{j}": v for i, case in chunk for j, v in enumerate(case)}
        got += run_query(archive_path, sql, params, max_rows=None).rows
    assert [value for _, value in sorted(got)] == expected


@pytest.mark.parametrize("view", [
    "SELECT printf('%.*c', 2000000000, 'x') AS v",
    "SELECT printf('%.2000000000lc', 'x') AS v",
    "SELECT format(text, 2000000000, 'x') AS v FROM comments",
])  # fmt: skip
def test_printf_in_a_view_of_someone_elses_making_is_bounded_too(
        archive_path: Path, view: str) -> None:
    with sqlite3.connect(archive_path) as conn:
        conn.execute("UPDATE comments SET text = '%.*c'")
        conn.execute(f"CREATE VIEW evil AS {view}")
    conn.close()
    with pytest.raises(ArchiveError, match="past 256 KiB"):
        run_query(archive_path, "SELECT * FROM evil", time_limit=5)


def test_the_archives_own_views_keep_sqlites_printf(archive_path: Path) -> None:
    conn = sqlite3.connect(archive_path)
    try:
        schema = schema_calls(conn)
    finally:
        conn.close()
    assert schema  # thread_comments builds its sort path with printf
    assert not needed("SELECT sort_path FROM thread_comments", schema)
    assert needed("SELECT PrintF('%d', 1)", schema)


@pytest.mark.parametrize("fmt", ["--json", "--nl"])
def test_json_of_two_columns_of_one_name_is_refused_not_cut(archive_path: Path, fmt: str) -> None:
    sql = "SELECT c.id, s.id FROM comments c JOIN stories s ON s.id = c.story_id LIMIT 1"
    result = in_process("query", sql, fmt, "--db", str(archive_path))
    assert (result.returncode, result.stdout) == (1, "")
    assert "columns 1 and 2 are both named 'id'" in result.stderr
    # Every other format keeps both columns; named apart, JSON does too.
    table = in_process("query", sql, "--csv", "--db", str(archive_path))
    assert table.stdout.splitlines()[:2] == ["id,id", "1,100"]
    apart = in_process("query", sql.replace("s.id FROM", "s.id AS story FROM"), fmt, "--db",
                       str(archive_path))  # fmt: skip
    assert '"id": "1", "story": "100"' in apart.stdout


def test_history_plot_of_a_hostile_archive_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    db = make_hostile_archive(tmp_path / "hostile.db")
    png = tmp_path / "666.png"
    result = in_process("history", "hn", "666", "--plot", str(png), "--db", str(db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "--plot: the archive holds a time that is not one" in result.stderr
    assert "\x1b" not in result.stderr
    assert not png.exists()


def test_history_plot_goes_where_an_export_may_go(archive_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    db = str(archive_path)

    def plot(target: Path | str, *more: str) -> subprocess.CompletedProcess[str]:
        return in_process("history", "hn", "100", "--plot", str(target), *more, "--db", db)

    for target, said in ((tmp_path / "no" / "p.png", "folder"), ("/dev/full", "device")):
        result = plot(target)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert said in result.stderr
    mine = tmp_path / "mine.png"
    mine.write_bytes(b"my own picture")
    result = plot(mine)
    assert result.returncode == 1
    assert "already exists; use --force to overwrite it" in result.stderr
    assert mine.read_bytes() == b"my own picture"
    assert plot(mine, "--force").returncode == 0
    assert mine.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written picture left behind


def _from_the_future(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO _migrations (name, applied_at) "
                     "VALUES ('9999_future', '2030-01-01T00:00:00Z')")  # fmt: skip
        conn.execute("CREATE TABLE future_things (id INTEGER PRIMARY KEY)")
    conn.close()
    return path


def test_an_archive_of_a_newer_linkthread_is_read_but_never_written(
        archive_path: Path) -> None:
    db = str(_from_the_future(archive_path))
    before = archive_path.read_bytes()
    for args in (("redact", "--comment", "hn", "1", "--reason", "x"),
                 ("watch", "add", "hn", "100"),
                 ("search-index", "--upkeep")):  # fmt: skip
        result = in_process(*args, "--db", db)
        assert result.returncode == 1, (args, result.stderr)
        assert "was written by a newer linkthread (its schema has 9999_future" in result.stderr
    with pytest.raises(ArchiveError, match="newer linkthread"):
        open_db(archive_path)
    assert archive_path.read_bytes() == before
    with sqlite3.connect(archive_path) as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM redactions), "
                            "(SELECT count(*) FROM watches)").fetchone() == (0, 0)  # fmt: skip
    conn.close()
    # Readers read what they know.
    assert in_process("show", "hn", "100", "--db", db).returncode == 0
    assert run_query(archive_path, "SELECT count(*) FROM comments").rows == [(3,)]


NOT_UTF8 = b"1\xe9".decode("utf-8", "surrogateescape")  # what argv gives for the byte E9


@pytest.mark.parametrize("args", [
    ("show", "hn", NOT_UTF8),
    ("export", "hn", NOT_UTF8),
    ("history", "hn", NOT_UTF8),
    ("changes", "hn", NOT_UTF8),
    ("redact", "--comment", "hn", "1", "--reason", NOT_UTF8),
    ("redact", "--author", "hn", NOT_UTF8, "--reason", "x", "--dry-run"),
    ("snapshot", "{dir}/" + NOT_UTF8 + ".db"),
])  # fmt: skip
def test_an_argument_that_is_not_utf8_is_one_line(
        archive_path: Path, args: tuple[str, ...]) -> None:
    one_line(archive_path, args, "is not valid UTF-8 (byte 0xe9")
    with sqlite3.connect(archive_path) as conn:
        assert conn.execute("SELECT count(*) FROM redactions").fetchone() == (0,)
    conn.close()


def test_a_search_of_too_many_words_is_refused_before_fts5_reads_it(
        archive_path: Path) -> None:
    # Once 11 s under the 2 s limit: FTS5's parse of 60,000 words is one C call.
    words = ("x " * 30_000).strip()
    result = in_process("search", words, words, "--db", str(archive_path))
    assert result.returncode == 1
    assert result.stderr == ("Error: the search has 60,000 words; linkthread search takes at "
                             "most 10,000\n")
    literal = in_process("search", "--literal", words, "--db", str(archive_path))
    assert "the search has 30,000 words" in literal.stderr
    # 10,000 are read (and may meet the time limit; a matching word costs more).
    at_most = in_process("search", ("foxes " * 10_000).strip(), "--db", str(archive_path))
    assert "linkthread search takes at most" not in at_most.stderr
    assert in_process("search", ("foxes " * 100).strip(), "--db",
                      str(archive_path)).returncode == 0  # fmt: skip


def test_no_statement_starts_past_the_deadline(archive_path: Path) -> None:
    conn = open_readonly(archive_path)
    try:
        with Sandbox(conn, time_limit=0.05) as box:
            time.sleep(0.1)  # a first statement's one long C call, as it were
            with pytest.raises(ArchiveError, match=r"stopped after 0\.05 s"):
                box.execute("SELECT 1")
    finally:
        conn.close()


@pytest.mark.parametrize("target", ["a.db", "a.db-wal", "a.db-shm", "other.db"])
@pytest.mark.parametrize("command", [
    ("export", "hn", "100", "--format", "json", "-o"),
    ("export", "--where", "1", "--format", "csv", "-o"),
    ("datasette-metadata", "-o"),
    ("history", "hn", "100", "--plot"),
])  # fmt: skip
def test_no_output_ever_takes_a_databases_place(
        archive_path: Path, target: str, command: tuple[str, ...]) -> None:
    if command[0] == "history":
        pytest.importorskip("matplotlib")
    folder = archive_path.parent
    run_query(archive_path, "SELECT 1")  # a reader leaves the -wal and -shm beside it
    (folder / "other.db").write_bytes(archive_path.read_bytes())

    def files() -> dict[str, bytes]:  # the -shm is SQLite's to rewrite as readers come
        return {p.name: b"" if p.name.endswith("-shm") else p.read_bytes()
                for p in folder.iterdir()}  # fmt: skip

    before = files()
    shm = (folder / "a.db-shm").stat().st_size
    result = in_process(*command, str(folder / target), "--force", "--db", str(archive_path))
    assert result.returncode == 1, result.stderr
    assert "an export never writes over one, even with --force" in result.stderr
    assert files() == before
    assert (folder / "a.db-shm").stat().st_size == shm
