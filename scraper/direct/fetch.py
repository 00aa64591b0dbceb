"""One GET at a time over a socket of the standard library's, kept alive per origin
(and a POST: Reddit's token, which urllib's import made a tenth of a re-crawl's CPU).

The crawls of :mod:`scraper.direct` send one request at a time (the spider's
CONCURRENT_REQUESTS_PER_DOMAIN = 1), so an asynchronous client buys them nothing, and
importing one (aiohttp, with its TLS and parsers) was a quarter of a small crawl's
process CPU. A request runs in the crawl's own (main) thread; :meth:`Http.abort`,
called by the stop's signal handler between two bytecodes of that thread, shuts the
socket under the request in flight, whose read then fails at once. It takes no lock
for that reason: a handler that waited for a lock its own thread holds would never
return.

The answer is parsed by httptools (llhttp, node's parser), not http.client: its
headers go through the email package's parser (a Message, each ``get`` a walk of every
header, several an answer), which was a third of an unchanged Reddit re-crawl's CPU per
answer. The bytes read from the socket are fed to the parser and its callbacks kept
(:class:`Reader`); what is left here is the connection's handling: interim 1xx answers
skipped, http.client's limits (65,536 bytes a header, 100 headers), a body that the
close ends, the connection kept unless the answer says it closes.

Redirects are followed as Scrapy's RedirectMiddleware follows them (up to 20), within
the first URL's scheme, host and port only (as the spider's offsite check); gzip
bodies are decoded; a body is capped (decoded size) at ``max_body``; one cut short of
its length fails, as Scrapy fails it on data loss. A POST's answer is returned as it is,
a redirect too: a form is not sent on to where an answer points.
"""

from __future__ import annotations

import contextlib
import re
import socket
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urljoin, urlsplit

import httptools

if TYPE_CHECKING:
    import ssl

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 20  # Scrapy's REDIRECT_MAX_TIMES
MAX_LINE = 65536  # http.client's: a header line longer than this is refused
MAX_HEADERS = 100  # http.client's
# What may come before an answer's body, interim answers included: the most http.client
# lets by, so that a head that never ends (a header without its line end) is bounded.
MAX_HEAD = MAX_LINE * (MAX_HEADERS + 1)
NO_BODY = (204, 304)
READ = 1 << 16
# What may not be in a request line's target or a header's value (http.client refuses
# the same): a line break would let a value (a token the endpoint gave) add headers.
BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")
BAD_VALUE = re.compile(r"[\x00\r\n]")


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
    """An answer that is not HTTP/1.x as written (a status line, a header, a chunk), or
    over http.client's limits."""


class IncompleteRead(BadAnswer):
    """The connection closed inside an answer: its head, or a body short of its length
    or of its last chunk."""


class Closed(ConnectionResetError):
    """The connection closed before a status line: a kept-alive one the server had
    closed meanwhile, or a server that answered nothing."""


@dataclass(frozen=True, slots=True)
class Answer:
    url: str  # the last one asked, after redirects
    status: int
    headers: Headers
    body: bytes


class Reader:
    """The callbacks of httptools' parse of one answer: its status, headers and body, and
    whether the connection is kept after it. A callback's exception ends the parse; the
    parser gives it back as the ``__context__`` of its own."""

    __slots__ = ("after", "body", "chunked", "done", "fed", "head", "headers", "keep",
                 "length", "max_body", "parser", "raw", "size", "status")  # fmt: skip

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body
        self.parser = httptools.HttpResponseParser(self)
        self.fed = 0  # bytes read before the head ended (whole reads: a little after too)
        self.raw: list[tuple[bytes, bytes]] = []  # the headers as they come
        self.headers = Headers([])
        self.head = False  # the final answer's headers are all read
        self.status = 0
        self.length: int | None = None  # its Content-Length
        self.chunked = False
        self.body: list[bytes] = []
        self.size = 0
        self.done = False
        self.keep = False
        self.after = False  # bytes came after the answer: the connection is not reused

    def on_message_begin(self) -> None:
        if self.done:
            self.after = True

    def on_header(self, name: bytes, value: bytes) -> None:
        # Only kept here, and read together once the head ends: a check and two decodes
        # a call, a dozen calls an answer, were most of what reading one cost.
        if not self.head:  # after it, a chunked body's trailer: none is read
            self.raw.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        version = parser.get_http_version()
        if version not in ("1.0", "1.1"):  # llhttp reads 0.9 and 2.0 as well
            raise BadAnswer(f"not an HTTP/1.x answer: HTTP/{version}")
        status = parser.get_status_code()
        if status == 101:
            raise BadAnswer("a switch of protocols that was not asked for")
        raw, self.raw = self.raw, []
        if 100 <= status < 200:
            return  # an interim answer (100 Continue) is followed by the answer
        if len(raw) > MAX_HEADERS:
            raise BadAnswer(f"more than {MAX_HEADERS} headers")
        if self.fed > MAX_LINE and any(len(n) + len(v) > MAX_LINE for n, v in raw):
            raise BadAnswer("a header line over 65,536 bytes")
        # Reversed, so that the first of a repeated one is the one kept.
        self.headers.update({name.lower().decode("latin-1"): value.strip().decode("latin-1")
                             for name, value in reversed(raw)})  # fmt: skip
        self.head, self.status = True, status
        if status in NO_BODY:
            return
        length = self.headers.get("content-length")
        if length is not None:
            self.length = int(length)  # llhttp has checked it is one number
            if self.length > self.max_body:
                raise HttpFailed(f"over {self.max_body} bytes (LINKTHREAD_MAX_BODY)")
        coding = self.headers.get("transfer-encoding", "")
        self.chunked = coding.lower().rpartition(",")[2].strip() == "chunked"

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_body:
            raise HttpFailed(f"over {self.max_body} bytes (LINKTHREAD_MAX_BODY)")
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        if self.head and not self.done:
            self.done = True
            # Asked now: once the parser is past this answer, it tells of the next one.
            self.keep = self.parser.should_keep_alive()

    def feed(self, data: bytes) -> None:
        if not self.head:
            self.fed += len(data)
            if self.fed > MAX_HEAD:
                raise BadAnswer(f"an answer's head over {MAX_HEAD:,} bytes")
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as e:
            if isinstance(e.__context__, (BadAnswer, HttpFailed)):
                raise e.__context__ from None
            raise
        except httptools.HttpParserUpgrade:
            raise BadAnswer("a switch of protocols that was not asked for") from None
        except httptools.HttpParserError as e:
            if not self.done:
                raise BadAnswer(f"an answer that is not HTTP/1.x as written: {e} (llhttp)") \
                    from None
            self.after = True  # what came after a whole answer was not one

    def closed(self) -> None:
        """The connection closed before the parser saw the answer's end: the end of a
        body that has neither a length nor chunks, or an answer cut short."""
        if not self.head:
            raise IncompleteRead("the connection closed before the answer's headers ended")
        if self.chunked:
            raise IncompleteRead(f"the connection closed after {self.size} bytes of chunks")
        if self.length is not None:
            raise IncompleteRead(f"{self.size} of {self.length} bytes came before the "
                                 "connection closed")  # fmt: skip
        self.done, self.keep = True, False


