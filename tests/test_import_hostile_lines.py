"""Odd lines in a dump: a BOM, CRLF, blank lines, no newline at the end, a line cut in
the middle, lines that are no object, a huge line, bytes that are not UTF-8, NUL
bytes, comments and submissions in one file, and fields of the wrong type. What can be
read is imported, every skipped line is counted in one line naming the file and the
first skipped line's number and why, and the filters still apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import rows
from tests.redditdump import comment, consistency_problems, ndjson, submission, zst
from tests.test_import import run_import

GOOD = [comment(f"g{i}", at=1_700_000_000 + i) for i in range(20)]


def warnings(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in result.stderr.splitlines() if line.startswith("Warning:")]


def imported_ids(db: Path) -> set[str]:
    return {cid for (cid,) in rows(db, "select id from comments")}


@pytest.mark.parametrize("name, data", [
    ("bom", b"\xef\xbb\xbf" + ndjson(GOOD)),
    ("crlf", ndjson(GOOD).replace(b"\n", b"\r\n")),
    ("blank", b"\n\n" + ndjson(GOOD).replace(b"\n", b"\n \n\n") + b"\n\n"),
    ("no_newline_at_end", ndjson(GOOD).rstrip(b"\n")),
])  # fmt: skip
def test_harmless_oddities_import_every_line(tmp_path: Path, name: str, data: bytes) -> None:
    for path in (tmp_path / f"{name}_comments.ndjson", tmp_path / f"{name}_comments.zst"):
        path.write_bytes(data if path.suffix == ".ndjson" else zst(data))
        db = path.with_suffix(".db")
        result = run_import(path, "--db", db)
        assert result.exit_code == 0, result.output
        assert warnings(result) == [] and "Error" not in result.stderr
        assert imported_ids(db) == {c["id"] for c in GOOD}
        assert rows(db, "select text from comments where id = 'g3'") == [("text of g3",)]
        assert consistency_problems(db) == []


def test_damaged_lines_are_skipped_counted_and_the_first_named(tmp_path: Path) -> None:
    good = ndjson(GOOD)
    body = b"".join([
        good[: good.index(b"\n") + 1],                # line 1: g0
        b"[1, 2, 3]\n",                               # line 2: a list
        b'"just a string"\n',                         # line 3
        b"\x00\x00\x00\x00\n",                        # line 4: NUL bytes
        json.dumps(comment("cut"))[:40].encode() + b"\n",  # line 5: cut in the middle
        good[good.index(b"\n") + 1:],                 # lines 6-24: g1 .. g19
    ])
    path = tmp_path / "damaged_comments.ndjson"
    path.write_bytes(body)
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    assert warnings(result) == [
        f"Warning: {path}: 4 line(s) skipped, not a Reddit comment or submission (the "
        "first, line 2: a JSON list, not an object)"]
    assert imported_ids(db) == {c["id"] for c in GOOD}
    assert consistency_problems(db) == []


def test_a_line_cut_at_the_end_of_the_file_is_the_only_one_lost(tmp_path: Path) -> None:
    data = ndjson(GOOD)
    path = tmp_path / "cut_comments.ndjson"
    path.write_bytes(data[:-25])
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0
    [line] = warnings(result)
    assert "1 line(s) skipped" in line and "line 20: not JSON" in line
    assert imported_ids(db) == {c["id"] for c in GOOD[:-1]}


def test_bytes_that_are_not_utf8_keep_the_rest_of_the_comment(tmp_path: Path) -> None:
    odd = json.dumps(comment("odd", body="caf\u00e9 MARK"), ensure_ascii=False).encode(
        "latin-1")  # as a broken writer would leave it
    assert b"\xe9" in odd
    path = tmp_path / "latin_comments.ndjson"
    path.write_bytes(ndjson(GOOD[:5]) + odd + b"\n" + ndjson(GOOD[5:]))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    assert warnings(result) == [
        f"Warning: {path}: 1 line(s) had bytes that are not UTF-8, read with U+FFFD in "
        "their place (the first, line 6)"]
    assert rows(db, "select text from comments where id = 'odd'") == [("caf\ufffd MARK",)]
    assert len(imported_ids(db)) == 21


def test_a_huge_line_imports_whole(tmp_path: Path) -> None:
    huge = "word " * 2_000_000  # 10 MB of text in one comment
    path = tmp_path / "huge_comments.ndjson"
    path.write_bytes(ndjson([*GOOD[:3], comment("huge", body=huge), *GOOD[3:]]))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    assert rows(db, "select length(text) from comments where id = 'huge'") == [(len(huge),)]
    assert len(imported_ids(db)) == 21


def test_comments_and_submissions_in_one_file_both_import(tmp_path: Path) -> None:
    lines = [submission("post", num_comments=3), *GOOD[:10],
             submission("second", title="The second"), *GOOD[10:]]
    for path in (tmp_path / "mixed_comments.ndjson", tmp_path / "mixed.zst"):
        path.write_bytes(ndjson(lines) if path.suffix == ".ndjson" else zst(ndjson(lines)))
        db = path.with_suffix(".db")
        result = run_import(path, "--db", db)
        assert result.exit_code == 0, result.output
        assert warnings(result) == []
        assert rows(db, "select id, title, comment_count from stories order by id") == [
            ("post", "Post post", 3), ("second", "The second", 0)]
        assert len(imported_ids(db)) == 20
        assert consistency_problems(db) == []


def test_a_submissions_file_with_comments_among_them(tmp_path: Path) -> None:
    lines = [submission(f"s{i}") for i in range(10)]
    lines[4:4] = [comment("stray", story="s3")]
    path = tmp_path / "RS_mixed.ndjson"
    path.write_bytes(ndjson(lines))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    assert rows(db, "select count(*) from stories") == [(10,)]
    assert rows(db, "select id, story_id from comments") == [("stray", "s3")]


def test_fields_of_the_wrong_type(tmp_path: Path) -> None:
    at = 1_700_000_000
    lines = [
        comment("created_str", created_utc=str(at + 1)),
        comment("created_float", created_utc=at + 1.5),
        comment("created_null", created_utc=None),
        comment("score_str", score="12"),
        comment("edited_true", edited=True),
        comment("edited_epoch", edited=at + 500),
        comment("edited_str", edited=str(at + 500)),
        comment("bare_parent", parent_id="created_str"),  # no t1_ prefix
        {**comment("int_id"), "id": 12345},
        {k: v for k, v in comment("no_id").items() if k not in ("id", "name")},
        {k: v for k, v in comment("no_link").items() if k != "link_id"},
        comment("bad/../id"),
        comment("spaced id"),
        comment("x" * 40),
        comment("bad_parent", parent_id="t1_a b"),
    ]
    path = tmp_path / "types_comments.ndjson"
    path.write_bytes(ndjson(lines))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    assert warnings(result) == [
        f"Warning: {path}: 6 line(s) skipped, not a Reddit comment or submission (the "
        "first, line 10: no id)"]
    got = {r[0]: r[1:] for r in rows(
        db, "select id, created_at, score, edited, edited_at, parent_id, depth from comments")}
    assert set(got) == {"created_str", "created_float", "created_null", "score_str",
                        "edited_true", "edited_epoch", "edited_str", "bare_parent", "12345"}
    assert got["created_str"][0] == "2023-11-14T22:13:21Z"
    assert got["created_float"][0] == "2023-11-14T22:13:21Z"
    assert got["created_null"][0] is None
    assert got["score_str"][1] is None  # not a number Reddit wrote: no score, not a guess
    assert got["edited_true"][2:4] == (1, None)
    assert got["edited_epoch"][2:4] == (1, "2023-11-14T22:21:40Z")
    assert got["edited_str"][2:4] == (1, "2023-11-14T22:21:40Z")
    assert got["bare_parent"][4:] == ("created_str", 1)
    assert consistency_problems(db) == []


def test_filters_still_stream_over_odd_lines(tmp_path: Path) -> None:
    at = 1_700_000_000
    lines = [comment(f"old{i}", at=at - 86_400 * 400 + i) for i in range(10)]
    lines += [comment(f"new{i}", at=at + i, subreddit="SQLite") for i in range(10)]
    lines += [comment(f"other{i}", at=at + i, subreddit="rust") for i in range(10)]
    body = ndjson(lines[:15]) + b"{broken\n\xff\xfe\n" + ndjson(lines[15:])
    path = tmp_path / "filtered_comments.zst"
    path.write_bytes(zst(body))
    db = tmp_path / "a.db"
    result = run_import(path, "--subreddit", "sqlite", "--since", "2023-01-01", "--db", db)
    assert result.exit_code == 0, result.output
    assert imported_ids(db) == {f"new{i}" for i in range(10)}
    [line] = warnings(result)
    assert "2 line(s) skipped" in line and "line 16" in line
