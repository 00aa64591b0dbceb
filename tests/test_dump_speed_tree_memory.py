"""The tree's pass (archive.bulk_tree.place) holds a few numbers a staged row, not a
thread's rows: a thread of a quarter of a dump (the generator's largest holds 28% of
its comments, as a megathread can) must not lift the import's peak by its size."""

from __future__ import annotations

import sqlite3
import tracemalloc

from archive import bulk_tree

ROWS = 30_000


def test_one_big_thread_is_placed_in_flat_memory() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE import_comments (site TEXT, story_id TEXT, parent_id TEXT,"
                 " id TEXT, created_at TEXT, PRIMARY KEY (site, id))")
    conn.execute("CREATE TABLE comments (site TEXT, id TEXT, story_id TEXT, depth INTEGER,"
                 " PRIMARY KEY (site, id))")
    # Replies in chains of ten under roots on the story: every row's place is known.
    conn.executemany("INSERT INTO import_comments VALUES ('reddit', 'big', ?, ?, ?)",
                     ((None if n % 10 == 0 else f"comment{n - 1:06d}", f"comment{n:06d}",
                       f"2024-01-01T00:00:{n % 60:02d}Z") for n in range(ROWS)))
    tracemalloc.start()
    try:
        bulk_tree.place(conn, stored=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The flat arrays take 14 bytes a row; a tuple of the row's columns takes ~500.
    assert peak < 64 * ROWS
    depths = conn.execute("SELECT depth, count(*) FROM temp.bulk_tree GROUP BY depth"
                          ).fetchall()  # fmt: skip
    assert depths == [(d, ROWS // 10) for d in range(10)]
