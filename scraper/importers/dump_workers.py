"""Decoding a dump's lines on every core: JSON and Reddit's mapping are most of an
import's work in Python, and they need nothing from the archive, so chunks of lines go
to worker processes while the main process writes what comes back. Results come back
in file order, and at most a few chunks are in flight, so memory stays flat and the
position committed is always the end of a line that was written.

``workers=0`` decodes in the importing process itself (small files, tests).
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

CHUNK = 2_000  # lines a task: big enough that handing it over costs little
AHEAD = 3  # tasks in flight per worker


def worker_count() -> int:
    """Processes decoding lines: ``LINKTHREAD_DUMP_WORKERS``, else one per core."""
    value = os.environ.get("LINKTHREAD_DUMP_WORKERS", "").strip()
    return int(value) if value.isdigit() else (os.cpu_count() or 1)


def chunks(lines: Iterator[bytes], position: Callable[[], int]
           ) -> Iterator[tuple[list[bytes], int]]:  # fmt: skip
    """The lines in lists of CHUNK, each with the position after its last line. If
    reading fails (a damaged stream), the lines read before it still come, then the
    error."""
    chunk: list[bytes] = []
    try:
        for line in lines:
            chunk.append(line)
            if len(chunk) >= CHUNK:
                yield chunk, position()
                chunk = []
    finally:
        if chunk:
            yield chunk, position()


def mapped(tasks: Iterator[tuple[list[bytes], int]], decode: Callable[..., Any],
           args: tuple[Any, ...], workers: int) -> Iterator[tuple[Any, int, int]]:
    """(rows, position after them, lines read) for each chunk, in file order:
    ``decode(chunk, *args)`` run in ``workers`` processes (or here, with 0)."""
    if workers <= 0:
        for chunk, position in tasks:
            yield decode(chunk, *args), position, len(chunk)
        return
    # spawn, not fork: the importing process holds an SQLite connection and, at a
    # terminal, the progress bar's thread, neither of which a forked child may touch.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pending: deque[tuple[Any, int, int]] = deque()
        try:
            for chunk, position in tasks:
                pending.append((pool.apply_async(decode, (chunk, *args)), position,
                                len(chunk)))
                if len(pending) >= workers * AHEAD:
                    result, at, count = pending.popleft()
                    yield result.get(), at, count
        finally:
            # Also when reading failed: what was read before is decoded and written.
            while pending:
                result, at, count = pending.popleft()
                yield result.get(), at, count
