"""Reading commands attacked as a careless or hostile user would: odd limits, dates,
paths and SQL that once gave a traceback, a hang past the limit, a silent loss, or a
write where only a read was asked for. Each test failed before its fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import watchdog
from archive.db import open_db
from archive.errors import ArchiveError
from archive.query import run_query
from archive.store import save_thread
from tests.clirun import in_process
from tests.test_query_guard import FOREVER
from tests.test_store import make_thread


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_thread(db, make_thread())
    db.close()
    return path


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
    args = tuple(a.replace("{dir}", str(archive_path.parent)) for a in args)
    result = in_process(*args, "--db", str(archive_path))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "is out of range: times go from 0001-01-01 to 9999-12-31 UTC" in result.stderr