class Connection:
    """One origin's socket."""

    __slots__ = ("sock",)

    def __init__(self) -> None:
        self.sock: socket.socket | None = None

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()


class Http:
    """Blocking GETs (and POSTs), one at a time, each origin's connection kept between
    them."""

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
            from scraper.origins import offsite_reason  # a redirect's alone

            # As the spider's offsite check: a site's answer cannot send the crawl to
            # another host (a local service, a tracker), only within its own origin.
            refused = offsite_reason(url, first)
            if refused is not None:
                raise HttpFailed(refused)
        raise HttpFailed(f"more than {MAX_REDIRECTS} redirects")

    def post(self, url: str, body: bytes, headers: dict[str, str] | None = None) -> Answer:
        """``body`` sent as it is (``headers`` say its type), the answer not followed."""
        return self._once(url, headers, body=body)

    def _once(self, url: str, extra: dict[str, str] | None = None, *,
              body: bytes | None = None) -> Answer:  # fmt: skip
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        request = self._request(parts, extra, body)
        for attempt in (1, 2):
            try:
                conn = self._connection(origin, parts, fresh=attempt == 2)
                assert conn.sock is not None
                conn.sock.sendall(request)
                status, headers, raw, closes = self._answer(conn.sock)
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
                          body=self._decoded(raw, headers))
        raise AssertionError("unreachable")

    def _request(self, parts: SplitResult, extra: dict[str, str] | None,
                 body: bytes | None = None) -> bytes:  # fmt: skip
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rpartition("@")[2]
        default = ":443" if parts.scheme == "https" else ":80"
        lines = [f"{'GET' if body is None else 'POST'} {target} HTTP/1.1",
                 f"Host: {host.removesuffix(default)}",
                 f"User-Agent: {self.user_agent}", "Accept-Encoding: gzip"]  # fmt: skip
        lines.extend(f"{name}: {value}" for name, value in (extra or {}).items())
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        if BAD_TARGET.search(target) or any(BAD_VALUE.search(v) for v in lines[1:]):
            raise HttpFailed(f"a request that cannot be sent as asked: {target[:200]!r}")
        try:
            return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
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
        # An ASCII name as bytes: a str is encoded by the idna codec, whose import (with
        # stringprep and unicodedata) was ~3 ms of a crawl's start-up over http:// (TLS
        # encodes the server's name with it anyway).
        name: Any = host.encode("ascii") if host.isascii() else host
        conn.sock = socket.create_connection((name, port), timeout=self.timeout)
        if https:
            if self._tls is None:
                import ssl  # for an https:// site alone

                self._tls = ssl.create_default_context()
                self._tls.set_alpn_protocols(["http/1.1"])
            conn.sock = self._tls.wrap_socket(conn.sock, server_hostname=host)

    def _answer(self, sock: socket.socket) -> tuple[int, Headers, bytes, bool]:
        """The status, headers and raw body of the next answer, and whether the
        connection closes after it."""
        reader = Reader(self.max_body)
        while not reader.done:
            data = sock.recv(READ)
            if not data:
                if self._aborted:  # the stop's shutdown, not the server's close
                    raise HttpFailed("the crawl was stopped")
                if reader.fed == 0:
                    raise Closed("no status line")
                reader.closed()
                break
            reader.feed(data)
        return (reader.status, reader.headers, b"".join(reader.body),
                not reader.keep or reader.after)

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

    @property
    def aborted(self) -> bool:
        """A stop has ended this client's requests (:meth:`abort`)."""
        return self._aborted

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
