"""A local stand-in of HN's Firebase API (``/v0/item/N.json``, ``maxitem.json``, ...).

An asyncio HTTP/1.1 server on 127.0.0.1 (port 0) in a thread of its own, with keep-alive
and nothing else: a few hundred lines of http.server threads would top out far below the
thousands of requests a second a backfill bench needs, and every request is a GET.

What a test controls, all from its own thread:

* ``items``: {id: item dict, or None for an id the API answers ``null`` for}; an id
  absent from it is ``null`` too, as the real API answers for ids it does not know.
* ``users``: {name: profile dict}; ``maxitem`` and ``updates`` move whenever the test
  sets them (``set_maxitem``, ``set_updates``), as the live site's do.
* ``lists``: {"topstories": [ids], ...}.
* ``latency``: seconds added before every answer (a real API's round trip).
* ``robots``: the host's ``/robots.txt`` (the real host's rules by default; None: 404).
* ``faults``: {path: ["500" | "drop", ...]} served one per request before the real
  answer, so a test scripts "a 500, then a dropped connection, then the item".
* ``hold``/``release``: answers to a path wait until the test releases them;
  ``wait_asked``/``wait_served`` wait on the request counters (never on sleeps).

Generated content: :func:`items_of_thread` turns a ``tests.hnpages.GenThread`` into its
API form, so one generated tree has both forms (the HTML pages and these items);
:func:`generated_range` makes a forest of stories and comments over an id range.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tests.hnpages import FETCHED_AT, GenComment, GenThread

PREFIX = "/v0"
ROBOTS_PATH = "/robots.txt"
# What hacker-news.firebaseio.com/robots.txt says (late 2026): the API's JSON, nothing else.
ROBOTS = "User-agent: *\nAllow: /*.json$\nAllow: /*.json?*$\nDisallow: /\n"
STORY_TIME = int((FETCHED_AT - timedelta(days=401)).timestamp())


@dataclass
class Firebase:
    items: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, list[int]] = field(default_factory=dict)
    maxitem: int = 0
    updates: dict[str, list[Any]] = field(default_factory=lambda: {"items": [], "profiles": []})
    latency: float = 0.0
    robots: str | None = ROBOTS
    faults: dict[str, list[str]] = field(default_factory=dict)
    base_url: str = ""
    asked: Counter[str] = field(default_factory=Counter)
    served: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)
    _holds: set[str] = field(default_factory=set)
    _waiting: dict[str, list[Callable[[], None]]] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _open: set[asyncio.Transport] = field(default_factory=set)
    _gates: dict[str, int] = field(default_factory=dict)
    _let: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    # -- what the test sets --------------------------------------------------------

    def add(self, items: dict[int, dict[str, Any] | None]) -> None:
        with self._lock:
            self.items.update(items)

    def set_maxitem(self, value: int) -> None:
        with self._lock:
            self.maxitem = value

    def set_updates(self, items: list[int], profiles: list[str] = ()) -> None:  # type: ignore[assignment]
        with self._lock:
            self.updates = {"items": list(items), "profiles": list(profiles)}

    def hold(self, *paths: str) -> None:
        with self._lock:
            self._holds.update(paths)

    def release(self, *paths: str) -> None:
        """Let the held paths (all when none are named) be answered, now and from now on."""
        with self._lock:
            names = set(paths) or {*self._holds, *self._gates}
            self._holds -= names
            for name in names:
                self._gates.pop(name, None)
            due = [cb for p in names for cb in self._waiting.pop(p, [])]
        if self._loop is not None:
            for cb in due:
                self._loop.call_soon_threadsafe(cb)

    def allow(self, path: str, n: int) -> None:
        """Let only the first ``n`` requests of ``path`` (ever) be answered; later ones
        wait for a larger ``allow``: a daemon's polls, one at a time."""
        due = []
        with self._lock:
            self._gates[path] = n
            waiting = self._waiting.get(path, [])
            while waiting and self._let[path] < n:
                self._let[path] += 1
                due.append(waiting.pop(0))
        if self._loop is not None:
            for cb in due:
                self._loop.call_soon_threadsafe(cb)

    # -- counters ------------------------------------------------------------------

    @property
    def requests(self) -> int:
        """Requests of the API answered (the dropped ones included); the host's
        robots.txt apart (``served[ROBOTS_PATH]``)."""
        with self._lock:
            return sum(n for path, n in self.served.items() if path.startswith(PREFIX + "/"))

    def item_path(self, item_id: int) -> str:
        return f"{PREFIX}/item/{item_id}.json"

    def wait_asked(self, path: str, times: int = 1, timeout: float = 60.0) -> None:
        self._wait(lambda: self.asked[path] >= times, f"{path} asked {times}x", timeout)

    def wait_served(self, path: str, times: int = 1, timeout: float = 60.0) -> None:
        self._wait(lambda: self.served[path] >= times, f"{path} served {times}x", timeout)

    def wait_requests(self, n: int, timeout: float = 60.0) -> None:
        """Until ``n`` requests of the API (robots.txt apart) are answered."""
        self._wait(lambda: sum(v for p, v in self.served.items() if p.startswith(PREFIX + "/"))
                   >= n, f"{n} requests", timeout)

    def _wait(self, done: Callable[[], bool], what: str, timeout: float) -> None:
        with self._changed:
            if not self._changed.wait_for(done, timeout):
                raise TimeoutError(f"the Firebase stand-in never saw {what}")

    # -- answers -------------------------------------------------------------------

    def _answer(self, path: str) -> tuple[int, bytes] | str:
        """(status, body), or "drop"; runs in the server's thread under the lock."""
        script = self.faults.get(path)
        if script:
            fault = script.pop(0)
            return "drop" if fault == "drop" else (int(fault), b'{"error": "injected"}')
        if path == ROBOTS_PATH:
            return (404, b"Not Found") if self.robots is None else (200, self.robots.encode())
        name = path[len(PREFIX) + 1 :].removesuffix(".json")
        value: Any
        if name.startswith("item/") and name[5:].isdigit():
            value = self.items.get(int(name[5:]))
        elif name.startswith("user/"):
            value = self.users.get(name[5:])
        elif name == "maxitem":
            value = self.maxitem
        elif name == "updates":
            value = self.updates
        elif name in self.lists:
            value = self.lists[name]
        else:
            return 404, b'{"error": "Permission denied"}'
        return 200, json.dumps(value, separators=(",", ":")).encode()


