"""`crawl hn ID --via api` beside dogsheep's hacker-news-to-sqlite (`trees db ID`), the
tool its users have: the same generated thread, the same local Firebase stand-in with
the same added latency per request, whole-process wall time of each, and the ratio.

Run: python bench/hn_api.py [--comments 1000] [--latency 0.05] [--peer PYTHON]
                            [--runs 3] [--peer-runs 1]

The peer is not a project dependency: install it in a venv of its own
(``python3 -m venv /tmp/peer && /tmp/peer/bin/pip install hacker-news-to-sqlite``) and
give that venv's python as ``--peer``. Its API base URL is a constant in its source
(``https://hacker-news.firebaseio.com/v0/item/{}.json``); the bench does not edit the
installed copy but redirects it: the peer runs under a two-line bootstrap that wraps
``requests.get`` so that URLs under that constant go to the stand-in instead (printed
below), then calls its click entry point as its console script would.

Each of ours is a fresh archive. The runs alternate (start-up anchor, the spider's
crawl, ours) so that the machine's load falls on all alike; the best of ``--runs`` is
printed with the median. Anchors, in the same run: `linkthread --help` (the process
start-up alone); the same crawl through the Scrapy spider (``-s LOG_LEVEL=WARNING``
sends it there: the path every crawl took before); the floors of the fetch: requests x
latency in sequence (the peer's), the requests over the connection bound, and the
tree's depth in round trips. CPU is the child's own (the stand-in runs in this process),
peak RSS its ``VmHWM``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import sites_hn  # noqa: E402
from tests import hnpages  # noqa: E402
from tests.firebase import items_of_thread, serve_firebase  # noqa: E402

PEER_URL = "https://hacker-news.firebaseio.com/v0"
BOOTSTRAP = """\
import sys, requests
real = requests.get
requests.get = lambda url, *a, **k: real(url.replace({peer!r}, {api!r}, 1), *a, **k)
from hacker_news_to_sqlite.cli import cli
sys.argv = ["hacker-news-to-sqlite", *sys.argv[1:]]
cli()
"""


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process, from its own rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    if status:
        sys.exit(f"{cmd[0]} failed ({status}): {err.decode()[-2000:]}")
    # ru_maxrss is in KiB on Linux.
    return took, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def depth_of(items: dict[int, dict | None], root: int) -> int:
    """Round trips the tree needs one after another: its levels, the root's included."""
    level, depth = [root], 0
    while level:
        depth += 1
        level = [k for i in level for k in ((items.get(i) or {}).get("kids") or ())]
    return depth


def line(name: str, runs: list[tuple[float, float, float]], items: int) -> str:
    best = min(runs)
    median = statistics.median(r[0] for r in runs)
    return (f"{name:<36}{best[0]:7.2f} s wall (median {median:5.2f}, {len(runs)} runs) "
            f"{best[1]:6.2f} s CPU {best[1] / items * 1e6:5.0f} us/item "
            f"{best[2]:6.1f} MiB peak")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--comments", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    ap.add_argument("--peer", default="/tmp/peer-venv/bin/python",
                    help="python of a venv with hacker-news-to-sqlite installed")
    ap.add_argument("--runs", type=int, default=3, help="runs of ours and of each anchor")
    ap.add_argument("--peer-runs", type=int, default=1, help="runs of the peer (~60 s each)")
    args = ap.parse_args()
    linkthread = shutil.which("linkthread", path=str(Path(sys.executable).parent)) \
        or shutil.which("linkthread")
    if linkthread is None:
        sys.exit("linkthread is not installed in this python's venv")
    if args.peer_runs and not Path(args.peer).exists():
        sys.exit(f"no peer python at {args.peer}: see this script's docstring")

    thread = hnpages.random_thread(args.comments, seed=1, story_id="30000000")
    items = items_of_thread(thread)
    story = int(thread.story_id)
    concurrency = int(os.environ.get(sites_hn.API_CONCURRENCY_SETTING)
                      or sites_hn.API_CONCURRENCY)  # fmt: skip
    with serve_firebase() as api, tempfile.TemporaryDirectory() as tmp:
        api.add(items)
        api.latency = args.latency
        env = {**os.environ, "LINKTHREAD_HN_API_URL": api.base_url}
        print(f"thread: {len(items) - 1} comments + the story, {args.latency * 1000:.0f} ms "
              f"added per request, stand-in at {api.base_url}, {concurrency} connections")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
              "at the start (wall times grow with it)")
        ours: list[tuple[float, float, float]] = []
        spider: list[tuple[float, float, float]] = []
        startup: list[tuple[float, float, float]] = []
        asked: list[int] = []
        for k in range(args.runs):
            startup.append(run([linkthread, "--help"], env))
            spider.append(run([linkthread, "crawl", "hn", thread.story_id, "--via", "api",
                               "-s", "LOG_LEVEL=WARNING", "--db", f"{tmp}/spider{k}.db"],
                              env))  # fmt: skip
            before = api.requests
            ours.append(run([linkthread, "crawl", "hn", thread.story_id, "--via", "api",
                             "--db", f"{tmp}/ours{k}.db"], env))  # fmt: skip
            asked.append(api.requests - before)
        peer: list[tuple[float, float, float]] = []
        peer_asked = 0
        if args.peer_runs:
            bootstrap = BOOTSTRAP.format(peer=PEER_URL, api=api.base_url)
            print(f"peer redirected: requests.get rewrites {PEER_URL} -> {api.base_url} "
                  f"(python -c <bootstrap> trees DB ID; its installed copy untouched)")
            for k in range(args.peer_runs):
                before = api.requests
                peer.append(run([args.peer, "-c", bootstrap, "trees", f"{tmp}/peer{k}.db",
                                 thread.story_id], env))  # fmt: skip
                peer_asked = api.requests - before

    n = len(items)
    print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")
    print(f"floor: {n} requests in sequence {n * args.latency:7.2f} s (the peer's latency)")
    print(f"floor: {n} requests over {concurrency} connections "
          f"{math.ceil(n / concurrency) * args.latency:5.2f} s; the tree's "
          f"{depth_of(items, story)} levels {depth_of(items, story) * args.latency:5.2f} s "
          "(+ one round trip for robots.txt)")
    print(line("anchor: linkthread --help (start-up)", startup, n))
    print(line("anchor: crawl --via api, the spider", spider, n))
    print(line("linkthread crawl --via api", ours, n) + f"  {asked[0]} requests")
    if peer:
        print(line("hacker-news-to-sqlite trees", peer, n) + f"  {peer_asked} requests")
        print(f"ratio: {min(peer)[0] / min(ours)[0]:.1f}x faster in wall time, best against "
              f"best (target >= 20x); the spider's crawl {min(peer)[0] / min(spider)[0]:.1f}x")
    print(f"ours against the spider's crawl: {min(ours)[0] / min(spider)[0]:.2f} of its wall "
          f"time, {min(ours)[1] / min(spider)[1]:.2f} of its CPU")


if __name__ == "__main__":
    main()
