"""Full-text search over the archive's FTS5 indexes, ranked by bm25, with snippets.

``comments_fts`` indexes a comment's text and author, ``stories_fts`` a story's title
and text (``archive/schema.py``). A search string is FTS5 query syntax: words (all
must appear), ``"a phrase"``, ``OR``, ``NOT``, ``prefix*``, ``author:pg``. A string
FTS5 cannot read (``it's``, ``supply-chain``, an unbalanced quote) is an
:class:`ArchiveError` that says how to quote it; it is never silently reread, since
a reading we guessed could search for the opposite of what was meant (``-npm``). With
``literal=True`` every word is quoted instead, so punctuation is just text.

Both statements run in :class:`archive.sandbox.Sandbox`, the guard every user's SQL
or FTS query runs under: a search of thousands of terms or a wide ``NEAR`` group stops
at its time limit with one line, instead of running for minutes.

Pure library over a connection: nothing here writes, and the CLI is elsewhere.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive import search_index
from archive.db import connection
from archive.errors import ArchiveError
from archive.export import item_url
from archive.rows import user_time
from archive.sandbox import DEFAULT_MAX_BYTES, Sandbox, check_text

if TYPE_CHECKING:
    import sqlite_utils

KINDS = ("story", "comment")
SNIPPET_TOKENS = 16
ELLIPSIS = "…"
MAX_LIMIT = 10_000
# Ranking costs about 3.5 us per matching comment on a slow core: 2 s lets a word
# found in half a million comments rank, and still stops a runaway query soon.
DEFAULT_TIME_LIMIT = 2.0
# FTS5 reads a query into its tree in one C call that no interrupt reaches, and that
# call grows with the square of the words: 20,000 took 2.6 s, 60,000 11 s under a 2 s
# limit; 10,000 take 1.6 s at the most. A search of words is a few of them.
MAX_WORDS = 10_000
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchHit:
    kind: str  # "story" or "comment"
    site: str
    story_id: str
    comment_id: str | None  # None for a story
    author: str | None
    created_at: str | None
    title: str | None  # the story's title, for a comment too
    snippet: str  # the matching passage, matches between the two markers
    rank: float  # bm25: lower is a better match
    url: str | None  # the item's page on its site, where linkthread knows the form


# Ranking every match is the cost of a search (bm25 is ~3 us a match: seconds for a
# word in millions of comments), so the statement that ranks carries nothing else: no
# snippet, no story title (SQLite would build both for every match before sorting),
# and no join unless a filter needs one. Ties in bm25 go by rowid, the order rows were
# first archived, which the index knows without reading the rows. The {where}
# fragments are fixed text chosen below; every value the user gave is a parameter.
_RANK_ALONE = """
SELECT rowid, bm25({fts}) AS score FROM {fts} WHERE {fts} MATCH :query
ORDER BY score, rowid LIMIT :limit
"""
# CROSS JOIN keeps the index the outer loop: driven from the table's side (an author's
# comments through their index), FTS5 would be asked once per row and recount the
# query's matches for bm25 each time (minutes, measured, for 18,000 rows).
_RANK_JOINED = """
SELECT {t}.rowid, bm25({fts}) AS score
FROM {fts} CROSS JOIN {table} {t} ON {t}.rowid = {fts}.rowid
WHERE {fts} MATCH :query{where}
ORDER BY score, {t}.rowid
LIMIT :limit
"""
# Then the few rows shown, each looked up by rowid (row-local work only).
_COMMENTS_SQL = """
SELECT 'comment', c.site, c.story_id, c.id, c.author, c.created_at, s.title,
       snippet(comments_fts, 0, :open, :close, :ellipsis, :tokens), c.synthetic_id
FROM comments_fts
JOIN comments c ON c.rowid = comments_fts.rowid
LEFT JOIN stories s ON s.site = c.site AND s.id = c.story_id
WHERE comments_fts MATCH :query AND comments_fts.rowid = :rowid
"""
# Column -1: the snippet comes from whichever of title and text matched best.
_STORIES_SQL = """
SELECT 'story', s.site, s.id, NULL, s.author, s.created_at, s.title,
       snippet(stories_fts, -1, :open, :close, :ellipsis, :tokens), 0
