"""Migration ``0022_visits_once``: an archive whose ``reparse`` wrote the visits a crawl
kept in its ``thread_crawls`` row as ``page_fetches`` rows too (before the fix of
``archive.revisits.split_visits``) lists each such visit twice in ``page_visits``; the
migration drops it from ``thread_crawls.visits`` and changes nothing else, so every
reader answers as for an archive that never had the doubled visit.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archive import migrations
from archive.db import open_db
from archive.rows import iso_utc
from tests.test_page_writes import SCENARIO, crawl, observed, thread
from tests.test_store import T0

TIMES = [iso_utc(T0 + timedelta(hours=h)) for h, _, _ in SCENARIO]


def build(path: Path) -> None:
    """The six crawls of test_page_writes, then the crawls at 1 (unchanged) and 2 (page 2
    changed) saved again at their own times, as reparse does, with every migration
    before 0022."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(migrations, "MIGRATIONS",
                   tuple(m for m in migrations.MIGRATIONS if m[0] < "0022"))  # fmt: skip
        db = open_db(path)
        for at, kw, unchanged in SCENARIO:
            crawl(db, thread(at, **kw), unchanged=unchanged)
        crawl(db, thread(1))
        crawl(db, thread(2, edited=True))
        db.close()


def kept(conn: sqlite3.Connection, seen: str) -> list[tuple[int, str, int]]:
    """(page_id, fetched_at, crawl_id) of the visits the crawl at ``seen`` keeps."""
    return conn.execute(
        "SELECT json_extract(v.value, '$[0]'), json_extract(v.value, '$[1]'), t.crawl_id"
        " FROM thread_crawls t, json_each(t.visits) v WHERE t.seen_at = ? ORDER BY v.key",
        (seen,),
    ).fetchall()


def double(conn: sqlite3.Connection, visits: list[tuple[int, str, int]]) -> None:
    """Write kept visits as rows too, as the old re-save did: its save_page wrote each
    page's visit and moved the pages row with it (a fetch time it did not hold counted
    once more, the range widened, the crawl the saving one)."""
    for page_id, at, crawl_id in visits:
        conn.execute("INSERT INTO page_fetches (page_id, fetched_at, crawl_id)"
                     " VALUES (?, ?, ?)", (page_id, at, crawl_id))  # fmt: skip
        conn.execute(
            "UPDATE pages SET fetch_count = fetch_count"
            " + (:at NOT IN (first_fetched_at, last_fetched_at)),"
            " first_fetched_at = min(first_fetched_at, :at),"
            " last_fetched_at = max(last_fetched_at, :at),"
            " crawl_id = coalesce(:crawl, crawl_id) WHERE id = :id",
            {"at": at, "crawl": crawl_id, "id": page_id},
        )


def tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but ``_migrations``, in a fixed order."""
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != '_migrations'")]
        out = {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
               for name in names}  # fmt: skip
    conn.close()
    return out


def test_doubled_visits_are_kept_once_and_nothing_else_changes(tmp_path: Path) -> None:
    doubled, clean = tmp_path / "doubled.db", tmp_path / "clean.db"
    build(doubled)
    build(clean)
    conn = sqlite3.connect(doubled)
    with conn:
        # The re-saved crawls' kept visits, every one (as the old re-save wrote them), and
        # one of the two the crawl at 3 keeps, so that a row keeps the other.
        at_three = kept(conn, TIMES[3])
        assert len(at_three) == 2
        written = [*kept(conn, TIMES[1]), *kept(conn, TIMES[2]), at_three[0]]
        double(conn, written)
    conn.close()
    before = tables(doubled)
    with sqlite3.connect(doubled) as c:
        listed = c.execute("SELECT count(*), count(DISTINCT page_id || fetched_at)"
                           " FROM page_visits").fetchone()  # fmt: skip
    c.close()
    assert listed[0] == listed[1] + len(written)  # the doubled visits, twice each

    open_db(doubled).close()  # the migration, as any open applies it
    after = tables(doubled)
    assert after.keys() == before.keys()
    for name in before:
        if name != "thread_crawls":
            assert after[name] == before[name], name
    # In thread_crawls, the visits column alone, of the three rows with doubled visits.
    with sqlite3.connect(doubled) as c:
        rows = c.execute("SELECT seen_at, visits FROM thread_crawls ORDER BY seen_at").fetchall()
        index = [d[1] for d in c.execute("PRAGMA table_info(thread_crawls)")].index("visits")
    c.close()
    changed = {row[3] for row in before["thread_crawls"]} - {
        row[3] for row in before["thread_crawls"] if row in after["thread_crawls"]}
    assert changed == set(TIMES[1:4])
    strip = [r[:index] + r[index + 1:] for r in before["thread_crawls"]]
    assert [r[:index] + r[index + 1:] for r in after["thread_crawls"]] == strip
    visits = dict(rows)
    assert visits[TIMES[1]] is None and visits[TIMES[2]] is None
    assert visits[TIMES[3]] == f'[[{at_three[1][0]},"{at_three[1][1]}"]]'

    got, want = observed(doubled, TIMES), observed(clean, TIMES)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == want[key], key


def test_an_archive_without_doubled_visits_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    build(path)
    before = tables(path)
    # Visits kept, and rows: the migration has something to look at.
    assert any(row[-1] for row in before["thread_crawls"]) and before["page_fetches"]
    db = open_db(path)
    assert migrations.applied_migrations(db)[-1] == "0022_visits_once"
    db.close()
    assert tables(path) == before
