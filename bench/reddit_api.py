"""Requests a whole Reddit thread takes: a generated thread through the OAuth API
stand-in (tests/redditapi.py), crawled by the real `linkthread crawl reddit`.

Run: python bench/reddit_api.py [--threads 50 --comments 1000] [--top 20 --kids 5 --depth 8]
     python bench/reddit_api.py --threads 1 --comments 5000   (one thread of 5,030)
     python bench/reddit_api.py --main /tmp/main-tree   (re-crawls by both, alternately)

The workload is ``--threads`` generated threads of ``--comments`` comments each (plus a
30-deep reply chain each, for continue-threads), crawled together by one command;
the default, 50 of 1,000, is issue 14's.

Prints the requests the crawl made beside, from the same run, what the stubs it was
served demand: the lower bound (the first page, one per continue-thread, one per 100
ids of all the "load more" stubs together) and what one request per stub (PRAW's
replace_more, 100 ids a call) would make. The stand-in cuts the tree where ``--top``,
``--kids`` and ``--depth`` say, as Reddit cuts it by its own limits.

Then, over the answers the crawl kept (read back from its archive), the CPU of reading
them as the crawl does (each answer placed once as it comes, ``ThreadPages``) beside
the way it did before (``more_stubs`` of each answer, then ``parse_thread_pages`` of
them all: every answer decoded twice), against the anchor of a bare ``json.loads`` of
every answer; best of 5, run in alternation.

Last, the thread crawled again by a child probed at the open and close of the crawl's
row: first crawls into empty archives (``--firsts``; the anchor, "vs first", is the best
of them on each column), unchanged re-crawls (``--repeat``), one with
LINKTHREAD_REPARSE=1, and the floor of any crawl through Scrapy (a process importing
it, no crawl); with ``--main DIR`` each crawl also with that checkout's code, into an
archive of its own, the two alternating. And the floor of the same re-crawl without
Scrapy: a process that takes a token and asks for the same answers, in order, over
one kept-alive connection with the standard library's http.client, hashing each body
and comparing it with the latest crawl's page set, storing nothing (what a path
without Scrapy would do at least for an unchanged thread), and the floor of its imports:
a process that imports, in order, every module the last re-crawl (each checkout's own)
ended with, and runs nothing. A crawl of threads alone
goes without Scrapy (scraper/direct/reddit.py), in this checkout and in main's; the
child probes that loop's open and close alone (a crawl that went to the spider fails
the bench, saying so). The last line: the best (and median) unchanged re-crawl
as a share of the best first crawl, this checkout's beside main's.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# A child runs the code of the checkout it is told (--main), this one's by default.
sys.path.insert(0, os.environ.get("RECRAWL_ROOT") or str(ROOT))


def child(args: list[str]) -> None:
    """One crawl in this process, probed at the open and close of the crawl's row by
    the loop without Scrapy (a crawl of threads alone goes there, in this checkout and
    in main's)."""
    from scraper.direct import run as direct

    start: list[float] = []
    # serial_crawl (scraper.direct.run, since 6f36b7d) calls this module's open_crawl
    # and close: probed there. bench/recrawl.py's child probed them on the site's
    # module, where they no longer are looked up.
    opened, closed = direct.open_crawl, direct.close

    def open_direct(db: Any, run: Any) -> int:
        start.append(time.process_time())
        return opened(db, run)

    def close_direct(db: Any, run: Any) -> None:
        print(f"ROWS {getattr(db, 'conn', db).total_changes}", file=sys.stderr)
        closed(db, run)
        print(f"CRAWL_CPU {time.process_time() - start[0]}", file=sys.stderr)

    direct.open_crawl, direct.close = open_direct, close_direct
    from scraper import cli

    sys.argv = ["linkthread", *args]
    try:
        cli.main()
    finally:  # what the crawl imported, in order, for the floor of its imports alone
        print(f"MODULES {','.join(m for m in sys.modules if m != '__main__')}",
              file=sys.stderr)


def main() -> None:
    # Here, not at the top: a child (--child) is measured, and these imports (~10 ms of
    # CPU, subprocess and tempfile the most) are the bench's, not the crawl's.
    import argparse
    import math
    import subprocess
    import tempfile

    from tests.redditapi import Cut, RedditAPI, env, make_thread
    from tests.server import SiteServer, serve

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=50, help="threads crawled together")
    ap.add_argument("--comments", type=int, default=1000, help="comments a thread")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--kids", type=int, default=5)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--recent", type=int, default=500,
                    help="a reply's parent is one of this many latest comments")
    ap.add_argument("--main", help="another checkout's root, crawled alternately")
    ap.add_argument("--repeat", type=int, default=3, help="unchanged re-crawls to run")
    ap.add_argument("--firsts", type=int, default=3,
                    help="first crawls to run (into empty archives): the anchor is the best")
    args = ap.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with serve(SiteServer()) as site, tempfile.TemporaryDirectory() as tmp:
        api = RedditAPI(site, cut=Cut(top=args.top, kids=args.kids, depth=args.depth))
        api.morechildren_delay = 0.0
        story_ids = story_names(args.threads)
        for k, story_id in enumerate(story_ids):
            # Comment ids of their own a thread, as Reddit's are unique site-wide.
            api.threads[story_id] = make_thread(args.comments, seed=1 + k, chain=30,
                                                story_id=story_id, recent=args.recent,
                                                first=10_000 + k * (args.comments + 100))
        comments = sum(len(t.nodes) for t in api.threads.values())
        db = Path(tmp) / "bench.db"
        full = {**os.environ, "LINKTHREAD_DOWNLOAD_DELAY": "0", "LINKTHREAD_MIN_DELAY": "0",
                **env(api)}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "scraper.cli", "crawl", "reddit",
                               *story_ids, "--db", str(db)], env=full, cwd=ROOT,
                              capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"the crawl failed: {done.stderr[-2000:]}")
        made = sum(1 for _, t in site.log if not t.startswith("/api/v1/"))
        ids = {i for stub in api.more_served for i in stub}
        continues = len(api.continues_served)
        bound = 1 + continues + math.ceil(len(ids) / 100)
        per_stub = 1 + continues + sum(math.ceil(len(s) / 100) for s in api.more_served)
        print(f"{len(story_ids)} thread(s), {comments:,} comments in all, cut at top {args.top}, "
              f"{args.kids} replies, depth {args.depth}: {len(api.more_served)} 'load more' "
              f"stubs ({len(ids)} ids), {continues} continue-threads")
        print(f"requests made          : {made} ({elapsed:.1f} s with the crawl's start-up, "
              "no pacing)")
        print(f"lower bound            : {bound} (first page + continue-threads + "
              "ids / 100)")
        print(f"one request per stub   : {per_stub} (PRAW's replace_more)")
        print(f"made / lower bound     : {made / bound:.2f}")
        reading(db, story_ids[0])
        recrawls(db, full, story_ids, main=args.main, repeat=args.repeat, firsts=args.firsts)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def story_names(n: int) -> list[str]:
    """``n`` post ids: the first is the one thread's of earlier runs ("abc12")."""
    from tests.redditapi import b36

    return ["abc12", *(f"t{b36(46_656 + k)}" for k in range(1, n))]


