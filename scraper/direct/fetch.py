"""One GET at a time over the standard library's http.client, kept alive per origin.

The crawls of :mod:`scraper.direct` send one request at a time (the spider's
CONCURRENT_REQUESTS_PER_DOMAIN = 1), so an asynchronous client buys them nothing, and
importing one (aiohttp, with its TLS and parsers) was a quarter of a small crawl's
process CPU. A request runs in the crawl's own (main) thread; :meth:`Http.abort`,
called by the stop's signal handler between two bytecodes of that thread, shuts the
socket under the request in flight, whose read then fails at once. It takes no lock
for that reason: a handler that waited for a lock its own thread holds would never
return.

Redirects are followed as Scrapy's RedirectMiddleware follows them (up to 20), within
the first URL's scheme, host and port only (as the spider's offsite check); gzip
bodies are decoded; a body is capped (decoded size) at ``max_body``; one cut short of
its Content-Length fails, as Scrapy fails it on data loss.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from scraper.origins import offsite_reason

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 20  # Scrapy's REDIRECT_MAX_TIMES


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


@dataclass(frozen=True, slots=True)
class Answer:
    url: str  # the last one asked, after redirects
    status: int
    headers: Headers
    body: bytes


class Http:
    """Blocking GETs, one at a time, each origin's connection kept between them."""

    def __init__(self, *, user_agent: str, timeout: float, max_body: int) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_body = max_body
        self._conns: dict[str, http.client.HTTPConnection] = {}
        self._current: http.client.HTTPConnection | None = None
        self._aborted = False

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
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip", **(extra or {})}
        for attempt in (1, 2):
            try:
                conn = self._connection(origin, parts.scheme, parts.netloc, fresh=attempt == 2)
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = self._read(resp)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop(origin)
                if attempt == 1 and not self._aborted:
                    continue  # a kept-alive connection the server had closed meanwhile
                raise HttpFailed("the connection was closed before an answer") from None
            except (OSError, http.client.HTTPException) as e:
                self._drop(origin)
                raise HttpFailed(f"{type(e).__name__}: {e}") from None
            finally:
                self._current = None
            if resp.will_close:
                self._drop(origin)
            return Answer(url=url, status=resp.status, headers=Headers(resp.getheaders()),
                          body=body)
        raise AssertionError("unreachable")

    def _connection(self, origin: str, scheme: str, netloc: str,
                    fresh: bool) -> http.client.HTTPConnection:  # fmt: skip
        conn = None if fresh else self._conns.get(origin)
        if conn is None:
            if scheme == "https":
                conn = http.client.HTTPSConnection(netloc, timeout=self.timeout)
            else:
                conn = http.client.HTTPConnection(netloc, timeout=self.timeout)
            self._conns[origin] = conn
        # In this order, so that a stop at any point between two bytecodes ends the
        # request: one before ``_current`` is set is seen by the last check, one after
        # it finds the connected socket to shut (a connect under way is seen by the
        # check after it).
        self._current = conn
        if conn.sock is None and not self._aborted:
            conn.connect()
        if self._aborted:
            # A stop that came between two requests, or ended one that would be retried.
            raise HttpFailed("the crawl was stopped")
        return conn

    def _read(self, resp: http.client.HTTPResponse) -> bytes:
        raw = resp.read(self.max_body + 1)
        if len(raw) <= self.max_body and resp.length:
            # A read of so many bytes returns what came before the connection closed:
            # a body cut short of its Content-Length is no answer (Scrapy's data loss).
            raise http.client.IncompleteRead(raw, resp.length)
        if resp.getheader("Content-Encoding", "").strip().lower() == "gzip":
            inflate = zlib.decompressobj(wbits=31)
            body = inflate.decompress(raw, self.max_body + 1)
        else:
            body = raw
        if len(body) > self.max_body or len(raw) > self.max_body:
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
