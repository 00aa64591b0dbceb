"""archive.schedule with a clock of the test's own: the revisit policy, claims, the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from archive import schedule, sites, sites_hn
from archive.cli import cli
from archive.db import open_db
from archive.errors import ArchiveError
from archive.schedule import (
    FIRST_INTERVAL,
    MAX_INTERVAL,
    Watch,
    add_watch,
    claim_due,
    finish,
    iso,
    list_watches,
    next_visit,
    next_wakeup,
    parse_duration,
    parse_targets,
    release,
    remove_watches,
    renew,
)
from archive.store import save_thread
from archive.visits import mark, visit_result
from scraper.spiders import hn as hn_spider
from tests.test_store import make_comment, make_thread

T0 = datetime(2026, 1, 14, 12, 0, 0, tzinfo=UTC)
MIN = 60
HOUR = 3600
LEASE = 300
ME = f"{socket.gethostname()}:{os.getpid()}:test"


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    return open_db(tmp_path / "hn.db")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def visit(db: sqlite_utils.Database, now: datetime, *, ok: bool = True,
          new: int | None = 0) -> Watch:  # fmt: skip
    """Claim the one due watch at ``now`` and record a visit; return the row after."""
    (w,) = claim_due(db.conn, now, ME, LEASE)
    after = finish(db.conn, w.id, ME, now, "ok" if ok else "failed", "result", new)
    assert after is not None
    return after


def gap(w: Watch, now: datetime) -> int:
    """Seconds from ``now`` to the watch's next visit."""
    return int((schedule.parse_time(w.next_due_at) - now).total_seconds())


# -- durations and targets ---------------------------------------------------------


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("15m", 900), ("2h", 7200), ("3d", 259200), ("1w", 604800),
    ("1h30m", 5400), (" 10M ", 600),
])  # fmt: skip
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(schedule.format_duration(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "15", "m", "15x", "1.5h", "-5m", "0m", "15 m", "3d2",
                                  "99999999d", "1\u0663m", "\u0661\u0665m", "\uff11h",
                                  "\u00b2m"])  # fmt: skip
def test_bad_durations_are_one_clear_error(text: str) -> None:
    with pytest.raises(ArchiveError, match="duration"):
        parse_duration(text)


def test_targets_read_like_crawl() -> None:
    url = "https://news.ycombinator.com/item?id=46621892"
    assert parse_targets("hn", ["46621892", url, "front", "news", "front?day=2026-01-14",
                                "user", "pg", "newest"]) == [
        ("thread", "46621892"), ("listing", "front"), ("listing", "front?day=2026-01-14"),
        ("user", "pg"), ("listing", "newest")]  # fmt: skip


@pytest.mark.parametrize("words, message", [
    (["12ab"], "not a Hacker News item id"),
    (["https://example.com/item?id=1"], "not a Hacker News item id or item URL"),
    (["user"], "needs a user name"),
    (["user", "x"], "not a Hacker News user name"),
    (["front?day=yesterday"], "not a Hacker News listing"),
])  # fmt: skip
def test_bad_targets(words: list[str], message: str) -> None:
    with pytest.raises(ArchiveError, match=message):
        parse_targets("hn", words)
    with pytest.raises(ArchiveError,
                       match=r"unknown site 'nosuch' \(known: hn, lobsters, reddit\)"):
        parse_targets("nosuch", ["abc"])


def test_the_target_rules_are_the_spiders() -> None:
    # The spider checks its arguments with the registry's grammar, not a copy of it.
    assert sites.HN.listings == hn_spider.LISTINGS
    for name in ("pg", "a_b-C9", "x", "x" * 16, "bad name", "dang"):
        ok = bool(sites_hn._HN_USER.fullmatch(name))
        try:
            hn_spider.HnSpider(users=name)
        except ValueError:
            assert not ok, name
        else:
            assert ok, name


# -- the policy --------------------------------------------------------------------


def test_fixed_every_is_fixed_whatever_a_visit_finds(db: sqlite_utils.Database) -> None:
    add_watch(db.conn, T0, site="hn", kind="thread", target="1", every=15 * MIN)
    now = T0
    for ok, new in ((True, 40), (True, 0), (False, None), (True, 0)):
        now += timedelta(seconds=7)
        w = visit(db, now, ok=ok, new=new)
        assert gap(w, now) == 15 * MIN
        assert claim_due(db.conn, schedule.parse_time(w.next_due_at) - timedelta(seconds=1),
                         ME, LEASE) == []  # fmt: skip
        now = schedule.parse_time(w.next_due_at)


