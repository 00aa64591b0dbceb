"""``linkthread import`` of dump files: one crawls row (command "import"), the files
streamed by :mod:`scraper.importers.reddit_dump`, and at a terminal a ``rich``
progress bar per file with the rows kept, their rate, and the position in the file
(compressed bytes read of its size). Off a terminal nothing is drawn.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from archive import search_auto, store
from scraper.importers.dump_stream import worker_count
from scraper.importers.reddit_dump import (
    BATCH,
    Bar,
    DumpKind,
    DumpOutcome,
    Filters,
    import_dumps,
)
from scraper.parsers.values import number


def batch_size() -> int:
    """Rows a transaction: ``LINKTHREAD_DUMP_BATCH``, else 20,000."""
    size = number(os.environ.get("LINKTHREAD_DUMP_BATCH", ""))
    return size if size else BATCH


def run_dumps(db: sqlite_utils.Database, dumps: Sequence[tuple[Path, DumpKind]], *,
              filters: Filters, terminal: bool | None = None) -> DumpOutcome:  # fmt: skip
    """Import the dump files under one crawls row and close it with their counts."""
    crawl_id = store.start_crawl(db, command="import", args={
        "dumps": [{"path": str(p), "kind": k} for p, k in dumps],
        "filters": filters.as_json()})  # fmt: skip
    outcome = DumpOutcome()
    status = "failed"
    # No memory-mapped reads while importing: the pages a load touches through the map
    # count in its memory (up to the map's 256 MiB), and a load reads the archive
    # through SQLite's own cache as well.
    mapped = db.conn.execute("PRAGMA mmap_size").fetchone()[0]
    db.conn.execute("PRAGMA mmap_size = 0")
    try:
        with _bars(sys.stderr.isatty() if terminal is None else terminal) as bar:
            outcome = import_dumps(db, dumps, filters=filters, crawl_id=crawl_id,
                                   batch=batch_size(), bar=bar, workers=worker_count())
        status = "finished"
    except KeyboardInterrupt:
        status = "interrupted"  # the batches committed stay: the same command goes on
        raise
    finally:
        db.conn.execute(f"PRAGMA mmap_size = {int(mapped)}")
        published = outcome.published
        store.finish_crawl(db, crawl_id, status=status, pages=0,
                           threads=published.stories if published else 0,
                           comments=published.new if published else 0,
                           errors=len(outcome.failures),
                           message="; ".join(outcome.failures) or None,
                           failures=outcome.failures)  # fmt: skip
    search_auto.after_write(db)  # the search bands: bounded, and never fails the import
    return outcome


@contextmanager
def _bars(terminal: bool) -> Iterator[Bar]:
    if not terminal:
        yield lambda path, size: lambda compressed, rows: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns: list[Any] = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                          DownloadColumn(), TextColumn("{task.fields[rows]:,} rows"),
                          TextColumn("{task.fields[rate]:,.0f} rows/s"), TimeElapsedColumn()]
    # On stderr: stdout is the command's summary, which a script may read.
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:

        def bar(path: Path, size: int) -> Callable[[int, int], None]:
            task = progress.add_task(path.name, total=size, rows=0, rate=0.0)
            started = time.monotonic()

            def moved(compressed: int, rows: int) -> None:
                # rows: kept by this run (a resumed import's earlier rows not counted)
                elapsed = max(time.monotonic() - started, 1e-6)
                progress.update(task, completed=compressed, rows=rows,
                                rate=rows / elapsed)

            return moved

        yield bar
