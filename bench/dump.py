"""Dump import rate: a generated Reddit comments dump (.zst) into an empty archive,
beside a bare load of the same file in the same run, with each one's peak memory.

Run: python bench/dump.py [--comments 1000000] [--also 250000] [--runs N]

* import: ``linkthread import FILE.zst`` from the compressed file to a searchable
  archive (tree placed, indexes and full-text index built), in a child process.
* bare load (the anchor): decompress, decode, ``executemany`` the same rows into the
  same tables with their indexes and full-text triggers dropped, then build the
  indexes and rebuild the full-text index: the least any import of the file costs.
  Each line is read as the import reads it (orjson, then the row straight from the
  object), so the rows are the import's own, but for depth and position (0).
  Its parts are printed too (CPU time a comment): decompressing and splitting the
  lines (timed by themselves, before), decoding them into rows, executemany, the
  commits, the index builds, the full-text rebuild: the floor, part by part.

Each runs in its own child process, so its peak RSS is its own (the import's
decoding workers, see scraper/importers/dump_stream.py, are shown apart; their CPU
time is counted in the import's). Wall time and CPU time are both printed: on a
machine others load, CPU time is the steadier figure, and the ratio of the two loads
(measured back to back) is what the target is about. ``--runs N`` alternates N runs
of each and shows the best of each (wall and CPU apart).
``--main DIR`` runs a checkout of main's code (``git worktree add --detach DIR main``)
as a third load in the same alternation, so that this branch's import and main's are
measured against the same anchor under the same load.
Target: >= 100k comments/s, within 1.5x of the bare load, peak RSS < 300 MB and flat
(``--also`` imports a smaller dump: its peak should be the same).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

def bare(path: Path, db_path: Path) -> dict[str, float]:
    """The anchor: the same rows, no tree, no merge, indexes built once at the end. Each
    line is read as the import reads it (orjson, then the row straight from the object,
    scraper/importers/reddit_dump_rows.py): the least an import of these lines costs.
    Returns its parts (CPU seconds)."""
    from archive.db import open_db
    from archive.schema import COMMENT_COLUMNS as COLUMNS
    from scraper.importers.reddit_dump_rows import comment_row, loads

    parts = dict.fromkeys(("decode", "executemany", "indexes", "fts", "commit"), 0.0)
    clock = time.process_time
    db = open_db(db_path)
    conn = db.conn
    conn.execute("PRAGMA foreign_keys = OFF")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'comments'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
    ).fetchall()
    for name, sql in indexes:
        conn.execute(f"DROP {'INDEX' if sql.startswith('CREATE INDEX') else 'TRIGGER'} {name}")
    insert = f"INSERT INTO comments ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    rows = []

    def write() -> None:
        at = clock()
        conn.execute("BEGIN")
        conn.executemany(insert, rows)
        middle = clock()
        conn.execute("COMMIT")
        parts["executemany"] += middle - at
        parts["commit"] += clock() - middle
        rows.clear()

    at = clock()
    for line in _lines(path):
        staged = comment_row(loads(line), 0)
        rows.append((*staged[:4], 0, 0, *staged[4:]))  # depth and position 0
        if len(rows) >= 50_000:
            parts["decode"] += clock() - at
            write()
            at = clock()
    parts["decode"] += clock() - at
    write()
    conn.execute("BEGIN")
    at = clock()
    for _, sql in indexes:
        conn.execute(sql)
    parts["indexes"] = clock() - at
    at = clock()
    conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('rebuild')")
    parts["fts"] = clock() - at
    at = clock()
    conn.execute("COMMIT")
    parts["commit"] += clock() - at
    db.close()
    return parts


def _lines(path: Path) -> Iterator[bytes]:
    import zstandard

    with path.open("rb") as fh:
        reader = zstandard.ZstdDecompressor(max_window_size=2**31).stream_reader(fh)
        yield from io.BufferedReader(reader, 1 << 20)


def child(mode: str, path: str, db_path: str) -> None:
    parts: dict[str, float] = {}
    if mode == "bare":
        # Decompressing and splitting the lines alone, before the timed load (which
        # counts them in "decode"), so that the parts can tell them apart.
        at = time.process_time()
        for _ in _lines(Path(path)):
            pass
        parts["decompress"] = time.process_time() - at
    start, cpu = time.perf_counter(), time.process_time()
    if mode == "bare":
        parts = {**parts, **bare(Path(path), Path(db_path))}
    else:
        from click.testing import CliRunner

        from archive.cli import cli
        from scraper import cli as _registers_commands  # noqa: F401

        result = CliRunner().invoke(cli, ["import", path, "--db", db_path])
        if result.exit_code != 0:
            raise SystemExit(result.output)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    with sqlite3.connect(db_path) as conn:
        count = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
        found = conn.execute("SELECT count(*) FROM comments_fts WHERE comments_fts MATCH"
                             " 'lantern'").fetchone()[0]  # fmt: skip
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu + workers.ru_utime + workers.ru_stime,
                "comments": count,
                "found": found,
                "rss_mb": _peak_mb(),
                "parts": parts,
                "worker_rss_mb": workers.ru_maxrss / 1024,
            }
        )
    )


def _peak_mb() -> float:
    """This process's own peak RSS: VmHWM, which starts again at exec, where getrusage's
    ru_maxrss keeps the peak of the process it was forked from (here, the generator's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(mode: str, path: Path, folder: Path, main: Path | None = None
            ) -> dict[str, float]:  # fmt: skip
    """One load in a child process; ``main``: main's import, run by main's own bench
    (whose path puts main's code first)."""
    db = folder / f"{mode}-{path.stem}.db"
    script, child_mode = __file__, mode
    if mode == "main":
        assert main is not None
        script, child_mode = str(main / "bench" / "dump.py"), "import"
    out = subprocess.run([sys.executable, script, "--child", child_mode, str(path), str(db)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return result


def line(label: str, r: dict[str, float]) -> str:
    return (
        f"{label:7} {int(r['comments']):>9,} comments: wall {r['wall']:6.1f} s ="
        f" {r['comments'] / r['wall']:>8,.0f}/s, cpu {r['cpu']:6.1f} s ="
        f" {r['comments'] / r['cpu']:>8,.0f}/s, peak RSS {r['rss_mb']:4.0f} MB"
        + (
            f" (decoding workers at most {r['worker_rss_mb']:.0f} MB each)"
            if r["worker_rss_mb"]
            else ""
        )
    )


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run by wall time, with the least CPU time of all runs beside it."""
    best = dict(min(runs, key=lambda r: r["wall"]))
    best["cpu"] = min(r["cpu"] for r in runs)
    return best


def _parts(anchor: dict[str, Any]) -> str:
    """The bare load's floor by parts, in CPU microseconds a comment (its last run)."""
    parts = anchor["parts"]
    each = {name: value * 1e6 / anchor["comments"] for name, value in parts.items()}
    decode = each["decode"] - each["decompress"]
    return (
        "bare by parts, cpu us/comment: decompress+split {:.1f}, decode (json + row)"
        " {:.1f}, executemany {:.1f}, commits {:.1f}, indexes {:.1f}, fts rebuild {:.1f};"
        " sum {:.1f}"
    ).format(
        each["decompress"],
        decode,
        each["executemany"],
        each["commit"],
        each["indexes"],
        each["fts"],
        sum(v for k, v in each.items() if k != "decompress"),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=1_000_000)
    ap.add_argument("--also", type=int, default=250_000, help="a smaller dump (0: none)")
    ap.add_argument(
        "--runs", type=int, default=1, help="runs of each, alternating; the best of them is shown"
    )
    ap.add_argument("--main", type=Path, default=None,
                    help="a checkout of main: its import alternates with this branch's")
    ap.add_argument("--dump", type=Path, default=None,
                    help="a comments dump generated before (RC_*.zst): used instead of"
                         " generating one of --comments (--also is then ignored)")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    from tests.redditdump import generate

    with tempfile.TemporaryDirectory() as tmp:
        for size in (args.comments, args.also) if args.dump is None else (args.comments,):
            if not size:
                continue
            folder = Path(tmp) / str(size)
            folder.mkdir()
            if args.dump is not None:
                path = args.dump
            else:
                path = generate(folder, comments=size, threads=max(100, size // 100),
                                truth=False).comments_path
            mb = path.stat().st_size / 2**20
            print(f"{path.name}: {mb:.0f} MB compressed")
            runs: dict[str, list[dict[str, Any]]] = {"import": [], "bare": []}
            if args.main:
                runs["main"] = []
            loads = [os.getloadavg()[0]]
            for _ in range(args.runs):
                for mode, done in runs.items():
                    done.append(measure(mode, path, folder, args.main))
                    loads.append(os.getloadavg()[0])
            anchor = _best(runs["bare"])
            for mode in [m for m in runs if m != "bare"]:
                print(line(mode, _best(runs[mode])))
            print(line("bare", anchor))
            print(_parts(anchor))
            for mode in [m for m in runs if m != "bare"]:
                imported = _best(runs[mode])
                print(
                    f"ratio   {mode}/bare: wall {imported['wall'] / anchor['wall']:.2f}x,"
                    f" cpu {imported['cpu'] / anchor['cpu']:.2f}x;"
                    f" both searchable: {int(imported['found']):,} vs"
                    f" {int(anchor['found']):,} comments match 'lantern'"
                )
            print(f"load average (1 min) over the runs: {min(loads):.1f}-{max(loads):.1f}")


if __name__ == "__main__":
    main()
