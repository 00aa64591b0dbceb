"""The archive served by Datasette as ``linkthread datasette`` starts it: the packaged
metadata, a setting, and two changes to how Datasette answers, so that every page of
a 10-million-comment archive answers within Datasette's 1 s.

What a plain ``datasette DB -m metadata`` does there, and what changes here:

* every table page suggests facets, trying a GROUP BY over every row of each column
  (200 ms each, 29 columns for ``comments``): ``suggest_facets`` is off;
* a table page counts all the table's rows, and the database page every table's
  (10 million comments: seconds, in one SQLite step no time limit stops): a table
  or view of more than COUNT_CAP rows (found by a bounded scan, again every ten
  minutes) is shown without its count (``_nocount``; "Many rows" on the database
  page), filtered pages too, the total being what costs;
* the table search (``?_search=``) lists every match, newest first: on these pages
  it goes to the ``search_comments`` query, which ranks by relevance (bm25);
* ``search_comments`` ranks through ``linkthread_search(query, limit)``, a function
  added to each connection: :func:`archive.search.ranked_comments`, which uses a
  kept word's band (``search-index``) and ranks in one statement otherwise.

Datasette is imported only when this serves: it is an optional dependency.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

SETTINGS = {"suggest_facets": False}
# The views of every comment: their table search goes to search_comments.
WHOLE = ("comments", "thread_comments", "recent_comments", "comments_seen")
# A table or view is counted (its pages' "N rows", the database page's figures) when it
# holds at most this many rows, which a bounded scan finds out in milliseconds.
# SQLite counts a whole table in one step that no time limit interrupts: 1.8 s for
# the database page of 7.7 million comments, 0.3 s for author_threads' page.
COUNT_CAP = 50_000
RECOUNT_SECONDS = 600.0
SEARCH_LIMIT = 50

# search_comments as served here: the same columns and order as the packaged query,
# ranked by linkthread_search (rowid and bm25 of the best, as JSON).
SEARCH_SQL = """with best as materialized (
  select key as n, json_extract(value, '$[0]') as rowid, json_extract(value, '$[1]') as rank
  from json_each(linkthread_search(:search, 50))
)
select c.created_at, c.site, s.title as story_title,
  snippet(comments_fts, 0, '[', ']', '…', 16) as snippet, c.author, c.id, c.story_id, best.rank
