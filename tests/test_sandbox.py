"""The sandbox every user's SQL and FTS query runs in (query, search, export --where):
values, results and SQLite's memory are bounded, the time limit and Ctrl-C stop a
statement, and bad input is one line.

The timing tests assert what stopped a statement and the message, never how long it
took; bench/guard.py measures time and memory of the worst cases.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click.testing
import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.db import open_db, open_readonly
from archive.errors import ArchiveError
from archive.export_many import export_where
from archive.query import run_query
from archive.render import format_rows
from archive.sandbox import HEAP_LIMIT_BYTES, MAX_VALUE_BYTES, Sandbox
from archive.search import search
from archive.store import save_thread
from tests.conftest import LINKTHREAD, ROOT
from tests.test_store import make_comment, make_thread

ROWS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < {}) "
FOREVER = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
TIME_LIMIT = "query stopped after 0.2 s (time limit; raise it with --time-limit)"
TOO_BIG = (
    "query stopped: a value is or grew past 256 KiB, the largest linkthread reads or builds "
    "(string or blob too big)"
)
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;owned\x07"


@pytest.fixture(scope="module")
def built_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sandbox") / "a.db"
    db = open_db(path)
    comments = (
        make_comment("1", text=f"supply chain {CLEAR}wiped\rover", author=f"mallory{TITLE}"),
        make_comment("2", parent="1", depth=1, text="The supply of chain saws is fine"),
    )
    save_thread(db, make_thread(comments))
    db.close()  # checkpointed: the one file is the whole archive
    return path


@pytest.fixture
def archive_path(built_archive: Path, tmp_path: Path) -> Path:
    """A copy of the module's archive for each test: building one is most of a test's
    time (the migrations), copying it a few milliseconds."""
    path = tmp_path / "a.db"
    shutil.copyfile(built_archive, path)
    return path


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


def stopped(path: Path, sql: str, **kw: object) -> str:
    with pytest.raises(ArchiveError) as info:
        run_query(path, sql, **kw)  # type: ignore[arg-type]
    return str(info.value)


# Values and results


def test_huge_values_are_refused_in_one_line(archive_path: Path) -> None:
    # Each of these once took gigabytes, or ended in a MemoryError traceback.
    for sql in (
        "select zeroblob(33554432) from comments limit 300",
        "select randomblob(30000000) from comments",
        f"select length(zeroblob({MAX_VALUE_BYTES}) || 'x')",
    ):
        assert stopped(archive_path, sql) == TOO_BIG, sql
    # printf() past the cap too, where SQLite's own gives NULL (archive/printf_bound.py).
    assert stopped(archive_path, f"select printf('%.*c', {MAX_VALUE_BYTES + 1}, 'x')") == TOO_BIG
    # Up to the cap, a value is fine.
    assert run_query(archive_path, f"select length(zeroblob({MAX_VALUE_BYTES}))").rows == [
        (MAX_VALUE_BYTES,)
    ]


def test_result_bytes_are_bounded_not_only_rows(archive_path: Path) -> None:
    sql = ROWS.format(2500) + "SELECT n, zeroblob(100000) FROM r"
    assert stopped(archive_path, sql, max_bytes=1_000_000) == (
        "query stopped: its result passed 976 KiB after 9 rows (the result limit; raise it "
        "with --max-bytes, or 0 for none)"
    )
    # --all lifts the row cap, not the byte budget; --max-bytes 0 lifts that.
    db = str(archive_path)
    capped = invoke("query", sql, "--all", "--max-bytes", "1000000", "--nl", "--db", db)
    assert (capped.exit_code, capped.stdout) == (1, "")
    assert capped.stderr.startswith("Error: query stopped: its result passed 976 KiB after 9 rows")
    small = ROWS.format(30) + "SELECT n, zeroblob(100000) FROM r"
    whole = invoke("query", small, "--max-bytes", "0", "--nl", "--db", db)
    assert (whole.exit_code, len(whole.stdout.splitlines())) == (0, 30)


def test_rows_past_the_cap_are_not_read(archive_path: Path) -> None:
    # Row 4 fails. A cap of 1 reads row 2 to know there is more, and Python's sqlite3
    # steps one row ahead of what it hands out (row 3): nothing further runs.
    sql = ROWS.format(10) + "SELECT CASE WHEN n > 3 THEN zeroblob(4000000 + n) ELSE n END FROM r"
    assert run_query(archive_path, sql, max_rows=1).rows == [(1,)]
    assert run_query(archive_path, sql, max_rows=0).truncated
    assert stopped(archive_path, sql, max_rows=2) == TOO_BIG


def test_a_table_too_wide_for_the_budget_is_refused(archive_path: Path) -> None:
    # One 100 KB value pads its whole column: 1,000 rows of it would be 100 MB of text.
    sql = ROWS.format(1000) + "SELECT n, CASE n WHEN 1 THEN printf('%.*c', 100000, 'x') END FROM r"
    result = invoke("query", sql, "--table", "--max-bytes", "10000000", "--db", str(archive_path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: query stopped: as a table its 1,000 rows would take 95.4 MiB, past "
        "--max-bytes 9.54 MiB; use --json or --csv\n"
    )


def test_a_sort_bigger_than_the_heap_stops_and_stays_in_memory(archive_path: Path) -> None:
    # 1,500 distinct values of 200 KB: 300 MB to sort, past SQLite's heap limit. Without
    # temp_store = MEMORY and the heap limit this spills to temporary files instead.
    sql = ROWS.format(1500) + "SELECT count(*) FROM (SELECT DISTINCT zeroblob(200000) || n FROM r)"
    assert stopped(archive_path, sql, time_limit=None) == (
        f"query stopped: it needed more than {HEAP_LIMIT_BYTES >> 20} MiB of memory "
        "(SQLite's heap limit)"
    )
    conn = open_readonly(archive_path)
    try:
        with Sandbox(conn, time_limit=None):
            conn.set_authorizer(None)  # the user may not ask; the test may
            assert conn.execute("PRAGMA temp_store").fetchone() == (2,)  # MEMORY
    finally:
        conn.close()


def test_sandbox_pragmas_are_refused_to_the_user(archive_path: Path) -> None:
    for sql, shown in (
        ("PRAGMA hard_heap_limit = 0", "hard_heap_limit = 0"),
        ("PRAGMA soft_heap_limit = 0", "soft_heap_limit = 0"),
        ("PRAGMA temp_store = FILE", "temp_store = FILE"),
        ("PRAGMA cache_size = -10000000", "cache_size = -10000000"),
        ("PRAGMA temp_store", "temp_store"),
    ):
        assert stopped(archive_path, sql) == (
            f"refused: PRAGMA {shown} is not allowed; linkthread query allows only pragmas "
            "that read, such as table_info(name), index_list(name) or a bare user_version"
        )


# Time


def test_one_long_c_call_is_bounded_by_the_value_cap(archive_path: Path) -> None:
    # instr() of two long strings is one C call that no interrupt reaches, quadratic in
    # their length: strings of 4 MB once ran for minutes. Past the cap, printf() and ||
    # are an error. No time limit: none reaches that call, so only the cap can end it,
    # and a short one lost the race to a loaded machine's scheduler.
    big = "select instr(printf('%.*c', 4000000, 'a'), printf('%.*c', 2000000, 'a') || 'b')"
    assert stopped(archive_path, big, time_limit=None) == TOO_BIG
    big = "select instr(zeroblob(4000000) || 'a', zeroblob(2000000) || 'b')"
    assert stopped(archive_path, big, time_limit=None) == TOO_BIG
    # At the cap the call ends on its own, and the time limit stops the statement then.
    n = MAX_VALUE_BYTES - 8
    worst = (
        ROWS.format(1000) + f"SELECT instr(printf('%.*c', {n}, 'a') || n, "
        f"printf('%.*c', {n // 2}, 'a') || 'b') FROM r"
    )
    assert stopped(archive_path, worst, time_limit=0.2) == TIME_LIMIT


def test_time_limit_must_be_finite_and_not_negative(archive_path: Path) -> None:
    for value in ("nan", "inf", "-inf", "-1", "soon"):
        for command in (("query", "select 1"), ("search", "x"), ("export", "--where", "1")):
            result = invoke(*command, "--time-limit", value, "--db", str(archive_path))
            assert (result.exit_code, result.stdout) == (2, ""), (command, value)
            assert result.stderr.splitlines()[-1].startswith(
                "Error: Invalid value for '--time-limit': "
            ), (command, value)
    with pytest.raises(ArchiveError, match=r"^the time limit must be a finite number"):
        run_query(archive_path, "select 1", time_limit=float("nan"))


def test_huge_or_search_stops_at_its_time_limit(archive_path: Path) -> None:
    words = " OR ".join(f"w{i}*" for i in range(4_000))
    conn = open_readonly(archive_path)
    try:
        with pytest.raises(ArchiveError) as info:
            search(conn, words, time_limit=0.001)
    finally:
        conn.close()
    assert str(info.value) == (
        "search stopped after 0.001 s (time limit; raise it with --time-limit)"
    )
    result = invoke("search", FOREVER_FTS, "--time-limit", "0.001", "--db", str(archive_path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: search stopped after 0.001 s (time limit; raise it with --time-limit)\n"
    )


# Under search's 10,000 words (6 a group), and far over 1 ms.
FOREVER_FTS = " OR ".join(f"NEAR(w{i}* supply chain, 50)" for i in range(1_500))


def test_export_where_is_guarded_and_time_limited(archive_path: Path) -> None:
    with pytest.raises(ArchiveError) as info:
        export_where(archive_path, "fts3_tokenizer('simple') IS NOT NULL", "jsonl", None)
    assert str(info.value) == (
        "refused: the function fts3_tokenizer() is not allowed; it reaches outside the "
        "archive, and linkthread export --where only reads it"
    )
    out = io.StringIO()
    with pytest.raises(ArchiveError) as info:
        export_where(archive_path, f"id IN ({FOREVER})", "jsonl", None, stdout=out, time_limit=0.2)
    assert str(info.value) == (
        "export --where stopped after 0.2 s (time limit; raise it with --time-limit)"
    )
    assert out.getvalue() == ""
    result = invoke("export", "--where", "length(randomblob(30000000))", "--db", str(archive_path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: export --where stopped: a value is or grew past 256 KiB, the largest linkthread "
        "reads or builds (string or blob too big)\n"
    )
    done = invoke("export", "--where", "author = 'user2'", "--time-limit", "5",
                  "--db", str(archive_path))  # fmt: skip
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["2"]


# Flags and input


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("query", "select 1", "--csv", "--table"),
         "Error: choose one output format, not --csv and --table"),
        (("query", "select 1", "--json", "--nl"),
         "Error: choose one output format, not --json and --nl"),
        (("search", "x", "--stories", "--comments"),
         "Error: --stories and --comments exclude each other; give neither to search both"),
        (("search", "x", "--limit", "100000000000000000000"),
         "Error: Invalid value for '--limit': 100000000000000000000 is not in the range "
         "1<=x<=10000."),
        (("search", "x", "--limit", "1e20"),
         "Error: Invalid value for '--limit': '1e20' is not a valid integer range."),
    ],
)  # fmt: skip
def test_conflicting_or_bad_flags_are_refused(
    archive_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = invoke(*args, "--db", str(archive_path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == message


def test_empty_query_and_search_are_refused(archive_path: Path) -> None:
    db = str(archive_path)
    for args, message in (
        (("query", "  "), "Error: empty query: give the SQL to run\n"),
        (("search", " "), "Error: empty search: give the words to look for\n"),
    ):
        result = invoke(*args, "--db", db)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", message)


def run_bytes(*args: bytes | str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "LINKTHREAD_DB"}
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    return subprocess.run(
        [*cmd, *args], capture_output=True, env=env, cwd=ROOT, timeout=120, check=False
    )


@pytest.mark.e2e  # the console script once; the other arguments as it would decode them
def test_invalid_utf8_from_the_shell_is_one_line(archive_path: Path) -> None:
    db = str(archive_path)
    for k, (args, message) in enumerate((
        ((b"query", b"select '\xff'"),
         b"Error: the SQL is not valid UTF-8 (byte 0xff at character 9)\n"),
        ((b"query", b"select :x", b"-p", b"x", b"a\xfe"),
         b"Error: the parameter 'x' is not valid UTF-8 (byte 0xfe at character 2)\n"),
        ((b"search", b"supply \xc3"),
         b"Error: the search is not valid UTF-8 (byte 0xc3 at character 8)\n"),
        ((b"export", b"--where", b"text = '\xff'"),
         b"Error: --where is not valid UTF-8 (byte 0xff at character 9)\n"),
    )):  # fmt: skip
        if k == 0:
            done = run_bytes(*args, "--db", db)
            assert (done.returncode, done.stdout, done.stderr) == (1, b"", message), args
            continue
        # Python's own decoding of a command line's bytes, as sys.argv holds them.
        result = invoke(*(os.fsdecode(a) for a in args), "--db", db)
        assert (result.exit_code, result.stdout_bytes, result.stderr_bytes) == (
            1, b"", message), args


# Terminal escapes


def test_search_output_shows_escapes_instead_of_obeying_them(archive_path: Path) -> None:
    result = invoke("search", "supply", "--comments", "--db", str(archive_path))
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert result.stdout.splitlines()[:3] == [
        "hn/100 · comment 1 by mallory\\x1b]0;owned\\x07 · 2026-01-14T09:29:00Z",
        "  Show HN: A thing",
        # \r is white space: the snippet's one line reads it as a space.
        "  [supply] chain \\x1b[2Jwiped over",
    ]
    # JSON keeps the text exact: json.dumps escapes it already.
    as_json = invoke("search", "supply", "--comments", "--json", "--db", str(archive_path))
    authors = {r["comment_id"]: r["author"] for r in json.loads(as_json.stdout)}
    assert authors["1"] == f"mallory{TITLE}"


def test_query_table_and_terminal_csv_show_escapes(archive_path: Path) -> None:
    sql = "SELECT author, text FROM comments WHERE id = '1'"
    table = invoke("query", sql, "--table", "--db", str(archive_path))
    assert "\x1b" not in table.stdout
    assert "mallory\\x1b]0;owned\\x07" in table.stdout
    rows = [("a\x1b[2Jb", "x\ny")]
    assert list(format_rows(["c", "d"], rows, "csv", terminal=True)) == [
        "c,d", 'a\\x1b[2Jb,"x\ny"'
    ]  # fmt: skip
    # Not at a terminal, CSV stays exact for the program reading it.
    assert list(format_rows(["c"], [("a\x1b[2Jb",)], "csv")) == ["c", "a\x1b[2Jb"]
    assert list(format_rows(["c"], [("a\x1b[2Jb",)], "tsv", terminal=True)) == ["c", "a\\x1b[2Jb"]


# Ctrl-C


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _has_open(pid: int, path: Path) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except FileNotFoundError:
        return False


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_stops_a_long_query_with_exit_130(archive_path: Path) -> None:
    cmd = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]
    env = {k: v for k, v in os.environ.items() if k != "LINKTHREAD_DB"}
    child = subprocess.Popen(
        [*cmd, "query", FOREVER, "--time-limit", "0", "--db", str(archive_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        # Running the query: the archive's WAL is open (the reader has read the schema),
        # and the child has since spent half a second of CPU, which only the endless
        # query takes. A state to wait on, not a time.
        wal = archive_path.with_name("a.db-wal").resolve()
        while not _has_open(child.pid, wal):
            assert child.poll() is None, child.communicate()
            time.sleep(0.01)
        opened = _cpu_ticks(child.pid)
        while _cpu_ticks(child.pid) < opened + os.sysconf("SC_CLK_TCK") // 2:
            assert child.poll() is None, child.communicate()
            time.sleep(0.01)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert (child.returncode, out, err) == (130, b"", b"Error: query interrupted\n")
