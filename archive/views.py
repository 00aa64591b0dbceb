"""SQL views over the archive, for Datasette and for anyone typing SQL: migration 0004.

``thread_comments``  every comment with its story's title and its ``sort_path``
``top_authors``      one row per (site, author): comments, threads, first and last time
``recent_comments``  every comment, newest first, with its story's title and site URL

Like the tables, these statements are frozen once released: changing a view is a new
migration that drops and recreates it, never an edit here. Migration 0007
(``archive/site_table.py``) did so for the two views that link comments, so that
``item_url`` reads each site's URL forms from the ``sites`` table (``linked_views``).

``sort_path`` is :func:`archive.query.display_order` written in SQL: the sibling keys
(position, then id) of a comment's ancestors and its own, root first, as fixed-width
text, so that ``ORDER BY site, story_id, sort_path`` is depth-first, siblings by
position. It is built by walking UP from each comment to its root, in a subquery
correlated with that one comment, not DOWN from every root of the archive in one
recursive CTE: SQLite cannot push ``WHERE site = ? AND story_id = ?`` into a recursive
CTE, so a top-down view would rebuild every thread of the archive to show one, while
walking up, a query for one thread reads only that thread's rows (through the
``(site, story_id)`` index). A comment costs one index lookup per ancestor, so a reply
chain d deep costs about d*d lookups and as many path bytes copied: milliseconds for
real threads, which are tens of levels deep at most; a 300-deep chain takes about half
a second.

The view itself has no ORDER BY, deliberately. An ordered view makes every reader pay
for the order, and Datasette counts a view's rows on each page: ordered, that count
computes the path of every comment of the archive (seconds for a few hundred thousand),
and Datasette 0.65's facet suggestions then fail the page with "SQL query took too
long". Unordered, the count is an index scan and the path is only computed for the
rows a query returns. The ordered thread is ``ORDER BY sort_path`` on one thread: the
``thread`` canned query in the Datasette metadata does that, ``?_sort=sort_path`` on the
view's page does too.
"""

from __future__ import annotations

import sqlite3

from archive import sites

VIEW_NAMES = ("thread_comments", "top_authors", "recent_comments")

# A sibling's sort key as text: zero-padded position, then the id's length and the id,
# so that ids compare as display_order compares them (numeric ids by length first).
# Eight digits hold any position a page can show; three any id length.
_SEGMENT = "printf('%08d%03d%s/', {t}.position, length({t}.id), {t}.id)"

# char(31) (unit separator) brackets each id in the list of visited ids: no site's ids
# contain it, so instr() cannot match part of another id.
_SEP = "char(31)"


def _item_url(comment: str, story: str) -> str:
    """0004's SQL for a comment's page on its site: HN's only, NULL for other sites.

    A synthetic id was made up by the archive (the page gave none): the site has no
    page for it, so it links to its thread, where it is shown.
    """
    # 0004 as released (tests/test_sites.py holds its text); 0007 replaced it by a
    # lookup in the sites table, so it is spelled from the registry, not written twice.
    hn = sites.HN
    return (
        f"CASE WHEN {comment}.site = '{hn.name}' THEN '{hn.item_url('')}' ||"
        f" CASE WHEN {comment}.synthetic_id THEN {story} ELSE {comment}.id END END"
    )


