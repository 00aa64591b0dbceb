"""What the automatic search-band upkeep (archive/search_auto.py) costs, beside what
it runs after: a 1,000-comment crawl into a large archive, and a fresh word becoming
frequent. Every figure has its anchor timed in the same run (CPU and wall, best of
--rounds, alternating):

* crawl: parsing a generated 1,000-comment HN page (the parser's share of a crawl)
  and saving a 1,000-comment thread (``save_thread``), then the upkeep that the
  crawl's end runs (folding those comments into every kept band, a look for words
  become frequent);
* threshold: FTS5 ranking every match of the common word (``ORDER BY bm25 LIMIT
  20``), per match, against the kept band's answer: the cost MIN_DOCS is set from;
* fresh word: threads with a new word in 60% of their comments saved one by one, each
  followed by the crawl-end upkeep, until the word is kept: how many comments it took
  after it crossed MIN_DOCS, and the upkeep's CPU against building the same band in
  one statement (``search-index WORD``, rolled back).

    python bench/scale.py --comments 1000000 --db /tmp/band-1m.db --build-only
    python bench/band.py --db /tmp/band-1m.db            # first run keeps every frequent word
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pstats
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import (
    search_auto,
    search_build,
    search_counts,
    search_fold,
    search_index,
    search_upkeep,
)
from archive.db import open_db
from archive.models import Thread
from archive.store import save_thread
from bench.scale_data import COMMON_WORD, Generator
from scraper.parsers import hn
from tests import hnpages

FRESH = "zeppelin"  # with letters after it: a word no earlier run has kept


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def timed(fn) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def new_thread(gen: Generator, story: int, size: int = 1_000, word: str | None = None,
               share: float = 0.0) -> Thread:  # fmt: skip
    gen.next_comment = 10**12 + story * 10_000  # ids of no comment the archive holds
    t = gen.thread(str(story), size)
    if word is None:
        return t
    comments = []
    for k, c in enumerate(t.comments):
        if (k * 0.618) % 1.0 < share:
            text = f"{c.text} {word}"
            c = dataclasses.replace(c, text=text, text_html=f"<p>{text}</p>")
        comments.append(c)
    return dataclasses.replace(t, comments=tuple(comments))


def settle(db) -> None:  # type: ignore[no-untyped-def]
    w, c, out = timed(lambda: search_auto.upkeep(db, seconds=None))
    kept = db.conn.execute("SELECT count(*) FROM search_terms").fetchone()[0]
    print(f"settle: upkeep to the end {w:.1f} s wall, {c:.1f} s CPU: built {len(out.built)},"
          f" {kept} words kept")  # fmt: skip


def crawl(db, rounds: int, story: int) -> int:  # type: ignore[no-untyped-def]
    page = next(iter(hnpages.site_pages(hnpages.random_thread(1_000, seed=3)).values()))
    url = "https://news.ycombinator.com/item?id=46621892"
    fetched = Generator(1).thread("x", 1).fetched_at
    gen = Generator(10**6, seed=story)
    rows = []
    for r in range(rounds):
        parse = timed(lambda: hn.parse_thread(page, url=url, fetched_at=fetched))
        t = new_thread(gen, story)
        story += 1
        save = timed(lambda t=t: save_thread(db, t))
        up = timed(lambda: search_auto.upkeep(db))
        u = up[2]
        rows.append((parse, save, up))
        print(f"  round {r + 1}: parse {parse[1] * 1e3:.0f} ms CPU, save {save[1] * 1e3:.0f} ms"
              f" CPU ({save[0] * 1e3:.0f} wall), upkeep {up[1] * 1e3:.0f} ms CPU"
              f" ({up[0] * 1e3:.0f} wall; folded {u.folded}, looked {u.looked},"  # type: ignore[attr-defined]
              f" started {len(u.started)})")  # type: ignore[attr-defined]  # fmt: skip
    p = min(x[0][1] for x in rows)
    s = min(x[1][1] for x in rows)
    sw = min(x[1][0] for x in rows)
    u = min(x[2][1] for x in rows)
    uw = min(x[2][0] for x in rows)
    print(f"crawl of 1,000 comments, best of {rounds}: upkeep {u * 1e3:.1f} ms CPU against"
          f" the save's {s * 1e3:.1f} ms ({u / s:.2f}x) and parse + save {(p + s) * 1e3:.1f} ms"
          f" ({u / (p + s):.2f}x); wall {uw * 1e3:.1f} against {sw * 1e3:.1f} ms ({uw / sw:.2f}x)")
    # Nothing new: what every crawl that saved nothing pays.
    idle = min(timed(lambda: search_auto.upkeep(db))[1] for _ in range(3))
    print(f"nothing new: upkeep {idle * 1e3:.2f} ms CPU (the save above {s * 1e3:.1f} ms)")
    # A re-crawl where every comment's text changed: 1,000 logged changes to fold.
    edits = []
    for _ in range(min(rounds, 3)):
        old = gen.next_comment
        t = new_thread(gen, story)
        save_thread(db, t)
        search_auto.upkeep(db, seconds=None)
        gen.next_comment = old
        edited = new_thread(gen, story)  # the same ids, other texts, seen a day later
        edited = dataclasses.replace(edited, fetched_at=t.fetched_at + timedelta(days=1))
        story += 1
        save = timed(lambda e=edited: save_thread(db, e))
        waiting = search_fold.pending(db.conn)
        up = timed(lambda: search_auto.upkeep(db))
        assert up[2].folded == 0 and not db.conn.in_transaction  # type: ignore[attr-defined]
        edits.append((save[1], up[1]))
    es, eu = min(e[0] for e in edits), min(e[1] for e in edits)
    print(f"1,000 comments edited ({waiting} changes logged): upkeep {eu * 1e3:.1f} ms CPU"
          f" against their save's"
          f" {es * 1e3:.1f} ms ({eu / es:.2f}x)")
    t = new_thread(gen, story)
    story += 1
    save_thread(db, t)
    prof = cProfile.Profile()
    prof.runcall(search_auto.upkeep, db)
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    print("  profile of one upkeep (own time, share):")
    mine = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:8]  # type: ignore[attr-defined]
    for (file, line, name), v in mine:
        print(f"    {v[2] / total:5.1%}  {Path(file).name}:{line} {name}")
    return story


def threshold(db) -> None:  # type: ignore[no-untyped-def]
    conn = db.conn
    docs = search_counts.term_docs(conn, "peopl", COMMON_WORD)
    sql = ("SELECT rowid, bm25(comments_fts) AS s FROM comments_fts WHERE comments_fts"
           " MATCH ? ORDER BY s, rowid LIMIT 20")  # fmt: skip
    rank = min(timed(lambda: conn.execute(sql, (COMMON_WORD,)).fetchall())[1] for _ in range(2))
    joined = ("SELECT c.rowid, bm25(comments_fts) AS s FROM comments_fts CROSS JOIN comments c"
              " ON c.rowid = comments_fts.rowid WHERE comments_fts MATCH ?"
              " AND c.created_at >= '2000-01-01' ORDER BY s, c.rowid LIMIT 20")  # fmt: skip
    rank = min(timed(lambda: conn.execute(sql, (COMMON_WORD,)).fetchall())[1] for _ in range(2))
    filt = min(timed(lambda: conn.execute(joined, (COMMON_WORD,)).fetchall())[1] for _ in range(2))
    band = min(timed(lambda: search_index.ranked(conn, COMMON_WORD, 20))[1] for _ in range(3))
    per, per_f, n = rank / docs, filt / docs, search_index.MIN_DOCS
    print(f"threshold: ranking all {docs:,} matches of {COMMON_WORD!r} {rank * 1e3:.0f} ms CPU"
          f" ({per * 1e6:.2f} us a match), with a --since filter {filt * 1e3:.0f} ms"
          f" ({per_f * 1e6:.2f} us), against its band's {band * 1e3:.1f} ms; at MIN_DOCS"
          f" ({n:,}) matches: ~{per * n * 1e3:.0f} ms, ~{per_f * n * 1e3:.0f} ms filtered")


def fresh(db, story: int) -> None:  # type: ignore[no-untyped-def]
    conn = db.conn
    taken = {t for t, in conn.execute("SELECT term FROM search_terms")}
    word = next(w for k in range(26 * 26) if (w := FRESH + "x" + chr(97 + k // 26)
                                               + chr(97 + k % 26)) not in taken)  # fmt: skip
    term = (search_index.single_term(word) or (word, word))[0]
    gen = Generator(10**6, seed=story)
    steps = [0.0, 0.0]
    step = search_build.step

    def timed_step(*args, **kwargs):  # type: ignore[no-untyped-def]
        w, c, out = timed(lambda: step(*args, **kwargs))
        steps[0] += w
        steps[1] += c
        return out

    search_build.step = timed_step  # type: ignore[assignment]
    saved = crossed = 0
    cpu = wall = 0.0
    runs = 0
    while True:
        save_thread(db, new_thread(gen, story, word=word, share=0.6))
        story += 1
        saved += 1_000
        docs = search_counts.term_docs(conn, term, word)
        if docs >= search_index.MIN_DOCS and not crossed:
            crossed = saved
        w, c, out = timed(lambda: search_auto.upkeep(db))
        started = conn.execute("SELECT 1 FROM search_terms WHERE term IN (?, ?)",
                               (term, " " + term)).fetchone()  # fmt: skip
        if started:
            runs += 1
            cpu, wall = cpu + c, wall + w
        if term in out.built:  # type: ignore[attr-defined]
            break
        if saved > 200_000:
            print("fresh word: not kept after 200,000 comments")
            return
    docs = search_counts.term_docs(conn, term, word)
    conn.execute("BEGIN IMMEDIATE")
    try:
        w1, c1, _ = timed(lambda: search_upkeep.keep(conn, [word]))
    finally:
        conn.rollback()
    print(f"fresh word {word!r} in 60% of new comments: crossed {search_index.MIN_DOCS:,} after"
          f" {crossed:,} comments, kept after {saved:,} ({docs:,} comments hold it);"
          f" {runs} crawl-end upkeeps from its start, {cpu:.2f} s CPU ({wall:.2f} s wall), of"
          f" which its build's steps {steps[1]:.2f} s CPU ({steps[0]:.2f} s wall), against"
          f" one `search-index {word}` {c1:.2f} s CPU ({w1:.2f} s wall, the write lock"
          f" held throughout)")  # fmt: skip


def rebuild(db) -> None:  # type: ignore[no-untyped-def]
    """The common word's band built again both ways: one statement (rolled back), then
    a step at a time as upkeep does (the result replaces the kept band)."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        w1, c1, _ = timed(lambda: search_upkeep.keep(conn, [COMMON_WORD]))
    finally:
        conn.rollback()
    search_build.start(conn, "peopl", COMMON_WORD)
    runs, cpu, wall = 0, 0.0, 0.0
    done = False
    while not done:
        w, c, done = timed(lambda: search_build.step(
            conn, "peopl", deadline=time.monotonic() + search_auto.SECONDS))  # fmt: skip
        runs, cpu, wall = runs + 1, cpu + c, wall + w
    print(f"rebuild of {COMMON_WORD!r}: {runs} steps of {search_auto.SECONDS:.0f} s,"
          f" {cpu:.2f} s CPU ({wall:.2f} s wall), against one statement {c1:.2f} s CPU"
          f" ({w1:.2f} s wall, the write lock held throughout)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/band-1m.db"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-fresh", action="store_true")
    args = ap.parse_args()
    print(load())
    db = open_db(args.db)
    settle(db)
    story = 1 + db.conn.execute("SELECT max(CAST(id AS INTEGER)) FROM stories").fetchone()[0]
    story = crawl(db, args.rounds, story)
    threshold(db)
    rebuild(db)
    if not args.no_fresh:
        fresh(db, story + 10)
    print(load())
    db.close()


if __name__ == "__main__":
    main()
