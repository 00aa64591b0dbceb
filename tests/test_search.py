"""archive.search and `linkthread search`: ranked full-text matches, snippets, filters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click.testing
import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.db import open_db, open_readonly
from archive.errors import ArchiveError
from archive.models import Comment
from archive.rows import user_time
from archive.search import SearchHit, literal_query, search
from archive.store import save_thread
from tests.test_store import make_comment, make_story, make_thread


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def comment(id: str, text: str, at: str, **kw: Any) -> Comment:
    return make_comment(id, text=text, text_html=f"<p>{text}</p>", created_at=when(at), **kw)


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    db = open_db(path)
    # hn/100 from make_story ("Show HN: A thing", 2026-01-14T07:30:00Z, by alice).
    save_thread(db, make_thread((
        comment("1", "Supply chain attacks reach npm again.\n\nPin your versions.",
                "2026-01-14T09:00:00Z"),
        comment("2", "The supply of chain saws is fine", "2026-01-14T10:00:00Z",
                parent="1", depth=1),
        comment("3", "Nothing to see here, it's quiet", "2026-01-15T08:00:00Z", position=1),
    )))  # fmt: skip
    story = make_story(
        id="200",
        title="Supply chain security in 2026",
        author="bob",
        created_at=when("2026-02-01T10:00:00Z"),
        text="Left-pad, again.",
    )
    save_thread(db, make_thread((
        comment("201", "I audit my supply chain weekly", "2026-02-01T11:00:00Z",
                story_id="200", author="carol"),
        comment("202", "supply chain, supply chain, supply chain", "2026-02-02T00:00:00Z",
                story_id="200", author="dave", position=1, synthetic_id=True),
    ), story=story))  # fmt: skip
    other = make_story(
        site="lobsters",
        id="abc",
        title="Rust and the supply chain",
        author="erin",
        created_at=when("2026-01-20T00:00:00Z"),
    )
    save_thread(db, make_thread((), story=other, pages=()))
    db.close()
    return path


def found(path: Path, query: str, **kw: Any) -> list[tuple[str, str, str | None]]:
    conn = open_readonly(path)
    try:
        return [(h.site, h.story_id, h.comment_id) for h in search(conn, query, **kw)]
    finally:
        conn.close()


def hits(path: Path, query: str, **kw: Any) -> list[SearchHit]:
    conn = open_readonly(path)
    try:
        return search(conn, query, **kw)
    finally:
        conn.close()


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


def test_search_ranks_stories_and_comments_with_marked_snippets(archive_path: Path) -> None:
    result = hits(archive_path, "supply chain")
    # Three mentions in a short comment rank first; a title match among the comments.
    assert [(h.kind, h.site, h.story_id, h.comment_id) for h in result] == [
        ("comment", "hn", "200", "202"),
        ("comment", "hn", "200", "201"),
        ("story", "lobsters", "abc", None),
        ("comment", "hn", "100", "2"),
        ("comment", "hn", "100", "1"),
        ("story", "hn", "200", None),
    ]
    assert [h.rank for h in result] == sorted(h.rank for h in result)
    assert all(h.rank < 0 for h in result)
    assert [h.snippet for h in result] == [
        "[supply] [chain], [supply] [chain], [supply] [chain]",
        "I audit my [supply] [chain] weekly",
        "Rust and the [supply] [chain]",
        "The [supply] of [chain] saws is fine",
        "[Supply] [chain] attacks reach npm again.\n\nPin your versions.",
        "[Supply] [chain] security in 2026",
    ]
    assert result[1] == SearchHit(
        kind="comment", site="hn", story_id="200", comment_id="201", author="carol",
        created_at="2026-02-01T11:00:00Z", title="Supply chain security in 2026",
        snippet="I audit my [supply] [chain] weekly", rank=result[1].rank,
        url="https://news.ycombinator.com/item?id=201",
    )  # fmt: skip
    # 202's id was made up where the page had none: it links to its thread instead.
    assert result[0].url == "https://news.ycombinator.com/item?id=200"
    # Lobsters' story URL form comes from the registry too.
    assert result[2].url == "https://lobste.rs/s/abc"


def test_fts_syntax_phrase_or_not_prefix_column(archive_path: Path) -> None:
    assert found(archive_path, '"supply chain" NOT weekly', kinds=("comment",)) == [
        ("hn", "200", "202"), ("hn", "100", "1"),
    ]  # fmt: skip
    assert found(archive_path, "saws OR audit*") == [("hn", "200", "201"), ("hn", "100", "2")]
    assert found(archive_path, "author:carol") == [("hn", "200", "201")]
    # Porter stemming: "attack" finds "attacks".
    assert found(archive_path, "attack") == [("hn", "100", "1")]


def test_filters(archive_path: Path) -> None:
    query = "supply chain"
    assert found(archive_path, query, site="lobsters") == [("lobsters", "abc", None)]
    assert found(archive_path, query, author="bob") == [("hn", "200", None)]
    assert found(archive_path, query, kinds=("story",)) == [
        ("lobsters", "abc", None), ("hn", "200", None),
    ]  # fmt: skip
    assert found(archive_path, query, limit=2) == [("hn", "200", "202"), ("hn", "200", "201")]
    # A date as --until takes in that whole day; times are inclusive to the second.
    assert found(archive_path, query, until="2026-01-14") == [
        ("hn", "100", "2"), ("hn", "100", "1"),
    ]  # fmt: skip
    assert found(archive_path, query, until="2026-01-14T09:00:00Z") == [("hn", "100", "1")]
    assert found(archive_path, query, since="2026-01-14T10:00:00Z", until="2026-01-20") == [
        ("lobsters", "abc", None), ("hn", "100", "2"),
    ]  # fmt: skip
    # A time with an offset is the same instant in UTC.
    assert found(archive_path, query, since="2026-02-01T12:30:00+02:00", site="hn") == [
        ("hn", "200", "202"), ("hn", "200", "201"),
    ]  # fmt: skip
    assert found(archive_path, query, author="nobody") == []


def test_time_bound() -> None:
    assert user_time("2026-01-14", "--since") == "2026-01-14T00:00:00Z"
    assert user_time("2026-01-14", "--until", end=True) == "2026-01-15T00:00:00Z"
    assert user_time("2026-01-14T09:30:00", "--until", end=True) == "2026-01-14T09:30:01Z"
    assert user_time("2026-01-14T09:30:00-02:00", "--since") == "2026-01-14T11:30:00Z"
    with pytest.raises(ArchiveError) as info:
        user_time("14/01/2026", "--since")
    assert str(info.value) == (
        "--since '14/01/2026' is not a date or time: use e.g. 2026-01-14 or 2026-01-14T09:30:00Z"
    )


HINT = 'put words with punctuation in double quotes ("supply-chain"), or search with --literal'


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ('"supply chain', "unterminated string"),
        ("supply -", 'fts5: syntax error near ""'),
        ("it's", "fts5: syntax error near \"'\""),
        ("AND", 'fts5: syntax error near "AND"'),
        ("supply-chain",
         'no such column: chain): a word before ":" or after "-" reads as a column name;'),
    ],
)  # fmt: skip
def test_bad_syntax_is_a_clear_error(archive_path: Path, query: str, reason: str) -> None:
    with pytest.raises(ArchiveError) as info:
        hits(archive_path, query)
    if reason.endswith(";"):
        expected = f"cannot read the search {query!r} ({reason} {HINT}"
    else:
        expected = f"cannot read the search {query!r} ({reason}): {HINT}"
    assert str(info.value) == expected


def test_literal_takes_words_as_text(archive_path: Path) -> None:
    assert literal_query('it\'s a "supply-chain"') == '"it\'s" "a" """supply-chain"""'
    assert found(archive_path, "it's", literal=True) == [("hn", "100", "3")]
    assert found(archive_path, "left-pad", literal=True) == [("hn", "200", None)]
    assert found(archive_path, "supply-chain npm", literal=True) == [("hn", "100", "1")]


def test_column_filter_of_one_index_searches_only_that_one(archive_path: Path) -> None:
    # author: exists in comments_fts only; stories_fts has no such column.
    assert found(archive_path, "author:dave") == [("hn", "200", "202")]
    with pytest.raises(ArchiveError, match=r"^cannot read the search 'author:dave' \(no such"):
        hits(archive_path, "author:dave", kinds=("story",))


def test_empty_search_is_an_error(archive_path: Path) -> None:
    for query, literal in (("", False), ("   ", False), (" ", True)):
        with pytest.raises(ArchiveError) as info:
            hits(archive_path, query, literal=literal)
        assert str(info.value) == "empty search: give the words to look for"


def test_cli_prints_a_readable_list(archive_path: Path) -> None:
    result = invoke("search", "npm", "OR", "left*", "--db", str(archive_path))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "hn/100 · comment 1 by user1 · 2026-01-14T09:00:00Z",
        "  Show HN: A thing",
        "  Supply chain attacks reach [npm] again. Pin your versions.",
        "  https://news.ycombinator.com/item?id=1",
        "",
        "hn/200 · story by bob · 2026-02-01T10:00:00Z",
        "  Supply chain security in 2026",
        "  [Left]-pad, again.",
        "  https://news.ycombinator.com/item?id=200",
    ]
    # A match in the title is not printed twice.
    result = invoke("search", "rust", "--db", str(archive_path))
    assert result.stdout.splitlines() == [
        "lobsters/abc · story by erin · 2026-01-20T00:00:00Z",
        "  Rust and the supply chain",
        "  https://lobste.rs/s/abc",
    ]
    assert invoke("search", "zebra", "--db", str(archive_path)).stdout == "(no matches)\n"


def test_cli_json_with_markers_and_filters(archive_path: Path) -> None:
    result = invoke(
        "search", "supply chain", "--comments", "--author", "carol", "--since", "2026-02-01",
        "--json", "--mark", "<b>", "</b>", "--db", str(archive_path),
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (0, "")
    rows = json.loads(result.stdout)
    assert rows == [
        {"kind": "comment", "site": "hn", "story_id": "200", "comment_id": "201",
         "author": "carol", "created_at": "2026-02-01T11:00:00Z",
         "title": "Supply chain security in 2026",
         "snippet": "I audit my <b>supply</b> <b>chain</b> weekly", "rank": rows[0]["rank"],
         "url": "https://news.ycombinator.com/item?id=201"},
    ]  # fmt: skip
    assert isinstance(rows[0]["rank"], float)
    stories = invoke("search", "supply", "--stories", "--limit", "1", "--json",
                     "--db", str(archive_path))  # fmt: skip
    assert [(r["kind"], r["site"], r["story_id"]) for r in json.loads(stories.stdout)] == [
        ("story", "lobsters", "abc")
    ]
    none = invoke("search", "zebra", "--json", "--db", str(archive_path))
    assert (none.exit_code, none.stdout) == (0, "[]\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("supply-chain",),
         "Error: cannot read the search 'supply-chain' (no such column: chain): a word before "
         f'":" or after "-" reads as a column name; {HINT}'),
        (("x", "--until", "soon"),
         "Error: --until 'soon' is not a date or time: use e.g. 2026-01-14 or "
         "2026-01-14T09:30:00Z"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line(archive_path: Path, args: tuple[str, ...], message: str) -> None:
    result = invoke("search", *args, "--db", str(archive_path))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n")


def test_cli_literal(archive_path: Path) -> None:
    result = invoke("search", "supply-chain", "npm", "--literal", "--json", "--db",
                    str(archive_path))  # fmt: skip
    assert [r["comment_id"] for r in json.loads(result.stdout)] == ["1"]
