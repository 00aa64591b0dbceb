"""`crawl hn ID --via api` beside dogsheep's hacker-news-to-sqlite (`trees db ID`), the
tool its users have: the same generated thread, the same local Firebase stand-in with
the same added latency per request, whole-process wall time of each, and the ratio.

Run: python bench/hn_api.py [--comments 1000] [--latency 0.05] [--peer PYTHON]

The peer is not a project dependency: install it in a venv of its own
(``python3 -m venv /tmp/peer && /tmp/peer/bin/pip install hacker-news-to-sqlite``) and
give that venv's python as ``--peer``. Its API base URL is a constant in its source
(``https://hacker-news.firebaseio.com/v0/item/{}.json``); the bench does not edit the
installed copy but redirects it: the peer runs under a two-line bootstrap that wraps
``requests.get`` so that URLs under that constant go to the stand-in instead (printed
below), then calls its click entry point as its console script would.

Anchors, in the same run: the floor of a one-request-at-a-time fetch (requests x
latency), and `linkthread --help` (the process start-up alone).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({result.returncode}): {result.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return took, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--comments", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    ap.add_argument("--peer", default="/tmp/peer-venv/bin/python",
                    help="python of a venv with hacker-news-to-sqlite installed")
    args = ap.parse_args()
    linkthread = shutil.which("linkthread", path=str(Path(sys.executable).parent)) \
        or shutil.which("linkthread")
    if linkthread is None:
        sys.exit("linkthread is not installed in this python's venv")
    if not Path(args.peer).exists():
        sys.exit(f"no peer python at {args.peer}: see this script's docstring")

    thread = hnpages.random_thread(args.comments, seed=1, story_id="30000000")
    items = items_of_thread(thread)
    with serve_firebase() as api, tempfile.TemporaryDirectory() as tmp:
        api.add(items)
        api.latency = args.latency
        env = {**os.environ, "LINKTHREAD_HN_API_URL": api.base_url}
        bootstrap = BOOTSTRAP.format(peer=PEER_URL, api=api.base_url)
        print(f"thread: {len(items) - 1} comments + the story, {args.latency * 1000:.0f} ms "
              f"added per request, stand-in at {api.base_url}")
        print(f"peer redirected: requests.get rewrites {PEER_URL} -> {api.base_url} "
              f"(python -c <bootstrap> trees DB ID; its installed copy untouched)")

        startup = timed([linkthread, "--help"], env)
        before = api.requests
        ours = timed([linkthread, "crawl", "hn", thread.story_id, "--via", "api",
                      "--db", f"{tmp}/ours.db"], env)
        our_requests = api.requests - before
        before = api.requests
        peer = timed([args.peer, "-c", bootstrap, "trees", f"{tmp}/peer.db", thread.story_id],
                     env)
        peer_requests = api.requests - before

    floor = peer_requests * args.latency
    load = os.getloadavg()[0]
    print(f"machine: load average {load:.1f} on {os.cpu_count()} cores (wall times grow with it)")
    print(f"anchor: linkthread --help (start-up)  {startup[0]:7.2f} s wall {startup[1]:6.2f} s CPU")
    print(f"anchor: {peer_requests} requests in sequence {floor:7.2f} s (the latency alone)")
    for name, (wall, cpu), n in (("hacker-news-to-sqlite trees", peer, peer_requests),
                                 ("linkthread crawl --via api ", ours, our_requests)):
        print(f"{name}  {wall:7.2f} s wall {cpu:6.2f} s CPU  {n} requests "
              f"{n / wall:6.0f} items/s")
    print(f"ratio: {peer[0] / ours[0]:.1f}x faster in wall time (target >= 20x)")


if __name__ == "__main__":
    main()
