"""One GET at a time over a socket of the standard library's, kept alive per origin.

The crawls of :mod:`scraper.direct` send one request at a time (the spider's
CONCURRENT_REQUESTS_PER_DOMAIN = 1), so an asynchronous client buys them nothing, and
importing one (aiohttp, with its TLS and parsers) was a quarter of a small crawl's
process CPU. A request runs in the crawl's own (main) thread; :meth:`Http.abort`,
called by the stop's signal handler between two bytecodes of that thread, shuts the
socket under the request in flight, whose read then fails at once. It takes no lock
for that reason: a handler that waited for a lock its own thread holds would never
return.

The exchange is HTTP/1.1 written here, not http.client's: its answer's headers go
through the email package's parser (a Message, each ``get`` a walk of every header,
several an answer), which was a third of an unchanged Reddit re-crawl's CPU per
answer. What is read: the status line (interim 1xx answers skipped), the headers
(http.client's limits: 65,536 bytes a line, 100 headers), the body by
``Transfer-Encoding: chunked``, ``Content-Length`` or the connection's close; the
connection is kept unless the answer says it closes (HTTP/1.0 without keep-alive, a
``Connection: close``, a body delimited by the close).

Redirects are followed as Scrapy's RedirectMiddleware follows them (up to 20), within
the first URL's scheme, host and port only (as the spider's offsite check); gzip
bodies are decoded; a body is capped (decoded size) at ``max_body``; one cut short of
its length fails, as Scrapy fails it on data loss.
"""

from __future__ import annotations

import contextlib
import re
import socket
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import SplitResult, urljoin, urlsplit

from scraper.origins import offsite_reason

if TYPE_CHECKING:
    import ssl

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 20  # Scrapy's REDIRECT_MAX_TIMES
MAX_LINE = 65536  # http.client's: a status or header line longer than this is refused
MAX_HEADERS = 100  # http.client's
NO_BODY = (204, 304)
# What may not be in a request line's target or a header's value (http.client refuses
# the same): a line break would let a value (a token the endpoint gave) add headers.
BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")
BAD_VALUE = re.compile(r"[\x00\r\n]")
HEX = re.compile(r"[0-9A-Fa-f]+")


class Headers(dict[str, str]):
    """An answer's headers by lower-cased name, the first of a repeated one (as
    ``email.message.Message.get`` gives it): read several times an answer, where each
    ``Message.get`` walks every header."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        for name, value in pairs:
            self.setdefault(name.lower(), value)

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


class HttpFailed(Exception):
    """No answer: a connection that failed, a timeout, a body over the cap."""


class BadAnswer(Exception):
    """An answer that is not HTTP/1.x as written (a status line, a header, a chunk)."""


class IncompleteRead(BadAnswer):
    """The connection closed before the body's length came."""


class Closed(ConnectionResetError):
    """The connection closed before a status line: a kept-alive one the server had
    closed meanwhile, or a server that answered nothing."""


@dataclass(frozen=True, slots=True)
class Answer:
    url: str  # the last one asked, after redirects
    status: int
    headers: Headers
    body: bytes


class Connection:
    """One origin's socket, and the buffered reader of its answers."""

    __slots__ = ("fp", "sock")

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.fp: BinaryIO | None = None

    def close(self) -> None:
        for part in (self.fp, self.sock):
            if part is not None:
                with contextlib.suppress(OSError):
                    part.close()


