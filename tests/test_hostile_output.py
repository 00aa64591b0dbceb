"""What the reading commands print from a hostile archive (tests/hostile.py): nothing a
terminal obeys, one line per one-line field, and what the table shows is what is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from archive.cli import cli
from tests.hostile import COMMENT, CONTROLS, ESC, STORY, make_hostile_archive


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return make_hostile_archive(tmp_path / "hostile.db")


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


def assert_inert(text: str) -> None:
    for control in CONTROLS:
        assert control not in text, f"{control!r} printed raw"


SHOWN_ESC = "\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\x0dX\\u202e"


def test_show_prints_every_field_inert(hostile: Path) -> None:
    result = invoke("show", "hn", "666", "--width", "200", "--db", str(hostile))
    assert result.exit_code == 0, result.output
    assert_inert(result.output)
    lines = result.output.splitlines()
    # One-line fields stay on their line: an author's "\n# root" is shown, not obeyed.
    assert lines[0] == f"Title {SHOWN_ESC} <script>alert(1)</script> #"
    assert lines[1] == f"javascript:alert(1)//{SHOWN_ESC}"
    assert lines[2].startswith(f"hn/666 · by mallory{SHOWN_ESC}\\n# root · 9{SHOWN_ESC} points · ")
    assert lines[3] == "2 comments archived (10 declared)"
    heads = [line for line in lines if line.lstrip().startswith("• ")]
    assert heads == [
        f"• eve{SHOWN_ESC}\\n# admin · ](javascript:alert(1))\\n# heading\\x0d- item "
        f"<script>alert(1)</script> &amp; *x*{SHOWN_ESC}",
        "  • bob · 2026-01-14T09:00:00Z [gone]",
    ]
    # A body keeps its line breaks (layout), with its controls shown.
    assert f"  body {SHOWN_ESC}" in lines


def test_show_marks_a_vanished_comment_gone(hostile: Path) -> None:
    out = invoke("show", "hn", "666", "--db", str(hostile)).output
    assert "  • bob · 2026-01-14T09:00:00Z [gone]\n    a reply that vanished\n" in out
    assert out.count("[gone]") == 1


@pytest.mark.parametrize("width", ["-3", "0", "19", "1001"])
def test_show_refuses_a_width_out_of_range(hostile: Path, width: str) -> None:
    result = invoke("show", "hn", "666", "--width", width, "--db", str(hostile))
    assert result.exit_code == 2
    assert "Invalid value for '--width'" in result.stderr
    assert "20<=x<=1000" in result.stderr
    assert result.stdout == ""


def test_show_of_a_deep_hostile_depth_stays_readable(tmp_path: Path) -> None:
    # A depth of a billion (or text) in a hostile archive must not build a 2 GB indent.
    import sqlite3

    path = make_hostile_archive(tmp_path / "deep.db")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE comments SET depth = 1000000000 WHERE id = '2'")
        conn.execute("UPDATE comments SET depth = 'deep' WHERE id = '1'")
    conn.close()
    out = invoke("show", "hn", "666", "--db", str(path)).output
    assert "\n• eve" in out
    assert "\n" + "  " * 40 + "• bob" in out


@pytest.mark.parametrize(
    ("args", "rows"),
    [
        (("history", "hn", "666"), 1),
        (("changes", "hn", "666"), 2),
        (("watch", "list"), 1),
    ],
)
def test_tables_print_one_inert_line_per_row(
    hostile: Path, args: tuple[str, ...], rows: int
) -> None:
    result = invoke(*args, "--db", str(hostile))
    assert result.exit_code == 0, result.output
    assert_inert(result.output)
    # A header, a rule, then one line per row: no cell broke its row in two.
    assert len(result.output.splitlines()) == 2 + rows
    assert SHOWN_ESC in result.output or "\\x1b" in result.output


@pytest.mark.parametrize(
    "args", [("history", "hn", "666"), ("changes", "hn", "666"), ("gaps",), ("watch", "list")]
)
def test_json_keeps_the_stored_text_exactly(hostile: Path, args: tuple[str, ...]) -> None:
    # JSON escapes controls itself (\u001b), so it stays the archive's exact text.
    result = invoke(*args, "--json", "--db", str(hostile))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    values = [v for row in json.loads(result.output) for v in row.values()]
    assert any(isinstance(v, str) and ESC in v for v in values)


def test_changes_table_shows_the_author_on_one_line(hostile: Path) -> None:
    out = invoke("changes", "hn", "666", "--db", str(hostile)).output
    edited = [line for line in out.splitlines() if " edited " in line]
    assert len(edited) == 1
    assert f"eve{SHOWN_ESC}\\n# admin" in edited[0]


def test_an_error_quoting_the_archive_is_one_inert_line(hostile: Path) -> None:
    result = invoke("show", "nosuchsite", "1", "--db", str(hostile))
    assert result.exit_code == 1
    assert_inert(result.stderr)
    assert result.stderr == (
        "Error: unknown site 'nosuchsite': the archive has no threads from it "
        f"(sites: hn, odd{SHOWN_ESC})\n"
    )


def test_fixture_is_really_hostile() -> None:
    # The payloads carry every control the tests look for, so "absent" means "removed".
    for control in CONTROLS:
        assert control in ESC
    assert "\n" in STORY["author"] and "\n" in COMMENT["author"]  # type: ignore[operator]


def test_gaps_tables_print_inert_lines(hostile: Path) -> None:
    result = invoke("gaps", "--db", str(hostile))
    assert result.exit_code == 0, result.output
    assert_inert(result.output)
    lines = result.output.splitlines()
    # Two sections of title, header, rule and one row, a blank line between.
    assert len(lines) == 9 and lines[4] == ""
    assert lines[3].split()[:2] == ["hn", "666"]
    assert lines[8].split()[:2] == ["hn", "777"]
    assert f"Never crawled {SHOWN_ESC}" in lines[8]
