"""Backfill rate, CPU per item and peak memory: `linkthread backfill hn` against the local
Firebase stand-in with added latency (a real API's round trip).

Run: python bench/hn_backfill.py [--sizes 20000,100000] [--latency 0.05] [--concurrency 64]

The stand-in (``python -m tests.firebase``) runs in a process of its own, so the CPU
and memory measured are the client's alone: each run is a child process, and its
rusage (user + system CPU, peak RSS) comes from ``os.wait4``. The anchor, in the same
run against the same stand-in: the same ids fetched with nothing stored (``--fetch-only``
mode of this script: ApiClient.fetch_items alone). Target: >= 1,000 items/s at 50 ms,
and a peak RSS that does not grow with the range (compare the sizes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LINKTHREAD = Path(sys.executable).with_name("linkthread")


def fetch_only(url: str, count: int, concurrency: int) -> None:
    from scraper.hnapi.client import ApiClient

    async def go() -> int:
        got = 0
        async with ApiClient(url, concurrency=concurrency) as client:
            async for _, item in client.fetch_items(range(1, count + 1)):
                got += item is not None
        return got

    print(asyncio.run(go()))


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MiB, exit status) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status:
        print(err[-2000:], file=sys.stderr)
    # ru_maxrss is in KiB on Linux.
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="20000,100000")
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--fetch-only", nargs=3, metavar=("URL", "COUNT", "CONCURRENCY"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.fetch_only:
        url, count, conc = args.fetch_only
        fetch_only(url, int(count), int(conc))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.firebase", "--count", str(max(sizes)),
         "--latency", str(args.latency)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    url = server.stdout.readline().strip()
    env = {**os.environ, "LINKTHREAD_HN_API_URL": url,
           "LINKTHREAD_HN_API_CONCURRENCY": str(args.concurrency)}
    print(f"stand-in {url}, {args.latency * 1000:g} ms latency, "
          f"{args.concurrency} connections; client process only (stand-in excluded)")
    # Wall times and rates fall with the machine's load; the anchor shares it.
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'run':<28}{'items':>8}{'wall s':>9}{'items/s':>10}{'CPU us/item':>13}"
          f"{'peak RSS MiB':>14}")
    try:
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                runs = {
                    "fetch only (anchor)": [sys.executable, __file__, "--fetch-only", url,
                                            str(n), str(args.concurrency)],
                    "backfill hn (store)": [str(LINKTHREAD), "backfill", "hn", "--from", "1",
                                            "--to", str(n), "--db", str(Path(tmp) / "b.db")],
                }  # fmt: skip
                for label, cmd in runs.items():
                    wall, cpu, rss, status = measured(cmd, env)
                    flag = "" if status == 0 else f"  (exit {status})"
                    print(f"{label:<28}{n:>8}{wall:>9.1f}{n / wall:>10.0f}"
                          f"{cpu / n * 1e6:>13.0f}{rss:>14.1f}{flag}", flush=True)
        print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        server.stdin.close()
        server.wait(60)


if __name__ == "__main__":
    main()
