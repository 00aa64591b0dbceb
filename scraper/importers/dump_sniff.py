"""What a file given to ``linkthread import`` is, from its first lines: a Reddit dump
of comments or submissions (:func:`dump_kind`), or, for a file that claims to be a
compressed dump and is none, why not (:func:`refusal`), for its one line. Read as
:mod:`scraper.importers.dump_stream` reads a dump (zstd, gzip, bzip2, xz or plain), and tolerant
of what a dump may hold (a damaged line, a submission among comments)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scraper.importers.dump_stream import (
    SUFFIXES,
    ZSTD_MAGIC,
    DamagedStream,
    compression,
    magic,
    open_stream,
)
from scraper.importers.reddit_dump_rows import DumpKind
from scraper.parsers.jsonload import loads

SNIFF_LINES = 20  # lines read to tell a dump's kind
SNIFF_BYTES = 16 << 20  # ... at most: a file with no newline is not read whole
_COMMENT_KEYS = frozenset({"link_id", "parent_id", "body"})
_SUBMISSION_KEYS = frozenset({"title", "selftext", "num_comments"})
ZST_BLOCKS = ("Arctic Shift's zst_blocks format (rows in blocks, each a zstd frame after its "
              "length), which this import does not read: convert it to .zst or NDJSON "
              "first (Arctic Shift's zst_blocks tools do)")  # fmt: skip
# What a dump's name claims: a file so named and not so compressed is refused in one line.
_NAMED = {".zst": "zstd", ".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the first lines of a file are: the JSON objects among them, how many lines
    were something else, and why reading stopped early (damage), if it did."""

    objects: list[dict[str, Any]]
    others: int
    compressed: str | None  # "zstd", "gzip", "bzip2", "xz", or None
    problem: str | None = None


def sniff(path: Path) -> Sniffed:
    """The first lines of the file, read as a dump's: blank lines ignored, a line that
    is no JSON object counted, damage after some lines kept as a problem."""
    try:
        head = magic(path)
    except OSError as e:
        return Sniffed([], 0, None, f"cannot read it: {e.strerror or e}")
    compressed = compression(head)
    found: list[dict[str, Any]] = []
    others = 0
    try:
        with open_stream(path) as stream:
            text, whole, problem = stream.head(SNIFF_BYTES, SNIFF_LINES + 1)
    except (OSError, ValueError, DamagedStream) as e:
        return Sniffed([], 0, compressed, str(e))
    lines = text.split(b"\n")
    if not whole:
        lines = lines[:-1]  # cut by the sniff, not by the file
    for line in lines:
        if len(found) + others >= SNIFF_LINES:
            break
        if not line.strip():
            continue
        try:
            value = loads(line)
        except ValueError:
            value = None
        if isinstance(value, dict):
            found.append(value)
        else:
            others += 1
    return Sniffed(found, others, compressed, problem)


def dump_kind(path: Path) -> DumpKind | None:
    """Whether ``path`` is a Reddit dump, and of what, from its first lines' fields:
    most of them must be objects, most of those Reddit things, and the file's kind is
    the more common of the two (a file of comments with a submission or a damaged
    line among them is still a comments dump; each line is read as what it is)."""
    if path.suffix.lower() not in SUFFIXES or not path.is_file():
        return None
    return _kind(sniff(path))


def _kind(sniffed: Sniffed) -> DumpKind | None:
    objects = sniffed.objects
    if len(objects) <= sniffed.others:
        return None
    comments = sum(o.keys() >= _COMMENT_KEYS for o in objects)
    submissions = sum(o.keys() >= _SUBMISSION_KEYS for o in objects)
    if (comments + submissions) * 2 <= len(objects):
        return None
    return "comments" if comments >= submissions else "submissions"


def refusal(path: Path) -> str | None:
    """Why a file that claims to be a compressed dump (a ``.zst``, ``.bz2`` or ``.xz``
    name, or zstd's magic) is none, for its one line; None for any other file (a saved
    page's importer says what it is)."""
    suffix = path.suffix.lower()
    head = _head(path) if path.is_file() else b""
    if _zst_blocks(head):
        return ZST_BLOCKS
    if not path.is_file() or (suffix not in _NAMED and head[:4] != ZSTD_MAGIC):
        return None  # read once, as a page: not sniffed again for every saved page
    sniffed = sniff(path)
    if _kind(sniffed) is not None:
        return None
    kind = sniffed.compressed
    if kind == "gzip" or (kind is None and suffix == ".gz"):
        # An .ndjson.gz cut short is named; any other gzip'd file (a .warc.gz, a saved
        # page) is for the importers of pages to read, or to refuse.
        if kind == "gzip" and sniffed.problem is not None \
                and Path(path.stem).suffix.lower() in SUFFIXES:
            return f"a gzip file that cannot be read: {sniffed.problem}"  # RC_x.ndjson.gz
        return None
    if kind is None:  # named .zst, .bz2 or .xz (zstd's magic would make it zstd)
        return (f"named {suffix}, but not {_NAMED[suffix]}-compressed, and not a Reddit "
                "dump either")
    if sniffed.problem is not None and not sniffed.objects:
        return f"a {kind} file that cannot be read: {sniffed.problem}"
    return (f"{kind}-compressed, but not a Reddit dump: its first lines are not JSON objects "
            f"with {', '.join(sorted(_COMMENT_KEYS))} (comments) or "
            f"{', '.join(sorted(_SUBMISSION_KEYS))} (submissions)")


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(8)
    except OSError:
        return b""


def _zst_blocks(head: bytes) -> bool:
    """Arctic Shift's zst_blocks layout: blocks of rows, each a zstd frame with its
    4-byte little-endian length before it, so zstd's magic at byte 4, not 0."""
    return len(head) == 8 and head[4:] == ZSTD_MAGIC and int.from_bytes(head[:4], "little") > 8
