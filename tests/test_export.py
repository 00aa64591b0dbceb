"""archive.export and `linkthread export`: each format whole, CSV safety, paths, --where.

Archives are built from records (tests.test_store); the HTML page and its browser
check live in test_export_html.py.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import archive.export_output as export_output
from archive.cli import cli
from archive.db import open_db, open_readonly
from archive.errors import ArchiveError
from archive.export import RECORD_FIELDS, neutralise_cell, recover_cell, thread_document
from archive.export_many import export_where
from archive.export_output import ExportError, atomic_output
from archive.query import load_thread
from archive.store import save_thread
from tests.conftest import LINKTHREAD
from tests.test_store import make_comment, make_story, make_thread, table_rows

LINKTHREAD_CMD = [str(LINKTHREAD)] if LINKTHREAD.exists() else [sys.executable, "-m", "scraper.cli"]

# Cells a spreadsheet would run or mangle, and text that merely looks like the escape.
PAYLOADS = ('=HYPERLINK("http://x","y")', "+1", "-x", "@a", "\tx", "\rx", "'quoted", "a=b")


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    db = open_db(path)
    # Stored out of display order, so the exports must put the tree in order themselves.
    comments = (
        make_comment("5", parent="1", depth=1, position=1, text="Second reply"),
        make_comment("3", position=1, author=None, text=None, text_html=None, dead=True,
                     deleted=True),
        make_comment("4", parent="2", depth=2, text="A reply to *the* reply"),
        make_comment("2", parent="1", depth=1, text="A reply", text_html="<p>A reply"),
        make_comment("1", text="First paragraph.\n\n# Not a heading <b>x</b>"),
    )  # fmt: skip
    save_thread(db, make_thread(comments, story=make_story(text="What do you think?")))
    payload_comments = tuple(
        make_comment(str(20 + i), story_id="200", position=i, text=text, author=text)
        for i, text in enumerate(PAYLOADS)
    )
    save_thread(db, make_thread(payload_comments, story=make_story(id="200", title="=cmd|x")))
    db.close()
    return path


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args))


def thread(path: Path, story_id: str = "100") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    conn = open_readonly(path)
    try:
        return load_thread(conn, "hn", story_id)
    finally:
        conn.close()


def record(id: str, parent: str | None, depth: int, position: int, text: str | None,
           **kw: Any) -> dict[str, Any]:  # fmt: skip
    minute = 30 - int(id)
    row = dict(
        site="hn", id=id, story_id="100", parent_id=parent, depth=depth, position=position,
        author=f"user{id}", created_at=f"2026-01-14T09:{minute:02d}:00Z", text=text,
        text_html=f"<p>Comment {id} about foxes jumping</p>", flags=[], source="html",
    )  # fmt: skip
    row.update(kw)
    return row


R1 = record("1", None, 0, 0, "First paragraph.\n\n# Not a heading <b>x</b>")
R2 = record("2", "1", 1, 0, "A reply", text_html="<p>A reply")
R4 = record("4", "2", 2, 0, "A reply to *the* reply")
R5 = record("5", "1", 1, 1, "Second reply")
R3 = record("3", None, 0, 1, None, author=None, text_html=None, flags=["dead", "deleted"])
DISPLAY_ORDER = [R1, R2, R4, R5, R3]


def test_json_is_the_story_with_nested_comments(archive_path: Path) -> None:
    result = invoke("export", "hn", "100", "--format", "json", "--db", str(archive_path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "site": "hn", "id": "100", "title": "Show HN: A thing",
        "url": "https://example.com/thing", "domain": "example.com", "author": "alice",
        "score": 42, "comment_count": 3, "archived_count": 5,
        "created_at": "2026-01-14T07:30:00Z", "kind": "show", "text": "What do you think?",
        "text_html": None, "first_seen_at": "2026-01-14T09:30:00Z",
        "last_seen_at": "2026-01-14T09:30:00Z", "source": "html", "flags": [],
        "comments": [
            {**R1, "children": [
                {**R2, "children": [{**R4, "children": []}]},
                {**R5, "children": []},
            ]},
            {**R3, "children": []},
        ],
    }  # fmt: skip


def test_nested_json_order_is_display_order(archive_path: Path) -> None:
    story, comments = thread(archive_path)
    doc = json.loads(thread_document("json", story, comments))
    ids: list[str] = []
    stack = list(reversed(doc["comments"]))
    while stack:
        node = stack.pop()
        ids.append(node["id"])
        stack.extend(reversed(node["children"]))
    assert ids == [c["id"] for c in comments] == ["1", "2", "4", "5", "3"]


def test_jsonl_is_one_comment_per_line_in_display_order(archive_path: Path) -> None:
    result = invoke("export", "hn", "100", "--format", "jsonl", "--db", str(archive_path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line) for line in lines] == DISPLAY_ORDER
    assert [list(json.loads(line)) for line in lines] == [list(RECORD_FIELDS)] * 5
    parents = {r["id"]: (r["parent_id"], r["depth"]) for r in map(json.loads, lines)}
    assert parents == {"1": (None, 0), "2": ("1", 1), "4": ("2", 2), "5": ("1", 1),
                       "3": (None, 0)}  # fmt: skip


def test_csv_rows_and_neutralised_cells(archive_path: Path) -> None:
    result = invoke("export", "hn", "200", "--format", "csv", "--db", str(archive_path))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert rows[0] == list(RECORD_FIELDS)
    texts = [row[RECORD_FIELDS.index("text")] for row in rows[1:]]
    authors = [row[RECORD_FIELDS.index("author")] for row in rows[1:]]
    assert texts == authors == [
        "'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-x", "'@a", "'\tx", "'\rx", "''quoted", "a=b",
    ]  # fmt: skip
    # No cell of the file starts a formula.
    assert not [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # The documented rule (strip one leading ') gives every text back exactly.
    assert [recover_cell(t) for t in texts] == list(PAYLOADS)


def test_csv_round_trip_through_a_file(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    result = invoke("export", "hn", "200", "-o", str(out), "--db", str(archive_path))
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as f:
        back = [{k: recover_cell(v) for k, v in row.items()} for row in csv.DictReader(f)]
    assert [row["text"] for row in back] == list(PAYLOADS)
    assert back[0]["text"] == '=HYPERLINK("http://x","y")'
    assert back[0] == {
        "site": "hn", "id": "20", "story_id": "200", "parent_id": "", "depth": "0",
        "position": "0", "author": PAYLOADS[0], "created_at": "2026-01-14T09:10:00Z",
        "text": PAYLOADS[0], "text_html": "<p>Comment 20 about foxes jumping</p>",
        "source": "html", "flags": "",
    }  # fmt: skip


def test_neutralise_only_text_cells() -> None:
    assert [neutralise_cell(v) for v in (-1, None, "", "x-", " =x")] == [-1, None, "", "x-", " =x"]
    assert recover_cell(neutralise_cell("'")) == "'"


def test_markdown(archive_path: Path) -> None:
    result = invoke("export", "hn", "100", "--format", "md", "--db", str(archive_path))
    assert result.exit_code == 0, result.output
    assert (
        result.stdout
        == """\
