"""The save part of bench/scale.py: a new 1,000-comment thread saved into the big archive
against into an empty one (the anchor), and where the difference goes.

Each save runs inside an outer transaction that is then rolled back, so the big archive
stays as built and every run saves the thread as new; the commit (the same in both) is
left out of both. Both archives are open for the whole run, each warmed by one save,
and the two are timed alternately, round after round (a loaded machine's slow spells
fall on both): the best of the rounds is printed, CPU time (this process's: reading
pages from the OS's cache counts) and wall time.

``split``: then the CPU time of each statement of a save (an average over the rounds),
timed by a connection whose execute and executemany note their time: a separate pass,
so that its own cost is in neither total above.

``committed``: then that many new threads (other ids each) saved and committed into each
archive, alternately, as a crawl saves them: the commit writes every page the save
changed to the WAL, which the rolled-back figure leaves out. It changes the archive
(it grows by those threads): only for an archive of one's own, never one to keep as built.

``automerge``: then the save into the big archive with FTS5's ``automerge`` set to each
value inside the rolled-back transaction (nothing is kept): how much of the save is
the full-text index merging its segments, which the archive's state decides (FTS5
merges a share of its segments for every 64 leaves written, more the more levels it
has; a rolled-back save starts from the same state each round, so it pays the same
merge every time, or none).
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import archive.db
from archive.db import open_db, transaction
from archive.models import Thread
from archive.store import save_thread
from bench.scale_data import SHOW_COMMENTS, Generator


def new_thread() -> Thread:
    gen = Generator(SHOW_COMMENTS, seed=99)
    gen.next_comment = 900_000_000
    return gen.thread("900000000", SHOW_COMMENTS)


class _RolledBack(Exception):
    pass


def _save_rolled_back(db: Any, thread: Thread, automerge: int | None = None) -> None:
    try:
        with transaction(db) as conn:
            if automerge is not None:
                conn.execute("INSERT INTO comments_fts (comments_fts, rank)"
                             " VALUES ('automerge', ?)", (automerge,))
            save_thread(db, thread)
            raise _RolledBack
    except _RolledBack:
        pass


def _timed(fn: Callable[[], None]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def time_save(db_path: Path, rounds: int, *, split: bool = False,
              automerge: tuple[int, ...] = (), committed: int = 0) -> None:
    thread = new_thread()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"empty": Path(tmp) / "empty.db", "big": db_path}
        dbs = {name: open_db(path) for name, path in paths.items()}
        try:
            for db in dbs.values():
                _save_rolled_back(db, thread)
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in dbs}
            for _ in range(rounds):
                for name, db in dbs.items():
                    runs[name].append(_timed(lambda: _save_rolled_back(db, thread)))  # noqa: B023
        finally:
            for db in dbs.values():
                db.close()
        for i, clock in ((1, "CPU"), (0, "wall")):
            empty = min(r[i] for r in runs["empty"])
            big = min(r[i] for r in runs["big"])
            print(f"\nsave {SHOW_COMMENTS:,} comments ({clock}, best of {rounds} alternate"
                  f" rounds): into an empty archive (anchor) {empty * 1000:.1f} ms, into"
                  f" this one {big * 1000:.1f} ms = {big / empty:.2f}x (target <= 1.5x)",
                  flush=True)  # fmt: skip
        if split:
            _print_split(paths, thread, rounds)
        if automerge:
            _print_automerge(paths, thread, rounds, automerge)
        if committed:
            _print_committed(paths, committed)


def _print_split(paths: dict[str, Path], thread: Thread, rounds: int) -> None:
    spent: dict[str, dict[str, float]] = {}
    for name, path in paths.items():
        with statement_clock() as clock:
            db = open_db(path)
            try:
                _save_rolled_back(db, thread)
                clock.clear()
                for _ in range(rounds):
                    _save_rolled_back(db, thread)
            finally:
                db.close()
            spent[name] = {sql: t / rounds for sql, t in clock.items()}
    print(f"\nCPU ms per save by statement (average of {rounds}): empty -> big")
    order = sorted(spent["big"], key=lambda sql: -spent["big"][sql])
    for sql in order:
        empty, big = spent["empty"].get(sql, 0.0), spent["big"][sql]
        if max(empty, big) >= 0.05e-3:
            print(f"  {sql:64} {empty * 1000:6.1f} -> {big * 1000:6.1f}")
    print(f"  {'total':64} {sum(spent['empty'].values()) * 1000:6.1f} ->"
          f" {sum(spent['big'].values()) * 1000:6.1f}", flush=True)  # fmt: skip


def _print_automerge(paths: dict[str, Path], thread: Thread, rounds: int,
                     values: tuple[int, ...]) -> None:
    dbs = {name: open_db(path) for name, path in paths.items()}
    try:
        for db in dbs.values():
            _save_rolled_back(db, thread)
        cpu: dict[str, list[float]] = {}
        for _ in range(rounds):
            cpu.setdefault("empty", []).append(
                _timed(lambda: _save_rolled_back(dbs["empty"], thread))[1])
            for value in values:
                cpu.setdefault(str(value), []).append(_timed(
                    lambda: _save_rolled_back(dbs["big"], thread, value))[1])  # noqa: B023
    finally:
        for db in dbs.values():
            db.close()
    empty = min(cpu["empty"])
    print(f"\nsave into this archive with FTS5 automerge set inside the rolled-back"
          f" transaction (CPU, best of {rounds}; anchor: into an empty one {empty * 1000:.1f} ms)")
    for value in values:
        big = min(cpu[str(value)])
        print(f"  automerge {value:2}: {big * 1000:6.1f} ms = {big / empty:.2f}x", flush=True)


def _print_committed(paths: dict[str, Path], count: int) -> None:
    dbs = {name: open_db(path) for name, path in paths.items()}
    spent: dict[str, list[tuple[float, float]]] = {name: [] for name in dbs}
    # Past the threads an earlier run committed: every save is of a new thread.
    row = dbs["big"].conn.execute("SELECT max(CAST(id AS INTEGER)) FROM stories"
                                  " WHERE CAST(id AS INTEGER) >= 910000000").fetchone()
    first = (row[0] or 909_999_999) + 1
    try:
        for k in range(count + 1):
            story = first + k
            gen = Generator(SHOW_COMMENTS, seed=story)
            gen.next_comment = 10**10 + (story - 910_000_000) * 2 * SHOW_COMMENTS
            thread = gen.thread(str(story), SHOW_COMMENTS)
            for name, db in dbs.items():
                took = _timed(lambda: save_thread(db, thread))  # noqa: B023
                if k:  # the first of each warms its connection
                    spent[name].append(took)
    finally:
        for db in dbs.values():
            db.close()
    print(f"\n{count} new threads saved and committed into each, alternately (median):")
    for i, clock in ((1, "CPU"), (0, "wall")):
        empty = sorted(r[i] for r in spent["empty"])[count // 2]
        big = sorted(r[i] for r in spent["big"])[count // 2]
        print(f"  {clock:4}: into an empty archive {empty * 1000:.1f} ms, into this one"
              f" {big * 1000:.1f} ms = {big / empty:.2f}x", flush=True)


def _statement(sql: str) -> str:
    # The statement's first words, its long VALUES lists cut: one line per kind.
    return re.sub(r"\s*VALUES\s*\(.*", " VALUES ...", " ".join(sql.split()))[:64]


@contextmanager
def statement_clock() -> Iterator[dict[str, float]]:
    spent: dict[str, float] = {}

    def timed(run: Callable[..., sqlite3.Cursor], sql: str, *args: Any) -> sqlite3.Cursor:
        start = time.process_time()
        try:
            return run(sql, *args)
        finally:
            key = _statement(sql)
            spent[key] = spent.get(key, 0.0) + time.process_time() - start

    class Clocked(sqlite3.Connection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            return timed(super().execute, sql, *args)

        def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
            return timed(super().executemany, sql, *args)

    connect = sqlite3.connect

    def clocked(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return connect(*args, factory=Clocked, **kwargs)

    # archive.db opens every writer through sqlite3.connect: the archive's own pragmas
    # and migrations, on a connection that times its statements.
    archive.db.sqlite3.connect = clocked  # type: ignore[assignment]
    try:
        yield spent
    finally:
        archive.db.sqlite3.connect = connect  # type: ignore[assignment]
