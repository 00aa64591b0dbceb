"""An archive of 10 million comments: build it through the store, then time every read.

Run: python bench/scale.py [--comments 10000000] [--db /tmp/linkthread-10m.db]

The archive is built once by ``save_thread`` of generated threads (bench/scale_data.py)
and kept at --db; a later run with the same --comments reuses it, and a build that was
stopped resumes where it stopped (the generator is seeded, so the threads already
stored are generated again and skipped). Building 10 million comments takes about an
hour on a 2-core machine; --comments 1000000 is a quicker run.

Then it keeps COMMON_WORD's best comments, as ``linkthread search-index people``
does (timed once: a maintenance step), and, warm (each figure the best of --repeat
runs, after one untimed run), it prints:
each read's query time in-process and the whole command's time as a subprocess, every
Datasette page and canned query, and a 1,000-comment thread saved into this archive
against into an empty one (bench/scale_save.py; --split and --automerge say where
the difference goes). Each group has its anchor, timed in the same run: a bare
``SELECT 1`` command, an indexed lookup of one comment.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import search_upkeep
from archive.db import open_db, open_readonly, transaction
from archive.history import all_gaps, comment_changes, story_history
from archive.query import load_thread
from archive.search import search
from archive.store import save_thread
from bench import scale_datasette, scale_save
from bench.scale_data import COMMON_WORD, SHOW_COMMENTS, SHOW_ID, SITE, Generator, author_name

DEFAULT_DB = "/tmp/linkthread-10m.db"


def built_marker(db: Path) -> Path:
    return db.with_name(db.name + ".built")


def build(db_path: Path, comments: int) -> None:
    """Make the archive at ``db_path`` hold the generated ``comments`` comments."""
    marker = built_marker(db_path)
    if marker.exists() and marker.read_text().strip() == str(comments):
        return
    if marker.exists():
        sys.exit(f"{db_path} was built with {marker.read_text().strip()} comments; "
                 f"give another --db for {comments:,}")  # fmt: skip
    db = open_db(db_path)
    row = db.conn.execute("SELECT max(CAST(id AS INTEGER)) FROM stories").fetchone()
    done = row[0] or 0
    start = time.perf_counter()
    saved = total = 0
    for thread in Generator(comments).threads():
        total += len(thread.comments)
        if int(thread.story.id) <= done:
            continue
        save_thread(db, thread)
        saved += len(thread.comments)
        if int(thread.story.id) % 200 == 0:
            rate = saved / (time.perf_counter() - start)
            print(f"  built {total:,} of {comments:,} comments ({rate:,.0f}/s)", flush=True)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    marker.write_text(f"{comments}\n")
    print(f"built {comments:,} comments in {time.perf_counter() - start:,.0f} s", flush=True)


def keep_common_word(db_path: Path) -> None:
    """What ``linkthread search-index COMMON_WORD`` does: the word's band built once
    (timed: a maintenance step, not part of any read), then brought up to date."""
    db = open_db(db_path)
    try:
        with transaction(db) as conn:
            kept = conn.execute("SELECT 1 FROM search_terms WHERE word = ?", (COMMON_WORD,))
            start = time.perf_counter()
            if kept.fetchone() is None:
                search_upkeep.keep(conn, [COMMON_WORD])
                what = "built"
            else:
                search_upkeep.refresh(conn)
                what = "refreshed"
            members = conn.execute("SELECT count(*) FROM search_band").fetchone()[0]
        print(f"search-index {COMMON_WORD}: {what} in {time.perf_counter() - start:,.1f} s"
              f" ({members:,} comments kept)", flush=True)  # fmt: skip
    finally:
        db.close()


LINKTHREAD = Path(sys.executable).with_name("linkthread")
SINCE = "2025-10-01"  # the last quarter of the generated three years
HEAVY, TYPICAL = author_name(5), author_name(500)  # Zipf ranks: ~2% and ~0.02% of comments


def best(fn: Callable[[], Any], repeat: int, clock: Callable[[], float] = time.perf_counter
         ) -> float:  # fmt: skip
    """Seconds of the fastest of ``repeat`` runs, after one untimed (warming) run."""
    fn()
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def reads(db: Path) -> list[tuple[str, list[str], Callable[[Any], Any] | None]]:
    """(label, the command's arguments, the same read in-process) for each read."""
    thread = f"SELECT * FROM thread_comments WHERE site = '{SITE}' AND story_id = '{SHOW_ID}'" \
        " ORDER BY sort_path"  # fmt: skip
    top = "SELECT * FROM top_authors LIMIT 20"
    recent = "SELECT * FROM recent_comments ORDER BY created_at DESC LIMIT 20"
    one = f"SELECT * FROM comments WHERE site = '{SITE}' AND id = '10000500'"
    return [
        ("anchor: query SELECT 1", ["query", "SELECT 1"],
         lambda c: c.execute("SELECT 1").fetchall()),
        ("anchor: one comment by key", ["query", one], lambda c: c.execute(one).fetchall()),
        (f"show ({SHOW_COMMENTS:,} comments)", ["show", SITE, SHOW_ID],
         lambda c: load_thread(c, SITE, SHOW_ID)),
        (f"search {COMMON_WORD} (top 20)", ["search", COMMON_WORD, "--time-limit", "0"],
         lambda c: search(c, COMMON_WORD, time_limit=None)),
        (f"search {COMMON_WORD} --since {SINCE}",
         ["search", COMMON_WORD, "--since", SINCE, "--time-limit", "0"],
         lambda c: search(c, COMMON_WORD, since=SINCE, time_limit=None)),
        (f"search {COMMON_WORD} --author {HEAVY}",
         ["search", COMMON_WORD, "--author", HEAVY, "--time-limit", "0"],
         lambda c: search(c, COMMON_WORD, author=HEAVY, time_limit=None)),
        (f"search {COMMON_WORD} --author {TYPICAL}",
         ["search", COMMON_WORD, "--author", TYPICAL, "--time-limit", "0"],
         lambda c: search(c, COMMON_WORD, author=TYPICAL, time_limit=None)),
        ("search rare word", ["search", "w123457"], lambda c: search(c, "w123457")),
        ("gaps", ["gaps"], lambda c: all_gaps(c)),
        ("history", ["history", SITE, SHOW_ID], lambda c: story_history(c, SITE, SHOW_ID)),
        ("changes", ["changes", SITE, SHOW_ID], lambda c: comment_changes(c, SITE, SHOW_ID)),
        ("view top_authors (20)", ["query", top], lambda c: c.execute(top).fetchall()),
        ("view thread_comments (1 thread)", ["query", thread, "--all"],
         lambda c: c.execute(thread).fetchall()),
        ("view recent_comments (20)", ["query", recent], lambda c: c.execute(recent).fetchall()),
    ]  # fmt: skip


def time_reads(db: Path, repeat: int) -> None:
    print(f"\n{'read':42} {'query ms':>9} {'command ms':>11}   (targets < 200, < 500)")
    conn = open_readonly(db)
    try:
        for label, argv, read in reads(db):
            inproc = best(lambda: read(conn), repeat) if read else float("nan")  # noqa: B023
            command = [str(LINKTHREAD), *argv, "--db", str(db)]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                print(f"{label:42} {inproc * 1000:9.1f}  failed: {done.stderr.strip()[:80]}")
                continue
            whole = best(lambda: subprocess.run(command, capture_output=True), repeat)  # noqa: B023
            print(f"{label:42} {inproc * 1000:9.1f} {whole * 1000:11.0f}", flush=True)
    finally:
        conn.close()


def time_datasette(db: Path) -> None:
    conn = open_readonly(db)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            " AND name NOT LIKE '%\\_fts%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            " ORDER BY type, name")]  # fmt: skip
        row = conn.execute("SELECT id FROM comments WHERE site = ? AND story_id = ? LIMIT 1",
                           (SITE, SHOW_ID)).fetchone()  # fmt: skip
    finally:
        conn.close()
    urls = scale_datasette.pages(db, tables, story_id=SHOW_ID, author=TYPICAL,
                                 word=COMMON_WORD, comment_id=row[0])  # fmt: skip
    print(f"\n{'Datasette page':70} {'ms':>7}  status (target < 1000)")
    for url, seconds, note in scale_datasette.time_pages(db, urls):
        print(f"{url:70} {seconds * 1000:7.0f}  {note}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=10_000_000)
    ap.add_argument("--db", type=Path, default=Path(DEFAULT_DB))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--build-only", action="store_true", help="Build (or resume) and stop.")
    ap.add_argument("--as-built", action="store_true",
                    help="Time the archive at --db as it is, even if its build was stopped.")
    ap.add_argument("--no-index", action="store_true",
                    help=f"Do not keep {COMMON_WORD!r} (search-index): time ranking every match.")
    ap.add_argument("--only", choices=("reads", "datasette", "save"), action="append",
                    help="Time only these parts (repeatable).")  # fmt: skip
    ap.add_argument("--save-rounds", type=int, default=9,
                    help="Alternate rounds of the save into each archive (best printed).")
    ap.add_argument("--split", action="store_true",
                    help="Also print the save's CPU time statement by statement.")
    ap.add_argument("--automerge", type=lambda v: tuple(int(n) for n in v.split(",")),
                    default=(), help="Also time the save with FTS5 automerge at each of these"
                    " values (e.g. 0,4,8), set inside its rolled-back transaction.")
    ap.add_argument("--committed", type=int, default=0, metavar="N",
                    help="Also save N new threads committed into --db (it grows: never on"
                    " an archive to keep as built) and into an empty one.")
    args = ap.parse_args()
    if not args.as_built:
        build(args.db, args.comments)
    if args.build_only:
        return
    db = open_db(args.db)  # migrations, once, before anything is timed
    held = db.conn.execute("SELECT max(rowid) FROM comments").fetchone()[0]
    db.close()
    if not args.no_index:
        keep_common_word(args.db)
    print(f"archive {args.db}: {held:,} comments, "
          f"{args.db.stat().st_size / 2**30:.1f} GiB", flush=True)
    parts = args.only or ["reads", "datasette", "save"]
    if "reads" in parts:
        time_reads(args.db, args.repeat)
    if "datasette" in parts:
        time_datasette(args.db)
    if "save" in parts:
        scale_save.time_save(args.db, args.save_rounds, split=args.split,
                             automerge=args.automerge, committed=args.committed)


if __name__ == "__main__":
    main()
