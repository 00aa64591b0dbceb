"""The serial loop of the crawls of threads without Scrapy (scraper/direct/stop.py,
pages.py, fetch.py): one thread does the GET, the pace and its waits, and the first
SIGTERM ends a request in flight, a wait or a blocking call at once.

Each test sends the signal to this process from a helper thread once the main thread
is known to be where the signal must find it (a request held by the server, a wait
begun, a call under way): events, no sleeps. The handler runs in the main thread, as
it does in ``linkthread crawl``; the process's own handlers are put back after."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scraper.direct.pages import UTF8_TYPES, FetchFailed, PageClient, SharedPace, _encoding
from scraper.direct.reddit_tokens import Tokens
from scraper.direct.stop import SIGNALS, Stop, Stopped
from scraper.spiders.reddit_token import load_credentials
from tests.redditapi import AUTH_PATH, RedditAPI, env
from tests.server import Reply, SiteServer, serve


@pytest.fixture
def site() -> Iterator[SiteServer]:
    with serve(SiteServer()) as s:
        try:
            yield s
        finally:
            s.release()  # a request still held would keep its server thread


@pytest.fixture
def stop() -> Iterator[Stop]:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be installed in the main thread")
    saved = {s: signal.getsignal(s) for s in SIGNALS}
    wakeup = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup)
    stop = Stop()
    stop.install()
    try:
        yield stop
    finally:
        stop.remove()
        for s, handler in saved.items():
            signal.signal(s, handler)
        assert signal.set_wakeup_fd(wakeup) == wakeup  # remove() put the old one back


def no_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKTHREAD_DOWNLOAD_DELAY", "0")
    monkeypatch.delenv("LINKTHREAD_CRAWL_DELAY", raising=False)


def client(stop: Stop, turn: Callable[[str, float, bool], float] | None = None) -> PageClient:
    return PageClient(turn or (lambda host, delay, known: 0.0), lambda b, e, u: None,
                      stop=stop, robots=False)


def signal_when(ready: threading.Event | Callable[[], object]) -> threading.Thread:
    """SIGTERM to this process once ``ready`` is set (or returns), from a thread."""
    def send() -> None:
        if isinstance(ready, threading.Event):
            assert ready.wait(60)
        else:
            ready()
        os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    return sender


def test_a_request_held_by_the_server_ends_at_the_signal(site: SiteServer, stop: Stop,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    no_delay(monkeypatch)
    site.routes["/one"] = Reply("first")
    site.routes["/two"] = Reply("second")
    site.hold("/two")
    with client(stop) as pages:
        assert pages.get(f"{site.base_url}/one").body == b"first"
        sender = signal_when(site.next_held)
        with pytest.raises(Stopped):
            pages.get(f"{site.base_url}/two")
        sender.join()
        assert stop.requested and stop.signal_name == "SIGTERM"
        with pytest.raises(Stopped):  # and no request after it
            pages.get(f"{site.base_url}/one")
    assert site.hits("/one") == 1 and site.hits("/two") == 1
    # The next signal would end the process: the signal's own default action.
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_pace_wait_ends_at_the_signal(site: SiteServer, stop: Stop,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    no_delay(monkeypatch)
    site.routes["/one"] = Reply("first")
    waiting = threading.Event()

    def an_hour(host: str, delay: float, known: bool) -> float:
        waiting.set()  # the wait begins once this returns: the signal may come before
        return 3600.0

    with client(stop, an_hour) as pages:
        sender = signal_when(waiting)
        with pytest.raises(Stopped):
            pages.get(f"{site.base_url}/one")
        sender.join()
    assert site.hits("/one") == 0


def test_a_call_in_a_thread_is_left_at_the_signal(stop: Stop) -> None:
    started, release = threading.Event(), threading.Event()

    def blocking() -> str:
        started.set()
        release.wait(60)
        return "late"

    sender = signal_when(started)
    try:
        with pytest.raises(Stopped):
            stop.call(blocking)
    finally:
        release.set()
    sender.join()


def test_a_token_post_held_by_the_server_ends_at_the_signal(site: SiteServer,
                                                            stop: Stop) -> None:
    """Reddit's token, asked for in this thread through the crawl's own client: a stop
    shuts its socket as a page's, and no token is asked for after it."""
    api = RedditAPI(site)
    tokens = Tokens(load_credentials({**env(api), "LINKTHREAD_REDDIT_CONFIG": "/none"}),
                    api.auth_url, "ua", stop)
    site.hold(AUTH_PATH)
    sender = signal_when(site.next_held)
    with pytest.raises(Stopped):
        tokens.header()
    sender.join()
    assert stop.requested and tokens.refused is None and tokens.fetched == 0
    with pytest.raises(Stopped):
        tokens.header()
    site.release()
    assert site.hits(AUTH_PATH) == 1


