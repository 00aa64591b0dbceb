"""The kept pages as a WARC file (``linkthread export --warc``), written with warcio.

Each stored body becomes a request/response pair at its first fetch and a ``revisit``
record (profile identical-payload-digest) at every later fetch of the same bytes, so
replay tools (pywb, ReplayWeb.page) and ``warcio index`` read it as a crawl.

What the archive holds is the body as the crawler decoded it (Content-Encoding and
chunking undone), the status, URL and fetch times; not the bytes from the wire nor the
response headers. The WARC says so: its ``warcinfo`` record, and a
``WARC-Linkthread-Body: decoded`` field on every response, whose HTTP headers are
rebuilt (status, a Content-Type guessed from the body, an exact Content-Length).
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import thread_visits
from archive.errors import ArchiveError
from archive.export_output import check_output_path
from archive.pages import seen_pages, selection
from archive.rows import user_time
from archive.version import VERSION

SOFTWARE = "linkthread"
BODY_NOTE = (
    "Bodies are as the crawler decoded them (Content-Encoding and Transfer-Encoding "
    "removed), not the bytes from the wire; HTTP response headers are rebuilt from the "
    "status and the body (Content-Type guessed, Content-Length exact); request records "
    "carry the method, URL and Host only."
)


class WarcError(ArchiveError):
    """A WARC export that cannot be made (a bad filter, an existing file): one line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WarcCounts:
    pages: int  # bodies written as response records
    revisits: int  # later fetches of the same bodies


@dataclass(frozen=True, slots=True)
class _Page:
    id: int
    url: str
    status: int | None
    sha256: str
    body: bytes
    fetched: tuple[str, ...]  # every fetch time of this body, oldest first


def export_warc(conn: sqlite3.Connection, output: str | Path, *, site: str | None = None,
                since: str | None = None, story_ids: Sequence[str] = (),
                force: bool = False) -> WarcCounts:
    """Write the pages the filters pick (all by default) to ``output``; gzip
    per record when its name ends in ``.gz``. Written whole or not at all: a
    temporary file renamed into place."""
    if story_ids and site is None:
        raise WarcError("name the site of the threads (SITE ID ...)")
    after = None if since is None else user_time(since, "--since")
    path = check_output_path(output, force=force)
    temp = path.with_name(f".{path.name}.partial")
    pages = revisits = 0
    try:
        with open(temp, "wb") as out:
            writer = _writer(out, path.name, gzip=path.name.endswith(".gz"))
            for page in _pages(conn, site=site, since=after, story_ids=story_ids):
                revisits += _write_page(writer, page)
                pages += 1
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return WarcCounts(pages=pages, revisits=revisits)


def _writer(out: BinaryIO, name: str, *, gzip: bool) -> WARCWriter:
    writer = WARCWriter(out, gzip=gzip, warc_version="1.1")
    info = {"software": f"{SOFTWARE} {VERSION}", "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                          "warc-format/warc-1.1/", "description": BODY_NOTE}  # fmt: skip
    writer.write_record(writer.create_warcinfo_record(name, info))
    return writer


def _pages(conn: sqlite3.Connection, *, site: str | None, since: str | None,
           story_ids: Sequence[str]) -> Iterator[_Page]:
    where, params = selection(site=site, since=since)
    if story_ids:
        where.append("story_id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(story_ids)))
    rows = conn.execute(
        "SELECT id, url, status, sha256, body, first_fetched_at, last_fetched_at, site,"
        f" story_id FROM {seen_pages(conn)} WHERE {' AND '.join(where)}"
        " ORDER BY first_fetched_at, id", params)
    # Every fetch of each body (0013_revisits); an older archive knew its first and last.
    # Since 0020 a page's visits are rows and the ones its thread's crawls kept.
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master")}
    visits = (thread_visits.VISITS_OF_PAGE if "pages_seen" in names
              else "SELECT fetched_at FROM page_visits WHERE page_id = :id"
              if "page_visits" in names else None)  # fmt: skip
    for page_id, url, status, sha, body, first, last, page_site, story in rows:
        fetched: tuple[str, ...] = (first,) if last == first else (first, last)
        if visits is not None:
            fetched = tuple(v for (v, *_) in conn.execute(
                f"SELECT DISTINCT fetched_at FROM ({visits}) ORDER BY fetched_at",
                {"id": page_id, "site": page_site, "story": story})) or fetched  # fmt: skip
        yield _Page(page_id, url, status, sha, zlib.decompress(body), fetched)


def _content_type(body: bytes) -> str:
    head = body[:64].lstrip()
    if head[:1] in (b"{", b"["):
        return "application/json; charset=utf-8"
    return "text/html; charset=utf-8"


def _http_headers(page: _Page) -> StatusAndHeaders:
    status = page.status or 200
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return StatusAndHeaders(
        f"{status} {phrase}",
        [("Content-Type", _content_type(page.body)), ("Content-Length", str(len(page.body)))],
        protocol="HTTP/1.1",
    )


def _warc_date(iso: str) -> str:
    return iso if iso.endswith("Z") else iso + "Z"


def _write_page(writer: WARCWriter, page: _Page) -> int:
    first, *later = page.fetched
    response = writer.create_warc_record(
        page.url, "response", payload=BytesIO(page.body), http_headers=_http_headers(page),
        warc_headers_dict={"WARC-Date": _warc_date(first), "WARC-Linkthread-Body": "decoded"},
    )  # fmt: skip
    writer.write_record(response)
    writer.write_record(_request(writer, page.url, first, response))
    digest = response.rec_headers.get_header("WARC-Payload-Digest")
    for seen in later:
        revisit = writer.create_revisit_record(
            page.url, digest, page.url, _warc_date(first),
            http_headers=_http_headers(page),
            warc_headers_dict={"WARC-Date": _warc_date(seen)},
        )  # fmt: skip
        writer.write_record(revisit)
    return len(later)


def _request(writer: WARCWriter, url: str, seen: str, response: Any) -> Any:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc)],
                               is_http_request=True)
    return writer.create_warc_record(
        url, "request", payload=BytesIO(b""), http_headers=headers,
        warc_headers_dict={
            "WARC-Date": _warc_date(seen),
            "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
        },
    )  # fmt: skip