class Http:
    """Blocking GETs, one at a time, each origin's connection kept between them."""

    def __init__(self, *, user_agent: str, timeout: float, max_body: int) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_body = max_body
        self._conns: dict[str, Connection] = {}
        self._current: Connection | None = None
        self._aborted = False
        self._tls: ssl.SSLContext | None = None

    def get(self, url: str, headers: dict[str, str] | None = None) -> Answer:
        """``headers``: sent besides the user agent's (a bearer token), on every hop."""
        first = url
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._once(url, headers)
            location = answer.headers.get("Location")
            if answer.status not in REDIRECTS or not location:
                return answer
            url = urljoin(url, location)
            # As the spider's offsite check: a site's answer cannot send the crawl to
            # another host (a local service, a tracker), only within its own origin.
            refused = offsite_reason(url, first)
            if refused is not None:
                raise HttpFailed(refused)
        raise HttpFailed(f"more than {MAX_REDIRECTS} redirects")

    def _once(self, url: str, extra: dict[str, str] | None = None) -> Answer:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        request = self._request(parts, extra)
        for attempt in (1, 2):
            try:
                conn = self._connection(origin, parts, fresh=attempt == 2)
                assert conn.sock is not None and conn.fp is not None
                conn.sock.sendall(request)
                status, headers, body, closes = self._answer(conn.fp)
            except (BrokenPipeError, ConnectionResetError):  # Closed among them
                self._drop(origin)
                if attempt == 1 and not self._aborted:
                    continue  # a kept-alive connection the server had closed meanwhile
                raise HttpFailed("the connection was closed before an answer") from None
            except (OSError, BadAnswer) as e:
                self._drop(origin)
                raise HttpFailed(f"{type(e).__name__}: {e}") from None
            except HttpFailed:
                self._drop(origin)  # what is left of the answer is not read
                raise
            finally:
                self._current = None
            if closes:
                self._drop(origin)
            return Answer(url=url, status=status, headers=headers,
                          body=self._decoded(body, headers))
        raise AssertionError("unreachable")

    def _request(self, parts: SplitResult, extra: dict[str, str] | None) -> bytes:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rpartition("@")[2]
        default = ":443" if parts.scheme == "https" else ":80"
        lines = [f"GET {target} HTTP/1.1", f"Host: {host.removesuffix(default)}",
                 f"User-Agent: {self.user_agent}", "Accept-Encoding: gzip"]  # fmt: skip
        lines.extend(f"{name}: {value}" for name, value in (extra or {}).items())
        if BAD_TARGET.search(target) or any(BAD_VALUE.search(v) for v in lines[1:]):
            raise HttpFailed(f"a request that cannot be sent as asked: {target[:200]!r}")
        try:
            return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError:
            raise HttpFailed("a header that is not latin-1 (the user agent's name?)") from None

    def _connection(self, origin: str, parts: SplitResult, fresh: bool) -> Connection:
        conn = None if fresh else self._conns.get(origin)
        if conn is None:
            conn = self._conns[origin] = Connection()
        # In this order, so that a stop at any point between two bytecodes ends the
        # request: one before ``_current`` is set is seen by the last check, one after
        # it finds the connected socket to shut (a connect under way is seen by the
        # check after it).
        self._current = conn
        if conn.sock is None and not self._aborted:
            self._connect(conn, parts)
        if self._aborted:
            # A stop that came between two requests, or ended one that would be retried.
            raise HttpFailed("the crawl was stopped")
        return conn

    def _connect(self, conn: Connection, parts: SplitResult) -> None:
        https = parts.scheme == "https"
        try:
            host, port = parts.hostname or "", parts.port or (443 if https else 80)
        except ValueError as e:  # a port that is no number
            raise HttpFailed(str(e)) from None
        conn.sock = socket.create_connection((host, port), timeout=self.timeout)
        if https:
            if self._tls is None:
                import ssl  # for an https:// site alone

                self._tls = ssl.create_default_context()
                self._tls.set_alpn_protocols(["http/1.1"])
            conn.sock = self._tls.wrap_socket(conn.sock, server_hostname=host)
        conn.fp = conn.sock.makefile("rb")

    def _answer(self, fp: BinaryIO) -> tuple[int, Headers, bytes, bool]:
        """The status, headers and raw body of the next answer, and whether the
        connection closes after it."""
        while True:
            line = fp.readline(MAX_LINE + 1)
            if not line:
                raise Closed("no status line")
            if len(line) > MAX_LINE:
                raise BadAnswer("a status line over 65,536 bytes")
            version, _, rest = line.decode("latin-1").strip().partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit() \
                    or rest[3:4] not in ("", " "):
                raise BadAnswer(f"not an HTTP/1.x status line: {line[:80]!r}")
            pairs = self._headers(fp)
            status = int(code)
            if not 100 <= status < 200:
                break  # an interim answer (100 Continue) is followed by the answer
        headers = Headers(pairs)
        tokens = (headers.get("Connection") or "").lower()
        closes = "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens)
        cap = self.max_body
        coding = (headers.get("Transfer-Encoding") or "").lower()
        length = headers.get("Content-Length")
        if status in NO_BODY:
            body = b""
        elif coding.rpartition(",")[2].strip() == "chunked":
            body = self._chunked(fp)
        elif length is not None:
            if not length.strip().isdigit():
                raise BadAnswer(f"a Content-Length that is no length: {length[:40]!r}")
            size = int(length)
            if size > cap:
                raise HttpFailed(f"over {cap} bytes (LINKTHREAD_MAX_BODY)")
            body = fp.read(size)
            if len(body) < size:
                raise IncompleteRead(f"{len(body)} of {size} bytes came before the "
                                     "connection closed")  # fmt: skip
        else:
            body, closes = fp.read(cap + 1), True  # the close ends it
        if len(body) > cap:
            raise HttpFailed(f"over {cap} bytes (LINKTHREAD_MAX_BODY)")
        return status, headers, body, closes

    @staticmethod
    def _headers(fp: BinaryIO) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        while True:
            line = fp.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE:
                raise BadAnswer("a header line over 65,536 bytes")
            if line in (b"\r\n", b"\n", b""):
                return pairs
            if len(pairs) >= MAX_HEADERS:
                raise BadAnswer(f"more than {MAX_HEADERS} headers")
            text = line.decode("latin-1")
            if text[0] in " \t" and pairs:  # a folded line continues the header before
                name, value = pairs[-1]
                pairs[-1] = (name, f"{value} {text.strip()}")
                continue
            name, colon, value = text.partition(":")
            if colon:  # a line without one is no header (the email parser skips it too)
                pairs.append((name.strip(), value.strip()))

    def _chunked(self, fp: BinaryIO) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = fp.readline(MAX_LINE + 1)
            if not line:
                raise IncompleteRead(f"the connection closed after {total} bytes of chunks")
            size_text = line.split(b";", 1)[0].strip()
            if not HEX.fullmatch(size_text.decode("latin-1")):
                raise BadAnswer(f"a chunk size that is no number: {line[:40]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > self.max_body:
                raise HttpFailed(f"over {self.max_body} bytes (LINKTHREAD_MAX_BODY)")
            chunk = fp.read(size)
            if len(chunk) < size or fp.readline(MAX_LINE + 1) not in (b"\r\n", b"\n"):
                raise IncompleteRead(f"a chunk cut short after {total} bytes")
            chunks.append(chunk)
        while fp.readline(MAX_LINE + 1) not in (b"\r\n", b"\n", b""):
            pass  # trailers: none is read
        return b"".join(chunks)

    def _decoded(self, raw: bytes, headers: Headers) -> bytes:
        if (headers.get("Content-Encoding") or "").strip().lower() != "gzip":
            return raw
        try:
            body = zlib.decompressobj(wbits=31).decompress(raw, self.max_body + 1)
        except zlib.error as e:
            raise HttpFailed(f"a gzip body that does not decode: {e}") from None
        if len(body) > self.max_body:
            raise HttpFailed(f"over {self.max_body} bytes (LINKTHREAD_MAX_BODY)")
        return body

    def _drop(self, origin: str) -> None:
        conn = self._conns.pop(origin, None)
        if conn is not None:
            conn.close()

    def abort(self) -> None:
        """End the request in flight (from a signal handler): its read fails at once,
        and no request is sent after it."""
        self._aborted = True
        conn = self._current
        sock = conn.sock if conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing in flight
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        for origin in list(self._conns):
            self._drop(origin)