# The walk up, per comment c:
# - each step joins the parent (same site and thread) with a LEFT JOIN, so a parent
#   that is not stored yields one last row with id NULL: c's root is then an orphan;
# - a parent already visited ends the walk with no root at all: c is in (or hangs
#   below) a parent cycle;
# - the row whose parent_id is NULL is a real root.
# The path's first character puts real roots first ('0'), then orphans ('1', ordered
# by their own depth as display_order does), then rows in cycles ('2', by rowid):
# display_order keeps those last, in the order it read them.
def _thread_comments(item_url: str) -> str:
    return f"""
CREATE VIEW thread_comments AS
SELECT
    c.site,
    c.story_id,
    s.title AS story_title,
    c.id,
    c.parent_id,
    c.depth,
    c.position,
    c.author,
    c.created_at,
    c.text,
    c.dead,
    c.flagged,
    c.deleted,
    c.gone_at,
    {item_url} AS item_url,
    coalesce((
        WITH RECURSIVE up(id, parent_id, depth, path, visited) AS (
            SELECT c.id, c.parent_id, c.depth, {_SEGMENT.format(t="c")},
                   {_SEP} || c.id || {_SEP}
            UNION ALL
            SELECT p.id, p.parent_id, p.depth,
                   CASE WHEN p.id IS NULL THEN '1' || printf('%08d', up.depth) || up.path
                        ELSE {_SEGMENT.format(t="p")} || up.path END,
                   up.visited || p.id || {_SEP}
            FROM up LEFT JOIN comments AS p
                ON p.site = c.site AND p.id = up.parent_id AND p.story_id = c.story_id
            WHERE up.id IS NOT NULL AND up.parent_id IS NOT NULL
                AND (p.id IS NULL OR instr(up.visited, {_SEP} || p.id || {_SEP}) = 0)
        )
        SELECT CASE WHEN id IS NULL THEN path ELSE '0' || path END
        FROM up WHERE id IS NULL OR parent_id IS NULL
    ), '2' || printf('%012d', c.rowid)) AS sort_path,
    c.rowid AS comment_rowid
FROM comments AS c
LEFT JOIN stories AS s ON s.site = c.site AND s.id = c.story_id
"""


THREAD_COMMENTS = _thread_comments(_item_url("c", "c.story_id"))

# Every archived comment counts, dead and deleted ones too (they keep their author);
# comments with no author shown are left out rather than grouped under NULL. This one
# reads the whole comments table on every query: an aggregate has no cheaper form
# without an index on (author, site, story_id, created_at), which costs every save.
TOP_AUTHORS = """
CREATE VIEW top_authors AS
SELECT
    site,
    author,
    count(*) AS comments,
    count(DISTINCT story_id) AS threads,
    min(created_at) AS first_comment_at,
    max(created_at) AS last_comment_at
FROM comments
WHERE author IS NOT NULL
GROUP BY site, author
ORDER BY comments DESC, site, author
"""

# Ordered by created_at alone, which the comments_created_at index gives without a sort
# (ties in the index's rowid order): a LIMIT stops early and a count is one index scan.
def _recent_comments(item_url: str, order: str = "ORDER BY c.created_at DESC") -> str:
    return f"""
CREATE VIEW recent_comments AS
SELECT
    c.created_at,
    c.site,
    c.id,
    c.author,
    c.text,
    c.story_id,
    s.title AS story_title,
    {item_url} AS item_url,
    c.dead,
    c.deleted,
    c.rowid AS comment_rowid
FROM comments AS c
LEFT JOIN stories AS s ON s.site = c.site AND s.id = c.story_id
{order}
"""


RECENT_COMMENTS = _recent_comments(_item_url("c", "c.story_id"))


def m0004_views(conn: sqlite3.Connection) -> None:
    """Views thread_comments, top_authors, recent_comments (see archive/views.py)."""
    for statement in (THREAD_COMMENTS, TOP_AUTHORS, RECENT_COMMENTS):
        conn.execute(statement)


def linked_views(item_url: str) -> list[tuple[str, str]]:
    """(name, CREATE VIEW) of the views that link comments, with ``item_url`` as the
    SQL of a comment's link: migration 0007 (archive/site_table.py) recreates them
    reading the ``sites`` table. Their other columns are 0004's, unchanged."""
    return [("thread_comments", _thread_comments(item_url)),
            ("recent_comments", _recent_comments(item_url))]


def unordered_recent_comments(item_url: str) -> str:
    """recent_comments as migration 0014 recreates it: 0007's, without its ORDER BY.

    SQLite (3.40) cannot see through an ordered view: a count of it, which Datasette
    runs on every page, or any filter on it, first built and sorted every row with its
    item_url (29 s for a million comments on a loaded machine). Unordered, as
    thread_comments is, a count is an index scan; "newest first" is the reader's
    ``ORDER BY created_at DESC`` (an index walk that stops at the LIMIT), which the
    Datasette metadata gives its page and the user_comments query already wrote.
    """
    return _recent_comments(item_url, order="")
