"""archive.search ranks in one statement and builds snippets for the rows shown only
(issue 14): its hits must be those of the one statement that did everything at once,
whole, on a seeded random archive, with and without each filter, ties included."""

from __future__ import annotations

import random
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from archive.db import open_db, open_readonly
from archive.search import _hit, search
from archive.store import save_thread
from tests.test_store import T0, make_comment, make_story, make_thread

# The search as one statement per index: every match joined, ranked with its snippet
# and title, then filtered and cut. Ties in bm25 by rowid, the order search documents.
ONE_STATEMENT = {
    "comment": """
SELECT 'comment', c.site, c.story_id, c.id, c.author, c.created_at, s.title,
       snippet(comments_fts, 0, '[', ']', '…', 16), c.synthetic_id,
       bm25(comments_fts) AS score
FROM comments_fts JOIN comments c ON c.rowid = comments_fts.rowid
LEFT JOIN stories s ON s.site = c.site AND s.id = c.story_id
WHERE comments_fts MATCH :query {where} ORDER BY score, c.rowid LIMIT :limit""",
    "story": """
SELECT 'story', s.site, s.id, NULL, s.author, s.created_at, s.title,
       snippet(stories_fts, -1, '[', ']', '…', 16), 0, bm25(stories_fts) AS score
FROM stories_fts JOIN stories s ON s.rowid = stories_fts.rowid
WHERE stories_fts MATCH :query {where} ORDER BY score, s.rowid LIMIT :limit""",
}
WORDS = ["otter", "rust", "supply", "chain", "fox", "river", "stone"]


def expected(conn: sqlite3.Connection, query: str, limit: int, **filters: str) -> list:
    hits = []
    for kind, sql in ONE_STATEMENT.items():
        t = "c" if kind == "comment" else "s"
        where = "".join(
            f" AND {t}.{'created_at >=' if k == 'since' else k + ' ='} :{k}" for k in filters
        )
        rows = conn.execute(sql.format(where=where), {"query": query, "limit": limit, **filters})
        hits += [_hit(row) for row in rows]
    hits.sort(key=lambda h: h.rank)
    return hits[:limit]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ranked") / "a.db"
    db = open_db(path)
    rng = random.Random(14)
    for s in range(12):
        story_id = str(1000 + s)
        comments = tuple(
            make_comment(
                str(s * 100 + k), story_id=story_id, position=k,
                author=rng.choice(["ann", "bob", "cy"]),
                created_at=T0 + timedelta(hours=rng.randrange(-48, 48)),
                # Short texts from few words: many equal scores, so ties are tested.
                text=" ".join(rng.choices(WORDS, k=rng.randrange(1, 6))),
            )
            for k in range(30)
        )  # fmt: skip
        story = make_story(id=story_id, title=" ".join(rng.choices(WORDS, k=3)), author="ann")
        save_thread(db, make_thread(comments, story=story))
    db.close()
    return path


@pytest.mark.parametrize("query", ["otter", "rust chain", "fox OR stone", '"supply chain"'])
@pytest.mark.parametrize("limit", [1, 7, 20, 500])
def test_search_equals_one_statement(archive: Path, query: str, limit: int) -> None:
    conn = open_readonly(archive)
    try:
        assert search(conn, query, limit=limit) == expected(conn, query, limit)
        since = "2026-01-14T20:00:00Z"
        assert search(conn, query, limit=limit, since=since) == \
            expected(conn, query, limit, since=since)  # fmt: skip
        # author: is a comment column; stories are filtered by their author too.
        assert search(conn, query, limit=limit, author="bob", kinds=("comment",)) == \
            [h for h in expected(conn, query, 10_000, author="bob") if h.kind == "comment"][
                :limit]  # fmt: skip
        assert search(conn, query, limit=limit, site="hn") == \
            expected(conn, query, limit, site="hn")  # fmt: skip
    finally:
        conn.close()