class _Protocol(asyncio.Protocol):
    """HTTP/1.1 GET with keep-alive: one request at a time per connection."""

    def __init__(self, api: Firebase) -> None:
        self.api = api
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.api._open.add(transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            parts = head.split(b"\r\n", 1)[0].split(b" ")
            target = parts[1].decode("latin-1") if len(parts) > 1 else "/"
            self._request(target.split("?", 1)[0])

    def _request(self, path: str) -> None:
        api = self.api
        with api._lock:
            api.asked[path] += 1
            api._changed.notify_all()
            gate = api._gates.get(path)
            held = path in api._holds or (gate is not None and api._let[path] >= gate)
            if held:
                api._waiting.setdefault(path, []).append(lambda: self._later(path))
                return
            api._let[path] += 1
        self._later(path)

    def _later(self, path: str) -> None:
        loop = asyncio.get_running_loop() if self.api.latency else None
        if loop is None:
            self._reply(path)
        else:
            loop.call_later(self.api.latency, self._reply, path)

    def _reply(self, path: str) -> None:
        api = self.api
        with api._lock:
            answer = api._answer(path)
            api.served[path] += 1
            api._changed.notify_all()
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if answer == "drop":
            transport.abort()
            return
        status, body = answer
        reason = {200: "OK", 404: "Not Found"}.get(status, "Error")
        kind = "text/plain" if path == ROBOTS_PATH else "application/json"
        transport.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.api._open.discard(self.transport)
        self.transport = None


@contextmanager
def serve_firebase(api: Firebase | None = None) -> Iterator[Firebase]:
    """Run ``api`` (a new one if None) on 127.0.0.1 in a thread; ``base_url`` ends in /v0."""
    api = api if api is not None else Firebase()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    server_box: list[asyncio.Server] = []

    async def start() -> None:
        server = await loop.create_server(lambda: _Protocol(api), "127.0.0.1", 0, backlog=512)
        server_box.append(server)
        port = server.sockets[0].getsockname()[1]
        api.base_url = f"http://127.0.0.1:{port}{PREFIX}"
        started.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    api._loop = loop
    thread = threading.Thread(target=run, name="firebase-stand-in", daemon=True)
    thread.start()
    started.wait(30)
    try:
        yield api
    finally:
        api.release()

        async def stop() -> None:
            server_box[0].close()
            for transport in list(api._open):
                transport.abort()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


# -- generated content -------------------------------------------------------------


def _time_of(c: GenComment) -> int:
    return int((FETCHED_AT - timedelta(minutes=c.age_minutes)).timestamp())


def items_of_thread(t: GenThread, *, dead_text: bool = False) -> dict[int, dict[str, Any] | None]:
    """The API's form of a generated thread: the story and every comment, ``kids`` in
    display order. Deleted comments are ``{id, deleted, parent, time, type, kids}`` as the
    API gives them; dead ones keep their text only if ``dead_text`` (the API shows it to
    logged-out readers only with showdead)."""
    story_id = int(t.story_id)
    items: dict[int, dict[str, Any] | None] = {
        story_id: {
            "id": story_id, "type": "story", "by": t.author, "time": STORY_TIME,
            "title": t.title, "score": t.score, "descendants": len(t.comments),
            "kids": [int(c.id) for c in t.roots], "text": "A generated story's text.",
        },
    }  # fmt: skip
    for c in t.comments:
        item: dict[str, Any] = {"id": int(c.id), "type": "comment", "time": _time_of(c),
                                "parent": int(c.parent_id or t.story_id)}
        if c.children:
            item["kids"] = [int(k.id) for k in c.children]
        if c.deleted:
            item["deleted"] = True
        else:
            item["by"] = c.author
            if not c.dead or dead_text:
                item["text"] = c.text
            if c.dead:
                item["dead"] = True
        items[int(c.id)] = item
    return items


def generated_range(first: int, count: int, *, seed: int = 1, null_every: int = 0,
                    story_every: int = 10) -> dict[int, dict[str, Any] | None]:
    """Items ``first`` .. ``first + count - 1`` as the live site makes them: stories, and
    comments replying to an earlier story or comment of the range (so a backfill in id
    order finds every parent before its child). ``null_every``: every Nth id is null."""
    rng = random.Random(seed)
    items: dict[int, dict[str, Any] | None] = {}
    recent: list[int] = []
    base_time = STORY_TIME
    for n in range(count):
        i = first + n
        if null_every and n % null_every == null_every - 1:
            items[i] = None
            continue
        when = base_time + n * 3
        if not recent or n % story_every == 0:
            items[i] = {"id": i, "type": "story", "by": f"user{rng.randint(1, 500)}",
                        "time": when, "title": f"Generated story {i}", "score": rng.randint(1, 500),
                        "url": f"https://example.com/{i}", "descendants": 0, "kids": []}
        else:
            parent = rng.choice(recent[-50:])
            items[i] = {"id": i, "type": "comment", "by": f"user{rng.randint(1, 500)}",
                        "time": when, "parent": parent,
                        "text": f"Comment {i} replying to {parent}<p>second paragraph"}
            above = items[parent]
            assert above is not None
            above.setdefault("kids", []).insert(0, i)  # newest first, as HN ranks new replies
        recent.append(i)
    return items


def main() -> None:
    """``python -m tests.firebase --count N --latency S``: serve ``generated_range(1, N)``
    in a process of its own (a bench measures its client's CPU apart from it), print the
    base URL on a line, and serve until stdin closes."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--null-every", type=int, default=0)
    args = ap.parse_args()
    items = generated_range(1, args.count, null_every=args.null_every)
    with serve_firebase(Firebase(items=items, maxitem=args.count, latency=args.latency)) as api:
        print(api.base_url, flush=True)
        sys.stdin.read()
        print(api.requests, flush=True)


if __name__ == "__main__":
    main()