def test_a_call_in_a_thread_gives_its_result_or_its_error(stop: Stop) -> None:
    assert stop.call(lambda a, b: a + b, 2, b=3) == 5

    def fails() -> None:
        raise FetchFailed("no token")

    with pytest.raises(FetchFailed, match="no token"):
        stop.call(fails)
    assert not stop.requested


def test_without_a_stop_the_pages_come_and_errors_are_fetch_failures(
        site: SiteServer, monkeypatch: pytest.MonkeyPatch) -> None:
    no_delay(monkeypatch)
    site.routes["/one"] = Reply("first")
    site.routes["/gone"] = Reply("", drop=True)
    site.routes["/cut"] = Reply("0123456789" * 100, truncate=True)
    with PageClient(lambda host, delay, known: 0.0, lambda b, e, u: None,
                    robots=False) as pages:
        assert [pages.get(f"{site.base_url}/one").body for _ in range(3)] == [b"first"] * 3
        with pytest.raises(FetchFailed, match="closed before an answer"):
            pages.get(f"{site.base_url}/gone")
        with pytest.raises(FetchFailed, match="IncompleteRead"):
            pages.get(f"{site.base_url}/cut")
        assert pages.get(f"{site.base_url}/one").body == b"first"


def test_the_shared_pace_is_taken_on_the_crawls_own_connection(tmp_path: Path) -> None:
    from archive.db import open_writer

    db = open_writer(str(tmp_path / "a.db"))
    try:
        pace = SharedPace(db)
        assert pace("example.org", 0.5, True) == 0.0  # the first turn claims several
        ((claimed,),) = db.execute("SELECT next_at FROM host_pace").fetchall()
        writes = db.total_changes
        assert pace("example.org", 0.5, True) > 0.0  # a claimed turn, a gap later
        assert db.total_changes == writes  # taken in this process: no write
        pace.release()  # what was claimed and not taken goes back
    finally:
        db.close()
    with sqlite3.connect(tmp_path / "a.db") as conn:
        ((next_at, delay),) = conn.execute("SELECT next_at, delay FROM host_pace").fetchall()
    assert delay == 0.5 and next_at < claimed


# -- the HTTP/1.1 exchange (scraper/direct/fetch.py), against answers written byte by byte


