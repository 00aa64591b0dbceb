"""A kept word's search filtered by author (and --since, --site), at the archive's
scale: CPU time in-process of ``search()`` as the command runs it (ranking, then the
rows shown with their snippets), best of --repeat after one warming run, for authors
of several sizes; with --commands, also the whole ``linkthread search`` command (wall,
best of 3). The archive is ``bench/scale.py``'s (its word "people" kept):

    python bench/scale.py --comments 1000000 --db /tmp/linkthread-1m.db --build-only
    linkthread search-index people --db /tmp/linkthread-1m.db
    python bench/search_author.py --db /tmp/linkthread-1m.db

It imports ``archive`` from wherever the running interpreter finds it, so that one
checkout's script times another's code (run it with that checkout's venv) for an
A/B comparison; each line says which.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import archive
from archive.db import open_readonly
from archive.search import search

WORD = "people"
SINCE = "2025-10-01"
SITE = "hn"


def cases(authors: list[str]) -> list[tuple[str, dict[str, str]]]:
    out: list[tuple[str, dict[str, str]]] = [
        (f"--since {SINCE}", {"since": SINCE}),
        (f"--site {SITE}", {"site": SITE}),
    ]
    for a in authors:
        out += [
            (f"--author {a}", {"author": a}),
            (f"--author {a} --since {SINCE}", {"author": a, "since": SINCE}),
            (f"--author {a} --site {SITE}", {"author": a, "site": SITE}),
        ]
    return out


def cpu_best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--authors", default="user5,user20,user50,user100,user500,user2000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--commands", action="store_true", help="Also time the whole command.")
    args = ap.parse_args()
    authors = args.authors.split(",")
    conn = open_readonly(args.db)
    counts = dict(conn.execute(
        f"SELECT author, sum(comments) FROM author_counts WHERE author IN"
        f" ({','.join('?' * len(authors))}) GROUP BY author", authors))  # fmt: skip
    where = Path(archive.__file__).resolve().parent.parent
    print(f"code {where}, {os.getloadavg()[0]:.2f} load, {time.strftime('%H:%M:%S')} UTC"
          f"; comments of each: {counts}")  # fmt: skip
    linkthread = Path(sys.executable).with_name("linkthread")
    for label, filters in cases(authors):
        hits: list = []

        def run(f: dict[str, str] = filters, out: list = hits) -> None:
            out[:] = search(conn, WORD, kinds=("comment",), time_limit=None, **f)  # type: ignore[arg-type]

        line = f"{label:40} {cpu_best(run, args.repeat) * 1000:8.1f} ms ({len(hits)} hits)"
        if args.commands:
            argv = [str(linkthread), "search", WORD, "--comments", "--db", str(args.db)]
            for k, v in filters.items():
                argv += [f"--{k}", v]
            walls = []
            for _ in range(4):
                start = time.perf_counter()
                subprocess.run(argv, capture_output=True, check=True)
                walls.append(time.perf_counter() - start)
            line += f"  command {min(walls[1:]) * 1000:6.0f} ms"
        print(line, flush=True)
    conn.close()


if __name__ == "__main__":
    main()
