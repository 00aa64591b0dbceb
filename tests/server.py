"""A real HTTP server on 127.0.0.1 (port 0) that serves pages at a site's own paths.

Routes map "path?query" to a body, or to a list of responses served one per request
(the last one repeats), so a test can script "throttle page first, real page second".
A ``fault`` callable may replace any reply, robots.txt included, to make a bad site.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    body: str | bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds to wait before answering: a slow site
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After
    drop: bool = False  # close the connection without answering
    truncate: bool = False  # promise the whole body, send half of it, close the connection
    length: bool = True  # False: no Content-Length, the body ends when the connection closes
    hold: threading.Event | None = None  # answer only once this is set: a transfer in progress


Route = str | Reply | list[Reply]
# (request target, how many times it was asked for before, the reply due) -> the reply sent
Fault = Callable[[str, int, Reply], Reply]


@dataclass
class SiteServer:
    routes: dict[str, Route] = field(default_factory=dict)
    robots: str = "User-agent: *\nDisallow:\n"
    log: list[tuple[float, str]] = field(default_factory=list)
    base_url: str = ""
    fault: Fault | None = None
    _asked: dict[str, int] = field(default_factory=dict)
    _served: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _events: dict[tuple[str, str], threading.Event] = field(default_factory=dict)

    def asked(self, target: str) -> threading.Event:
        """An event set when ``target`` is first asked for (already set if it was)."""
        return self._event("asked", target)

    def served(self, target: str) -> threading.Event:
        """An event set when a reply to ``target`` was first sent in full."""
        return self._event("served", target)

    def _event(self, kind: str, target: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault((kind, target), threading.Event())

    def notify(self, kind: str, target: str) -> None:
        self._event(kind, target).set()

    def reply_for(self, target: str) -> Reply:
        with self._lock:
            self.log.append((time.monotonic(), target))
            asked = self._asked.get(target, 0)
            self._asked[target] = asked + 1
            reply = self._route(target)
        self.notify("asked", target)
        return reply if self.fault is None else self.fault(target, asked, reply)

    def _route(self, target: str) -> Reply:
        if target == "/robots.txt":
            return Reply(self.robots, content_type="text/plain")
        route = self.routes.get(target)
        if route is None:
            return Reply("Not found", status=404, content_type="text/plain")
        if isinstance(route, list):
            n = self._served.get(target, 0)
            self._served[target] = n + 1
            return route[min(n, len(route) - 1)]
        return route if isinstance(route, Reply) else Reply(route)

    def hits(self, target: str) -> int:
        return sum(1 for _, t in self.log if t == target)


def _handler(site: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = site.reply_for(self.path)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.hold is not None:
                reply.hold.wait()
            if reply.drop or reply.truncate or not reply.length:
                self.close_connection = True
            if reply.drop:
                return
            body = reply.body.encode() if isinstance(reply.body, str) else reply.body
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if reply.length:
                self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if reply.truncate else body)
            if not reply.truncate:
                self.wfile.flush()
                site.notify("served", self.path)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test reads site.log instead of stderr noise

    return Handler


@contextmanager
def serve(site: SiteServer) -> Iterator[SiteServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    httpd.daemon_threads = True
    site.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        httpd.shutdown()
        httpd.server_close()