def reading(db: Path, story_id: str) -> None:
    """Over one thread's answers (the first's): what reading them costs."""
    import json
    import sqlite3
    import zlib
    from datetime import UTC, datetime

    from scraper.parsers.reddit.thread import ThreadPages, more_stubs, parse_thread_pages

    with sqlite3.connect(db) as conn:
        answers = [(url, zlib.decompress(body).decode()) for url, body in conn.execute(
            "SELECT p.url, p.body FROM pages p JOIN page_visits v ON v.page_id = p.id"
            " WHERE p.url LIKE ? OR p.url LIKE ? ORDER BY v.fetched_at, p.id",
            (f"%/comments/{story_id}%", f"%link_id=t3_{story_id}%"))]  # fmt: skip
    at = datetime.now(UTC)

    def anchor() -> None:
        for _, text in answers:
            json.loads(text)

    def once() -> None:
        built = ThreadPages()
        for url, text in answers:
            built.add(text, url=url)
        built.thread(fetched_at=at)

    def twice() -> None:
        for url, text in answers:
            more_stubs(text, url=url)
        parse_thread_pages(answers, fetched_at=at)

    best = {"anchor": 1e9, "once": 1e9, "twice": 1e9}
    for _ in range(5):
        for name, fn in (("anchor", anchor), ("once", once), ("twice", twice)):
            start = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - start)
    mb = sum(len(t) for _, t in answers) / 1e6
    print(f"reading {len(answers)} answers ({mb:.1f} MB), CPU, best of 5:")
    print(f"  anchor: json.loads of each  : {best['anchor'] * 1e3:7.1f} ms")
    print(f"  decoded once (the crawl now): {best['once'] * 1e3:7.1f} ms "
          f"({best['once'] / best['anchor']:.2f}x the anchor)")
    print(f"  decoded twice (before)      : {best['twice'] * 1e3:7.1f} ms "
          f"({best['twice'] / best['anchor']:.2f}x the anchor)")



