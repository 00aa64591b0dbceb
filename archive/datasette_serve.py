"""The archive served by Datasette as ``linkthread datasette`` starts it: the packaged
metadata, a setting, and two changes to how Datasette answers, so that every page of
a 10-million-comment archive answers within Datasette's 1 s.

What a plain ``datasette DB -m metadata`` does there, and what changes here:

* every table page suggests facets, trying a GROUP BY over every row of each column
  (200 ms each, 29 columns for ``comments``): ``suggest_facets`` is off;
* the pages of ``comments`` and of the views of every comment count all their rows
  (10 million through a join: Datasette's count stops at its 1 s and the page waits
  for it): they are asked for without the count (``_nocount``); filtered pages
  have it too, the total being what costs;
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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

SETTINGS = {"suggest_facets": False}
# Pages whose every visit would count (or list) every comment.
WHOLE = ("comments", "thread_comments", "recent_comments", "comments_seen")
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


def wrap(app: Any) -> Any:
    """The ASGI app in front of Datasette's: the whole-comment pages without their
    count, and their table search sent to ``search_comments``."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Callable[..., Awaitable[None]]
                      ) -> None:  # fmt: skip
        if scope.get("type") == "http":
            parts = scope.get("path", "").strip("/").split("/")
            # /db/comments, and its .json and .csv forms.
            if len(parts) == 2 and parts[1].split(".")[0] in WHOLE:
                args = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                 keep_blank_values=True)  # fmt: skip
                search = [v for k, v in args if k == "_search"]
                if search:
                    kept = [(k, v) for k, v in args if k in ("_shape", "_json")]
                    suffix = parts[1][len(parts[1].split(".")[0]) :]
                    to = f"/{parts[0]}/search_comments{suffix}?" + urlencode(
                        [("search", search[0]), *kept])
                    await send({"type": "http.response.start", "status": 302,
                                "headers": [(b"location", to.encode("latin-1"))]})  # fmt: skip
                    await send({"type": "http.response.body", "body": b""})
                    return
                if not any(k == "_nocount" for k, _ in args):
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

        def app(self) -> Any:
            return wrap(super().app())

    metadata = served_metadata(paths[0])
    for path in paths[1:]:
        metadata["databases"].update(served_metadata(path)["databases"])
    return Served([str(p) for p in paths], metadata=metadata, settings=SETTINGS)
