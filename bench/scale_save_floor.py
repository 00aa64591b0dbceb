"""The ``floor`` part of bench/scale_save.py: the comments' INSERT alone, the statement a
first save spends most of its time in, with the same rows (read back from a rolled-back
save) into each archive, rolled back, the two alternately: the part of the ratio that is
SQLite's own work on this schema, whatever the store does around it; and the same with
the ``(author, created_at)`` index (and then every secondary index of comments) dropped
inside the rolled-back transaction, to show which part of the table's growth is whose.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from archive.db import open_db, transaction
from archive.models import Thread
from archive.rows import Row, insert_rows
from archive.schema import COMMENT_COLUMNS
from archive.store import save_thread


class RolledBack(Exception):
    pass


# Each floor variant: its label and what it drops inside the rolled-back transaction.
_FLOOR_VARIANTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("the schema as it is", ()),
    ("without (author, created_at)", ("DROP INDEX comments_author_created_at",)),
    ("without any secondary index", (
        "DROP INDEX comments_author_created_at", "DROP INDEX comments_created_at",
        "DROP INDEX comments_site_parent_id", "DROP INDEX comments_site_story_id")),
)


def _stored_rows(db: Any, thread: Thread) -> list[Row]:
    """The comment rows a first save of ``thread`` writes, as stored, in rowid order
    (the save rolled back: nothing is kept)."""
    rows: list[Row] = []
    try:
        with transaction(db) as conn:
            save_thread(db, thread)
            rows = conn.execute(
                f"SELECT {', '.join(COMMENT_COLUMNS)} FROM comments WHERE site = ?"
                " AND story_id = ? ORDER BY rowid", (thread.story.site, thread.story.id),
            ).fetchall()
            raise RolledBack
    except RolledBack:
        pass
    return rows


def _insert_rolled_back(db: Any, thread: Thread, rows: list[Row],
                        drops: tuple[str, ...]) -> float:
    """CPU seconds of the comments' INSERT of ``rows`` alone (its story row written first,
    untimed, for the foreign key), after ``drops``, all rolled back."""
    spent = 0.0
    try:
        with transaction(db) as conn:
            for statement in drops:
                conn.execute(statement)
            conn.execute("INSERT INTO stories (site, id, first_seen_at, last_seen_at)"
                         " VALUES (?, ?, '', '')", (thread.story.site, thread.story.id))
            start = time.process_time()
            insert_rows(conn, "comments", COMMENT_COLUMNS, rows)
            spent = time.process_time() - start
            raise RolledBack
    except RolledBack:
        pass
    return spent


def print_floor(paths: dict[str, Path], thread: Thread, rounds: int) -> None:
    dbs = {name: open_db(path) for name, path in paths.items()}
    try:
        rows = _stored_rows(dbs["empty"], thread)
        print(f"\nthe comments' INSERT alone ({len(rows):,} rows, CPU, best of {rounds}"
              " alternate rounds): empty -> big")
        for label, drops in _FLOOR_VARIANTS:
            spent: dict[str, list[float]] = {name: [] for name in dbs}
            for db in dbs.values():
                _insert_rolled_back(db, thread, rows, drops)  # warm
            for _ in range(rounds):
                for name, db in dbs.items():
                    spent[name].append(_insert_rolled_back(db, thread, rows, drops))
            empty, big = min(spent["empty"]), min(spent["big"])
            print(f"  {label:30} {empty * 1000:6.1f} -> {big * 1000:6.1f} ms ="
                  f" {big / empty:.2f}x", flush=True)
    finally:
        for db in dbs.values():
            db.close()
