"""The archive in Datasette: views (migration 0004), the packaged metadata, search.

Requests go through the real datasette package: its in-process client for most
checks, and the real `datasette` command (`--get`, no server) for the documented
`linkthread datasette-metadata | datasette DB -m -` pipe. The archives are built with
archive.store.save_thread from records, as the store tests build them.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import CliRunner

from archive.cli import cli
from archive.cli_datasette import metadata_for, packaged_metadata
from archive.db import open_db
from archive.migrations import MIGRATIONS, applied_migrations, apply_migrations
from archive.models import Comment
from archive.query import load_thread
from archive.store import save_thread, start_crawl
from archive.views import VIEW_NAMES
from tests.test_store import make_comment, make_story, make_thread

datasette_app = pytest.importorskip("datasette.app", reason="pip install -e '.[test]'")

DATASETTE = Path(sys.executable).with_name("datasette")


def thread_comments() -> tuple[Comment, ...]:
    # Handed over out of display order, with two siblings tied on position (a comment
    # that vanished keeps its old position), a reply two levels down and an orphan
    # whose parent was never stored.
    return (
        make_comment("5", position=1),
        make_comment("4", parent="1", depth=1, position=1),
        make_comment("3", parent="2", depth=2),
        make_comment("12", parent="1", depth=1, position=1),
        make_comment("2", parent="1", depth=1),
        make_comment("1", text="Rust borrow checker, explained with otters"),
        make_comment("6", parent="5", depth=1),
        make_comment("7", parent="99", depth=3),
    )


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return build_archive(tmp_path)


def build_archive(folder: Path) -> Path:
    """hn.db: thread 100 above, and thread 200 whose ids would interleave with it."""
    path = folder / "hn.db"
    db = open_db(path)
    save_thread(db, make_thread(thread_comments()))
    other = make_story(id="200", title="Ask HN: Otters?", kind="ask", author="bob")
    replies = (
        make_comment("21", story_id="200", author="user1"),
        make_comment("22", story_id="200", parent="21", depth=1),
        # The page gave no id: the archive made one, and the site has no page for it.
        make_comment("23", story_id="200", position=1, synthetic_id=True),
    )
    save_thread(db, make_thread(replies, story=other))
    db.close()
    return path


def serve(path: Path, *urls: str, metadata: dict[str, Any] | None = None) -> list[Any]:
    """Responses of a Datasette over ``path`` to ``urls``, in one event loop."""

    async def run() -> list[Any]:
        ds = datasette_app.Datasette([str(path)], metadata=metadata)
        await ds.invoke_startup()
        return [await ds.client.get(url) for url in urls]

    return asyncio.run(run())


def get_json(path: Path, url: str, metadata: dict[str, Any] | None = None) -> Any:
    (response,) = serve(path, url, metadata=metadata)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def ids_in_display_order(db: sqlite_utils.Database, story_id: str) -> list[str]:
    return [c["id"] for c in load_thread(db, "hn", story_id)[1]]


def view_ids(conn: sqlite3.Connection, story_id: str) -> list[str]:
    sql = "SELECT id FROM thread_comments WHERE site = ? AND story_id = ? ORDER BY sort_path"
    return [r[0] for r in conn.execute(sql, ("hn", story_id))]


# --- the views, through SQL -------------------------------------------------------


def schema_of(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


def test_views_exist_after_migrations_and_applying_twice_is_a_no_op(archive: Path) -> None:
    db = open_db(archive)
    assert "0004_views" in applied_migrations(db)
    assert applied_migrations(db)[-1] == MIGRATIONS[-1][0]
    schema = schema_of(db.conn)
    views = [name for kind, name, _ in schema if kind == "view"]
    # The 0004 views, 0013's last sightings, and 0016's list of crawls whose markup
    # seemed to change.
    assert views == sorted((*VIEW_NAMES, "comments_seen", "health", "page_visits", "pages_seen"))

    assert apply_migrations(db) == []
    db.close()
    again = open_db(archive)
    assert schema_of(again.conn) == schema


def test_thread_comments_sort_path_is_display_order(archive: Path) -> None:
    db = open_db(archive)
    assert ids_in_display_order(db, "100") == ["1", "2", "3", "4", "12", "5", "6", "7"]
    assert view_ids(db.conn, "100") == ids_in_display_order(db, "100")
    assert view_ids(db.conn, "200") == ["21", "22", "23"]
    urls = db.conn.execute("SELECT id, item_url FROM thread_comments WHERE story_id = '200'")
    assert sorted(urls) == [
        ("21", "https://news.ycombinator.com/item?id=21"),
        ("22", "https://news.ycombinator.com/item?id=22"),
        ("23", "https://news.ycombinator.com/item?id=200"),
    ]


def test_thread_comments_row(archive: Path) -> None:
    db = open_db(archive)
    cur = db.conn.execute("SELECT * FROM thread_comments WHERE site = 'hn' AND id = '3'")
    row = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    assert row == dict(
        site="hn", story_id="100", story_title="Show HN: A thing", id="3", parent_id="2",
        depth=2, position=0, author="user3", created_at="2026-01-14T09:27:00Z",
        text="Comment 3 about foxes jumping", dead=0, flagged=0, deleted=0, gone_at=None,
        item_url="https://news.ycombinator.com/item?id=3",
        # Real root, then per level: position (8 digits), id length (3), id.
        sort_path="0" "00000000" "001" "1/" "00000000" "001" "2/" "00000000" "001" "3/",
        comment_rowid=db.conn.execute("SELECT rowid FROM comments WHERE id = '3'").fetchone()[0],
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(20))
def test_thread_comments_matches_display_order_on_random_trees(tmp_path: Path, seed: int) -> None:
    # Random forests with position ties, orphans (parents never stored) and parent
    # cycles, which display_order keeps after everything else.
    rnd = random.Random(seed)
    ids = list(dict.fromkeys(str(rnd.choice([rnd.randrange(1, 99), rnd.randrange(100, 10**6)]))
                             for _ in range(rnd.randrange(1, 40))))  # fmt: skip
    comments = []
    for cid in ids:
        roll = rnd.random()
        orphan = f"gone{rnd.randrange(2)}"  # never stored
        parent = None if roll < 0.3 else orphan if roll < 0.4 else rnd.choice(ids)
        comments.append(make_comment(cid, parent=parent, depth=rnd.randrange(5),
                                     position=rnd.randrange(3)))  # fmt: skip
    db = open_db(tmp_path / "r.db")
    save_thread(db, make_thread(tuple(comments)))

    assert view_ids(db.conn, "100") == ids_in_display_order(db, "100")


def test_a_thread_query_reads_only_that_thread() -> None:
    # The walk up is correlated with each comment, so the filter reaches the index:
    # no plan step scans the comments table or a whole index.
    db = sqlite_utils.Database(memory=True)
    apply_migrations(db)
    plan = db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM thread_comments"
        " WHERE site = ? AND story_id = ? ORDER BY sort_path",
        ("hn", "100"),
    ).fetchall()
    steps = [r[3] for r in plan]
    assert "SEARCH c USING INDEX comments_site_story_id (site=? AND story_id=?)" in steps
    assert not [s for s in steps if s.startswith("SCAN") and "CONSTANT ROW" not in s
                and not s.startswith("SCAN up")], steps  # fmt: skip


def test_a_deep_reply_chain_is_ordered(tmp_path: Path) -> None:
    chain = tuple(make_comment(str(i), parent=str(i - 1) if i > 1 else None, depth=i - 1)
                  for i in range(1, 151))  # fmt: skip
    db = open_db(tmp_path / "d.db")
    save_thread(db, make_thread(chain))
    assert view_ids(db.conn, "100") == [str(i) for i in range(1, 151)]


def test_recent_comments_and_top_authors(archive: Path) -> None:
    conn = open_db(archive).conn
    # Unordered since 0014 (views.unordered_recent_comments): newest first is asked for.
    recent = conn.execute(
        "SELECT created_at, id, author, story_title, item_url FROM recent_comments"
        " ORDER BY created_at DESC LIMIT 3"
    ).fetchall()
    assert recent == [
        ("2026-01-14T09:29:00Z", "1", "user1", "Show HN: A thing",
         "https://news.ycombinator.com/item?id=1"),
        ("2026-01-14T09:28:00Z", "2", "user2", "Show HN: A thing",
         "https://news.ycombinator.com/item?id=2"),
        ("2026-01-14T09:27:00Z", "3", "user3", "Show HN: A thing",
         "https://news.ycombinator.com/item?id=3"),
    ]  # fmt: skip
    top = conn.execute("SELECT * FROM top_authors LIMIT 2").fetchall()
    assert top == [
        ("hn", "user1", 2, 2, "2026-01-14T09:09:00Z", "2026-01-14T09:29:00Z"),
        ("hn", "user12", 1, 1, "2026-01-14T09:18:00Z", "2026-01-14T09:18:00Z"),
    ]


# --- Datasette --------------------------------------------------------------------


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


def test_datasette_finds_the_fts_indexes_by_their_names(archive: Path) -> None:
    # No metadata: Datasette recognises comments_fts and stories_fts by themselves.
    comments = get_json(archive, "/hn/comments.json?_search=otters&_shape=array")
    assert [(r["id"], r["text"]) for r in comments] == [
        ("1", "Rust borrow checker, explained with otters")
    ]
    stories = get_json(archive, "/hn/stories.json?_search=otter&_shape=array")
    assert [(r["id"], r["title"]) for r in stories] == [("200", "Ask HN: Otters?")]


def test_search_in_the_views(archive: Path) -> None:
    meta = metadata_for(archive)
    rows = get_json(archive, "/hn/thread_comments.json?_search=otters&_shape=array", meta)
    assert [(r["id"], r["story_title"]) for r in rows] == [("1", "Show HN: A thing")]
    rows = get_json(archive, "/hn/recent_comments.json?_search=jumping&story_id=200"
                             "&_shape=array", meta)  # fmt: skip
    assert ids(rows) == ["21", "22", "23"]  # newest first


def test_thread_query_lists_a_thread_in_display_order(archive: Path) -> None:
    expected = ids_in_display_order(open_db(archive), "100")
    meta = metadata_for(archive)
    for site in ("hn", ""):  # an empty site means hn
        rows = get_json(archive, f"/hn/thread.json?site={site}&story_id=100&_shape=array", meta)
        assert ids(rows) == expected
    assert rows[0] == dict(
        depth=0, author="user1", created_at="2026-01-14T09:29:00Z",
        text="Rust borrow checker, explained with otters",
        item_url="https://news.ycombinator.com/item?id=1", id="1", parent_id=None, position=0,
        dead=0, flagged=0, deleted=0, gone_at=None, story_title="Show HN: A thing",
    )  # fmt: skip
    # The view's own page, filtered to the thread and sorted by its path, agrees.
    rows = get_json(archive, "/hn/thread_comments.json?site=hn&story_id=100&_sort=sort_path"
                             "&_shape=array", meta)  # fmt: skip
    assert ids(rows) == expected


def test_user_comments_query(archive: Path) -> None:
    meta = metadata_for(archive)
    rows = get_json(archive, "/hn/user_comments.json?author=user1&site=&_shape=array", meta)
    assert [(r["id"], r["story_title"]) for r in rows] == [
        ("1", "Show HN: A thing"), ("21", "Ask HN: Otters?"),
    ]  # fmt: skip
    assert get_json(archive, "/hn/user_comments.json?author=user1&site=reddit&_shape=array",
                    meta) == []  # fmt: skip


def described_objects(path: Path) -> dict[str, list[str]]:
    """Every table and view a user sees, with its columns (FTS internals left out)."""
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts' AND name NOT LIKE '%_fts_%'"
    )]  # fmt: skip
    return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}


def test_metadata_describes_every_table_and_view_and_names_real_columns(archive: Path) -> None:
    tables = packaged_metadata()["databases"]["linkthread"]["tables"]
    objects = described_objects(archive)

    undescribed = sorted(set(objects) - set(tables))
    assert not undescribed, f"describe these in archive/datasette/metadata.json: {undescribed}"
    for name, meta in tables.items():
        if name not in objects:  # _snapshot exists only in snapshot copies
            assert name == "_snapshot"
            continue
        assert meta["description"].strip()
        columns = set(objects[name])
        named = {*meta.get("columns", {}), *meta.get("sortable_columns", []),
                 *meta.get("facets", []), *filter(None, [meta.get("label_column"),
                 meta.get("sort"), meta.get("sort_desc"), meta.get("fts_pk")])}  # fmt: skip
        assert named <= columns, f"{name}: no such columns {sorted(named - columns)}"
        if "fts_table" in meta:
            assert meta["fts_table"] in {"comments_fts", "stories_fts"}


def test_metadata_loads_and_every_page_renders(archive: Path) -> None:
    meta = metadata_for(archive)
    pages = ["/", "/hn", "/-/metadata.json", "/hn.json"]
    pages += [f"/hn/{name}" for name in described_objects(archive)]
    pages += ["/hn/thread?site=hn&story_id=100", "/hn/user_comments?author=user1&site="]
    responses = serve(archive, *pages, metadata=meta)

    assert [r.status_code for r in responses] == [200] * len(pages), [
        (p, r.status_code) for p, r in zip(pages, responses, strict=True) if r.status_code != 200
    ]
    # Datasette adds its own keys (source, license, each query's name) to what it read.
    served = responses[2].json()["databases"]["hn"]
    shipped = metadata_for(archive)["databases"]["hn"]
    assert served["tables"] == shipped["tables"]
    assert {name: q["sql"] for name, q in served["queries"].items()} == {
        name: q["sql"] for name, q in shipped["queries"].items()
    }
    database = responses[3].json()
    hidden = sorted(t["name"] for t in database["tables"] if t["hidden"])
    fts = [f"{t}_fts{part}" for t in ("comments", "stories")
           for part in ("", "_config", "_data", "_docsize", "_idx")]  # fmt: skip
    search = ["search_auto", "search_band", "search_before", "search_changes", "search_counted",
              "search_terms"]  # fmt: skip
    assert hidden == sorted(["_migrations", *search, *fts])
    comments_page = responses[pages.index("/hn/comments")].text
    assert "placed in its thread&#39;s tree" in comments_page


def test_datasette_ignores_the_composite_story_key(archive: Path) -> None:
    # Why the views carry the story's title and URL: Datasette links only single-column
    # foreign keys, so comments.story_id stays plain text; last_crawl_id links to crawls.
    async def run() -> Any:
        ds = datasette_app.Datasette([str(archive)])
        return await ds.get_database("hn").foreign_keys_for_table("comments")

    assert asyncio.run(run()) == [
        {"column": "last_crawl_id", "other_table": "crawls", "other_column": "id"}
    ]
    path = archive.with_name("crawled.db")
    db = open_db(path)
    crawl = start_crawl(db, command="crawl hn", args={})
    save_thread(db, make_thread(), crawl_id=crawl)
    started = db.conn.execute("SELECT started_at FROM crawls").fetchone()[0]
    db.close()
    rows = get_json(path, "/crawled/comments.json?id=1&_labels=on&_shape=array",
                    metadata_for(path))  # fmt: skip
    assert [(r["story_id"], r["last_crawl_id"]) for r in rows] == [
        ("100", {"value": crawl, "label": started})
    ]


def test_datasette_metadata_command(tmp_path: Path, archive: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["datasette-metadata", "--db", str(archive)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert list(printed["databases"]) == ["hn"]
    assert printed == metadata_for(archive)

    out = tmp_path / "meta.json"
    result = runner.invoke(cli, ["datasette-metadata", "--db", "x/linkthread.db", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == packaged_metadata()

    out.write_text("mine")
    result = runner.invoke(cli, ["datasette-metadata", "--db", str(archive), "-o", str(out)])
    assert result.exit_code == 1
    assert result.output == f"Error: {out} already exists; use --force to overwrite it\n"
    assert out.read_text() == "mine"
    result = runner.invoke(cli, ["datasette-metadata", "--db", str(archive), "-o", str(out),
                                 "--force"])
    assert result.exit_code == 0 and json.loads(out.read_text()) == metadata_for(archive)

    result = runner.invoke(cli, ["datasette-metadata", "-o", str(tmp_path / "no" / "m.json")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot write ")


@pytest.mark.e2e
@pytest.mark.skipif(not DATASETTE.exists(), reason="the datasette command is not installed")
def test_the_documented_pipe_into_the_real_datasette_command(archive: Path) -> None:
    metadata = json.dumps(metadata_for(archive))
    url = "/hn/thread.json?site=hn&story_id=100&_shape=array"
    done = subprocess.run([str(DATASETTE), str(archive), "-m", "-", "--get", url], input=metadata,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert ids(json.loads(done.stdout)) == ids_in_display_order(open_db(archive), "100")
