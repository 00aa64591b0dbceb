"""Re-crawl cost: 50 generated threads crawled by the real `linkthread crawl` (spider,
pipeline, store) against the local stand-in site (tests/server.py), then again.

Run: python bench/recrawl.py [--threads 50] [--comments 1000] [--per-page 1000]
     python bench/recrawl.py --site lobsters   (story JSON, one page a thread)
     python bench/recrawl.py --site lobsters --main /tmp/main-tree   (both, alternately)

``--main DIR`` runs every crawl a second time with the code of another checkout (the
project's root, e.g. ``git archive main | tar -x -C DIR``) into an archive of its own,
through this bench's same probes, the two alternating at every step; ``--repeat N``
runs the unchanged re-crawl N times (the best is printed with the others).

Each crawl is a child process of its own (Scrapy's reactor runs once a process); its
CPU time (user + system) comes from the kernel's accounting of children ("process
CPU": Python, Scrapy's imports and reactor start included), and from the child's own
clock between the pipeline's open and close ("crawl CPU": the crawl itself); the
rows it wrote from its connection's ``total_changes``. Probes around the pipeline's
open and close are all this bench adds to the path. Bytes written: the
kernel's count of the child's writes (``ru_oublock``, 512-byte blocks), and the growth
of the archive file and its WAL. Printed per crawl:

* the first crawl: the anchor;
* an unchanged re-crawl (the target: <= 15% of the anchor's CPU, O(1) rows a thread),
  and once more (a body's second fetch rewrites its pages row once, as its
  fetch_count grows from SQLite's zero-byte 1 to a one-byte 2; later ones do not);
* the same re-crawl with LINKTHREAD_REPARSE=1: every page parsed, as before 0013;
* a changed re-crawl: one comment edited in every thread, so with ``--per-page``
  below ``--comments`` one page of each thread changed, the others not (each of
  those a visit kept in the crawl's row since archive.revisits.split_visits: the
  "visit rows" column counts the page_fetches rows each crawl wrote);
* an empty crawl (one 1-comment thread, unchanged): what any crawl's process costs;
* the floor of any crawl through Scrapy: a process that imports what such a crawl
  imports of Scrapy and Twisted (the engine, the HTTP/TLS download handler, the
  asyncio reactor) and does nothing else;
* the floor of the same unchanged re-crawl without Scrapy: a process that asks for
  the pages of every thread's latest crawl with the standard library's http.client,
  hashes each body and compares it with the stored page set, storing nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# A child runs the code of the checkout it is told (--main), this one's by default.
sys.path.insert(0, os.environ.get("RECRAWL_ROOT") or str(ROOT))

# Polite waits off: the stand-in site has no limits, and the bench measures CPU. The
# threads are read as pages (--via html): the stand-in serves HN's pages, not its API.
ENV = {"LINKTHREAD_DOWNLOAD_DELAY": "0", "LINKTHREAD_MIN_DELAY": "0",
       "LINKTHREAD_BACKOFF_BASE": "0.05", "LINKTHREAD_BACKOFF_MAX": "0.2",
       "LINKTHREAD_HN_VIA": "html"}  # fmt: skip


FLOOR = ("import scrapy.crawler, scrapy.core.downloader.handlers.http11, "
         "twisted.internet.asyncioreactor")


def child(args: list[str]) -> None:
    """Run one crawl in this process, printing the rows its pipeline wrote."""
    from scraper import cli

    start: list[float] = []
    spider_class = cli.spider_class

    def probed_spider_class(site: str) -> Any:
        # Probes on the pipeline only once the crawl goes to the spider: importing it
        # imports Scrapy, which a crawl without Scrapy must not pay for here either.
        from scraper import pipelines

        opened = pipelines.ArchivePipeline.open_spider
        closed = pipelines.ArchivePipeline.spider_closed

        def open_probe(self: pipelines.ArchivePipeline) -> None:
            start.append(time.process_time())
            opened(self)

        def close_probe(self: pipelines.ArchivePipeline, spider: Any, reason: str) -> None:
            if self.db is not None:
                print(f"ROWS {self.db.total_changes}", file=sys.stderr)
            closed(self, spider, reason)
            print(f"CRAWL_CPU {time.process_time() - start[0]}", file=sys.stderr)

        pipelines.ArchivePipeline.open_spider = open_probe  # type: ignore[method-assign]
        pipelines.ArchivePipeline.spider_closed = close_probe  # type: ignore[method-assign]
        return spider_class(site)

    cli.spider_class = probed_spider_class  # type: ignore[assignment]
    # A crawl of threads without Scrapy: serial_crawl looks the open and close of the
    # crawl's row up in scraper.direct.run (since 6f36b7d; before, in the site's module).
    try:
        from scraper.direct import run as direct
    except ImportError:  # absent from older checkouts (--main)
        direct = None
    if direct is not None and not hasattr(direct, "open_crawl"):
        from scraper.direct import lobsters as direct  # type: ignore[no-redef]
    if direct is not None:
        opened_direct, closed_direct = direct.open_crawl, direct.close

        def open_direct(db: Any, run: Any) -> int:
            start.append(time.process_time())
            return opened_direct(db, run)

        def close_direct(db: Any, run: Any) -> None:
            print(f"ROWS {getattr(db, 'conn', db).total_changes}", file=sys.stderr)
            closed_direct(db, run)
            print(f"CRAWL_CPU {time.process_time() - start[0]}", file=sys.stderr)

        direct.open_crawl, direct.close = open_direct, close_direct
    sys.argv = ["linkthread", *args]
    cli.main()


Run = tuple[float, float, int, int, int, int]


def _fetch_rows(db: Path) -> int:
    """Rows of the table of written page visits (``page_fetches`` since 0020, before it
    ``page_visits``), 0 before the first crawl."""
    import sqlite3

    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        table = "page_fetches" if "page_fetches" in names else "page_visits"
        if table not in names:
            return 0
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


SITE = "hn"


def crawl(base_url: str, db: Path, ids: list[str], root: str | None = None,
          **env: str) -> Run:
    """(CPU seconds of the process, of the crawl alone, rows written, bytes written by
    the process, archive growth), with the code of ``root`` (None: this checkout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    size, fetches = _size(db), _fetch_rows(db)
    if root is not None:
        env = {**env, "RECRAWL_ROOT": root}
    result = subprocess.run(
        # HN's pages alone: the default (--via both) also reads HN's API, not stood in.
        [sys.executable, __file__, "--child", "crawl", SITE, *ids, "--db", str(db),
         *(("--via", "html") if SITE == "hn" else ())],
        capture_output=True, text=True, cwd=ROOT, check=False,
        env={**os.environ, **ENV, f"LINKTHREAD_{SITE.upper()}_BASE_URL": base_url, **env},
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"crawl failed: {result.stderr[-2000:]}")
    said = dict(line.split() for line in result.stderr.splitlines()
                if line.startswith(("ROWS ", "CRAWL_CPU ")))  # fmt: skip
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (cpu, float(said["CRAWL_CPU"]), int(said["ROWS"]),
            (after.ru_oublock - before.ru_oublock) * 512, _size(db) - size,
            _fetch_rows(db) - fetches)  # fmt: skip


def floor() -> float:
    """CPU seconds of a process that imports Scrapy as a crawl does, and stops."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", FLOOR], check=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


BARE = """
import hashlib, http.client, json, sqlite3, sys, urllib.parse
conn = sqlite3.connect(sys.argv[1])
rows = conn.execute("SELECT t.pages FROM thread_crawls t WHERE t.crawl_id ="
                    " (SELECT max(crawl_id) FROM thread_crawls)").fetchall()
same = total = 0
client = None
for (pages,) in rows:
    for url, sha in json.loads(pages):
        u = urllib.parse.urlsplit(url)
        client = client or http.client.HTTPConnection(u.netloc)
        client.request("GET", u.path + ("?" + u.query if u.query else ""))
        same += hashlib.sha256(client.getresponse().read()).hexdigest() == sha
        total += 1
assert same == total, (same, total)
"""


def bare(db: Path) -> float:
    """CPU seconds of :data:`BARE` over the threads of the archive's latest crawl."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", BARE, str(db)], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _size(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, db.with_name(db.name + "-wal")) if p.exists())


class Lobsters:
    """A Lobsters story's JSON (the 2024- form) at /s/ID.json: a bushy random tree."""

    def __init__(self, k: int, comments: int) -> None:
        import random

        from tests import lobsterspages

        rng = random.Random(k)
        self.story_id = f"s{k:05d}"
        self.nodes: list[Any] = []
        self.comments: list[Any] = []
        for i in range(comments):
            node = lobsterspages.Node(f"{k:02d}{i:04d}"[-6:].rjust(6, "c"), user=f"u{i % 97}",
                                      text=f"Comment {i} of story {k}.")
            pick = self.comments[rng.randrange(len(self.comments))] if self.comments \
                and rng.random() < 0.7 else None
            (pick.children if pick else self.nodes).append(node)
            self.comments.append(node)

    def route(self) -> dict[str, Any]:
        from tests import lobsterspages
        from tests.server import Reply

        body = lobsterspages.story_json(self.nodes, sid=self.story_id)
        # The type Lobsters (Rails) declares: with no charset Scrapy would guess one by
        # decoding the whole body, a cost the real site does not cause.
        return {f"/s/{self.story_id}.json": Reply(
            body, content_type="application/json; charset=utf-8")}


def main() -> None:
    global SITE
    from tests import hnpages
    from tests.server import SiteServer, serve

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=50)
    ap.add_argument("--comments", type=int, default=1000)
    ap.add_argument("--per-page", type=int, default=1000)
    ap.add_argument("--site", choices=("hn", "lobsters"), default="hn")
    ap.add_argument("--main", help="another checkout's root, crawled alternately")
    ap.add_argument("--repeat", type=int, default=1, help="unchanged re-crawls to run")
    args = ap.parse_args()
    SITE = args.site
    site = SiteServer()
    threads: list[Any]
    if SITE == "lobsters":
        threads = [Lobsters(k, args.comments) for k in range(args.threads)]
        tiny: Any = Lobsters(99, 1)
        for t in (*threads, tiny):
            site.routes.update(t.route())
    else:
        # Story ids far enough apart that no two threads share a comment id.
        threads = [hnpages.random_thread(args.comments, seed=k,
                                         story_id=str(41_000_000 + k * 4 * args.comments))
                   for k in range(args.threads)]  # fmt: skip
        tiny = hnpages.random_thread(1, seed=999, story_id="40000000")
        for t in (*threads, tiny):
            site.routes.update(hnpages.site_pages(t, per_page=args.per_page))
    ids = [t.story_id for t in threads]
    trees: list[tuple[str, str | None]] = [("this", None)]
    if args.main:
        trees.append(("main", str(Path(args.main).resolve())))
    print(f"{SITE}: {args.threads} threads x {args.comments} comments, {args.per_page} per "
          f"page; python {sys.version.split()[0]}, {os.cpu_count()} cores; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    runs: dict[str, list[tuple[str, Run]]] = {name: [] for name, _ in trees}
    floors: list[float] = []
    with serve(site) as s, tempfile.TemporaryDirectory() as tmp:
        dbs = {name: Path(tmp) / f"{name}.db" for name, _ in trees}

        def step(label: str, targets: list[str], **env: str) -> None:
            # Alternate which tree goes first, so neither always runs after the other.
            order = trees if len(runs["this"]) % 2 == 0 else trees[::-1]
            for name, root in order:
                runs[name].append((label, crawl(s.base_url, dbs[name], targets, root, **env)))

        step("(warm-up: 1 thread)", [tiny.story_id])
        step("first crawl (anchor)", ids)
        for i in range(args.repeat):
            step("unchanged re-crawl" + (f" #{i + 1}" if args.repeat > 1 else ""), ids)
        step("unchanged, once more", ids)
        step("unchanged, REPARSE=1", ids, LINKTHREAD_REPARSE="1")
        bares = [bare(dbs["this"]) for _ in range(3)]  # every thread, still unchanged
        for t in threads:
            t.comments[len(t.comments) // 2].text = "Edited for the changed re-crawl."
            site.routes.update(t.route() if SITE == "lobsters"
                               else hnpages.site_pages(t, per_page=args.per_page))
        step("changed re-crawl", ids)
        step("empty crawl (1 thread)", [tiny.story_id])
        for _ in range(3):
            floors.append(floor())
    for name, _ in trees:
        report(name, runs[name][1:], args.threads, min(floors), min(bares))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def report(name: str, runs: list[tuple[str, Run]], threads: int, floor_cpu: float,
           bare_cpu: float) -> None:
    anchor, crawl_anchor = runs[0][1][:2]
    print(f"\n{name}:")
    print(f"{'crawl':24} {'process CPU s':>13} {'vs first':>8} {'crawl CPU s':>11}"
          f" {'vs first':>8} {'rows':>8} {'rows/thr':>8} {'MB written':>10} {'MB growth':>9}"
          f" {'visit rows':>10}")
    for label, (cpu, crawl_cpu, rows, written, growth, fetches) in runs:
        per = rows / (1 if label.startswith("empty") else threads)
        print(f"{label:24} {cpu:13.2f} {cpu / anchor:8.1%} {crawl_cpu:11.2f}"
              f" {crawl_cpu / crawl_anchor:8.1%} {rows:8,} {per:8,.0f}"
              f" {written / 1e6:10.1f} {growth / 1e6:9.2f} {fetches:10,}")
    print(f"{'floor: Scrapy imported':24} {floor_cpu:13.2f} {floor_cpu / anchor:8.1%}"
          "   (best of 3; no crawl)")
    print(f"{'floor without Scrapy':24} {bare_cpu:13.2f} {bare_cpu / anchor:8.1%}"
          "   (best of 3; http.client, the same pages hashed, nothing stored)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
