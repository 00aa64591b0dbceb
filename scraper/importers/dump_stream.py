"""Reading a dump file: one JSON object a line, plain or compressed with zstd, as a
stream in constant memory, with the position of each line in the file's text.

The community dumps of Reddit (Arctic Shift, the Pushshift successors) are NDJSON
compressed with zstd using long windows: they are decompressed with a 2 GiB window
(``max_window_size=2**31``), as their publishers ask. A zstd stream cannot be entered
in the middle, so going on from a position means decompressing up to it again, and
skipping those bytes without decoding them: seconds for gigabytes, against the hours
of decoding and storing them again.

Decoding the lines (:func:`chunks`, :func:`mapped`): JSON and Reddit's mapping are most
of an import's work in Python, and they need nothing from the archive, so chunks of
lines go to worker processes while the main process writes what comes back. Results
come back in file order, and at most a few chunks are in flight, so memory stays flat
and the position committed is always the end of a line that was written.
``workers=0`` decodes in the importing process itself (small files, tests).
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SUFFIXES = (".zst", ".ndjson", ".jsonl", ".json")
WINDOW = 2**31
_READ = 1 << 20  # bytes a read: large, as the stream is read from end to end
_SNIFF_LINES = 20  # lines read to tell a dump's kind


class Stream:
    """The lines of a dump file from a text position on; ``position`` after each line
    read is where the next one starts; ``compressed`` is how far into the file
    itself the reading got, for a progress bar."""

    def __init__(self, raw: BinaryIO, text: BinaryIO, position: int) -> None:
        self._raw = raw
        self._text = text
        self.position = position

    @property
    def compressed(self) -> int:
        return self._raw.tell()

    def __iter__(self) -> Iterator[bytes]:
        for line in self._text:
            self.position += len(line)
            yield line


def _is_zstd(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == ZSTD_MAGIC


@contextmanager
def open_stream(path: Path, position: int = 0) -> Iterator[Stream]:
    """The file's lines from ``position`` (bytes of its text) on; zstd by its magic."""
    import zstandard

    with path.open("rb") as raw:
        if _is_zstd(path):
            frames = _Frames(raw, zstandard.ZstdDecompressor(max_window_size=WINDOW))
            text: BinaryIO = io.BufferedReader(frames, _READ)
            _skip(text, position)
        else:
            raw.seek(position)
            text = raw
        try:
            yield Stream(raw, text, position)
        finally:
            text.close()


class _Frames(io.RawIOBase):
    """The text of a zstd file, frame after frame, that fails at the end of a file cut
    short: ``stream_reader`` ends quietly there, so a half-downloaded dump would look
    like a whole one."""

    def __init__(self, raw: BinaryIO, decompressor: Any) -> None:
        self._raw = raw
        self._decompressor = decompressor
        self._frame = decompressor.decompressobj()
        self._out = memoryview(b"")
        self._inside = False  # some of the current frame has been read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        import zstandard

        while not self._out:
            if self._frame.eof:
                rest = self._frame.unused_data
                self._frame = self._decompressor.decompressobj()
                self._inside = False
                if rest:
                    self._inside = True
                    self._out = memoryview(self._frame.decompress(rest))
                continue
            chunk = self._raw.read(_READ)
            if not chunk:
                if self._inside:
                    raise zstandard.ZstdError("the file ends inside a zstd frame: it is cut "
                                              "short")
                return 0
            self._inside = True
            self._out = memoryview(self._frame.decompress(chunk))
        count = min(len(buffer), len(self._out))
        buffer[:count] = self._out[:count]
        self._out = self._out[count:]
        return count


def _skip(text: BinaryIO, count: int) -> None:
    left = count
    while left > 0:
        chunk = text.read(min(left, _READ))
        if not chunk:
            raise ValueError(f"the file ends before position {count:,}, where the import "
                             "stopped: it is not the file that import read")
        left -= len(chunk)


def first_objects(path: Path) -> list[dict[str, Any]]:
    """The first few JSON objects of the file, one a line; [] if it is not NDJSON (a
    saved page, one JSON document over many lines, a corrupt stream)."""
    found: list[dict[str, Any]] = []
    try:
        with open_stream(path) as stream:
            for line in stream:
                if len(found) >= _SNIFF_LINES or stream.position > 16 * _READ:
                    break
                if not line.strip():
                    continue
                value = json.loads(line)
                if not isinstance(value, dict):
                    return []
                found.append(value)
    except (OSError, ValueError, UnicodeDecodeError):
        return []
    except Exception as e:  # zstandard.ZstdError: a corrupt or truncated stream
        if type(e).__name__ == "ZstdError":
            return []
        raise
    return found


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