# A crawl's process CPU, its wall time, its own CPU (between open and close), its rows.
Step = tuple[float, float, float, int]


def recrawls(db: Path, env: dict[str, str], story_ids: list[str], *, main: str | None,
             repeat: int, firsts: int) -> None:
    """The same thread crawled again, unchanged, with the answers placed again
    (LINKTHREAD_REPARSE=1) and not (as the latest crawl read them): the process's CPU
    (start-up included), the crawl's own (between the pipeline's open and close) and
    the rows it wrote, through bench/recrawl.py's probes, against a first crawl."""
    import resource
    import shutil
    import sqlite3
    import statistics
    import subprocess

    sys.path.insert(0, str(ROOT / "bench"))
    from recrawl import floor

    imported: dict[str | None, list[str]] = {}  # a tree's last crawl's modules

    def run(into: Path, root: str | None, **extra: str) -> Step:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "reddit_api.py"), "--child",
                               "crawl", "reddit", *story_ids, "--db", str(into)],
                              env={**env, **extra, **({"RECRAWL_ROOT": root} if root else {})},
                              cwd=ROOT, check=False, capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"a crawl failed: {done.stderr[-2000:]}")
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        said = dict(line.split() for line in done.stderr.splitlines()
                    if line.startswith(("ROWS ", "CRAWL_CPU ", "MODULES ")))  # fmt: skip
        imported[root] = said.get("MODULES", "").split(",")
        if "CRAWL_CPU" not in said:
            raise SystemExit("a crawl went past the loop without Scrapy (no probe said "
                             f"its CPU): {done.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return cpu, wall, float(said["CRAWL_CPU"]), int(said["ROWS"])

    trees: list[tuple[str, str | None]] = [("this", None)]
    if main:
        trees.append(("main", str(Path(main).resolve())))
    for _, root in trees:
        # Bytecode cached beforehand, as an installed linkthread has it (pip compiles on
        # install): with PYTHONDONTWRITEBYTECODE=1 in the environment, every child
        # compiled ~85 modules from source, ~0.4 s of each crawl's CPU, the same for
        # any crawl whatever it did.
        tree = Path(root or ROOT)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "scraper"),
                        str(tree / "archive")], check=True, capture_output=True)
    dbs = {}
    for name, _ in trees:  # each tree re-crawls an archive of its own, from the same start
        dbs[name] = db.with_name(f"{name}.db")
        with sqlite3.connect(db) as src, sqlite3.connect(dbs[name]) as dst:
            src.backup(dst)
    shutil.rmtree(db.with_name("fresh"), ignore_errors=True)
    # The anchor is the best of ``firsts`` first crawls, each into an empty archive of its
    # own, as the re-crawls' figure is the best of theirs: one first crawl that a busy
    # moment slowed (or not) moved every share by points.
    steps = [*((f"first crawl #{i + 1}", {}) for i in range(firsts)),
             *((f"unchanged re-crawl #{i + 1}", {}) for i in range(repeat)),
             ("unchanged, REPARSE=1", {"LINKTHREAD_REPARSE": "1"}),
             ("unchanged, once more", {})]  # fmt: skip
    runs: dict[str, list[tuple[str, Step]]] = {n: [] for n, _ in trees}
    for k, (label, extra) in enumerate(steps):
        for name, root in trees if k % 2 == 0 else trees[::-1]:
            into = db.with_name(f"fresh-{name}-{k}.db") if k < firsts else dbs[name]
            runs[name].append((label, run(into, root, **extra)))
    floor_cpu = min(floor() for _ in range(3))
    bare_cpu = min(bare(dbs["this"], env) for _ in range(3))
    # The last crawl of each tree is an unchanged re-crawl: its modules alone, imported.
    imports_cpu = {name: min(imports(imported[root], root, env) for _ in range(3))
                   for name, root in trees}
    shares: dict[str, tuple[float, float]] = {}
    for name, _ in trees:
        with sqlite3.connect(dbs[name]) as conn:
            # Each crawl's threads: how many of them it found unchanged.
            flags = [f"{unchanged}/{threads}" for unchanged, threads in conn.execute(
                "SELECT sum(unchanged), count(*) FROM thread_crawls GROUP BY crawl_id"
                " ORDER BY crawl_id")]  # fmt: skip
        first = tuple(min(r[i] for label, r in runs[name] if label.startswith("first"))
                      for i in range(3))
        print(f"{name}: crawled again (threads unchanged by crawl: {' '.join(flags)}):")
        print(f"  {'':22} {'process CPU':>11} {'vs first':>8} {'wall':>6} {'vs first':>8} "
              f"{'crawl CPU':>9} {'vs first':>8} {'rows':>7}")
        for label, (cpu, wall, crawl_cpu, rows) in runs[name]:
            print(f"  {label:22} {cpu:11.2f} {cpu / first[0]:8.1%} {wall:6.2f} "
                  f"{wall / first[1]:8.1%} {crawl_cpu:9.2f} {crawl_cpu / first[2]:8.1%} "
                  f"{rows:7,}")
        print(f"  {'floor: Scrapy imported':22} {floor_cpu:11.2f} {floor_cpu / first[0]:8.1%}"
              "   (best of 3; no crawl)")
        print(f"  {'floor without Scrapy':22} {bare_cpu:11.2f} {bare_cpu / first[0]:8.1%}"
              "   (best of 3; http.client, the same answers hashed, nothing stored)")
        print(f"  {'floor: its imports':22} {imports_cpu[name]:11.2f} "
              f"{imports_cpu[name] / first[0]:8.1%}   (best of 3; the modules its last "
              "re-crawl ended with, imported in order, nothing run)")
        unchanged = [r[0] for label, r in runs[name] if label.startswith("unchanged")
                     and "REPARSE" not in label]
        shares[name] = (min(unchanged) / first[0], statistics.median(unchanged) / first[0])
    print(f"unchanged re-crawl, process CPU as a share of the best of {firsts} first crawls, "
          "best (median) of its runs: "
          + "; ".join(f"{name} {best:.1%} ({median:.1%})" for name, (best, median)
                      in shares.items())
          + f" (target <= 15%; load average {os.getloadavg()[0]:.2f})")


