"""The files of an import: every path given, folders walked recursively, each read
once and decoded, or one line saying why it cannot be."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Editors' and file managers' leftovers that sit beside saved pages: never pages.
_SKIPPED = re.compile(r"^(?:\..*|.*~|desktop\.ini|Thumbs\.db)$")
# A browser's "Save Page As" (complete) puts images and scripts in a "NAME_files" folder.
_ASSETS_DIR = re.compile(r".*_files$")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


# Files a user may well give by mistake, each named by its magic: what to do instead.
_KINDS = (
    (b"SQLite format 3\x00", "an SQLite database, not a saved page (an archive is "
                             "opened with --db, not imported)"),
    (b"PK\x03\x04", "a zip archive: unpack it and import its files (a WACZ package "
                    "is read by its .wacz name)"),
    (b"\x1f\x8b", "gzip-compressed, and neither a Reddit dump nor a WARC: decompress "
                  "it and import what it holds"),
)


class UnreadableFile(Exception):
    """A file that is not a page this import can read; the message is the reason."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedFile:
    path: Path
    body: bytes  # the bytes as saved: kept as the raw page
    text: str
    mtime: datetime


def walk(paths: Iterable[Path]) -> Iterator[Path]:
    """Each file of ``paths`` once, folders walked in name order (deterministic, so
    two imports of one folder read it the same way). A path that does not exist is
    yielded as is: reading it gives its one-line error."""
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not _SKIPPED.match(d)
                                 and not _ASSETS_DIR.match(d))
                for name in sorted(names):
                    if not _SKIPPED.match(name):
                        yield from _once(Path(folder) / name, seen)
        else:
            yield from _once(path, seen)


def _once(path: Path, seen: set[Path]) -> Iterator[Path]:
    key = path.resolve() if path.exists() else path
    if key not in seen:
        seen.add(key)
        yield path


def read(path: Path) -> SavedFile:
    """The file's bytes, text and modification time; UnreadableFile if it has none."""
    try:
        body = path.read_bytes()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except OSError as e:
        raise UnreadableFile(f"cannot read it: {e.strerror or e}") from None
    return SavedFile(path=path, body=body, text=decode(body), mtime=mtime)


def decode(body: bytes) -> str:
    """The text of a saved page: UTF-8 (with or without a BOM, as sites serve and
    browsers save), else the charset its <meta> declares. UnreadableFile for an
    empty or binary file, or bytes its declared charset cannot decode."""
    if not body.strip():
        raise UnreadableFile("the file is empty")
    for magic, what in _KINDS:
        if body.startswith(magic):
            raise UnreadableFile(what)
    if b"\x00" in body[:8192]:
        raise UnreadableFile("a binary file, not a saved page")
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8):]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        utf8_error = e
    declared = _CHARSET.search(body[:4096])
    if declared is not None:
        name = declared.group(1).decode("ascii", "replace")
        try:
            return body.decode(name)
        except LookupError:
            raise UnreadableFile(f"its <meta> declares an unknown charset {name!r}") from None
        except UnicodeDecodeError:
            pass
    raise UnreadableFile(f"not UTF-8 text (byte {utf8_error.start}) and no charset "
                         "it declares decodes it")
