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
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

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


def records(path: Path) -> Iterator[WarcPage]:
    """Every page a WARC or WACZ at ``path`` holds, in file order."""
    if path.name.lower().endswith(".wacz"):
        try:
            with zipfile.ZipFile(path) as z:
                for member in sorted(n for n in z.namelist()
                                     if n.startswith("archive/") and ".warc" in n):
                    with z.open(member) as stream:
                        yield from _pages(stream, f"{member}: ")
        except zipfile.BadZipFile as e:
            raise UnreadableWarc(f"not a WACZ package ({e})") from None
        return
    with open(path, "rb") as stream:
        yield from _pages(stream, "")


def _pages(stream: IO[bytes], where: str) -> Iterator[WarcPage]:
    bodies: dict[tuple[str, str], bytes] = {}  # (url, payload digest) -> body, this file
    iterator = ArchiveIterator(stream)
    try:
        for record in iterator:
            page = _page(record, bodies)
            if page is not None:
                # Asked after the body is read: asking first ends the record unread.
                yield replace(page, offset=iterator.get_record_offset())
    except ArchiveLoadFailed as e:
        raise UnreadableWarc(f"{where}not a WARC, or damaged: {e}") from None
    except (OSError, EOFError) as e:
        raise UnreadableWarc(f"{where}cut short or damaged ({e})") from None


def _page(record: Any, bodies: dict[tuple[str, str], bytes]) -> WarcPage | None:
    kind = record.rec_type
    if kind not in ("response", "revisit") or record.http_headers is None:
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    date = record.rec_headers.get_header("WARC-Date")
    if not url or not date or not url.startswith(("http://", "https://")):
        return None
    status = int(record.http_headers.get_statuscode() or 0)
    content_type = (record.http_headers.get_header("Content-Type") or "").lower()
    if content_type and not content_type.startswith(_PAGE_TYPES):
        return None
    digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
    if kind == "revisit":
        refers = record.rec_headers.get_header("WARC-Refers-To-Target-URI") or url
        body = bodies.get((refers, digest))
        if body is None:
            return None
    else:
        body = record.content_stream().read()
        if digest:
            bodies[(url, digest)] = body
    if not 200 <= status < 300:
        return None  # an error page, a redirect: no page of the site's to parse
    return WarcPage(url=url, fetched_at=_date(date), status=status, body=body, offset=0)


def _date(value: str) -> datetime:
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)
