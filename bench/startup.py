"""How long a read command takes to start and answer, against the interpreter's own start.

Each command runs as a fresh process (``python -m scraper.cli ...``, what the console
script runs) on a small archive of one generated 200-comment thread, so the time is
almost all start-up. The anchors run in the same way in the same loop: ``python -c pass``
(the floor) and ``python -c "import sqlite_utils"`` (the library every command needs).
Wall time and the child's CPU time (user + system, which a loaded machine inflates
less), the best of ``--repeat`` alternating runs of each. Target (issue 14): < 0.25 s.

``--before DIR`` also runs every command from another checkout (say a worktree of
main), in the same loop, one run of each after the other: before and after under the
same load.

Python compiles a module it has no cached bytecode for at every import; with
PYTHONDONTWRITEBYTECODE set (as on the machines these figures were taken on) an
editable install's own modules are compiled at every start, which an installed
linkthread, or any run that may write ``__pycache__``, does not pay. ``--bytecode``
lets the children write and use the cache, after a first untimed run of each command:
a user's start. The line "bytecode:" says which was measured.

Run: python bench/startup.py [--repeat 7] [--before ../linkthread-main] [--bytecode]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.db import open_db
from archive.store import save_thread
from scraper.parsers import hn
from tests import hnpages

ROOT = Path(__file__).resolve().parent.parent


def build(db: Path) -> str:
    thread = hnpages.random_thread(200, seed=1)
    page = hnpages.site_pages(thread, era="modern")[f"/item?id={thread.story_id}"]
    archive = open_db(db)
    try:
        save_thread(archive, hn.parse_thread(
            page, url=f"https://news.ycombinator.com/item?id={thread.story_id}",
            fetched_at=hnpages.FETCHED_AT))
    finally:
        archive.close()
    return thread.story_id


def cpu_of_children() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(cmd: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None,
          ) -> tuple[float, float]:  # fmt: skip
    """(wall, CPU) seconds of one run of ``cmd`` (``python -m`` imports from ``cwd``)."""
    cpu = cpu_of_children()
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}")
    return took, cpu_of_children() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--before", type=Path, metavar="DIR",
                    help="another checkout whose commands run alternately with these")
    ap.add_argument("--bytecode", action="store_true",
                    help="let the children cache bytecode (a first untimed run of each)")
    args = ap.parse_args()
    env = dict(os.environ)
    if args.bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        story = build(db)
        cli = [py, "-m", "scraper.cli"]
        runs = {
            "anchor: python -c pass": [py, "-c", "pass"],
            "anchor: python -c 'import sqlite_utils'": [py, "-c", "import sqlite_utils"],
            "linkthread --help": [*cli, "--help"],
            "linkthread query 'select count(*) ...'": [
                *cli, "query", "select count(*) from comments", "--db", str(db)],
            f"linkthread show hn {story}": [*cli, "show", "hn", story, "--db", str(db)],
            "linkthread search parser": [*cli, "search", "parser", "--db", str(db)],
            f"linkthread history hn {story}": [*cli, "history", "hn", story, "--db", str(db)],
            f"linkthread export hn {story}": [*cli, "export", "hn", story, "--db", str(db)],
            "linkthread gaps": [*cli, "gaps", "--db", str(db)],
            "linkthread crawl --help": [*cli, "crawl", "--help"],
            "anchor: python -c 'import scrapy.crawler'": [py, "-c", "import scrapy.crawler"],
        }
        places = {"": ROOT}
        if args.before is not None:
            places["before: "] = args.before.resolve()
        best = {where + label: [float("inf"), float("inf")]
                for label in runs for where in places}  # fmt: skip
        if args.bytecode:
            for cmd in runs.values():
                for cwd in places.values():
                    timed(cmd, cwd, env)
        for _ in range(args.repeat):
            for label, cmd in runs.items():
                for where, cwd in places.items():
                    if where and label.startswith("anchor"):
                        continue  # the anchors import nothing of either checkout
                    for k, value in enumerate(timed(cmd, cwd, env)):
                        best[where + label][k] = min(best[where + label][k], value)
        best = {k: v for k, v in best.items() if v[0] != float("inf")}
    floor = best["anchor: python -c pass"]
    for label, (took, cpu) in best.items():
        print(f"{label:46} wall {took * 1e3:7.1f} ms ({took - floor[0]:+.3f} s) | "
              f"CPU {cpu * 1e3:7.1f} ms ({cpu - floor[1]:+.3f} s over python -c pass)")
    reads = {k: v for k, v in best.items() if k.startswith("linkthread")}
    slowest = max(reads, key=lambda k: reads[k][1])
    cached = "cached" if "PYTHONDONTWRITEBYTECODE" not in env else "not written (compiled each run)"
    print(f"bytecode: {cached}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"slowest read command: {slowest}: wall {reads[slowest][0] * 1e3:.0f} ms, CPU "
          f"{reads[slowest][1] * 1e3:.0f} ms (target < 250 ms)")


if __name__ == "__main__":
    main()
