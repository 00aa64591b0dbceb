"""Datasette's pages over a large archive, timed in-process (bench/scale.py calls this).

Datasette runs in this process as ``linkthread datasette`` serves it
(archive/datasette_serve.py: the packaged metadata, facet suggestions off, the
whole-comment pages without their count, search by relevance), and every request
goes through its test client (redirects followed): no server, no network. Each page
is asked for once untimed (Datasette's first request of a table introspects it) and
then timed. A page that
fails, or that Datasette cut short ("SQL query took too long", a facet that timed out),
is reported as such beside its time.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from archive import datasette_serve

REPEAT = 2


def pages(db: Path, tables: list[str], *, story_id: str, author: str, word: str,
          comment_id: str) -> list[str]:  # fmt: skip
    """Every page a visitor of the archive reaches from its index: each table and view,
    their search, the canned queries."""
    name = db.stem
    urls = ["/", f"/{name}"]
    urls += [f"/{name}/{t}" for t in tables]
    urls += [
        f"/{name}/comments?_search={word}",
        f"/{name}/stories?_search={word}",
        f"/{name}/thread_comments?_search={word}",
        f"/{name}/recent_comments?_search={word}",
        f"/{name}/comments?author={author}",
        f"/{name}/thread_comments?site=hn&story_id={story_id}&_sort=sort_path",
        f"/{name}/thread?site=hn&story_id={story_id}",
        f"/{name}/user_comments?author={author}&site=",
        f"/{name}/search_comments?search={word}",
        f"/{name}/search_comments?search=w123457",
        f"/{name}/comments/hn,{comment_id}",
        f"/{name}/stories/hn,{story_id}",
    ]
    return urls


def time_pages(db: Path, urls: list[str]) -> list[tuple[str, float, str]]:
    """(url, best seconds, note) for each url: note is the status and any warning."""

    async def run() -> list[tuple[str, float, str]]:
        ds = datasette_serve.app([db])
        await ds.invoke_startup()
        out = []
        for url in urls:
            await ds.client.get(url, follow_redirects=True)
            best = float("inf")
            for _ in range(REPEAT):
                start = time.perf_counter()
                response = await ds.client.get(url, follow_redirects=True)
                best = min(best, time.perf_counter() - start)
            out.append((url, best, _note(response.status_code, response.text)))
        return out

    # Datasette prints a full traceback for each query it interrupts (through rich, to
    # the stream it found at import); the note says it, so both descriptors are put
    # aside while it runs.
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        return asyncio.run(run())
    finally:
        for fd, old in zip((1, 2), saved, strict=True):
            os.dup2(old, fd)
            os.close(old)
        os.close(devnull)


def _note(status: int, body: str) -> str:
    notes = [str(status)]
    if "took too long" in body or "SQL Interrupted" in body:
        notes.append("interrupted")
    if "timed out" in body.lower():
        notes.append("facet timed out")
    return " ".join(notes)