FROM stories_fts
JOIN stories s ON s.rowid = stories_fts.rowid
WHERE stories_fts MATCH :query AND stories_fts.rowid = :rowid
"""
_SHOWN = {"comment": ("comments", "c", _COMMENTS_SQL), "story": ("stories", "s", _STORIES_SQL)}
_FILTERS = {
    "site": "{t}.site = :site",
    "author": "{t}.author = :author",
    "since": "{t}.created_at >= :since",
    "until": "{t}.created_at < :until",
}


def search(
    db: sqlite3.Connection | sqlite_utils.Database,
    query: str,
    *,
    site: str | None = None,
    author: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    kinds: tuple[str, ...] = KINDS,
    literal: bool = False,
    mark: tuple[str, str] = ("[", "]"),
    time_limit: float | None = DEFAULT_TIME_LIMIT,
) -> list[SearchHit]:
    """The ``limit`` best matches of ``query`` among stories and/or comments.

    ``since`` and ``until`` are a date (``2026-01-14``, the whole day for ``until``)
    or a time (``2026-01-14T09:30:00Z``; without an offset it is UTC), both inclusive.
    Stories and comments are interleaved by their bm25 score. The whole search stops
    after ``time_limit`` seconds (None: no limit) with an :class:`ArchiveError`.
    """
    conn = connection(db)
    check_text(query, "the search")
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ArchiveError(f"the limit must be a whole number from 1 to {MAX_LIMIT:,}, not {limit}")
    text = literal_query(query) if literal else query.strip()
    if not text:
        raise ArchiveError("empty search: give the words to look for")
    words = sum(1 for _ in _WORD.finditer(text))
    if words > MAX_WORDS:
        raise ArchiveError(f"the search has {words:,} words; linkthread search takes at most "
                           f"{MAX_WORDS:,}")
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise ArchiveError(f"unknown kinds {sorted(unknown)}; expected some of {KINDS}")
    params: dict[str, object] = {
        "query": text, "open": mark[0], "close": mark[1], "ellipsis": ELLIPSIS,
        "tokens": SNIPPET_TOKENS, "limit": limit, "site": site, "author": author,
        "since": user_time(since, "--since") if since else None,
        "until": user_time(until, "--until", end=True) if until else None,
    }  # fmt: skip
    hits: list[SearchHit] = []
    failures: list[sqlite3.Error] = []
    with Sandbox(conn, time_limit=time_limit, command="search") as box:
        for kind in kinds:
            try:
                hits.extend(_search_kind(box, kind, params))
            except sqlite3.Error as e:
                failures.append(e)
    # A column filter names a column of one index only (author: is a comment column);
    # the other index cannot read it, and it simply has no matches.
    column_only = all(str(e).startswith("no such column") for e in failures)
    if failures and (len(failures) == len(kinds) or not column_only):
        raise ArchiveError(_failure_message(query, failures[0]))
    hits.sort(key=lambda h: h.rank)
    return hits[:limit]


def _search_kind(box: Sandbox, kind: str, params: dict[str, object]) -> list[SearchHit]:
    """The best ``limit`` matches of one index, best first: ranked, then looked up."""
    table, t, shown = _SHOWN[kind]
    fts = f"{table}_fts"
    where = "".join(f" AND {f.format(t=t)}" for k, f in _FILTERS.items() if params[k])
    rank = _RANK_JOINED.format(fts=fts, table=table, t=t, where=where) if where else \
        _RANK_ALONE.format(fts=fts)  # fmt: skip
    # A frequent word's kept band (archive/search_index.py) gives the same rows as the
    # ranking statement from a few thousand candidates, filtered or not; when it
    # cannot (another query, a filter it cannot answer for), the statement ranks.
    query, limit = params["query"], params["limit"]
    kept = None
    if kind == "comment" and isinstance(query, str) and isinstance(limit, int):
        kept = search_index.ranked(box.conn, query, limit, where=where, params=params)
    if kept is not None:
        ranked: list = kept
    else:
        ranked, _ = box.fetch(box.execute(rank, params), None, DEFAULT_MAX_BYTES)
    hits: list[SearchHit] = []
    for rowid, score in ranked:
        cur = box.execute(shown, {**params, "rowid": rowid})
        rows, _ = box.fetch(cur, None, DEFAULT_MAX_BYTES, hint="lower --limit")
        hits.extend(_hit((*row, score)) for row in rows)
    return hits


def ranked_comments(conn: sqlite3.Connection, query: str, limit: int) -> list[tuple[int, float]]:
    """(rowid, bm25) of the best ``limit`` comments for the FTS5 ``query``, best first,
    ties by rowid: a kept band's answer where there is one, else the ranking statement.
    No sandbox: for callers with their own bounds (Datasette's time limit)."""
    kept = search_index.ranked(conn, query, limit)
    if kept is not None:
        return kept
    sql = _RANK_ALONE.format(fts="comments_fts")
    return [(r[0], r[1]) for r in conn.execute(sql, {"query": query, "limit": limit})]


def literal_query(words: str) -> str:
    """``words`` as FTS5 text that matches them as typed: each word a quoted string."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in words.split())


def _hit(row: tuple) -> SearchHit:
    kind, site, story_id, comment_id, author, created_at, title, snippet, synthetic, rank = row
    # A synthetic id was made up where the page gave none: the site has no page for it,
    # so the link goes to its thread.
    linked = comment_id if comment_id is not None and not synthetic else None
    return SearchHit(
        kind=kind, site=site, story_id=story_id, comment_id=comment_id, author=author,
        created_at=created_at, title=title, snippet=snippet or "", rank=rank,
        url=item_url(site, story_id, linked),
    )  # fmt: skip


def _failure_message(query: str, e: sqlite3.Error) -> str:
    text = str(e)
    syntax = (
        text.startswith(("fts5:", "no such column", "unknown special query"))
        or text == "unterminated string"
    )
    if not syntax:
        return f"search failed: {text}"
    hint = 'a word before ":" or after "-" reads as a column name; ' if "column" in text else ""
    return (
        f"cannot read the search {query!r} ({text}): {hint}put words with punctuation in "
        'double quotes ("supply-chain"), or search with --literal'
    )
