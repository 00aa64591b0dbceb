"""``linkthread datasette`` (archive/datasette_serve.py): every page of the archive as a
plain Datasette serves it, but no page counting a big table, the table search of the
comment views sent to search_comments, and search_comments ranked by
linkthread_search() exactly as the packaged query ranks."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from archive import datasette_serve, search_upkeep
from archive.cli import cli
from archive.cli_datasette import metadata_for
from archive.db import open_db, transaction
from archive.store import save_thread
from tests.test_datasette import build_archive, described_objects, serve
from tests.test_store import make_comment, make_story, make_thread

pytest.importorskip("datasette.app", reason="pip install -e '.[test]'")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return build_archive(tmp_path)



def served(path: Path, *urls: str) -> list[Any]:
    async def run() -> list[Any]:
        ds = datasette_serve.app([path])
        await ds.invoke_startup()
        return [await ds.client.get(url) for url in urls]

    return asyncio.run(run())


def test_linkthread_datasette_serves_every_page_without_whole_counts(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tables of more than 5 rows count as big here (11 comments, 2 stories).
    monkeypatch.setattr(datasette_serve, "COUNT_CAP", 5)
    pages = ["/", "/hn", *(f"/hn/{name}" for name in described_objects(archive))]
    pages += ["/hn/thread?site=hn&story_id=100", "/hn/user_comments?author=user1&site=",
              "/hn/search_comments?search=otters"]  # fmt: skip
    responses = served(archive, *pages)
    assert [(p, r.status_code) for p, r in zip(pages, responses, strict=True)] == [
        (p, 200) for p in pages]  # fmt: skip
    whole, filtered, stories = served(archive, "/hn/comments.json", "/hn/recent_comments.json"
                                      "?story_id=200", "/hn/stories.json")  # fmt: skip
    assert whole.json()["filtered_table_rows_count"] is None
    assert filtered.json()["filtered_table_rows_count"] is None
    assert [r[2] for r in filtered.json()["rows"]] == ["21", "22", "23"]  # newest first
    assert stories.json()["filtered_table_rows_count"] == 2  # small tables keep theirs
    (database,) = served(archive, "/hn.json")
    counts = {t["name"]: t["count"] for t in database.json()["tables"]}
    assert (counts["comments"], counts["stories"], counts["sites"]) == (None, 2, 3)
    # Unlike a plain Datasette, which the plugin's instance leaves alone.
    (plain,) = serve(archive, "/hn/comments.json", metadata=metadata_for(archive))
    assert plain.json()["filtered_table_rows_count"] == 11


def test_table_search_goes_to_the_ranked_query(archive: Path) -> None:
    (moved,) = served(archive, "/hn/thread_comments.json?_search=otters&_shape=array")
    assert moved.status_code == 302
    assert moved.headers["location"] == "/hn/search_comments.json?search=otters&_shape=array"


def ranked_rows(path: Path, word: str) -> tuple[list[Any], list[Any]]:
    """search_comments as linkthread datasette serves it, and as the packaged query."""
    url = f"/hn/search_comments.json?search={word}&_shape=array"
    (fast,) = served(path, url)
    (plain,) = serve(path, url, metadata=metadata_for(path))
    assert fast.status_code == plain.status_code == 200, (fast.text[:300], plain.text[:300])
    return fast.json(), plain.json()


def test_served_search_ranks_as_the_packaged_query(tmp_path: Path) -> None:
    path = tmp_path / "hn.db"
    db = open_db(path)
    rng = random.Random(7)
    words = ["otter", "river", "stone", "the", "a"]
    for story in range(3):
        comments = tuple(
            make_comment(str(story * 100 + k), story_id=str(300 + story), position=k,
                         text=" ".join(rng.choices(words, k=rng.randrange(1, 12))))
            for k in range(80))  # fmt: skip
        save_thread(db, make_thread(comments, story=make_story(id=str(300 + story))))
    for word in ("otter", "the", "river stone"):
        fast, plain = ranked_rows(path, word)
        assert fast == plain and len(fast) == 50
    with transaction(db) as conn:
        search_upkeep.keep(conn, ["otter", "the"])
    db.close()
    for word in ("otter", "the"):
        fast, plain = ranked_rows(path, word)
        assert fast == plain and len(fast) == 50


def test_linkthread_datasette_command_get(archive: Path) -> None:
    url = "/hn/comments.json?_search=otters&_shape=array"
    done = CliRunner().invoke(cli, ["datasette", "--db", str(archive), "--get", url])
    assert done.exit_code == 0, done.output
    assert [r["id"] for r in json.loads(done.output)] == ["1"]
    done = CliRunner().invoke(cli, ["datasette", "--db", str(archive), "--get", "/hn/nothing"])
    assert done.exit_code == 1