class Raw:
    """A server on 127.0.0.1 that answers each request with the next of ``answers``
    (raw bytes; None: close the connection unanswered) on the connection it came by
    (``keep=False``: then closes it), and keeps what each connection was sent."""

    def __init__(self, answers: list[bytes | None], keep: bool = True) -> None:
        self.answers = answers
        self.keep = keep
        self.requests: list[list[bytes]] = []  # by connection
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            conn, _ = self.listener.accept()
            if not self.answers:  # close()'s own connection, or one too many
                conn.close()
                return
            with conn, conn.makefile("rb") as fp:
                self._answer(conn, fp)

    def _answer(self, conn: socket.socket, fp: Any) -> None:
        mine: list[bytes] = []
        while self.answers:
            lines = []
            while (line := fp.readline()) not in (b"\r\n", b""):
                lines.append(line)
            if not line:
                return  # the client closed it
            if not mine:
                self.requests.append(mine)
            mine.append(b"".join(lines))
            sent = self.answers.pop(0)
            if sent is None:
                return
            try:
                conn.sendall(sent)
            except OSError:  # a client past a limit closed it while this was sent
                return
            if not self.keep or b"Connection: close" in sent or (
                    sent.startswith(b"HTTP/1.0") and b"keep-alive" not in sent):
                return

    def close(self) -> None:
        self.answers.clear()
        with contextlib.suppress(OSError):  # wakes the accept, if it waits
            socket.create_connection(self.listener.getsockname(), timeout=60).close()
        self.thread.join(60)
        self.listener.close()


def answer(body: bytes, *, head: str = "HTTP/1.1 200 OK", length: bool = True,
           extra: str = "") -> bytes:  # fmt: skip
    sized = f"Content-Length: {len(body)}\r\n" if length else ""
    return f"{head}\r\nContent-Type: text/plain\r\n{sized}{extra}\r\n".encode() + body


def exchange(answers: list[bytes | None], *urls: str, max_body: int = 1 << 20,
             keep: bool = True, **headers: str) -> tuple[list[Any], Raw]:  # fmt: skip
    from scraper.direct.fetch import Http, HttpFailed

    raw = Raw(answers, keep)
    http = Http(user_agent="test-agent", timeout=60, max_body=max_body)
    got: list[Any] = []
    try:
        for path in urls or ("/a",):
            try:
                got.append(http.get(f"{raw.base_url}{path}", headers or None))
            except HttpFailed as e:
                got.append(str(e))
    finally:
        http.close()
        raw.close()
    return got, raw


def test_answers_come_over_one_kept_alive_connection() -> None:
    got, raw = exchange([answer(b"one"), answer(b"two", extra="X-Ratelimit-Remaining: 9\r\n"
                                                              "x-ratelimit-remaining: 1\r\n")],
                        "/a?x=1", "/b", Authorization="bearer abc")
    assert [a.body for a in got] == [b"one", b"two"]
    assert got[1].headers.get("X-RateLimit-Remaining") == "9"  # the first of a repeated one
    (first, second), = raw.requests  # one connection, two requests
    assert first.startswith(b"GET /a?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")
    for line in (b"User-Agent: test-agent", b"Accept-Encoding: gzip",
                 b"Authorization: bearer abc"):
        assert line in first and line in second


def test_chunks_gzip_an_interim_answer_and_a_body_ended_by_the_close() -> None:
    import gzip

    packed = gzip.compress(b"unpacked " * 100)
    chunked = (b"HTTP/1.1 100 Continue\r\n\r\n"
               b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
               + b"".join(b"%x;ext=1\r\n%s\r\n" % (len(packed[i:i + 50]), packed[i:i + 50])
                          for i in range(0, len(packed), 50))
               + b"0\r\nTrailer: x\r\n\r\n")  # fmt: skip
    to_the_end = answer(b"to the end", length=False, extra="Connection: close\r\n")
    got, raw = exchange([chunked, to_the_end, answer(b"fresh")], "/a", "/b", "/c")
    assert [a.body for a in got] == [b"unpacked " * 100, b"to the end", b"fresh"]
    assert got[0].headers.get("Trailer") is None  # a trailer is no header
    assert [len(r) for r in raw.requests] == [2, 1]  # the close: a new connection after it


def test_a_kept_alive_connection_closed_meanwhile_is_asked_again_once() -> None:
    got, raw = exchange([answer(b"one"), None, answer(b"two")], "/a", "/b")
    assert [a.body for a in got] == [b"one", b"two"]
    assert [len(r) for r in raw.requests] == [2, 1]
    got, _ = exchange([None, None], "/a")
    assert got == ["the connection was closed before an answer"]