# Show HN: A thing

<https://example.com/thing>

42 points · by **alice** · 2026-01-14 07:30 UTC · 5 comments archived · 3 declared · \
hn/100 <https://news.ycombinator.com/item?id=100>

What do you think?

---

**user1** · 2026-01-14 09:29 UTC

First paragraph.

\\# Not a heading \\<b\\>x\\</b\\>

> **user2** · 2026-01-14 09:28 UTC
>
> A reply
>
> > **user4** · 2026-01-14 09:26 UTC
> >
> > A reply to \\*the\\* reply

> **user5** · 2026-01-14 09:25 UTC
>
> Second reply

*(no author)* · 2026-01-14 09:27 UTC · *\\[dead\\]* · *\\[deleted\\]*
"""
    )


# -- output paths --------------------------------------------------------------------


def test_refuses_to_overwrite_without_force(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    out.write_text("precious")
    args = ("export", "hn", "100", "-o", str(out), "--db", str(archive_path))

    refused = invoke(*args)
    assert refused.exit_code == 1
    assert refused.stderr == f"Error: {out} already exists; use --force to overwrite it\n"
    assert out.read_text() == "precious"

    forced = invoke(*args, "--force")
    assert forced.exit_code == 0, forced.output
    assert forced.stderr == f"hn/100: 5 comments written to {out}\n"
    assert json.loads(out.read_text())["id"] == "100"
    assert sorted(p.name for p in tmp_path.iterdir() if "a.db" not in p.name) == ["t.json"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            # No suffix: the --where export below gives --format csv.
            "nowhere/t",
            "cannot write {tmp}/nowhere/t: folder {tmp}/nowhere does not exist",
        ),
        (".", "{tmp} is a directory; give a file name"),
    ],
)
def test_refuses_missing_parent_and_directories(
    archive_path: Path, tmp_path: Path, target: str, message: str
) -> None:
    path = tmp_path / target
    for args in (("hn", "100"), ("--where", "1", "--format", "csv")):
        result = invoke("export", *args, "-o", str(path), "--force", "--db", str(archive_path))
        assert result.exit_code == 1
        assert result.stderr == "Error: " + message.format(tmp=tmp_path) + "\n"
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("length", [245, 300])  # too long with the temporary's suffix; at all
def test_a_file_that_cannot_be_written_is_one_line(
    archive_path: Path, tmp_path: Path, length: int
) -> None:
    out = tmp_path / ("x" * length)
    for args in (("hn", "100"), ("--where", "1", "--format", "csv")):
        result = invoke("export", *args, "-o", str(out), "--db", str(archive_path))
        assert (result.exit_code, result.stdout, result.stderr) == (
            1, "", f"Error: cannot write {out}: File name too long\n"
        )  # fmt: skip
    assert [p.name for p in tmp_path.iterdir() if "a.db" not in p.name] == []


def test_refuses_a_pipe_even_with_force(archive_path: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args in (("hn", "100"), ("--where", "1", "--format", "csv")):
        result = invoke("export", *args, "-o", str(fifo), "--force", "--db", str(archive_path))
        assert (result.exit_code, result.stderr) == (1, (
            f"Error: {fifo} is not a regular file; to write to a pipe or device, leave out -o "
            "and redirect stdout\n"
        ))  # fmt: skip
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_failed_export_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    with pytest.raises(RuntimeError), atomic_output(out) as f:
        f.write("half")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []

    out.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(out, force=True) as f:
        f.write("half")
        raise RuntimeError("disk full")
    assert [p.name for p in tmp_path.iterdir()] == ["t.jsonl"]
    assert out.read_text() == "old"


def test_a_file_that_appears_during_the_export_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    with pytest.raises(ExportError, match="already exists"), atomic_output(out) as f:
        f.write("new")
        out.write_text("someone else's")
    assert out.read_text() == "someone else's"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_export_keeps_the_umask_mode(tmp_path: Path) -> None:
    with atomic_output(tmp_path / "t.md") as f:
        f.write("x")
    reference = tmp_path / "plain"
    reference.write_text("x")
    assert (tmp_path / "t.md").stat().st_mode == reference.stat().st_mode
    assert export_output.check_output_path(tmp_path / "t.md", force=True) == tmp_path / "t.md"


def test_thread_options(archive_path: Path, tmp_path: Path) -> None:
    db = ("--db", str(archive_path))
    url = invoke("export", "hn", "https://news.ycombinator.com/item?id=100", "--format", "md", *db)
    assert url.exit_code == 0
    assert url.stdout == invoke("export", "hn", "100", "--format", "md", *db).stdout
    # The format follows the file's suffix when --format is not given.
    assert invoke("export", "hn", "100", "-o", str(tmp_path / "t.md"), *db).exit_code == 0
    assert (tmp_path / "t.md").read_text().startswith("# Show HN: A thing\n")
    for args, message in (
        (("hn", "100", "--format", "parquet"),
         "a thread exports as json, jsonl, csv, md, html; not parquet"),
        (("hn",), "give SITE ID (a thread) or --where SQL (many comments)"),
        (("hn", "100", "--where", "1"), "give either SITE ID or --where, not both"),
        (("hn", "100", "-p", "a", "b"), "-p binds parameters of --where; there is no --where"),
        (("--where", "1", "--format", "md"), "--where exports jsonl, csv, parquet; not md"),
        (("hn", "999"), "no thread hn/999 in the archive"),
    ):  # fmt: skip
        result = invoke("export", *args, *db)
        assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n"), args


# -- many threads: --where -------------------------------------------------------------

WHERE = "site = 'hn' and created_at >= :since and depth = :depth"
SINCE = ("-p", "since", "2026-01-14T09:25:00Z", "-p", "depth", "0")


def test_where_to_jsonl_on_stdout(archive_path: Path) -> None:
    result = invoke("export", "--where", WHERE, *SINCE, "--db", str(archive_path))
    assert result.exit_code == 0, result.output
    # Thread by thread, each in the order its comments were stored.
    assert [json.loads(line) for line in result.stdout.splitlines()] == [R3, R1]


def test_where_to_csv_file(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    result = invoke(
        "export", "--where", "story_id = '200'", "-o", str(out), "--db", str(archive_path)
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{len(PAYLOADS)} comments written to {out}\n"
    with out.open(newline="", encoding="utf-8") as f:
        back = [{k: recover_cell(v) for k, v in row.items()} for row in csv.DictReader(f)]
    assert [row["text"] for row in back] == list(PAYLOADS)


def test_where_streams_in_batches(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    count = export_where(archive_path, "1", "jsonl", out, batch_rows=2)
    assert count == 5 + len(PAYLOADS)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == ["5", "3", "4", "2", "1", *(str(20 + i) for i in range(len(PAYLOADS)))]


def test_where_to_parquet(archive_path: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "c.parquet"
    result = invoke("export", "--where", WHERE, *SINCE, "-o", str(out), "--db", str(archive_path))
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.column_names == list(RECORD_FIELDS)
    assert table.to_pylist() == [R3, R1]
    assert str(table.schema.field("depth").type) == "int64"

    empty = tmp_path / "none.parquet"
    assert export_where(archive_path, "0", "parquet", empty) == 0
    assert pq.read_table(empty).column_names == list(RECORD_FIELDS)


def test_parquet_needs_a_file_and_pyarrow(
    archive_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ("--db", str(archive_path))
    no_file = invoke("export", "--where", "1", "--format", "parquet", *db)
    assert no_file.stderr == "Error: Parquet needs an output file: -o FILE\n"
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    result = invoke("export", "--where", "1", "-o", str(tmp_path / "c.parquet"), *db)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Parquet export needs pyarrow: pip install -e '.[parquet]' in a linkthread "
        "checkout, or pip install pyarrow\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir() if "a.db" not in p.name) == []


@pytest.mark.parametrize(
    "where",
    [
        "1; DELETE FROM comments",
        "1) ; UPDATE stories SET title = 'x'; SELECT (1",
        "1; DROP TABLE comments --",
        "1; ATTACH 'x.db' AS x",
    ],
)
def test_where_cannot_write(archive_path: Path, tmp_path: Path, where: str) -> None:
    db = open_db(archive_path)
    before = {t: table_rows(db, t) for t in ("stories", "comments")}
    db.close()
    out = tmp_path / "c.jsonl"

    result = invoke("export", "--where", where, "-o", str(out), "--db", str(archive_path))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --where: ")
    assert result.stderr.count("\n") == 1
    assert not out.exists()
    db = open_db(archive_path)
    assert {t: table_rows(db, t) for t in ("stories", "comments")} == before
    db.close()


def test_where_errors(archive_path: Path, tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no such column: nope"):
        export_where(archive_path, "nope = 1", "jsonl", None)
    with pytest.raises(ExportError, match="--where is empty"):
        export_where(archive_path, "  ", "jsonl", None)
    # A trailing SQL comment cannot swallow the rest of the statement.
    out = io.StringIO()
    assert export_where(archive_path, "id = '1' -- the first", "jsonl", None, stdout=out) == 1
    # The output is checked before the query runs (its first row may take a full scan).
    taken = tmp_path / "taken.jsonl"
    taken.write_text("precious")
    with pytest.raises(ExportError, match="already exists"):
        export_where(archive_path, "nope = 1", "jsonl", taken)


# -- what -o says --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "name", "message"),
    [
        (("hn", "100", "--format", "csv"), "t.json",
         "names a json file but --format is csv; give the file a .csv name, or leave out "
         "--format"),
        (("hn", "100", "--format", "jsonl"), "t.json",
         "names a json file but --format is jsonl; give the file a .jsonl name, or leave "
         "out --format"),
        (("--where", "1", "--format", "csv"), "t.parquet",
         "names a parquet file but --format is csv; give the file a .csv name, or leave "
         "out --format"),
        (("hn", "100", "--format", "html"), "t.md",
         "names a md file but --format is html; give the file a .html name, or leave out "
         "--format"),
    ],
)  # fmt: skip
def test_a_suffix_that_names_another_format_is_refused(
    archive_path: Path, tmp_path: Path, args: tuple[str, ...], name: str, message: str
) -> None:
    out = tmp_path / name
    result = invoke("export", *args, "-o", str(out), "--db", str(archive_path))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: -o {out} {message}\n"
    assert not out.exists()


def test_a_suffix_that_names_no_format_takes_any(archive_path: Path, tmp_path: Path) -> None:
    for name, fmt in (("t.txt", "md"), ("t", "csv"), ("t.HTM", "html"), ("t.ndjson", "jsonl")):
        out = tmp_path / name
        result = invoke("export", "hn", "100", "--format", fmt, "-o", str(out),
                        "--db", str(archive_path))  # fmt: skip
        assert result.exit_code == 0, result.output
        assert out.read_text() == invoke("export", "hn", "100", "--format", fmt,
                                         "--db", str(archive_path)).stdout  # fmt: skip


@pytest.mark.parametrize("name", ["-", "/dev/stdout", "/dev/fd/1"])
def test_dash_and_dev_stdout_mean_stdout(archive_path: Path, name: str) -> None:
    plain = invoke("export", "hn", "100", "--format", "md", "--db", str(archive_path))
    result = invoke("export", "hn", "100", "--format", "md", "-o", name, "--db",
                    str(archive_path))  # fmt: skip
    assert (result.exit_code, result.stdout, result.stderr) == (0, plain.stdout, "")
    many = invoke("export", "--where", "1", "--format", "csv", "-o", name, "--db",
                  str(archive_path))  # fmt: skip
    assert many.exit_code == 0 and many.stdout.startswith("site,id,story_id")
    parquet = invoke("export", "--where", "1", "--format", "parquet", "-o", name, "--db",
                     str(archive_path))  # fmt: skip
    assert parquet.stderr == "Error: Parquet needs an output file: -o FILE\n"


@pytest.mark.e2e
def test_dev_stdout_means_stdout_in_a_real_process(archive_path: Path, tmp_path: Path) -> None:
    # Redirected to a file, /dev/stdout is that file: it still means stdout, not "an
    # existing file". (No --force here, nor with any /dev name in these tests: the old
    # code renamed the export over the /dev link itself.)
    redirected = tmp_path / "out.md"
    with redirected.open("w") as out:
        done = subprocess.run(
            [*LINKTHREAD_CMD, "export", "hn", "100", "--format", "md", "-o", "/dev/stdout",
             "--db", str(archive_path)],
            stdout=out, stderr=subprocess.PIPE, text=True, check=False, timeout=120,
        )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert redirected.read_text().startswith("# Show HN: A thing\n")


@pytest.mark.parametrize("name", ["/dev/stderr", "/dev/null", "/proc/self/fd/2"])
def test_device_and_process_paths_are_refused_by_name(archive_path: Path, name: str) -> None:
    for args in (("hn", "100"), ("--where", "1", "--format", "csv")):
        result = invoke("export", *args, "-o", name, "--db", str(archive_path))
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == (
            f"Error: {name} is a device or process file, not a place for a file; to write "
            "to stdout, give -o - or leave out -o\n"
        )


def test_force_without_a_file_is_refused(archive_path: Path) -> None:
    for args in (("hn", "100"), ("--where", "1"), ("hn", "100", "-o", "-")):
        result = invoke("export", *args, "--force", "--db", str(archive_path))
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == "Error: --force overwrites the -o FILE; there is no -o FILE\n"
