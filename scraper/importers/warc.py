"""The pages inside a WARC file (ArchiveBox, Browsertrix, ``wget --warc-file``,
linkthread's own ``export --warc``) or a WACZ package, read with warcio.

Each ``response`` record gives its URL, date and payload (warcio undoes chunking and
Content-Encoding, so the body is what a browser would have decoded: the same form
the archive keeps from a crawl). A ``revisit`` record with an identical payload digest
is the same body fetched again at its own date: it is given the body of the record it
refers to when that record came earlier in the same file, and skipped otherwise.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

from scraper.parsers.values import number
from scraper.settings import DEFAULT_MAX_BODY

_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".wacz")
# Payload types worth decoding: pages, not images or scripts.
_PAGE_TYPES = ("text/html", "application/json", "application/xhtml", "text/plain")


class UnreadableWarc(Exception):
    """A WARC that cannot be read on (truncated, not a WARC); the message says where."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WarcPage:
    url: str
    fetched_at: datetime
    status: int
    body: bytes
    offset: int  # of the record in its file, to name it in messages
    content_type: str = ""  # its HTTP Content-Type, which names the body's charset


def is_warc(path: Path) -> bool:
    """Whether ``path`` is a WARC/ARC file or a WACZ package, by its name or first bytes."""
    name = path.name.lower()
    if name.endswith(_SUFFIXES):
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    if head == b"WARC":
        return True
    if head[:2] == b"\x1f\x8b":  # gzip: a .warc.gz renamed? Look at what it holds.
        try:
            with gzip.open(path, "rb") as g:
                return g.read(4) == b"WARC"
        except (OSError, EOFError):
            return False
    return False


def records(path: Path, skipped: Counter[str] | None = None) -> Iterator[WarcPage]:
    """Every page a WARC or WACZ at ``path`` holds, in file order; ``skipped`` counts
    the records that are no page, by why."""
    skipped = Counter() if skipped is None else skipped
    if path.name.lower().endswith(".wacz"):
        try:
            with zipfile.ZipFile(path) as z:
                for member in sorted(n for n in z.namelist()
                                     if n.startswith("archive/") and ".warc" in n):
                    with z.open(member) as stream:
                        yield from _pages(stream, f"{member}: ", skipped)
        except zipfile.BadZipFile as e:
            raise UnreadableWarc(f"not a WACZ package ({e})") from None
        return
    given = 0
    try:
        with open(path, "rb") as stream:
            for page in _pages(stream, "", skipped):
                given += 1
                yield page
    except _WholeGzip:
        # One gzip stream over the whole file, not one per record: warcio reads it only
        # decompressed as it goes (offsets are then in the decompressed text), and the
        # records it gave before it found out are not given twice.
        skipped.clear()  # every record is read again
        with gzip.open(path, "rb") as whole:
            for i, page in enumerate(_pages(whole, "decompressed, ", skipped)):
                if i >= given:
                    yield page


class _WholeGzip(Exception):
    pass


class _CutShort(Exception):
    pass


def _pages(stream: IO[bytes] | gzip.GzipFile, where: str,
           skipped: Counter[str]) -> Iterator[WarcPage]:
    bodies: dict[tuple[str, str], bytes] = {}  # (url, payload digest) -> body, this file
    iterator = ArchiveIterator(stream)
    try:
        for record in iterator:
            try:
                page, why = _page(record, bodies)
            except _CutShort:
                raise UnreadableWarc(f"{where}the record at byte "
                                     f"{iterator.get_record_offset():,} is cut short: the "
                                     "file ends inside it") from None
            offset = iterator.get_record_offset()
            if page is None and _drained_short(record):
                raise UnreadableWarc(f"{where}the record at byte {offset:,} is cut short: "
                                     "the file ends inside it")
            if page is not None:
                # Asked after the body is read: asking first ends the record unread.
                yield replace(page, offset=offset)
            else:
                skipped[why] += 1
    except ArchiveLoadFailed as e:
        if "non-chunked gzip" in str(e):
            raise _WholeGzip from None
        raise UnreadableWarc(f"{where}not a WARC, or damaged: {_first_line(e)}") from None
    except (OSError, EOFError) as e:
        raise UnreadableWarc(f"{where}cut short or damaged ({e})") from None
    except StatusAndHeadersParserException as e:
        raise UnreadableWarc(f"{where}a record's headers cannot be read ({_first_line(e)})"
                             ) from None
    end = getattr(iterator, "offset", None)
    size = _size(stream)
    if isinstance(end, int) and size is not None and end < size:
        raise UnreadableWarc(f"{where}the file ends inside the record at byte {end:,} "
                             f"({size - end:,} bytes after the last whole record): it is "
                             "cut short")