def test_adaptive_short_while_comments_arrive_doubling_when_quiet(
        db: sqlite_utils.Database) -> None:
    add_watch(db.conn, T0, site="hn", kind="thread", target="1", duration=30 * 86400)
    now, gaps = T0, []
    for new in (57, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0):
        w = visit(db, now, new=new)
        gaps.append(gap(w, now))
        now = schedule.parse_time(w.next_due_at)
    m = MIN
    assert gaps == [10 * m, 10 * m, 20 * m, 40 * m, 80 * m, 160 * m, 320 * m, 640 * m,
                    MAX_INTERVAL, MAX_INTERVAL, MAX_INTERVAL, 10 * m, 20 * m]  # fmt: skip
    assert w.quiet_runs == 1 and w.runs == 13


def test_a_failed_visit_backs_off_without_counting_as_quiet() -> None:
    nxt = next_visit(every=None, interval=FIRST_INTERVAL, quiet_runs=2, until=None, now=T0,
                     ok=False, new_comments=None)  # fmt: skip
    assert (nxt.interval, nxt.quiet_runs, nxt.finished) == (2 * FIRST_INTERVAL, 2, False)
    assert nxt.next_due_at == at(2 * FIRST_INTERVAL)


def test_a_thread_ends_after_three_days_unless_for_says_otherwise(
        db: sqlite_utils.Database) -> None:
    w = add_watch(db.conn, T0, site="hn", kind="thread", target="1")
    assert w.until == iso(at(3 * 86400))
    now = T0
    while True:
        w = visit(db, now, new=0)
        if w.finished:
            break
        now = schedule.parse_time(w.next_due_at)
    # The last visit was the last one before the end; no visit at or after it.
    assert w.next_due_at == w.until and now < at(3 * 86400)
    assert w.state(now) == "finished" and w.state(at(10 * 86400)) == "finished"
    assert claim_due(db.conn, at(3 * 86400), ME, LEASE) == []
    assert claim_due(db.conn, at(30 * 86400), ME, LEASE) == []
    assert next_wakeup(db.conn, now) is None

    # Adding it again restarts it, with the new --for counted from then.
    w = add_watch(db.conn, at(4 * 86400), site="hn", kind="thread", target="1", duration=HOUR)
    assert (w.until, w.next_due_at) == (iso(at(4 * 86400 + HOUR)), iso(at(4 * 86400)))
    assert [x.id for x in claim_due(db.conn, at(4 * 86400), ME, LEASE)] == [w.id]


def test_listings_and_users_have_no_end_unless_for(db: sqlite_utils.Database) -> None:
    front = add_watch(db.conn, T0, site="hn", kind="listing", target="front", every=10 * MIN)
    pg = add_watch(db.conn, T0, site="hn", kind="user", target="pg")
    day = add_watch(db.conn, T0, site="hn", kind="listing", target="newest", duration=HOUR)
    assert (front.until, front.every, pg.until, pg.every) == (None, 600, None, 86400)
    assert (day.every, day.until) == (HOUR, iso(at(HOUR)))
    claimed = claim_due(db.conn, T0, ME, LEASE)
    after = {w.target: finish(db.conn, w.id, ME, T0, "ok", "30 entries") for w in claimed}
    assert {t: (w.next_due_at, w.finished) for t, w in after.items() if w} == {
        "front": (iso(at(600)), False), "pg": (iso(at(86400)), False),
        "newest": (iso(at(HOUR)), True)}  # fmt: skip


def test_too_often_is_refused(db: sqlite_utils.Database) -> None:
    with pytest.raises(ArchiveError, match="too often"):
        add_watch(db.conn, T0, site="hn", kind="listing", target="front", every=30)


# -- claims ------------------------------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: its pid names no process now
    return child.pid


