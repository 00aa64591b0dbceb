"""Every export format of a thread from a hostile archive (tests/hostile.py), checked by
its structure: the Markdown parses to one heading and no HTML or links of its own, the
HTML page holds no script or handler, JSON and CSV give back the stored text exactly.
A comment gone from the site says "gone" in every format.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

import archive.cli_export as cli_export
from archive.cli import cli
from archive.db import open_readonly
from archive.export import md_inline, thread_document
from archive.export_many import export_where
from archive.query import load_thread
from archive.terminal import safe
from tests.hostile import COMMENT, CONTROLS, GONE, MD, STORY, make_hostile_archive


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return make_hostile_archive(tmp_path / "hostile.db")


def document(path: Path, fmt: str) -> str:
    conn = open_readonly(path)
    try:
        story, comments = load_thread(conn, "hn", "666")
    finally:
        conn.close()
    return thread_document(fmt, story, comments)


def _tokens(markdown: str) -> list:  # flattened, inline children included
    out = []
    for token in MarkdownIt("commonmark").parse(markdown):
        out.append(token)
        out.extend(token.children or ())
    return out


def test_markdown_structure_holds_against_every_field(hostile: Path) -> None:
    md = document(hostile, "md")
    tokens = _tokens(md)
    kinds = [t.type for t in tokens]
    # One heading (the title), one rule, one quote (the reply): nothing a field forged.
    assert kinds.count("heading_open") == 1
    assert kinds.count("hr") == 1
    assert kinds.count("blockquote_open") == 1
    for forged in ("html_inline", "html_block", "bullet_list_open", "ordered_list_open",
                   "image", "code_inline"):  # fmt: skip
        assert forged not in kinds, forged
    # Emphasis only where linkthread writes it: the bold authors, the *[gone]* flag.
    assert (kinds.count("strong_open"), kinds.count("em_open")) == (3, 1)
    # Only the link linkthread writes itself: the story's page on its site.
    links = [t.attrGet("href") for t in tokens if t.type == "link_open"]
    assert links == ["https://news.ycombinator.com/item?id=666"]
    text = "".join(t.content for t in tokens if t.type == "text")
    assert "<script>alert(1)</script>" in text  # shown, as text
    assert "](javascript:alert(1))" in text


def test_markdown_one_line_fields_stay_on_their_line(hostile: Path) -> None:
    lines = document(hostile, "md").splitlines()
    heads = [line for line in lines if line.lstrip("> ").startswith("**")]
    assert len(heads) == 2
    # The author's and the time's line breaks became spaces inside the comment's head.
    assert heads[0].startswith("**eve")
    assert "\\# admin**" in heads[0]
    assert "\\# heading" in heads[0]
    # Nothing starts a line with a heading mark except the title.
    assert [line for line in lines if line.lstrip("> ").startswith("#")] == [lines[0]]


def test_md_inline_escapes_any_value() -> None:
    assert md_inline("a\nb\r\nc\u2028d") == "a b c d"
    assert md_inline("- x") == "\\- x"
    assert md_inline("Title #") == "Title \\#"
    assert md_inline("&amp; <b>") == "\\&amp; \\<b\\>"
    assert md_inline(42) == "42"
    assert md_inline(MD).count("\n") == 0


def test_markdown_body_lone_cr_cannot_start_a_heading() -> None:
    story = {"site": "hn", "id": "1", "title": "t"}
    comment = {**COMMENT, "text": "one\r# two\r\n- three"}
    md = thread_document("md", story, [comment])
    kinds = [t.type for t in _tokens(md)]
    assert kinds.count("heading_open") == 1  # the title only
    assert "bullet_list_open" not in kinds


def test_html_page_holds_no_live_markup_from_any_field(hostile: Path) -> None:
    page = lxml.html.document_fromstring(document(hostile, "html"))
    assert page.xpath("//script") == []
    assert [el for el in page.iter() if any(a.startswith("on") for a in el.attrib)] == []
    hrefs = page.xpath("//@href")
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    # Escaped, so every field reads back as its text (HTML itself reads CR as LF).
    title = str(STORY["title"]).replace("\r", "\n")
    assert page.findtext(".//title") == f"{title} | hn/666"
    domain = str(STORY["domain"]).replace("\r", "\n")
    assert page.xpath("//h1")[0].text_content() == f"{title} ({domain})"
    assert page.xpath("//span[@class='author']")[0].text == STORY["author"].replace("\r", "\n")


def test_json_and_csv_give_back_the_stored_text(hostile: Path) -> None:
    doc = json.loads(document(hostile, "json"))
    assert {k: doc[k] for k in ("title", "author", "created_at", "score", "url")} == {
        k: STORY[k] for k in ("title", "author", "created_at", "score", "url")
    }
    assert doc["comments"][0]["author"] == COMMENT["author"]
    rows = list(csv.DictReader(io.StringIO(document(hostile, "csv"), newline="")))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["author"] == COMMENT["author"]
    assert rows[0]["text"] == COMMENT["text"]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "md", "html"])
def test_every_format_marks_the_gone_comment(hostile: Path, fmt: str) -> None:
    out = document(hostile, fmt)
    if fmt == "json":
        reply = json.loads(out)["comments"][0]["children"][0]
        assert (reply["id"], reply["flags"]) == ("2", ["gone"])
    elif fmt == "jsonl":
        assert [json.loads(line)["flags"] for line in out.splitlines()] == [[], ["gone"]]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out, newline="")))
        assert [r["flags"] for r in rows] == ["", "gone"]
    elif fmt == "md":
        assert f"> **{GONE['author']}** · 2026-01-14 09:00 UTC · *\\[gone\\]*" in out
    else:
        page = lxml.html.document_fromstring(out)
        (gone,) = page.xpath("//details[@id='c2']")
        assert "gone" in gone.get("class").split()
        assert gone.findtext("summary/span[@class='flag']") == "[gone]"


def test_where_export_marks_the_gone_comment(hostile: Path) -> None:
    out = io.StringIO()
    assert export_where(hostile, "story_id = '666'", "jsonl", None, stdout=out) == 2
    assert [json.loads(line)["flags"] for line in out.getvalue().splitlines()] == [[], ["gone"]]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "md", "html"])
def test_a_thread_exported_to_a_terminal_prints_nothing_it_obeys(
    hostile: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["export", "hn", "666", "--format", fmt, "--db", str(hostile)]
    exact = CliRunner().invoke(cli, args).stdout_bytes.decode("utf-8")
    assert exact == document(hostile, fmt)  # a pipe or a redirect: the exact bytes
    assert_inert_on_a_terminal(args, exact, monkeypatch)


@pytest.fixture
def odd_types(hostile: Path) -> Path:
    # SQLite keeps what it is given: a BLOB and numbers where text belongs.
    with sqlite3.connect(hostile) as conn:
        conn.execute("UPDATE comments SET text = x'ff00c3a9', author = 42, text_html = 7"
                     " WHERE id = '1'")  # fmt: skip
        conn.execute("UPDATE stories SET title = x'ff', text = 5, text_html = x'3c703e'"
                     " WHERE id = '666'")  # fmt: skip
    conn.close()
    return hostile


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "md", "html"])
def test_blobs_and_numbers_in_text_columns_export_as_text(odd_types: Path, fmt: str) -> None:
    result = CliRunner().invoke(cli, ["export", "hn", "666", "--format", fmt, "--db",
                                      str(odd_types)])  # fmt: skip
    assert result.exit_code == 0, result.output
    if fmt == "json":
        doc = json.loads(result.stdout)
        assert (doc["title"], doc["text"], doc["text_html"]) == ("\ufffd", "5", "<p>")
        first = doc["comments"][0]
        assert (first["author"], first["text"], first["text_html"]) == ("42", "\ufffd\x00é", "7")


def test_show_reads_blobs_and_numbers_as_text(odd_types: Path) -> None:
    result = CliRunner().invoke(cli, ["show", "hn", "666", "--db", str(odd_types)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "\ufffd"
    assert "• 42 · " in result.stdout
    assert "  \ufffd\\x00é" in lines


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_where_export_to_a_terminal_prints_nothing_it_obeys(
    hostile: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["export", "--where", "story_id = '666'", "--format", fmt, "--db", str(hostile)]
    exact = CliRunner().invoke(cli, args).stdout_bytes.decode("utf-8")
    if fmt == "csv":  # CSV keeps the text exact, escapes and all (JSON escapes them)
        assert any(control in exact for control in CONTROLS)
    assert_inert_on_a_terminal(args, exact, monkeypatch)


def assert_inert_on_a_terminal(args: list[str], exact: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The same export with stdout a terminal: nothing in it acts, and it is ``exact``
    with every control character shown as an escape."""
    monkeypatch.setattr(cli_export, "stdout_is_terminal", lambda: True)
    shown = CliRunner().invoke(cli, args)
    assert shown.exit_code == 0, shown.output
    text = shown.stdout_bytes.decode("utf-8")
    for control in CONTROLS:
        assert control not in text
    assert text == safe(exact)
