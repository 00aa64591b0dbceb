"""Reading a dump file: one JSON object a line, plain or compressed (zstd, or gzip,
bzip2 or xz), as a stream in constant memory, with the position of each line in the
file's text.

The community dumps of Reddit (Arctic Shift, the Pushshift successors) are NDJSON
compressed with zstd using long windows: they are decompressed with a 2 GiB window
(``max_window_size=2**31``), as their publishers ask. Pushshift's own monthly files
were bzip2 (2005 to 2017-11) and xz (2017-12 to 2018-10) before zstd: read by the
standard library's modules, as a gzip'd NDJSON file is. A compressed stream cannot be
entered in the middle, so going on from a position means decompressing up to it
again, and skipping those bytes without decoding them: seconds for gigabytes, against
the hours of decoding and storing them again.

Decoding the lines (:func:`chunks`, :func:`mapped`): JSON and Reddit's mapping are most
of an import's work in Python, and they need nothing from the archive, so chunks of
lines go to worker processes while the main process writes what comes back. Results
come back in file order, and at most a few chunks are in flight, so memory stays flat
and the position committed is always the end of a line that was written.
``workers=0`` decodes in the importing process itself (small files, tests).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import multiprocessing
import os
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from scraper.parsers.values import number

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
# The standard library's compressions, by their magic's first bytes (xz's is six
# bytes long; four are read).
_STDLIB = ((GZIP_MAGIC, "gzip"), (b"BZh", "bzip2"), (b"\xfd7zX", "xz"))
SUFFIXES = (".zst", ".ndjson", ".jsonl", ".json", ".gz", ".bz2", ".xz")
WINDOW = 2**31
_READ = 1 << 20  # bytes a read: large, as the stream is read from end to end
# Text decompressed a call (of gzip, bzip2, xz): a cut or damaged stream fails the call
# that meets it, and what that call had decompressed before is lost with it.
_PIECE = 1 << 13
# Compressed bytes a zstd call: a frame damaged or zero-filled past some point (a
# torrent's partial download) fails the call that meets the damage, and the text that
# call had decompressed is lost with it (~0.5 MB of text here, ~8 MB at 1 MiB a call).
_FED = 1 << 16


class DamagedStream(Exception):
    """A compressed stream that cannot be read on; the message says where and why."""


class WindowTooLarge(DamagedStream):
    """A zstd frame that asks for more memory than WINDOW: whole, but not read here."""


class Stream:
    """The lines of a dump file from a text position on; ``position`` after each line
    read is where the next one starts; ``compressed`` is how far into the file
    itself the reading got, for a progress bar; ``skipped``: the damaged zstd frames
    stepped over, as (byte where the frame starts, byte where reading went on)."""

    def __init__(self, raw: BinaryIO, text: BinaryIO, position: int,
                 frames: _Frames | None = None) -> None:  # fmt: skip
        self._raw = raw
        self._text = text
        self.position = position
        self._frames = frames

    @property
    def compressed(self) -> int:
        return self._raw.tell()

    @property
    def skipped(self) -> list[tuple[int, int]]:
        return self._frames.skipped if self._frames is not None else []

    def __iter__(self) -> Iterator[bytes]:
        for line in self._text:
            self.position += len(line)
            yield line

    def head(self, size: int, lines: int) -> tuple[bytes, bool, str | None]:
        """Up to ``size`` bytes of text from here, fewer once ``lines`` lines are in;
        whether that is all there is (or all that could be read before damage); the
        damage, if any. For telling what a file is without reading a file with no
        newline whole."""
        parts: list[bytes] = []
        got = ends = 0
        try:
            while got < size and ends < lines:
                # read1: one read of the file at most, so the text before
                # damage comes back before the damage does.
                chunk = self._text.read1(min(_READ, size - got))  # type: ignore[attr-defined]
                if not chunk:
                    return b"".join(parts), True, None
                parts.append(chunk)
                got += len(chunk)
                ends += chunk.count(b"\n")
        except (DamagedStream, OSError) as e:
            return b"".join(parts), True, str(e)
        return b"".join(parts), False, None


def magic(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4)


def compression(head: bytes) -> str | None:
    """The compression a file's first four bytes name ("zstd", "gzip", "bzip2", "xz"),
    or None for a plain file."""
    if head == ZSTD_MAGIC:
        return "zstd"
    return next((name for start, name in _STDLIB if head.startswith(start)), None)


@contextmanager
def open_stream(path: Path, position: int = 0) -> Iterator[Stream]:
    """The file's lines from ``position`` (bytes of its text) on; compressed as its
    magic says (see :func:`compression`), else plain."""
    import zstandard

    kind = compression(magic(path))
    with path.open("rb") as raw:
        frames = None
        if kind == "zstd":
            frames = _Frames(raw, zstandard.ZstdDecompressor(max_window_size=WINDOW))
            text: BinaryIO = io.BufferedReader(frames, _READ)
            _skip(text, position)
        elif kind is not None:
            text = io.BufferedReader(_Stdlib(raw, kind), _READ)
            _skip(text, position)
        else:
            raw.seek(position)
            text = raw
        try:
            yield Stream(raw, text, position, frames)
        finally:
            text.close()


def window_of(header: bytes) -> int | None:
    """The window a zstd frame header asks for (RFC 8878 3.1.1.1.2), None if the frame
    is single-segment (its window is its content) or the header is cut short."""
    if len(header) < 6 or header[:4] != ZSTD_MAGIC or header[4] & 0x20:
        return None
    exponent, mantissa = header[5] >> 3, header[5] & 7
    base = 1 << (10 + exponent)
    return base + (base >> 3) * mantissa


class _Frames(io.RawIOBase):
    """The text of a zstd file, frame after frame, that fails at the end of a file cut
    short: ``stream_reader`` ends quietly there, so a half-downloaded dump would look
    like a whole one. A damaged frame is stepped over to the next frame's magic, if
    there is one (a file of concatenated frames keeps the rest of its lines), and
    noted in ``skipped``; with none, or a frame asking for a window past WINDOW, it
    is DamagedStream naming the byte."""

    def __init__(self, raw: BinaryIO, decompressor: Any) -> None:
        self._raw = raw
        self._decompressor = decompressor
        self._frame = decompressor.decompressobj()
        self._out = memoryview(b"")
        self._inside = False  # some of the current frame has been read
        self._start = 0  # where the current frame starts in the file
        self.skipped: list[tuple[int, int]] = []

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out:
            if self._frame.eof:
                rest = self._frame.unused_data
                self._frame = self._decompressor.decompressobj()
                self._inside = False
                if rest:
                    self._feed(rest)
                continue
            chunk = self._raw.read(_FED)
            if not chunk:
                if self._inside:
                    raise DamagedStream(f"the file ends inside the zstd frame that starts at "
                                        f"byte {self._start:,}: it is cut short")
                return 0
            self._feed(chunk)
        count = min(len(buffer), len(self._out))
        buffer[:count] = self._out[:count]
        self._out = self._out[count:]
        return count

    def _feed(self, data: bytes) -> None:
        import zstandard

        if not self._inside:  # ``data`` ends where the file has been read to
            self._start = self._raw.tell() - len(data)
            self._inside = True
        try:
            self._out = memoryview(self._frame.decompress(data))
        except zstandard.ZstdError as e:
            window = window_of(_read_at(self._raw, self._start, 18))
            if window is not None and window > WINDOW:
                raise WindowTooLarge(
                    f"the zstd frame at byte {self._start:,} needs a {window / 2**30:g} GiB "
                    f"window, more than the {WINDOW // 2**30} GiB this import decompresses "
                    "with") from None
            self._resync(e)

    def _resync(self, error: Exception) -> None:
        # The next frame's magic after the damaged frame's start: four bytes that may
        # by chance sit inside compressed data too, in which case that "frame" fails
        # at once and the search goes on past it.
        found = _find(self._raw, ZSTD_MAGIC, self._start + 1)
        if found is None:
            raise DamagedStream(f"the zstd frame at byte {self._start:,} is damaged "
                                f"({error}) and no frame follows it") from None
        self.skipped.append((self._start, found))
        self._raw.seek(found)
        self._frame = self._decompressor.decompressobj()
        self._inside = False
        self._out = memoryview(b"")


def _read_at(raw: BinaryIO, offset: int, size: int) -> bytes:
    here = raw.tell()
    raw.seek(offset)
    data = raw.read(size)
    raw.seek(here)
    return data


def _find(raw: BinaryIO, needle: bytes, offset: int) -> int | None:
    """The first offset at or after ``offset`` where ``needle`` is in the file."""
    raw.seek(offset)
    carry = b""
    base = offset
    while chunk := raw.read(_READ):
        data = carry + chunk
        at = data.find(needle)
        if at >= 0:
            return base + at
        carry = data[-(len(needle) - 1):]
        base += len(data) - len(carry)
    return None


class _Stdlib(io.RawIOBase):
    """The text of a gzip, bzip2 or xz file (``.ndjson.gz``, Pushshift's ``.bz2`` and
    ``.xz``; concatenated streams read as one), whose damage or early end is
    DamagedStream, as zstd's is."""

    def __init__(self, raw: BinaryIO, kind: str) -> None:
        self._kind = kind
        self._file = _decompressing(raw, kind)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:  # a piece at a time: what comes before a cut or damage is handed on
            return self._file.readinto(memoryview(buffer)[:_PIECE])
        except EOFError:
            raise DamagedStream(f"the file ends inside its {self._kind} stream: it is cut "
                                "short") from None
        # (gzip.BadGzipFile and bz2's "Invalid data stream" are OSErrors)
        except (OSError, zlib.error, lzma.LZMAError) as e:
            raise DamagedStream(f"the {self._kind} stream is damaged ({e})") from None


def _decompressing(raw: BinaryIO, kind: str) -> io.BufferedIOBase:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    return bz2.BZ2File(raw) if kind == "bzip2" else lzma.LZMAFile(raw)


def _skip(text: BinaryIO, count: int) -> None:
    left = count
    while left > 0:
        chunk = text.read(min(left, _READ))
        if not chunk:
            raise ValueError(f"the file ends before position {count:,}, where the import "
                             "stopped: it is not the file that import read")
        left -= len(chunk)


CHUNK = 2_000  # lines a task: big enough that handing it over costs little
AHEAD = 3  # tasks in flight per worker


def worker_count() -> int:
    """Processes decoding lines: ``LINKTHREAD_DUMP_WORKERS``, else one per core."""
    workers = number(os.environ.get("LINKTHREAD_DUMP_WORKERS", ""))
    return workers if workers is not None else (os.cpu_count() or 1)


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
    except Exception:
        # Not a finally: a consumer that stops early (Ctrl-C) closes the generator,
        # and a generator that yields while being closed is an error of its own.
        if chunk:
            yield chunk, position()
        raise
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
