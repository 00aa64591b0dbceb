"""A real HTTP server on 127.0.0.1 (port 0) that serves pages at a site's own paths.

Routes map "path?query" to a body, or to a list of responses served one per request
(the last one repeats), so a test can script "throttle page first, real page second".
A ``fault`` callable may replace any reply, robots.txt included, to make a bad site.

Tests synchronise with the crawler through the server, never through sleeps: they wait
until a path has been asked for or answered (``wait_asked``, ``wait_served``), and they
``hold`` a path so that its requests are answered only once the test ``release``s them,
which pins a crawl at a known point for as long as the test needs.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
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


Route = str | Reply | list[Reply]
# (request target, how many times it was asked for before, the reply due) -> the reply sent
Fault = Callable[[str, int, Reply], Reply]


@dataclass(frozen=True)
class Asked:
    """One request as it arrived, for a ``respond`` callable that answers by more than
    the path (an API stand-in reading headers or a POSTed form)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


# An answer computed from the request, or None to fall back on the routes.
Respond = Callable[[Asked], Reply | None]


@dataclass
class SiteServer:
    routes: dict[str, Route] = field(default_factory=dict)
    robots: str = "User-agent: *\nDisallow:\n"
    log: list[tuple[float, str]] = field(default_factory=list)
    base_url: str = ""
    fault: Fault | None = None
    respond: Respond | None = None
    _asked: dict[str, int] = field(default_factory=dict)
    _served: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Notified whenever a request arrives or an answer has gone out (shares _lock).
    _changed: threading.Condition = field(init=False)
    _answered: Counter[str] = field(default_factory=Counter)
    _holds: dict[str, threading.Event] = field(default_factory=dict)
    _held: queue.Queue[str] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)
    def reply_for(self, target: str, request: Asked | None = None) -> Reply:
        with self._lock:
            self.log.append((time.monotonic(), target))
            asked = self._asked.get(target, 0)
            self._asked[target] = asked + 1
            self._changed.notify_all()
        # Outside the lock: a stand-in's answer may wait on other requests (a check for
        # concurrent calls), which must still get in meanwhile.
        reply = self.respond(request) if self.respond is not None and request else None
        if reply is None:
            with self._lock:
                reply = self._route(target)
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

    def hold(self, *targets: str) -> None:
        """Requests for these targets wait, unanswered, until :meth:`release`; each one
        that arrives is reported by :meth:`next_held`."""
        with self._lock:
            for target in targets:
                self._holds.setdefault(target, threading.Event())

    def release(self, *targets: str) -> None:
        """Answer the held requests of these targets (all held ones when none are named),
        and every later one: a hold is not renewed."""
        with self._lock:
            events = [self._holds.pop(t) for t in targets or list(self._holds)
                      if t in self._holds]
        for event in events:
            event.set()

    def next_held(self, timeout: float = 60.0) -> str:
        """The target of the next request that arrived at a hold, in order of arrival."""
        try:
            return self._held.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no request came to a held path within {timeout} s; "
                                 f"the server was asked for {self._recent()}") from None

    def wait_asked(self, target: str, times: int = 1, timeout: float = 60.0) -> None:
        """Return once ``target`` has been asked for ``times`` times, counting from the
        server's start; fail the test, naming what was asked instead, after ``timeout``."""
        self._wait(lambda: self._asked.get(target, 0) >= times,
                   f"{target} asked for {times} time(s)", timeout)

    def wait_served(self, target: str, times: int = 1, timeout: float = 60.0) -> None:
        """Like :meth:`wait_asked`, for answers that have gone out whole (or to a client
        that had gone away)."""
        self._wait(lambda: self._answered[target] >= times,
                   f"{target} answered {times} time(s)", timeout)

    def _wait(self, done: Callable[[], bool], what: str, timeout: float) -> None:
        with self._changed:
            if not self._changed.wait_for(done, timeout):
                raise AssertionError(f"the server never saw {what} within {timeout} s; "
                                     f"it was asked for {self._recent()}")

    def _recent(self) -> str:
        asked = [t for _, t in self.log]
        return f"{len(asked)} request(s), the last: {asked[-5:]}"

    def _wait_if_held(self, target: str) -> None:
        with self._lock:
            event = self._holds.get(target)
        if event is not None:
            self._held.put(target)
            event.wait()

    def _answered_one(self, target: str) -> None:
        with self._changed:
            self._answered[target] += 1
            self._changed.notify_all()


def _handler(site: SiteServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                self._answer()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the crawler was killed while it waited
            finally:
                site._answered_one(self.path)

        do_POST = do_GET

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            asked = Asked(method=self.command, target=self.path,
                          headers={k.lower(): v for k, v in self.headers.items()},
                          body=self.rfile.read(length) if length else b"")
            reply = site.reply_for(self.path, asked)
            site._wait_if_held(self.path)
            if reply.delay:
                time.sleep(reply.delay)
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

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test reads site.log instead of stderr noise

    return Handler


@contextmanager
def serve(site: SiteServer) -> Iterator[SiteServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    httpd.daemon_threads = True
    site.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    # A short poll: shutdown() waits for it, at the end of every test that serves.
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.release()  # a held request must not outlive the test
        httpd.shutdown()
        httpd.server_close()
