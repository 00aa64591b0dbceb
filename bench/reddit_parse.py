"""Reddit thread parsing against a bare ``json.loads`` of the same answers.

1. A generated thread of N comments (default 5,000) cut as the API cuts it, expanded
   stub by stub with ``ThreadPages`` (as a crawl does: add an answer, ask what is
   left), then read as one Thread; the anchor is ``json.loads`` of every answer.
   Also prints the answers this naive expansion (the first stub left, every time)
   took against one per 100 comments; the crawl's own strategy is measured with the
   crawl's stand-in API.
2. Every comments response of the shared corpus, when it is there.

Run: python bench/reddit_parse.py [--comments 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.parse import median_seconds
from scraper.parsers.reddit.thread import ThreadPages, parse_thread_pages
from tests.redditpages import Cut, comments_page, continue_page, generate_thread, morechildren_page

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def expanded(n: int) -> list[tuple[str, str]]:
    g = generate_thread(n, seed=1)
    cut = Cut(top_limit=200, child_limit=5, depth_limit=8)
    built = ThreadPages()
    pages = [(f"http://x/comments/{g.story_id}", comments_page(g, cut))]
    built.add(pages[0][1], url=pages[0][0])
    while left := built.unexpanded():
        stub = left[0]
        if stub.is_continue and stub.parent_id:
            page = (f"http://x/comments/{g.story_id}/_/{stub.parent_id}",
                    continue_page(g, stub.parent_id, cut))
        else:
            ids = stub.children[:100]
            page = (f"http://x/api/morechildren?children={','.join(ids)}",
                    morechildren_page(g, ids))
        pages.append(page)
        built.add(page[1], url=page[0])
    return pages


def main(argv: list[str]) -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--comments", type=int, default=5000)
    args.add_argument("--repeat", type=int, default=5)
    opts = args.parse_args(argv)
    pages = expanded(opts.comments)
    least = math.ceil(opts.comments / 100)
    print(f"generated thread of {opts.comments} comments: {len(pages)} answers "
          f"(least possible: {least}, one per 100 comments)")

    def incremental() -> None:
        built = ThreadPages()
        for url, text in pages:
            built.add(text, url=url)
            built.unexpanded()
        built.thread(fetched_at=NOW)

    bare = median_seconds(lambda: [json.loads(t) for _, t in pages], opts.repeat)
    whole = median_seconds(lambda: parse_thread_pages(pages, fetched_at=NOW), opts.repeat)
    step = median_seconds(incremental, opts.repeat)
    print(f"  json.loads of every answer (anchor): {bare * 1000:8.1f} ms")
    print(f"  parse_thread_pages:                  {whole * 1000:8.1f} ms  {whole / bare:5.1f}x")
    print(f"  ThreadPages, unexpanded after each:  {step * 1000:8.1f} ms  {step / bare:5.1f}x")
    root = Path(os.environ.get("LINKTHREAD_CORPUS") or
                Path(__file__).resolve().parent.parent.parent / "shared" / "corpus") / "reddit"
    if not root.is_dir():
        print(f"(no corpus at {root}: its pages are not measured)")
        return
    for path in sorted(root.glob("comments-*.json")):
        text = path.read_text("utf-8")
        try:
            parse_thread_pages([(path.name, text)], fetched_at=NOW)
        except Exception as e:  # the deleted-comment permalink: its one line
            print(f"  {path.name}: {e}")
            continue
        bare = median_seconds(lambda t=text: json.loads(t), opts.repeat)
        took = median_seconds(lambda t=text: parse_thread_pages([("x", t)], fetched_at=NOW),
                              opts.repeat)
        print(f"  {path.name:48} {len(text) / 1e6:5.2f} MB  json.loads {bare * 1000:7.1f} ms"
              f"  parse {took * 1000:7.1f} ms  {took / bare:5.1f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
