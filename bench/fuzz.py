"""Fuzz the HN parsers at scale: pages run / non-ParseError exceptions / silent row losses.

Run: python bench/fuzz.py [--generated 60] [--per-page 40] [--seed 1] [--huge-every 500]
The mutations and the completeness check are those of tests/test_parser_fuzz.py (which
runs a few hundred of them in the suite); this runs thousands, over the shared corpus
(when it is there) and generated pages, and prints a sample of each kind of failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_parser_fuzz import all_pages, fuzz


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--generated", type=int, default=60, help="generated threads (each gives "
                    "item pages, a listing and a profile)")
    ap.add_argument("--per-page", type=int, default=40, help="mutations of each page")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--huge-every", type=int, default=500,
                    help="every Nth mutation inserts a 10.5 MB text node (0: never)")
    args = ap.parse_args()
    start = time.perf_counter()
    pages = all_pages(args.seed, args.generated, corpus=True)
    out = fuzz(pages, args.per_page, args.seed, huge_every=args.huge_every)
    print(f"{len(pages)} source pages, {out.pages} fuzzed pages in "
          f"{time.perf_counter() - start:.0f} s: {out.rejected} ParseError, "
          f"{out.complete} complete")
    print(f"non-ParseError exceptions: {len(out.crashes)}")
    for line in out.crashes[:15]:
        print("  ", line)
    print(f"of the ParseErrors, made from another exception by parser_entry: {len(out.wrapped)}")
    for line in out.wrapped[:15]:
        print("  ", line)
    print(f"silent row losses: {len(out.losses)}")
    for line in out.losses[:15]:
        print("  ", line)


if __name__ == "__main__":
    main()
