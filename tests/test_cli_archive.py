"""archive.cli through click's CliRunner: help, output formats, the tree, errors."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from archive.cli import cli, db_option, item_id
from archive.db import open_db
from archive.errors import ArchiveError
from archive.store import save_thread
from tests.test_store import make_comment, make_story, make_thread


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    db = open_db(path)
    comments = (
        make_comment(
            "1",
            text="First paragraph, long enough that it wraps at forty columns.\n\nSecond one.",
        ),
        make_comment("2", parent="1", depth=1, text="A reply"),
        make_comment("4", parent="2", depth=2, position=0, text="A reply to the reply"),
        make_comment("3", position=1, author=None, text=None, dead=True, deleted=True),
    )
    save_thread(db, make_thread(comments, story=make_story(text="What do you think?")))
    db.close()
    return path


def invoke(*args: str, env: dict[str, str] | None = None) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), env=env)


def test_every_command_has_help_with_an_example() -> None:
    cli.load_all()
    assert cli.commands, "no commands registered"
    for name, command in cli.commands.items():
        assert (command.help or "").strip(), f"{name} has no help"
        result = invoke(name, "--help")
        assert result.exit_code == 0, result.output
        assert "Example" in result.output, f"{name} --help has no Example"
    assert "Example" in invoke("--help").output


def test_query_default_is_a_json_array(archive_path: Path) -> None:
    result = invoke(
        "query", "select id, parent_id, dead from comments order by id", "--db", str(archive_path)
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        '[{"id": "1", "parent_id": null, "dead": 0},\n'
        ' {"id": "2", "parent_id": "1", "dead": 0},\n'
        ' {"id": "3", "parent_id": null, "dead": 1},\n'
        ' {"id": "4", "parent_id": "2", "dead": 0}]\n'
    )
    assert json.loads(result.output)[3] == {"id": "4", "parent_id": "2", "dead": 0}


SQL = "select id, author from comments where depth = :d order by id"
EXPECTED = {
    "--json": '[{"id": "1", "author": "user1"},\n {"id": "3", "author": null}]\n',
    "--nl": '{"id": "1", "author": "user1"}\n{"id": "3", "author": null}\n',
    "--csv": "id,author\n1,user1\n3,\n",
    "--tsv": "id\tauthor\n1\tuser1\n3\t\n",
    "--table": "  id  author\n----  --------\n   1  user1\n   3\n",
}


@pytest.mark.parametrize("flag", list(EXPECTED))
def test_query_output_formats(archive_path: Path, flag: str) -> None:
    result = invoke("query", SQL, "-p", "d", "0", flag, "--db", str(archive_path))
    assert result.exit_code == 0, result.output
    assert result.output == EXPECTED[flag]


def test_query_empty_result_and_blob(archive_path: Path) -> None:
    db = str(archive_path)
    assert invoke("query", "select id from comments where 0", "--db", db).output == "[]\n"
    assert invoke("query", "select id from comments where 0", "--csv", "--db", db).output == (
        "id\n"
    )
    blob = invoke("query", "select x'00ff' as b", "--db", db)
    assert blob.output == '[{"b": {"$base64": true, "encoded": "AP8="}}]\n'
    assert invoke("query", "select x'00ff' as b", "--table", "--db", db).output == (
        "b\n---------\n<2 bytes>\n"
    )


def test_db_from_environment(archive_path: Path) -> None:
    result = invoke(
        "query", "select count(*) as n from comments", env={"LINKTHREAD_DB": str(archive_path)}
    )
    assert result.output == '[{"n": 4}]\n'


def test_show_prints_the_tree(archive_path: Path) -> None:
    result = invoke("show", "hn", "100", "--db", str(archive_path), "--width", "40")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Show HN: A thing",
        "https://example.com/thing",
        "hn/100 · by alice · 42 points · 2026-01-14T07:30:00Z",
        "4 comments archived (3 declared)",
        "",
        "What do you think?",
        "",
        "• user1 · 2026-01-14T09:29:00Z",
        "  First paragraph, long enough that it",
        "  wraps at forty columns.",
        "",
        "  Second one.",
        "",
        "  • user2 · 2026-01-14T09:28:00Z",
        "    A reply",
        "",
        "    • user4 · 2026-01-14T09:26:00Z",
        "      A reply to the reply",
        "",
        "• (no author) · 2026-01-14T09:27:00Z [dead] [deleted]",
    ]


def test_show_accepts_an_item_url(archive_path: Path) -> None:
    by_id = invoke("show", "hn", "100", "--db", str(archive_path))
    by_url = invoke(
        "show", "hn", "https://news.ycombinator.com/item?id=100", "--db", str(archive_path)
    )
    assert by_url.exit_code == 0
    assert by_url.output == by_id.output


def test_item_id() -> None:
    assert item_id("8863") == "8863"
    assert item_id("https://news.ycombinator.com/item?id=8863") == "8863"
    assert item_id("https://news.ycombinator.com/item?p=2&id=8863") == "8863"
    assert item_id("https://lobste.rs/s/abc123/some_title") == "abc123"
    with pytest.raises(ArchiveError, match="cannot read a thread id"):
        item_id("https://example.com/item?id=1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("query", "select 1", "--db", "{missing}"), "Error: no archive at {missing}"),
        (("show", "hn", "1", "--db", "{missing}"), "Error: no archive at {missing}"),
        (("query", "selec 1", "--db", "{db}"), 'Error: SQL error: near "selec": syntax error'),
        (("query", "delete from comments", "--db", "{db}"),
         "Error: refused: the query tries to write (DELETE from comments); "
         "linkthread query is read-only"),
        (("show", "hn", "999", "--db", "{db}"), "Error: no thread hn/999 in the archive"),
        (("show", "reddit", "100", "--db", "{db}"),
         "Error: unknown site 'reddit': the archive has no threads from it (sites: hn)"),
        (("show", "hn", "https://example.com/x", "--db", "{db}"),
         "Error: cannot read a thread id from URL https://example.com/x"),
    ],
)  # fmt: skip
def test_errors_are_one_line_and_nonzero(
    archive_path: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    values = {"db": str(archive_path), "missing": str(tmp_path / "missing.db")}
    result = invoke(*(a.format(**values) for a in args))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message.format(**values) + "\n"
    assert not (tmp_path / "missing.db").exists()


def test_db_option_is_reusable() -> None:
    # The crawl command (in the scraper) decorates itself with the same option.
    @click.command()
    @db_option
    def probe(db: str) -> None:
        click.echo(db)

    runner = CliRunner()
    assert runner.invoke(probe, []).output == "linkthread.db\n"
    assert runner.invoke(probe, ["--db", "x.db"]).output == "x.db\n"
    assert runner.invoke(probe, [], env={"LINKTHREAD_DB": "env.db"}).output == "env.db\n"
