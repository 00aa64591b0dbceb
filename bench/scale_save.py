"""The save part of bench/scale.py: a new 1,000-comment thread saved into the big archive
against into an empty one (the anchor), and where the difference goes.

Each save runs as a crawl's does, in its own transaction at the top level, whose COMMIT
is made a ROLLBACK (:class:`Undoing`), so the big archive stays as built and every run
saves the thread as new; the commit is left out of both (``committed`` below has it).
Until 2026-12-03 the save ran inside an outer transaction instead, as a SAVEPOINT, which
made SQLite journal every page of the archive the save changed (see :class:`Undoing`);
``automerge`` still does, as it sets a value inside the save's transaction.
Both archives are open for the whole run, each warmed by one save,
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
bench/scale_committed.py times a longer series of them, with its percentiles, split,
floor and the full-text index's shape.

``floor``: then the comments' INSERT alone, rolled back, with the schema as it is and
with indexes dropped (bench/scale_save_floor.py).

Run alone: ``python bench/scale_save.py --db DB [--rounds 9] [--split] [--floor]
[--main DIR --pairs 3]``; ``--main`` runs another checkout's copy of this module (main's,
as ``git worktree add --detach /tmp/main main``) in a subprocess on the same archive,
alternately with this one's, and prints each side's best ratio of the ``pairs`` runs.

``automerge``: then the save into the big archive with FTS5's ``automerge`` set to each
value inside the rolled-back transaction (nothing is kept): how much of the save is
the full-text index merging its segments, which the archive's state decides (FTS5
merges a share of its segments for every 64 leaves written, more the more levels it
has; a rolled-back save starts from the same state each round, so it pays the same
merge every time, or none).
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import archive.db
from archive.db import open_db, transaction
from archive.models import Thread
from archive.store import save_thread
from bench.scale_data import SHOW_COMMENTS, Generator
from bench.scale_save_floor import RolledBack as _RolledBack
from bench.scale_save_floor import print_floor


def new_thread() -> Thread:
    gen = Generator(SHOW_COMMENTS, seed=99)
    gen.next_comment = 900_000_000
    return gen.thread("900000000", SHOW_COMMENTS)


class Undoing(sqlite3.Connection):
    """A connection on which a save's own COMMIT can be made a ROLLBACK, so that the
    save runs as a crawl's does, at the top level (BEGIN IMMEDIATE ... COMMIT), and
    leaves nothing. Run inside an outer transaction it would be a SAVEPOINT, and then
    SQLite copies every page of the archive the save changes into a journal, to be
    able to go back to the savepoint: work a crawl's save (WAL mode, no savepoint)
    never does, and the more of it the bigger the archive."""

    undo = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        return super().execute("ROLLBACK" if self.undo and sql == "COMMIT" else sql, *args)


@contextmanager
def _connections(factory: type[sqlite3.Connection]) -> Iterator[None]:
    # archive.db opens every writer through sqlite3.connect: the archive's own pragmas
    # and migrations, on a connection of this class.
    connect = sqlite3.connect

    def made(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return connect(*args, factory=factory, **kwargs)

    archive.db.sqlite3.connect = made  # type: ignore[assignment]
    try:
        yield
    finally:
        archive.db.sqlite3.connect = connect  # type: ignore[assignment]


def _open(path: Path) -> Any:
    with _connections(Undoing):
        return open_db(path)


def _save_rolled_back(db: Any, thread: Thread, automerge: int | None = None, *,
                      nested: bool = False) -> None:
    """Save ``thread``, then roll it back: at the top level where the connection is an
    :class:`Undoing` one, else (and for ``automerge``, which is set in the same
    transaction, or ``nested``) inside an outer transaction, as this bench did before
    2026-12-03."""
    conn = db.conn
    if automerge is None and not nested and isinstance(conn, Undoing) \
            and not conn.in_transaction:
        conn.undo = True
        try:
            save_thread(db, thread)
        finally:
            conn.undo = False
        return
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
              automerge: tuple[int, ...] = (), committed: int = 0, floor: bool = False,
              savepoint: bool = False) -> None:
    """``savepoint``: each round also saves into both the way this bench did before
    2026-12-03, inside an outer transaction (printed apart)."""
    thread = new_thread()
    ways = (False, True) if savepoint else (False,)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {"empty": Path(tmp) / "empty.db", "big": db_path}
        dbs = {name: _open(path) for name, path in paths.items()}
        try:
            for db in dbs.values():
                _save_rolled_back(db, thread)
            runs: dict[tuple[str, bool], list[tuple[float, float]]] = {
                (name, way): [] for name in dbs for way in ways}
            for _ in range(rounds):
                for (name, way), spent in runs.items():
                    spent.append(_timed(lambda: _save_rolled_back(
                        dbs[name], thread, nested=way)))  # noqa: B023
        finally:
            for db in dbs.values():
                db.close()
        for way in ways:
            for i, clock in ((1, "CPU"), (0, "wall")):
                empty = min(r[i] for r in runs["empty", way])
                big = min(r[i] for r in runs["big", way])
                how = ", inside an outer transaction (the bench before 2026-12-03)" * way
                print(f"\nsave {SHOW_COMMENTS:,} comments ({clock}, best of {rounds} alternate"
                      f" rounds{how}): into an empty archive (anchor) {empty * 1000:.1f} ms,"
                      f" into this one {big * 1000:.1f} ms = {big / empty:.2f}x"
                      " (target <= 1.5x)", flush=True)  # fmt: skip
        if split:
            _print_split(paths, thread, rounds)
        if floor:
            print_floor(paths, thread, rounds)
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

    def timed(run: Callable[..., sqlite3.Cursor], sql: str, *args: Any,
              label: str | None = None) -> sqlite3.Cursor:
        start = time.process_time()
        try:
            return run(sql, *args)
        finally:
            key = label or _statement(sql)
            spent[key] = spent.get(key, 0.0) + time.process_time() - start

    class Clocked(Undoing):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            undone = self.undo and sql == "COMMIT"
            return timed(super().execute, sql, *args,
                         label="ROLLBACK (the save's COMMIT)" if undone else None)

        def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
            return timed(super().executemany, sql, *args)

    with _connections(Clocked):
        yield spent


def _against(db_path: Path, main_dir: Path, rounds: int, pairs: int) -> None:
    """This checkout's save and ``main_dir``'s, each in a fresh process on the same
    archive, alternately ``pairs`` times; each side's best CPU figures are printed."""
    code = ("import sys; from pathlib import Path; from bench.scale_save import time_save;"
            " time_save(Path(sys.argv[1]), int(sys.argv[2]))")
    sides = {"this": Path(__file__).resolve().parent.parent, "main": main_dir.resolve()}
    best: dict[str, tuple[float, float]] = {}
    found = re.compile(r"\(CPU.*?\(anchor\) ([\d.]+) ms, into this one ([\d.]+) ms")
    for _ in range(pairs):
        for name, root in sides.items():
            # The checkout's own directory first on the path: its archive package, not
            # the one this interpreter has installed.
            out = subprocess.run([sys.executable, "-c", code, str(db_path), str(rounds)],
                                 capture_output=True, text=True, check=True, cwd=root,
                                 env={**os.environ, "PYTHONPATH": str(root)}).stdout
            hit = found.search(out)
            if hit is None:
                raise SystemExit(f"{root}: no CPU figure in its output:\n{out}")
            empty, big = float(hit[1]), float(hit[2])
            if name not in best or big / empty < best[name][1] / best[name][0]:
                best[name] = (empty, big)
    print(f"\nsave {SHOW_COMMENTS:,} comments, CPU, best ratio of {pairs} alternate runs"
          f" of {rounds} rounds each:")
    for name, (empty, big) in best.items():
        print(f"  {name:4} ({sides[name]}): empty (anchor) {empty:.1f} ms, big {big:.1f} ms"
              f" = {big / empty:.2f}x")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True, help="The big archive (kept as is).")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--floor", action="store_true")
    ap.add_argument("--savepoint", action="store_true",
                    help="Also time the save inside an outer transaction (the old way).")
    ap.add_argument("--main", type=Path, help="Another checkout, timed alternately.")
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"no archive at {args.db}")
    if args.main:
        _against(args.db, args.main, args.rounds, args.pairs)
        return
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    time_save(args.db, args.rounds, split=args.split, floor=args.floor,
              savepoint=args.savepoint)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