from best
join comments_fts on comments_fts.rowid = best.rowid and comments_fts match :search
join comments c on c.rowid = best.rowid
left join stories s on s.site = c.site and s.id = c.story_id
order by best.n"""


def served_metadata(db: str | Path) -> dict[str, Any]:
    """The packaged metadata for ``db``, with ``search_comments`` ranked by
    ``linkthread_search``."""
    from archive.cli_datasette import metadata_for

    data = metadata_for(db)
    for database in data["databases"].values():
        database["queries"]["search_comments"]["sql"] = SEARCH_SQL
    return data


class Counts:
    """Which tables and views of each database hold more than COUNT_CAP rows, found by
    a bounded scan and kept for RECOUNT_SECONDS; and their counts where they do not."""

    def __init__(self, ds: Any) -> None:
        self.ds = ds
        self.seen: dict[tuple[str, str], tuple[float, int | None]] = {}

    async def count(self, database: str, table: str) -> int | None:
        """The rows of ``table``; None when more than COUNT_CAP (or not a table)."""
        from datasette.database import QueryInterrupted

        now = time.monotonic()
        kept = self.seen.get((database, table))
        if kept is not None and now - kept[0] < RECOUNT_SECONDS:
            return kept[1]
        db = self.ds.databases.get(database)
        n: int | None = None
        if db is not None and table in {*await db.table_names(), *await db.view_names()}:
            quoted = '"' + table.replace('"', '""') + '"'
            try:
                result = await db.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {quoted} LIMIT {COUNT_CAP + 1})")
                n = result.rows[0][0]
            except (QueryInterrupted, sqlite3.Error):  # stopped at 1 s, or a broken view
                n = None
        n = n if n is not None and n <= COUNT_CAP else None
        self.seen[(database, table)] = (now, n)
        return n

    def table_counts(self, database: str) -> Callable[..., Awaitable[dict[str, int | None]]]:
        """Database.table_counts for ``database``: the bounded counts."""

        async def table_counts(limit: int = 10) -> dict[str, int | None]:
            tables = await self.ds.databases[database].table_names()
            return {t: await self.count(database, t) for t in tables}

        return table_counts


def wrap(app: Any, counts: Counts) -> Any:
    """The ASGI app in front of Datasette's: the pages of big tables without their
    count, and the whole-comment pages' table search sent to ``search_comments``."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Callable[..., Awaitable[None]]
                      ) -> None:  # fmt: skip
        if scope.get("type") == "http":
            parts = scope.get("path", "").strip("/").split("/")
            # /db/comments, and its .json and .csv forms.
            table = parts[1].split(".")[0] if len(parts) == 2 else ""
            if table:
                args = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                 keep_blank_values=True)  # fmt: skip
                search = [v for k, v in args if k == "_search"]
                if search and table in WHOLE:
                    kept = [(k, v) for k, v in args if k in ("_shape", "_json")]
                    suffix = parts[1][len(parts[1].split(".")[0]) :]
                    to = f"/{parts[0]}/search_comments{suffix}?" + urlencode(
                        [("search", search[0]), *kept])
                    await send({"type": "http.response.start", "status": 302,
                                "headers": [(b"location", to.encode("latin-1"))]})  # fmt: skip
                    await send({"type": "http.response.body", "body": b""})
                    return
                big = not any(k == "_nocount" for k, _ in args) and \
                    await counts.count(unquote(parts[0]), unquote(table)) is None  # fmt: skip
                if big:
                    query = urlencode([*args, ("_nocount", "1")]).encode("latin-1")
                    scope = {**scope, "query_string": query}
        await app(scope, receive, send)

    return wrapped


def linkthread_search(conn: sqlite3.Connection) -> Callable[[str | None, int | None], str]:
    """The SQL function ``linkthread_search(query, limit)`` over ``conn``: the best
    comments as a JSON array of [rowid, bm25], best first, ranked as search ranks."""
    from archive.search import ranked_comments

    def best(query: str | None, limit: int | None) -> str:
        return json.dumps(ranked_comments(conn, query or "", int(limit or SEARCH_LIMIT)))

    return best


def app(paths: list[str | Path]) -> Any:
    """A Datasette over the archives at ``paths``, as ``linkthread datasette`` serves them.

    The two changes are made on this instance alone, not as a plugin registered with
    Datasette's (process-wide) plugin manager: another Datasette in the same process,
    or a test's, serves as it would without linkthread."""
    from datasette.app import Datasette

    class Served(Datasette):
        # Datasette 0.65's own steps (pinned below 1 in pyproject): every connection
        # is prepared here, and app() is what its server and its test client run.
        def _prepare_connection(self, conn: sqlite3.Connection, database: str) -> None:
            super()._prepare_connection(conn, database)
            conn.create_function("linkthread_search", 2, linkthread_search(conn))

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.counts = Counts(self)  # before Datasette's own __init__ builds its client
            super().__init__(*args, **kwargs)

        def app(self) -> Any:
            return wrap(super().app(), self.counts)

    metadata = served_metadata(paths[0])
    for path in paths[1:]:
        metadata["databases"].update(served_metadata(path)["databases"])
    ds = Served([str(p) for p in paths], metadata=metadata, settings=SETTINGS)
    for name, db in ds.databases.items():
        if name != "_internal":
            # Datasette 0.65's database and index pages count every table through it.
            db.table_counts = ds.counts.table_counts(name)
    return ds
