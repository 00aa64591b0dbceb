"""archive.pace: the turns every crawl of one archive takes to ask a host."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from archive.db import open_db
from archive.pace import take_turn


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "hn.db")


def test_turns_come_a_delay_apart_across_connections(db: sqlite_utils.Database,
                                                     tmp_path: Path) -> None:
    other = open_db(tmp_path / "hn.db")  # a second crawl of the same archive
    assert take_turn(db.conn, "h", 30, now=1000.0) == 0
    assert take_turn(other.conn, "h", 30, now=1001.0) == 29  # its turn is at 1030
    assert take_turn(db.conn, "h", 30, now=1002.0) == 58  # and this one's at 1060
    assert take_turn(db.conn, "elsewhere", 30, now=1002.0) == 0  # hosts are apart
    other.close()


def test_a_request_that_knows_no_delay_keeps_the_gap_of_the_last_turn(
        db: sqlite_utils.Database) -> None:
    assert take_turn(db.conn, "h", 30, now=1000.0) == 0
    # A new crawl's robots.txt (no Crawl-delay known yet) waits for the turn at 1030...
    assert take_turn(db.conn, "h", 0, now=1005.0) == 25
    # ...and leaves the next 30 s after it, not at once.
    assert take_turn(db.conn, "h", 30, now=1006.0) == 54


def test_once_the_turn_has_passed_a_lower_delay_is_what_it_says(
        db: sqlite_utils.Database) -> None:
    assert take_turn(db.conn, "h", 30, now=1000.0) == 0
    assert take_turn(db.conn, "h", 2, now=1100.0) == 0
    assert take_turn(db.conn, "h", 2, now=1100.5) == 1.5
    assert db.conn.execute("SELECT host, next_at, delay FROM host_pace").fetchall() == [
        ("h", 1104.0, 2.0)]


def test_a_host_nobody_paces_costs_no_write(db: sqlite_utils.Database) -> None:
    assert take_turn(db.conn, "h", 0, now=1000.0) == 0
    assert db.conn.execute("SELECT count(*) FROM host_pace").fetchone() == (0,)


def test_a_first_robots_txt_just_after_a_turn_came_due_leaves_a_gap_before_the_next(
        db: sqlite_utils.Database) -> None:
    # A crawl pacing the host at 30 s took the turn at 1000; its next request is due at
    # 1030 by its own clock too. A second crawl's robots.txt comes at 1030.5, a moment
    # before the first crawl's request: it goes, and the first crawl waits 30 s after it.
    assert take_turn(db.conn, "h", 30, now=1000.0) == 0
    assert take_turn(db.conn, "h", 0, now=1030.5, known=False) == 0
    assert take_turn(db.conn, "h", 30, now=1030.6) == pytest.approx(29.9)


def test_a_crawl_that_knowingly_keeps_no_delay_is_not_held_by_a_finished_pace(
        db: sqlite_utils.Database) -> None:
    assert take_turn(db.conn, "h", 30, now=1000.0) == 0
    assert take_turn(db.conn, "h", 0, now=1030.5) == 0
    assert take_turn(db.conn, "h", 0, now=1030.6) == 0
