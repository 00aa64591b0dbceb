"""Peak memory of parsing one big thread page, against the page's own size (the anchor).

A fresh process per measurement: it imports the parsers, notes its resident size (the
baseline), then reads the page's bytes, decodes them as a crawl does (``response.text``)
and parses the page into its Thread. The figure is the peak resident size
(``VmHWM``) above the baseline, as a multiple of the page's size in bytes; what the page
costs alone (its bytes and its decoded text) is printed beside it. Target (issue 14):
<= 10x for a 10,000-comment page.

Then a crawl's worth of pages in one process (``--threads`` pages of 1,000 comments,
parsed and dropped one after another, as the spider does): the resident size after each
tenth should stay flat.

Run: python bench/memory.py [--comments 10000] [--threads 50]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import hnpages

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys
sys.path.insert(0, {root!r})
from scraper.parsers import hn
from scraper.parsers.tree import assemble_thread
from tests import hnpages

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024

def parse(text):
    url = "https://news.ycombinator.com/item?id=" + {story!r}
    return assemble_thread([hn.parse_item_page(text, url=url,
                                               fetched_at=hnpages.FETCHED_AT)])

warm = parse(open({small!r}, encoding="utf-8").read())  # code paths and caches in place
del warm
base = status("VmRSS")
mode = {mode!r}
if mode == "one":
    body = open({path!r}, "rb").read()
    text = body.decode("utf-8")
    alone = status("VmRSS") - base
    thread = parse(text)
    print(len(thread.comments), base, status("VmHWM") - base, alone)
else:
    text = open({path!r}, encoding="utf-8").read()
    sizes = []
    for k in range({threads}):
        thread = parse(text)
        del thread
        if k % 10 == 9:
            sizes.append(status("VmRSS") - base)
    print(" ".join(str(s) for s in sizes))
"""


def run_child(mode: str, path: Path, small: Path, story: str, threads: int = 0) -> str:
    code = CHILD.format(root=str(ROOT), story=story, mode=mode, path=str(path),
                        small=str(small), threads=threads)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip()


def write_page(folder: Path, n: int, name: str) -> tuple[Path, str, int]:
    thread = hnpages.random_thread(n, seed=1)
    page = hnpages.site_pages(thread, era="modern")[f"/item?id={thread.story_id}"]
    path = folder / name
    path.write_bytes(page.encode("utf-8"))
    return path, thread.story_id, path.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, story, _ = write_page(folder, 50, "small.html")
        big, _, size = write_page(folder, args.comments, "big.html")
        n, base, peak, alone = (int(x) for x in run_child("one", big, small, story).split())
        print(f"one page of {n} comments, {size / 1e6:.1f} MB (the anchor): baseline "
              f"{base / 1e6:.0f} MB RSS; peak {peak / 1e6:.0f} MB above it = "
              f"{peak / size:.1f}x the page (target <= 10x); its bytes and decoded text "
              f"alone {alone / 1e6:.0f} MB = {alone / size:.1f}x")
        page, _, size = write_page(folder, 1000, "page.html")
        sizes = run_child("many", page, small, story, args.threads).split()
        print(f"{args.threads} pages of 1,000 comments ({size / 1e6:.1f} MB each) one after "
              f"another: RSS above the baseline after every tenth: "
              + ", ".join(f"{int(s) / 1e6:.0f} MB" for s in sizes))


if __name__ == "__main__":
    main()