def _drained_short(record: Any) -> bool:
    """Whether a record left unread holds fewer bytes than it says (the file ends
    inside it): read to its end here, as warcio would read past it anyway."""
    stream = record.raw_stream
    if not hasattr(stream, "limit"):
        return False
    while stream.read(1 << 16):
        pass
    return bool(stream.limit)


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _size(stream: IO[bytes] | gzip.GzipFile) -> int | None:
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, io.UnsupportedOperation):
        return None


# Why a record is no page to import, as counted in the import's crawls.args.
SKIPPED = {
    "other": "not a response (request, metadata, resource records)",
    "no-http": "a response without HTTP headers",
    "not-a-page": "not a page (an image, a script: its Content-Type)",
    "status": "an error or a redirect (not a 2xx status)",
    "revisit": "a revisit of a record not in the file",
    "date": "a WARC-Date that is no date",
    "too-big": "a body over LINKTHREAD_MAX_BODY, decompressed (64 MiB by default)",
}


def max_body() -> int:
    """The cap on a record's decoded body: a crawl's (LINKTHREAD_MAX_BODY), so a gzip
    bomb in a record is refused as a crawl refuses it, not decoded into memory."""
    raw = (os.environ.get("LINKTHREAD_MAX_BODY") or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() else DEFAULT_MAX_BODY


def _page(record: Any, bodies: dict[tuple[str, str], bytes]) -> tuple[WarcPage | None, str]:
    """The record's page, or None and why not (a key of SKIPPED); _CutShort for a
    response whose body the file ends inside."""
    kind = record.rec_type
    if kind not in ("response", "revisit"):
        return None, "other"
    if record.http_headers is None:
        return None, "no-http"
    url = record.rec_headers.get_header("WARC-Target-URI")
    date = record.rec_headers.get_header("WARC-Date")
    if not url or not date or not url.startswith(("http://", "https://")):
        return None, "other"
    when = _date(date)
    if when is None:
        return None, "date"
    status = number(record.http_headers.get_statuscode() or "")
    if status is None:
        # warcio reads whatever starts the payload as a status line: a page stored
        # with no HTTP message around it has none.
        return None, "no-http"
    content_type = (record.http_headers.get_header("Content-Type") or "").lower()
    if content_type and not content_type.startswith(_PAGE_TYPES):
        return None, "not-a-page"
    digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
    if kind == "revisit":
        refers = record.rec_headers.get_header("WARC-Refers-To-Target-URI") or url
        body = bodies.get((refers, digest))
        if body is None:
            return None, "revisit"
    else:
        cap = max_body()
        body = record.content_stream().read(cap + 1)
        if len(body) > cap:
            return None, "too-big"  # the rest is skipped undecoded (and checked whole)
        if getattr(record.raw_stream, "limit", 0):  # fewer bytes than its Content-Length
            raise _CutShort
        if digest:
            bodies[(url, digest)] = body
    if not 200 <= status < 300:
        return None, "status"
    return WarcPage(url=url, fetched_at=when, status=status, body=body, offset=0,
                    content_type=content_type), ""


def _date(value: str) -> datetime | None:
    """The time a WARC-Date names, or None: "yesterday" or a year past 9999 was a
    ValueError that stopped the import with a traceback."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