def test_claim_due_at_t_returns_exactly_what_is_due(db: sqlite_utils.Database) -> None:
    due = {t: add_watch(db.conn, T0, site="hn", kind="thread", target=t)
           for t in ("1", "2", "3", "4", "5")}  # fmt: skip
    times = {"1": at(60), "2": at(120), "3": at(121), "4": at(10)}
    for target, when in times.items():
        db.conn.execute("UPDATE watches SET next_due_at = ? WHERE id = ?",
                        (iso(when), due[target].id))  # fmt: skip
    # 5 is finished: its next visit would have been after its end.
    db.conn.execute("UPDATE watches SET next_due_at = until WHERE id = ?", (due["5"].id,))
    db.conn.commit()

    assert [w.target for w in claim_due(db.conn, at(5), ME, LEASE)] == []
    assert [w.target for w in claim_due(db.conn, at(120), ME, LEASE)] == ["4", "1", "2"]
    rows = {w.target: (w.claimed_by, w.claimed_until) for w in list_watches(db.conn)}
    assert rows["1"] == rows["2"] == rows["4"] == (ME, iso(at(120 + LEASE)))
    assert rows["3"] == rows["5"] == (None, None)
    # Held by this runner already: not handed out twice, not even to itself.
    assert [w.target for w in claim_due(db.conn, at(200), ME, LEASE)] == ["3"]


