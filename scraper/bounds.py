"""What a crawl may fetch: only its site's own origin, and no body over a size cap.

A page tells the crawl where to go next ("More" links, redirects), so a hostile or
broken page could point it at ``file:///etc/passwd``, ``file:///dev/zero``, an
``ftp://`` server or another host, and what came back would be merged into the thread.
The rule is one: a request goes out only when its scheme, host and port are those of
the spider's ``base_url``. ``OriginMiddleware`` checks every request as it enters the
downloader, and redirects re-enter there as new requests, so it covers them too; the
spider asks :func:`offsite_reason` before it even yields a continuation link.

No discussion page is tens of megabytes, so bodies are capped (``LINKTHREAD_MAX_BODY``,
64 MiB by default): Scrapy's download handler enforces the cap on the bytes received
(a too-large Content-Length, or a stream that grows past it) and HttpCompressionMiddleware
on the decompressed body (a gzip bomb). They say so only as a cancelled download or a
generic IgnoreRequest; ``BodyCapMiddleware`` turns both into :class:`BodyTooLarge`, whose
message says what was refused and which setting to change. Neither is retried, and
neither reaches a callback, so nothing of a refused body is stored.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Headers, Response

from scraper.middlewares import setting_or_env
from scraper.origins import offsite_reason as offsite_reason
from scraper.origins import origin as origin
from scraper.settings import DEFAULT_MAX_BODY

_REDIRECTS = (301, 302, 303, 307, 308)


class Refused(IgnoreRequest):
    """A request the crawl will not make, or a body it will not keep; the message is
    meant for the user, as it stands."""


class OffsiteRefused(Refused):
    """A request outside the site's own scheme, host and port."""


class BodyTooLarge(Refused):
    """A body over LINKTHREAD_MAX_BODY, as sent or once decompressed."""


def max_body(crawler: Crawler) -> int:
    """The body cap in bytes: LINKTHREAD_MAX_BODY, as a setting or environment variable."""
    try:
        cap = int(setting_or_env(crawler, "LINKTHREAD_MAX_BODY", DEFAULT_MAX_BODY))
    except ValueError as e:
        raise ValueError("LINKTHREAD_MAX_BODY must be a number of bytes, "
                         f"e.g. {DEFAULT_MAX_BODY} for 64 MiB") from e
    if cap <= 0:
        raise ValueError("LINKTHREAD_MAX_BODY must be a number of bytes above 0")
    return cap


def size_text(size: int) -> str:
    mib = 1024 * 1024
    return f"{size // mib} MiB" if size % mib == 0 else f"{size} bytes"


def over_cap(url: str, cap: int, how: str) -> BodyTooLarge:
    return BodyTooLarge(f"refused {url}: the body is over {size_text(cap)}{how} "
                        "(LINKTHREAD_MAX_BODY)")


class OriginMiddleware:
    """Refuses every request off the spider's base URL; first of the downloader
    middlewares, so not even robots.txt is asked of another host."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OriginMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        redirected = request.meta.get("redirect_urls")
        self.check(request.url, redirected[-1] if redirected else None)

    def process_response(self, request: Request, response: Response) -> Response:
        # A redirect RedirectMiddleware did not follow (to file:, ftp:, ...) would
        # otherwise reach the spider as a bare "HTTP 302".
        location = response.headers.get(b"Location")
        if response.status in _REDIRECTS and location:
            target = urljoin(request.url, location.decode("latin-1").strip())
            self.check(target, request.url)
        return response

    def check(self, url: str, redirected_from: str | None) -> None:
        base_url: str | None = getattr(self.crawler.spider, "base_url", None)
        if base_url is None:  # a spider that names no site has no origin to keep to
            return
        reason = offsite_reason(url, base_url, getattr(self.crawler.spider, "api_url", None))
        if reason is None:
            return
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("linkthread/offsite_refused")
        if redirected_from is not None:
            reason += f"; redirected there from {redirected_from}"
        raise OffsiteRefused(reason)


class BodyCapMiddleware:
    """Scrapy's HttpCompressionMiddleware, registered in its place and wrapped, plus the
    LINKTHREAD_MAX_BODY cap given to every request and refusals named for what they are."""

    def __init__(self, crawler: Crawler) -> None:
        self.cap = max_body(crawler)
        self.decompression: HttpCompressionMiddleware | None = None
        if crawler.settings.getbool("COMPRESSION_ENABLED"):
            self.decompression = HttpCompressionMiddleware(crawler=crawler)
        # What the download handler saw of each request's body, to tell a download it
        # cancelled for size from one cancelled for another reason (a shutdown).
        self._announced: weakref.WeakKeyDictionary[Request, int] = weakref.WeakKeyDictionary()
        self._received: weakref.WeakKeyDictionary[Request, int] = weakref.WeakKeyDictionary()
        crawler.signals.connect(self._headers, signal=signals.headers_received)
        crawler.signals.connect(self._bytes, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodyCapMiddleware:
        return cls(crawler)

    def _headers(self, headers: Headers, request: Request, **_: Any) -> None:
        with contextlib.suppress(ValueError):  # no length, or one that is no number
            self._announced[request] = int(headers.get(b"Content-Length") or 0)

    def _bytes(self, data: bytes, request: Request, **_: Any) -> None:
        self._received[request] = self._received.get(request, 0) + len(data)

    def process_request(self, request: Request) -> None:
        # Per request, so the download handler and the decompression keep the same cap,
        # whatever DOWNLOAD_MAXSIZE says.
        request.meta.setdefault("download_maxsize", self.cap)
        request.meta.setdefault("download_warnsize", self.cap // 2)
        if self.decompression is not None:
            self.decompression.process_request(request)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if self.decompression is None:
            return response
        try:
            return self.decompression.process_response(request, response)
        except IgnoreRequest as e:
            # The only IgnoreRequest it raises: the body outgrew the cap while it was
            # being decompressed.
            raise over_cap(request.url, request.meta["download_maxsize"],
                           " once decompressed") from e

    def process_exception(self, request: Request, exception: BaseException) -> None:
        cap = request.meta.get("download_maxsize", self.cap)
        seen = max(self._announced.get(request, 0), self._received.get(request, 0))
        if isinstance(exception, DownloadCancelledError) and seen > cap:
            raise over_cap(request.url, cap, "") from exception
