"""The serial loop of the crawls of threads without Scrapy (scraper/direct/stop.py,
pages.py, fetch.py): one thread does the GET, the pace and its waits, and the first
SIGTERM ends a request in flight, a wait or a blocking call at once.

Each test sends the signal to this process from a helper thread once the main thread
is known to be where the signal must find it (a request held by the server, a wait
begun, a call under way): events, no sleeps. The handler runs in the main thread, as
it does in ``linkthread crawl``; the process's own handlers are put back after."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scraper.direct.pages import FetchFailed, PageClient, SharedPace
from scraper.direct.stop import SIGNALS, Stop, Stopped
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
