"""The cheaper ways of running the CLI (tests/clirun.py) give what the console script
gives: the same exit status, stdout and stderr, for a success, a usage error and a
failed crawl."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.clirun import forked, in_process
from tests.conftest import run_linkthread

pytestmark = pytest.mark.e2e  # the console script, once a case

# No credentials from the machine: a Reddit crawl stops with one line, before a request.
BARE = {"LINKTHREAD_REDDIT_CONFIG": "/nonexistent/reddit.ini",
        **{f"LINKTHREAD_REDDIT_{k}": "" for k in ("CLIENT_ID", "CLIENT_SECRET", "USERNAME",
                                                  "PASSWORD", "REFRESH_TOKEN")}}


def seen(result: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("case", ["query", "usage", "crawl-fails", "spider-fails"])
def test_in_process_and_forked_runs_are_the_console_scripts(case: str, tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    args = {"query": ("query", "select 1 + 1 AS two", "--json", "--db", db),
            "usage": ("crawl", "nosuchsite", "1", "--db", db),
            "crawl-fails": ("crawl", "reddit", "abc12", "--db", db),
            "spider-fails": ("crawl", "reddit", "abc12", "-s", "LOG_LEVEL=WARNING",
                             "--db", db)}[case]
    real = run_linkthread(*args, env=BARE)
    assert real.returncode in (0, 1, 2) and "Traceback" not in real.stderr
    assert seen(forked(*args, env=BARE)) == seen(real)
    if case != "spider-fails":  # a spider crawl starts a reactor: never in this process
        assert seen(in_process(*args, env=BARE)) == seen(real)


def test_an_uncaught_exception_is_a_traceback_and_status_1(tmp_path: Path) -> None:
    # A folder where the archive's file should be: open_db fails inside the command.
    db = tmp_path / "a.db"
    db.mkdir()
    real = run_linkthread("query", "select 1", "--db", str(db))
    for result in (forked("query", "select 1", "--db", str(db)),
                   in_process("query", "select 1", "--db", str(db))):
        assert result.returncode == real.returncode != 0
        assert ("Traceback" in result.stderr) == ("Traceback" in real.stderr)
