"""archive.pace.Claims: several turns claimed in one write, the pace kept."""

from __future__ import annotations

import itertools
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.db import open_writer
from archive.pace import CLAIM_SECONDS, CLAIM_TURNS, Claims, take_turn


@pytest.fixture
def conns(tmp_path: Path) -> Iterator[list[sqlite3.Connection]]:
    opened = [open_writer(tmp_path / "a.db"), open_writer(tmp_path / "a.db")]
    yield opened
    for conn in opened:
        conn.close()


def pace_row(conn: sqlite3.Connection) -> list[tuple[str, float, float]]:
    return conn.execute("SELECT host, next_at, delay FROM host_pace").fetchall()


def test_one_write_claims_the_turns_of_two_seconds(conns: list[sqlite3.Connection]) -> None:
    conn = conns[0]
    claims = Claims()
    assert claims.take(conn, "h", 0.5, 1000.0) == 0
    assert pace_row(conn) == [("h", 1000.0 + CLAIM_SECONDS, 0.5)]
    changes = conn.total_changes
    # The claimed turns, each a delay after the one before: no write for them.
    assert claims.take(conn, "h", 0.5, 1000.1) == pytest.approx(0.4)
    assert claims.take(conn, "h", 0.5, 1001.2) == 0  # late: it goes at once
    assert conn.total_changes == changes
    # The next one would leave less than its delay before the claim's end: a new claim,
    # from the end of the last one.
    assert claims.take(conn, "h", 0.5, 1001.8) == pytest.approx(0.2)
    assert conn.total_changes == changes + 1
    assert pace_row(conn) == [("h", pytest.approx(1002.0 + CLAIM_SECONDS), 0.5)]


def test_a_claim_holds_at_most_claim_turns(conns: list[sqlite3.Connection]) -> None:
    claims = Claims()
    claims.take(conns[0], "h", 0.001, 1000.0)
    assert pace_row(conns[0]) == [("h", pytest.approx(1000.0 + CLAIM_TURNS * 0.001), 0.001)]


def test_another_crawl_waits_for_the_end_of_the_claim(conns: list[sqlite3.Connection]) -> None:
    mine, other = Claims(), Claims()
    assert mine.take(conns[0], "h", 1.0, 1000.0) == 0  # claims 1000 and 1001
    assert other.take(conns[1], "h", 1.0, 1000.5) == pytest.approx(1.5)  # at 1002
    assert mine.take(conns[0], "h", 1.0, 1000.6) == pytest.approx(0.4)  # 1001, held
    assert mine.take(conns[0], "h", 1.0, 1001.1) == pytest.approx(2.9)  # after the other's
    # A plain turn (Scrapy's handler) keeps to the claims too.
    assert take_turn(conns[1], "h", 1.0, 1001.2) == pytest.approx(4.8)


def test_a_contested_claim_keeps_the_larger_delay(conns: list[sqlite3.Connection]) -> None:
    assert take_turn(conns[1], "h", 30.0, 1000.0) == 0  # another crawl's, at 30 s
    claims = Claims()
    # Its turn is at 1030 with the other's gap of 30 s after it, as take_turn gives it:
    # one turn only fits in two seconds of them.
    assert claims.take(conns[0], "h", 1.0, 1001.0) == 29
    assert pace_row(conns[0]) == [("h", 1060.0, 30.0)]
    assert claims.local("h", 1.0, 1030.5) is None


def test_unused_turns_are_handed_back(conns: list[sqlite3.Connection]) -> None:
    claims = Claims()
    claims.take(conns[0], "h", 0.5, 1000.0)
    claims.take(conns[0], "h", 0.5, 1000.5)
    claims.release(conns[0])
    assert pace_row(conns[0]) == [("h", 1001.0, 0.5)]  # a delay after the last turn
    assert take_turn(conns[1], "h", 0.5, 1000.6) == pytest.approx(0.4)


def test_handing_back_leaves_another_crawls_later_turn(conns: list[sqlite3.Connection]) -> None:
    claims = Claims()
    claims.take(conns[0], "h", 0.5, 1000.0)
    take_turn(conns[1], "h", 0.5, 1000.1)  # the other's turn, after the claim
    before = pace_row(conns[0])
    claims.release(conns[0])
    assert pace_row(conns[0]) == before


def test_robots_txt_takes_a_turn_alone_and_nothing_paced_writes_nothing(
        conns: list[sqlite3.Connection]) -> None:
    claims = Claims()
    assert claims.take(conns[0], "h", 0.0, 1000.0, known=False) == 0
    assert claims.take(conns[0], "h", 0.0, 1000.0) == 0
    assert pace_row(conns[0]) == []
    claims.take(conns[0], "h", 2.0, 1000.0, known=False)
    assert pace_row(conns[0]) == [("h", 1002.0, 2.0)]  # one turn, no claim
    assert claims.local("h", 2.0, 1000.5, known=False) is None


def test_two_crawls_claiming_never_ask_a_delay_apart_or_less(
        conns: list[sqlite3.Connection]) -> None:
    # Two crawls of one archive in turn, each asking as soon as its own last request
    # went out plus a random latency: every two requests to the host, whoever made
    # them, go out at least the delay apart.
    rng = random.Random(7)
    crawls = [Claims(), Claims()]
    ready = [1000.0, 1000.0]
    sent: list[float] = []
    for _ in range(400):
        k = 0 if ready[0] <= ready[1] else 1
        wait = crawls[k].take(conns[k], "h", 0.1, ready[k])
        at = ready[k] + wait
        sent.append(at)
        ready[k] = at + rng.uniform(0.0, 0.2)
        if rng.random() < 0.02:
            crawls[k].release(conns[k])  # a crawl that ends; the next one starts afresh
            crawls[k] = Claims()
    sent.sort()
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert min(gaps) >= 0.1 - 1e-6
    assert len(set(sent)) == len(sent)