def test_claims_of_a_dead_pid_or_an_expired_lease_are_taken_over(
        db: sqlite_utils.Database) -> None:
    host = socket.gethostname()
    holders = {
        "dead": f"{host}:{dead_pid()}:aa",  # this host, process gone, lease still live
        "live": f"{host}:{os.getpid()}:bb",  # this host, process alive (this test)
        "far": "elsewhere.example:1:cc",  # another host: only its lease counts
        "expired": "elsewhere.example:1:dd",
    }
    ids = {}
    for name, holder in holders.items():
        w = add_watch(db.conn, T0, site="hn", kind="user", target=f"u{name}")
        until = at(10) if name == "expired" else at(LEASE)
        db.conn.execute("UPDATE watches SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                        (holder, iso(until), w.id))  # fmt: skip
        ids[w.id] = name
    db.conn.commit()

    got = claim_due(db.conn, at(60), "me:1:x", LEASE)

    assert sorted(ids[w.id] for w in got) == ["dead", "expired"]
    after = {ids[w.id]: w.claimed_by for w in list_watches(db.conn)}
    assert after == {"dead": "me:1:x", "expired": "me:1:x", "live": holders["live"],
                     "far": holders["far"]}  # fmt: skip
    assert next_wakeup(db.conn, at(60)) == at(LEASE)  # when the live leases run out


def test_renew_release_and_a_lost_claim(db: sqlite_utils.Database) -> None:
    w = add_watch(db.conn, T0, site="hn", kind="thread", target="1")
    claim_due(db.conn, T0, "a:1:x", LEASE)
    assert renew(db.conn, "a:1:x", at(200), LEASE) == 1
    assert list_watches(db.conn)[0].claimed_until == iso(at(200 + LEASE))
    # The lease runs out; b takes over; a's late result is not recorded.
    assert [x.id for x in claim_due(db.conn, at(200 + LEASE), "b:1:y", LEASE)] == [w.id]
    assert finish(db.conn, w.id, "a:1:x", at(600), "ok", "late", 5) is None
    assert list_watches(db.conn)[0].runs == 0
    assert release(db.conn, "a:1:x") == 0
    assert release(db.conn, "b:1:y", [w.id + 1]) == 0
    assert release(db.conn, "b:1:y", [w.id]) == 1
    released = list_watches(db.conn)[0]
    assert (released.claimed_by, released.next_due_at, released.runs) == (None, iso(T0), 0)


def test_two_runners_at_once_never_share_a_watch(tmp_path: Path) -> None:
    path = tmp_path / "hn.db"
    setup = open_db(path)
    for k in range(40):
        add_watch(setup.conn, T0, site="hn", kind="thread", target=str(k + 1))
    setup.close()
    taken: dict[str, list[int]] = {"a:1:x": [], "b:1:y": []}

    def runner(name: str) -> None:
        db = open_db(path)
        while got := claim_due(db.conn, T0, name, LEASE, limit=3):
            taken[name] += [w.id for w in got]
        db.close()

    threads = [threading.Thread(target=runner, args=(n,)) for n in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = taken.values()
    assert not set(a) & set(b)
    assert sorted(a + b) == list(range(1, 41))


def test_add_is_an_upsert_and_remove_is_all_or_nothing(db: sqlite_utils.Database) -> None:
    first = add_watch(db.conn, T0, site="hn", kind="listing", target="front", every=HOUR)
    visit(db, T0)
    again = add_watch(db.conn, at(60), site="hn", kind="listing", target="front", every=600)
    assert again.id == first.id and again.runs == 1
    assert (again.every, again.next_due_at) == (600, iso(at(60)))
    with pytest.raises(ArchiveError, match="hn user pg is not watched"):
        remove_watches(db.conn, "hn", [("listing", "front"), ("user", "pg")])
    assert len(list_watches(db.conn)) == 1
    remove_watches(db.conn, "hn", [("listing", "front")])
    assert list_watches(db.conn) == []


def test_a_visit_result_is_read_from_the_archive(db: sqlite_utils.Database) -> None:
    w = add_watch(db.conn, T0, site="hn", kind="thread", target="100")
    before = mark(db.conn, w)
    assert visit_result(db.conn, w, before) == (False, "+0 comments (0 archived)", 0)
    save_thread(db, make_thread((make_comment("1"),), fetched_at=T0))
    first = mark(db.conn, w)
    assert visit_result(db.conn, w, before) == (True, "+1 comments (1 archived)", 1)
    two = (make_comment("1"), make_comment("2", position=1))
    save_thread(db, make_thread(two, fetched_at=at(60)))
    assert visit_result(db.conn, w, first) == (True, "+1 comments (2 archived)", 1)


# -- the watch commands ------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_watch_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "hn.db")
    code, out = invoke("watch", "add", "hn", "46621892", "front", "--every", "10m", "--db", db)
    assert code == 0, out
    until = json.loads(invoke("watch", "list", "--json", "--db", db)[1])[0]["until"]
    assert out.splitlines() == [
        f"watching hn thread 46621892 (every 10m) until {until}; due now",
        "watching hn listing front (every 10m); due now"]
    code, out = invoke("watch", "add", "hn", "user", "pg", "--for", "2d", "--db", db)
    assert code == 0, out
    code, out = invoke("watch", "list", "--json", "--db", db)
    rows = json.loads(out)
    assert [(r["kind"], r["target"], r["every"], r["state"]) for r in rows] == [
        ("thread", "46621892", 600, "due"), ("listing", "front", 600, "due"),
        ("user", "pg", 86400, "due")]  # fmt: skip
    code, out = invoke("watch", "list", "--db", db)
    assert code == 0 and "46621892" in out and "10m" in out
    assert invoke("watch", "remove", "hn", "46621892", "--db", db)[0] == 0
    assert len(json.loads(invoke("watch", "list", "--json", "--db", db)[1])) == 2


@pytest.mark.parametrize("args, message", [
    (["add", "hn", "1", "--every", "15"], "'15' is not a duration"),
    (["add", "hn", "1", "--for", "soon"], "'soon' is not a duration"),
    (["add", "hn", "12ab"], "not a Hacker News item id"),
    (["add", "nosuch", "abc"], "unknown site 'nosuch' (known: hn, lobsters, reddit)"),
    (["remove", "hn", "1"], "no archive at"),
    (["list"], "no archive at"),
])  # fmt: skip
def test_watch_errors_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    code, out = invoke("watch", *args, "--db", str(db))
    assert code == 1
    assert message in out and "Traceback" not in out
    assert not db.exists(), "a refused command creates no archive"


def test_a_stored_watch_the_grammar_now_refuses_still_gets_a_label() -> None:
    # Watches stored before front?day= was checked as a date must not stop the runner.
    from archive.schedule import Watch
    from scraper.run import label

    def watch(target: str) -> Watch:
        return Watch(id=1, site="hn", kind="listing", target=target, every=3600,
                     interval=3600, until=None, added_at="2026-01-01T00:00:00Z",
                     next_due_at="2026-01-01T00:00:00Z")

    assert label(watch("front?day=2026-13-01")) == "hn front?day=2026-13-01"
    assert label(watch("front")) == "hn news"
