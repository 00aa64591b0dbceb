"""Parse + tree time for a generated 1,000-comment HN page, against a bare lxml parse.

Run: python bench/parse.py [--comments 1000] [--repeat 15]
Prints the median of each and their ratio (the target is <= 5x lxml.html.fromstring).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraper.parsers import hn  # noqa: E402
from scraper.parsers.tree import assemble_thread  # noqa: E402
from tests import hnpages  # noqa: E402


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--comments", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    for era in ("modern", "old"):
        thread = hnpages.random_thread(args.comments, seed=1)
        page = hnpages.site_pages(thread, era=era)[f"/item?id={thread.story_id}"]
        url = f"https://news.ycombinator.com/item?id={thread.story_id}"

        def parse(page: str = page, url: str = url) -> object:
            return assemble_thread([hn.parse_item_page(
                page, url=url, fetched_at=hnpages.FETCHED_AT)])

        assert len(parse().comments) == args.comments  # type: ignore[attr-defined]
        base = median_seconds(lambda page=page: lxml.html.fromstring(page), args.repeat)
        ours = median_seconds(parse, args.repeat)
        print(f"{era:6} markup, {args.comments} comments, {len(page) / 1e6:.2f} MB: "
              f"lxml.html.fromstring {base * 1e3:7.1f} ms | parse+tree {ours * 1e3:7.1f} ms | "
              f"ratio {ours / base:4.1f}x | {args.comments / ours:,.0f} comments/s")


if __name__ == "__main__":
    main()
