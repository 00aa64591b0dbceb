"""Where a dump import's CPU goes, statement by statement: the import of a generated
.zst dump into an empty archive, in this process, every execute of the staging and
publishing transactions timed (CPU of this process; the decoding workers' apart).

Run: python bench/dump_profile.py [--comments 250000] [--folder DIR]

The dump is generated once into ``--folder`` and reused on later runs there. Prints
the statements by their share of the importing process's CPU, then the workers'.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_spent: dict[str, float] = defaultdict(float)


class _Timed:
    """A connection whose execute and executemany add their CPU time by statement."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def _timed(self, how: str, sql: str, *args: Any) -> Any:
        at = time.process_time()
        try:
            return getattr(self._conn, how)(sql, *args)
        finally:
            _spent[f"{how[:7]} {' '.join(sql.split())[:90]}"] += time.process_time() - at


for _how in ("execute", "executemany"):
    setattr(_Timed, _how, lambda self, sql, *a, _h=_how: self._timed(_h, sql, *a))


def _patch() -> None:
    from archive import bulk_publish
    from archive import db as archive_db
    from scraper.importers import reddit_dump

    plain = archive_db.transaction

    @contextmanager
    def timed(db: Any) -> Iterator[Any]:
        with plain(db) as conn:
            yield _Timed(conn)

    bulk_publish.transaction = timed
    reddit_dump.transaction = timed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=250_000)
    ap.add_argument("--folder", type=Path, default=None)
    args = ap.parse_args()
    from tests.redditdump import generate

    folder = args.folder or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    dump = folder / "RC_gen.zst"
    if not dump.exists():
        generate(folder, comments=args.comments, threads=max(100, args.comments // 100),
                 truth=False)
    _patch()
    from archive.db import open_db
    from scraper.importers.dump_run import run_dumps
    from scraper.importers.reddit_dump import Filters

    db_path = folder / "profile.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = open_db(db_path)
    start, cpu = time.perf_counter(), time.process_time()
    run_dumps(db, [(dump, "comments")], filters=Filters(), terminal=False)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = workers.ru_utime + workers.ru_stime
    total = cpu + worker_cpu
    print(f"wall {wall:.1f} s, importer cpu {cpu:.1f} s, workers {worker_cpu:.1f} s,"
          f" all {total:.1f} s")
    print(f"{'decoding workers':100} {worker_cpu:6.2f} s {100 * worker_cpu / total:4.1f}%")
    for sql, spent in sorted(_spent.items(), key=lambda kv: -kv[1])[:25]:
        print(f"{sql:100} {spent:6.2f} s {100 * spent / total:4.1f}%")
    rest = cpu - sum(_spent.values())
    print(f"{'the rest (Python, reading, other SQL)':100} {rest:6.2f} s {100 * rest / total:4.1f}%")
    db.close()


if __name__ == "__main__":
    main()