@pytest.mark.parametrize(("sent", "said"), [
    (answer(b"cut", extra="").replace(b"Length: 3", b"Length: 9"), "IncompleteRead: 3 of 9"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "IncompleteRead"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     "not HTTP/1.x as written: Invalid character in chunk size"),
    (b"SMTP ready\r\n\r\n", "not HTTP/1.x as written: Expected HTTP/"),
    (b"HTTP/2 200\r\n\r\n", "not HTTP/1.x as written: Expected dot"),
    (answer(b"x", head="HTTP/2.0 200 OK"), "not an HTTP/1.x answer: HTTP/2.0"),
    (answer(b"x", head="HTTP/1.1 101 Switching Protocols"), "a switch of protocols"),
    (answer(b"x").replace(b"Length: 1", b"Length: -1"), "Invalid character in Content-Length"),
    (answer(b"x", extra="Content-Length: 1\r\n"), "Duplicate Content-Length"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: te", "before the answer's headers ended"),
    (answer(b"x" * 2000), "over 1000 bytes"),
    (answer(b"x", extra="X: y\r\n" * 101), "more than 100 headers"),
    (answer(b"x", extra=f"X: {'y' * 70000}\r\n"), "over 65,536 bytes"),
    (answer(b"not gzip", extra="Content-Encoding: gzip\r\n"), "does not decode"),
])
def test_an_answer_that_is_not_as_written_fails_with_one_line(sent: bytes, said: str) -> None:
    got, _ = exchange([sent], "/a", max_body=1000, keep=False)
    assert isinstance(got[0], str) and said in got[0], got


def test_a_value_with_a_line_break_is_never_sent() -> None:
    got, raw = exchange([answer(b"x")], "/a", Authorization="bearer abc\r\nX-Evil: 1")
    assert got == ["a request that cannot be sent as asked: '/a'"]
    assert raw.requests == []


def test_an_http_1_0_answer_closes_its_connection_unless_kept_alive() -> None:
    got, raw = exchange([answer(b"one", head="HTTP/1.0 200 OK"),
                         answer(b"two", head="HTTP/1.0 200 OK", extra="Connection: keep-alive\r\n"),
                         answer(b"three")], "/a", "/b", "/c", keep=True)
    assert [a.body for a in got] == [b"one", b"two", b"three"]
    assert [len(r) for r in raw.requests] == [1, 2]


def test_bytes_after_an_answer_leave_its_connection_unused() -> None:
    # Nothing was asked for them: the next answer is not read from what follows.
    got, raw = exchange([answer(b"one") + b"HTTP/1.1 200 OK\r\n", answer(b"two")], "/a", "/b")
    assert [a.body for a in got] == [b"one", b"two"]
    assert [len(r) for r in raw.requests] == [1, 1]


def test_a_head_that_never_ends_is_read_no_further_than_its_bound() -> None:
    from scraper.direct.fetch import MAX_HEAD

    # One header line of more than the bound and no line end: it never reaches the
    # line limit's check, which needs the line's end.
    got, _ = exchange([b"HTTP/1.1 200 OK\r\nX: " + b"y" * MAX_HEAD], "/a", keep=False)
    assert got == [f"BadAnswer: an answer's head over {MAX_HEAD:,} bytes"]


@pytest.mark.parametrize("content_type", [
    *sorted(UTF8_TYPES), "application/json; charset=UTF-8", "text/html; charset=UTF-8",
    "text/html; charset=iso-8859-1", "application/json", "text/html; charset=utf8"])
def test_a_pages_encoding_is_w3libs_known_types_too(content_type: str) -> None:
    from w3lib.encoding import http_content_type_encoding

    _encoding.cache_clear()
    assert _encoding(content_type) == (http_content_type_encoding(content_type) or "utf-8")
