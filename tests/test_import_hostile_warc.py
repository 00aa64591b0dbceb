"""WARC files an import may be given, written here with warcio: gzip per record and
over the whole file, a file cut inside a record, records without HTTP headers,
revisits (of a record in the file and of one that is not), non-200 responses, and
pages of sites linkthread does not know. The pages there are import; a file cut short
says where; a file with no page at all is one line and exit status 1."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests import hnpages
from tests.conftest import rows
from tests.test_import import run_import

HN = "https://news.ycombinator.com"


def _thread(story_id: str, count: int, seed: int) -> tuple[str, bytes]:
    thread = hnpages.random_thread(count, seed=seed, story_id=story_id, max_depth=3)
    [(path, html)] = hnpages.site_pages(thread).items()
    return HN + path, html.encode()


FIRST = _thread("9300", 20, 3)
SECOND = _thread("9400", 10, 4)  # ids from 9401: none shared with FIRST


def _record(writer: WARCWriter, url: str, body: bytes, *, status: str = "200 OK",
            content_type: str = "text/html; charset=utf-8", kind: str = "response",
            http: bool = True, date: str = "2026-01-14T12:00:00Z") -> str:
    headers = (StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
               if http else None)  # fmt: skip
    record = writer.create_warc_record(url, kind, payload=io.BytesIO(body),
                                       http_headers=headers,
                                       warc_headers_dict={"WARC-Date": date})
    writer.write_record(record)
    return record.rec_headers.get_header("WARC-Payload-Digest")


def _write(path: Path, fill, *, per_record_gzip: bool = True) -> Path:  # type: ignore[no-untyped-def]
    with path.open("wb") as fh:
        fill(WARCWriter(fh, gzip=per_record_gzip))
    return path


def _mixed(writer: WARCWriter) -> None:
    _record(writer, *FIRST)
    _record(writer, "https://example.org/elsewhere", b"<html><body>hello</body></html>")
    _record(writer, SECOND[0], b"<html>down</html>", status="503 Service Unavailable")
    _record(writer, SECOND[0], b"Location: elsewhere", status="301 Moved Permanently")
    _record(writer, SECOND[0] + "&x", SECOND[1], kind="resource", http=False)
    _record(writer, HN + "/logo.gif", b"GIF89a", content_type="image/gif")
    _record(writer, *SECOND)


def errors(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def comments_of(db: Path) -> list[tuple]:
    return rows(db, "select story_id, count(*) from comments group by story_id order by 1")


def skipped_of(db: Path) -> dict:
    [(args,)] = rows(db, "select args from crawls")
    [entry] = [f for f in json.loads(args)["files"] if "skipped" in f]
    return entry["skipped"]


def test_gzip_per_record_whole_file_and_plain_read_the_same(tmp_path: Path) -> None:
    per_record = _write(tmp_path / "per-record.warc.gz", _mixed)
    plain = _write(tmp_path / "plain.warc", _mixed, per_record_gzip=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (per_record, plain, whole):
        db = tmp_path / f"{path.name}.db"
        result = run_import(path, "--db", db)
        assert result.exit_code == 0, result.output
        assert comments_of(db) == [("9300", 20), ("9400", 10)]
        # Every other record counted by why it is no page.
        assert skipped_of(db) == {"not-a-page": 1, "other": 1, "status": 2, "unknown": 1}


def test_a_warc_cut_inside_a_record_keeps_the_records_before(tmp_path: Path) -> None:
    for gz in (True, False):
        whole = _write(tmp_path / f"whole{gz}.warc{'.gz' if gz else ''}", _mixed,
                       per_record_gzip=gz)
        data = whole.read_bytes()
        for cut_at in (len(data) - 40, len(data) - 3_000):
            cut = tmp_path / f"cut{gz}{cut_at}.warc{'.gz' if gz else ''}"
            cut.write_bytes(data[:cut_at])
            db = tmp_path / f"{cut.name}.db"
            result = run_import(cut, "--db", db)
            assert result.exit_code == 1
            [line] = errors(result)
            assert line.startswith(f"Error: {cut}: ") and "cut short" in line, line
            assert comments_of(db) == [("9300", 20)]


def test_revisits_of_a_record_in_the_file_and_of_one_that_is_not(tmp_path: Path) -> None:
    def fill(writer: WARCWriter) -> None:
        digest = _record(writer, *FIRST)
        revisit = writer.create_revisit_record(
            FIRST[0], digest, FIRST[0], "2026-01-14T12:00:00Z",
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2026-01-15T12:00:00Z"})
        writer.write_record(revisit)
        orphan = writer.create_revisit_record(
            SECOND[0], "sha1:UNKNOWNDIGEST", SECOND[0], "2026-01-10T12:00:00Z",
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2026-01-15T12:00:00Z"})
        writer.write_record(orphan)

    path = _write(tmp_path / "revisits.warc.gz", fill)
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    assert comments_of(db) == [("9300", 20)]
    # The revisit is the same body seen again a day later: one more observation.
    assert rows(db, "select seen_at from thread_crawls order by seen_at") == [
        ("2026-01-14T12:00:00Z",), ("2026-01-15T12:00:00Z",)]
    assert rows(db, "select fetch_count from pages_seen where url = ?", FIRST[0]) == [(2,)]
    assert skipped_of(db) == {"revisit": 1}


def test_a_warc_with_no_page_linkthread_reads_is_one_line(tmp_path: Path) -> None:
    def others(writer: WARCWriter) -> None:
        _record(writer, "https://example.org/a", b"<html><body>a page</body></html>")
        _record(writer, "https://example.org/b.json", b"{}", content_type="application/json")
        _record(writer, FIRST[0], FIRST[1], status="404 Not Found")
        _record(writer, FIRST[0], FIRST[1], kind="resource", http=False)

    path = _write(tmp_path / "others.warc.gz", others)
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 1
    assert errors(result) == [
        f"Error: {path}: no page of a site linkthread knows in it (1 not a response "
        "(request, metadata, resource records); 1 an error or a redirect (not a 2xx "
        "status); 2 of other sites, or not a page linkthread reads)"]
    assert rows(db, "select count(*) from comments") == [(0,)]


def test_a_file_that_starts_as_a_warc_and_is_not_one(tmp_path: Path) -> None:
    path = tmp_path / "fake.warc"
    path.write_bytes(b"WARC/1.0\r\nthis is no header\r\n\r\n" + bytes(64))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 1
    [line] = errors(result)
    assert line.startswith(f"Error: {path}: ")
    assert "Traceback" not in result.output


def _bare_response(url: str, payload: bytes) -> bytes:
    """A response record whose payload is the page alone, with no HTTP status line and
    headers around it (warcio's writer will not make one: written by hand)."""
    head = ("WARC/1.0\r\nWARC-Type: response\r\n"
            f"WARC-Target-URI: {url}\r\nWARC-Date: 2026-01-14T12:00:00Z\r\n"
            "WARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-123456789abc>\r\n"
            "Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload + b"\r\n\r\n"


def test_a_response_record_without_http_headers_is_skipped_and_counted(
        tmp_path: Path) -> None:
    bare = tmp_path / "bare.warc"
    bare.write_bytes(_bare_response(FIRST[0], FIRST[1]))
    db = tmp_path / "a.db"
    result = run_import(bare, "--db", db)
    assert result.exit_code == 1
    assert errors(result) == [f"Error: {bare}: no page of a site linkthread knows in it (1 a "
                              "response without HTTP headers)"]
    # Beside whole records, in one gzip member each: the whole ones import.
    mixed = _write(tmp_path / "mixed.warc.gz", lambda w: _record(w, *SECOND))
    mixed.write_bytes(gzip.compress(_bare_response(FIRST[0], FIRST[1])) + mixed.read_bytes())
    db = tmp_path / "b.db"
    result = run_import(mixed, "--db", db)
    assert result.exit_code == 0, result.output
    assert comments_of(db) == [("9400", 10)]
    assert skipped_of(db) == {"no-http": 1}
