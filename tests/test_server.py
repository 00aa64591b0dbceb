"""The local server's synchronisation: holds, and waits on what it was asked and answered."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable

import pytest

from tests.server import Reply, SiteServer, serve


def fetch_in_thread(url: str) -> tuple[threading.Event, list[str]]:
    """Ask for ``url`` from another thread; the event is set once the answer has come."""
    done, body = threading.Event(), []

    def get() -> None:
        with urllib.request.urlopen(url, timeout=60) as answer:
            body.append(answer.read().decode())
        done.set()

    threading.Thread(target=get, daemon=True).start()
    return done, body


def test_a_held_path_is_answered_only_once_released(site: SiteServer) -> None:
    site.routes["/a"] = "page a"
    site.routes["/b"] = "page b"
    site.hold("/a")
    done, body = fetch_in_thread(site.base_url + "/a")

    assert site.next_held() == "/a"
    site.wait_asked("/a")
    # Other paths go on meanwhile.
    other, other_body = fetch_in_thread(site.base_url + "/b")
    site.wait_served("/b")
    assert other.wait(60) and other_body == ["page b"]
    assert not done.is_set() and body == []

    site.release("/a")
    assert done.wait(60) and body == ["page a"]
    site.wait_served("/a")
    # A hold is not renewed: the next request is answered at once.
    again, again_body = fetch_in_thread(site.base_url + "/a")
    assert again.wait(60) and again_body == ["page a"]
    assert site.hits("/a") == 2


def test_held_requests_are_reported_in_order_of_arrival(site: SiteServer) -> None:
    site.routes.update({"/x": "x", "/y": "y"})
    site.hold("/x", "/y")
    fetch_in_thread(site.base_url + "/y")
    assert site.next_held() == "/y"
    fetch_in_thread(site.base_url + "/x")
    assert site.next_held() == "/x"
    site.release()
    site.wait_served("/x")
    site.wait_served("/y")


@pytest.mark.parametrize("wait", [
    lambda s: s.wait_asked("/never", timeout=0.05),
    lambda s: s.wait_served("/a", times=2, timeout=0.05),
], ids=["asked", "served"])
def test_a_wait_that_times_out_fails_naming_what_was_asked(
        site: SiteServer, wait: Callable[[SiteServer], None]) -> None:
    site.routes["/a"] = Reply("page a")
    with urllib.request.urlopen(site.base_url + "/a", timeout=60) as answer:
        assert answer.read() == b"page a"
    with pytest.raises(AssertionError, match=r"within 0\.05 s; it was asked for 1 request"
                                             r"\(s\), the last: \['/a'\]"):
        wait(site)


def test_next_held_fails_clearly_when_nothing_comes(site: SiteServer) -> None:
    site.hold("/a")
    with pytest.raises(AssertionError, match=r"no request came to a held path within 0\.05 s"):
        site.next_held(timeout=0.05)


def test_the_end_of_serve_releases_what_is_still_held() -> None:
    with serve(SiteServer(routes={"/a": "page a"})) as s:
        s.hold("/a")
        done, body = fetch_in_thread(s.base_url + "/a")
        assert s.next_held() == "/a"
    assert done.wait(60) and body == ["page a"]