BARE = """
import base64, hashlib, http.client, json, os, sqlite3, sys, urllib.parse
db, auth, api = sys.argv[1], os.environ["LINKTHREAD_REDDIT_AUTH_URL"], \\
    os.environ["LINKTHREAD_REDDIT_API_URL"]
conn = sqlite3.connect(db)
(crawl,) = conn.execute("SELECT max(crawl_id) FROM thread_crawls").fetchone()
expected = [page for (pages,) in conn.execute(
    "SELECT pages FROM thread_crawls WHERE crawl_id = ?", (crawl,)) for page in json.loads(pages)]
a = urllib.parse.urlsplit(auth)
http_conn = http.client.HTTPConnection(a.netloc)
pair = base64.b64encode(
    f"{os.environ['LINKTHREAD_REDDIT_CLIENT_ID']}:"
    f"{os.environ['LINKTHREAD_REDDIT_CLIENT_SECRET']}".encode()).decode()
form = urllib.parse.urlencode({"grant_type": "password",
                               "username": os.environ["LINKTHREAD_REDDIT_USERNAME"],
                               "password": os.environ["LINKTHREAD_REDDIT_PASSWORD"]})
http_conn.request("POST", a.path, form, {"Authorization": f"Basic {pair}",
                  "Content-Type": "application/x-www-form-urlencoded"})
token = json.loads(http_conn.getresponse().read())["access_token"]
same = 0
for url, sha in expected:
    u = urllib.parse.urlsplit(url)
    http_conn.request("GET", u.path + ("?" + u.query if u.query else ""),
                      headers={"Authorization": f"bearer {token}"})
    same += hashlib.sha256(http_conn.getresponse().read()).hexdigest() == sha
assert same == len(expected), (same, len(expected))
"""


# Each module named imported, in the order given, from the checkout at RECRAWL_ROOT as
# a child sees it; one that does not import alone (a C accelerator's alias) is skipped.
IMPORTS = """
import importlib, os, sys
sys.path.insert(0, os.environ["RECRAWL_ROOT"])
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
"""


def imports(modules: list[str], root: str | None, env: dict[str, str]) -> float:
    """CPU seconds of a process that imports ``modules`` (:data:`IMPORTS`), and stops."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", IMPORTS, *modules], cwd=ROOT, check=True,
                   env={**env, "RECRAWL_ROOT": root or str(ROOT)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bare(db: Path, env: dict[str, str]) -> float:
    """CPU seconds of :data:`BARE` reading again the answers of the latest crawl."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", BARE, str(db)], env=env, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
