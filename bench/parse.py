"""Parse + tree time for a generated 1,000-comment HN page, against a bare lxml parse.

Then every HN item page and every Lobsters story page of the shared corpus, when it is
there: HTML against a bare lxml parse of the same page, JSON against a bare
``json.loads`` of the same text.

Run: python bench/parse.py [--comments 1000] [--repeat 15]
Prints the median of each and their ratio (the target is <= 5x lxml.html.fromstring),
then the same for every item page of the shared corpus, when it is there.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraper.parsers import hn, lobsters
from scraper.parsers.tree import assemble_thread
from tests import hnpages


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
        report(f"generated {era} markup", page, args.comments, base, ours)
    corpus = Path(os.environ.get("LINKTHREAD_CORPUS") or Path(__file__).resolve().parents[2]
                  / "shared" / "corpus") / "hn"
    for path in sorted(corpus.glob("item-*.html")):
        page = path.read_text(encoding="utf-8")
        story_id = path.stem.split("-")[1]

        def parse_real(page: str = page, story_id: str = story_id) -> object:
            return hn.parse_item_page(page, url=f"https://news.ycombinator.com/item?id={story_id}",
                                      fetched_at=hnpages.FETCHED_AT, story_id=story_id)

        n = len(parse_real().comments)  # type: ignore[attr-defined]
        base = median_seconds(lambda page=page: lxml.html.fromstring(page), args.repeat)
        report(f"corpus {path.name}", page, n, base, median_seconds(parse_real, args.repeat))
    for path in sorted((corpus.parent / "lobsters").glob("story-*")):
        page = path.read_text(encoding="utf-8")
        story_id = path.stem.split("-")[1]
        url = f"https://lobste.rs/s/{story_id}" + (".json" if path.suffix == ".json" else "")

        def parse_lobsters(page: str = page, url: str = url) -> object:
            return lobsters.parse_thread(page, url=url, fetched_at=hnpages.FETCHED_AT)

        n = len(parse_lobsters().comments)  # type: ignore[attr-defined]
        bare: Callable[[], object] = ((lambda page=page: json.loads(page))
                                      if path.suffix == ".json"
                                      else (lambda page=page: lxml.html.fromstring(page)))
        base = median_seconds(bare, args.repeat)
        report(f"lobsters {path.name}", page, n, base,
               median_seconds(parse_lobsters, args.repeat))


def report(label: str, page: str, comments: int, base: float, ours: float) -> None:
    print(f"{label:38} {comments:5} comments {len(page) / 1e6:5.2f} MB | bare parse "
          f"{base * 1e3:6.2f} ms | parse+tree {ours * 1e3:6.2f} ms | ratio {ours / base:4.1f}x")


if __name__ == "__main__":
    main()
