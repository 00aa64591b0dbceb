"""Real dumps' field variations through ``linkthread import``: every producer's and
year's shape of a line (tests/redditdump.py's ERAS, from the schemas Arctic Shift
publishes of every month and the readers of the Pushshift dumps), alone and mixed in
one file with comments and submissions together, a BOM, CRLF ends and a 2 GiB zstd
window; each comment checked against a reading of its line made here, without the
importer's code: kept, its thread and parent, author, text, time, score, edit state,
the dump's deleted/removed marks and when it was seen."""

from __future__ import annotations

import html
import json
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.redditdump import ERAS, consistency_problems, era_lines, ndjson, zst, zst_long
from tests.test_import import run_import, write


def _bare(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[3:] if text[:3] in ("t1_", "t3_") else text


def _at(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(int(float(value)), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _score(line: dict) -> int | None:
    score = line.get("score")
    if score is None and isinstance(line.get("ups"), int):
        return line["ups"] - (line.get("downs") or 0)
    return score


def expected_comment(line: dict) -> tuple[str, tuple]:
    """(id, the row's fields) a comment's line must give, as docs/import.md says."""
    parent = line.get("parent_id")
    parent = None if parent is None or str(parent).startswith("t3_") else _bare(parent)
    author = line.get("author")
    body = line.get("body")
    text = html.unescape(body) if isinstance(body, str) and body else None
    deleted, removed = text == "[deleted]", text == "[removed]"
    edited = line.get("edited")
    was_edited = edited not in (None, False, 0)
    seen = next(_at(line[k]) for k in ("retrieved_on", "retrieved_utc", "created_utc")
                if line.get(k) is not None)  # fmt: skip
    return _bare(line.get("id") or line.get("name")) or "", (
        _bare(line["link_id"]), parent,
        None if author in (None, "", "[deleted]") else author,
        None if deleted or removed else text, _at(line["created_utc"]), _score(line),
        int(was_edited), _at(edited) if was_edited and edited is not True else None,
        int(deleted), int(removed), seen)  # fmt: skip


def expected_story(line: dict) -> tuple[str, tuple]:
    selftext = line.get("selftext")
    link = line.get("url") if line.get("is_self") is not True else None
    author = line.get("author")
    return _bare(line.get("id") or line.get("name")) or "", (
        line["title"], link, _score(line), line["num_comments"],
        None if author in (None, "", "[deleted]") else author, _at(line["created_utc"]),
        int(selftext == "[deleted]"), int(selftext == "[removed]"))  # fmt: skip


def problems(db: Path, comments: list[dict], posts: list[dict]) -> list[str]:
    """What the archive holds that the lines do not say, one line a difference."""
    with sqlite3.connect(db) as conn:
        got = {r[0]: (r[1:-1], json.loads(r[-1] or "{}")) for r in conn.execute(
            "select id, story_id, parent_id, author, text, created_at, score, edited,"
            " edited_at, deleted, removed, first_seen_at, extra from comments")}  # fmt: skip
        stories = {r[0]: r[1:] for r in conn.execute(
            "select id, title, url, score, comment_count, author, created_at, deleted, dead"
            " from stories")}  # fmt: skip
    out = []
    for line in comments:
        cid, want = expected_comment(line)
        if cid not in got:
            out.append(f"comment {cid}: not kept")
            continue
        row, extra = got[cid]
        if row != want:
            out.append(f"comment {cid}: {row} where the line says {want}")
        marks = {k: line[k] for k in ("_meta", "distinguished", "stickied") if k in line}
        if line.get("author") == "[deleted]":
            marks["author"] = "[deleted]"
        if line.get("body") in ("[deleted]", "[removed]"):
            marks["gone_text"] = line["body"]
        if {k: extra.get(k) for k in marks} != marks:
            out.append(f"comment {cid}: extra {extra} lacks {marks}")
    if len(got) != len(comments):
        out.append(f"{len(got)} comments archived from {len(comments)} lines")
    for line in posts:
        sid, want = expected_story(line)
        if stories.get(sid) != want:
            out.append(f"story {sid}: {stories.get(sid)} where the line says {want}")
    return out + consistency_problems(db)


@pytest.mark.parametrize("era", sorted(ERAS))
def test_each_eras_dump_imports_as_its_lines_say(era: str, tmp_path: Path) -> None:
    posts, comments = era_lines(era)
    db = tmp_path / "a.db"
    result = run_import(write(tmp_path / f"RS_{era}.zst", zst(ndjson(posts))),
                        write(tmp_path / f"RC_{era}.zst", zst(ndjson(comments))),
                        "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.output
    assert problems(db, comments, posts) == []


def _every_era() -> tuple[list[dict], list[dict]]:
    posts, comments = [], []
    for n, era in enumerate(sorted(ERAS)):
        p, c = era_lines(era, threads=3, per_thread=20, first=n * 1_000, seed=n)
        posts += p
        comments += c
    return posts, comments


def test_every_era_in_one_file_with_submissions_among_comments(tmp_path: Path) -> None:
    # A file of mixed producers' lines, comments and submissions shuffled together
    # (cat of several files), with a BOM and CRLF ends, in a frame with a 2 GiB window.
    posts, comments = _every_era()
    lines = posts + comments
    random.Random(4).shuffle(lines)
    text = b"\xef\xbb\xbf" + ndjson(lines).replace(b"\n", b"\r\n")
    db = tmp_path / "a.db"
    result = run_import(write(tmp_path / "mixed_comments.zst", zst_long(text)), "--db", db)
    assert result.exit_code == 0, result.output
    assert "skipped" not in result.output
    assert problems(db, comments, posts) == []


def test_submissions_first_then_comments_in_one_file(tmp_path: Path) -> None:
    # The first lines, all submissions, make it a submissions file: its comments are
    # read as what they are.
    posts, comments = _every_era()
    db = tmp_path / "a.db"
    result = run_import(write(tmp_path / "all.ndjson", ndjson(posts + comments)), "--db", db)
    assert result.exit_code == 0, result.output
    assert problems(db, comments, posts) == []


def test_since_reads_every_eras_times(tmp_path: Path) -> None:
    _, comments = _every_era()
    since = sorted(float(c["created_utc"]) for c in comments)[len(comments) // 2]
    db = tmp_path / "a.db"
    result = run_import(write(tmp_path / "RC_x.ndjson", ndjson(comments)), "--db", db,
                        "--since", datetime.fromtimestamp(since, UTC).isoformat())  # fmt: skip
    assert result.exit_code == 0, result.output
    kept = [c for c in comments if float(c["created_utc"]) >= since]
    assert 0 < len(kept) < len(comments)
    assert problems(db, kept, []) == []


def test_a_2gib_window_frame_is_one_a_default_decoder_refuses() -> None:
    # What the test above rests on: the frame really asks for more than zstd's
    # default limit, as `zstd --long=31` files do.
    import zstandard

    frame = zst_long(b'{"a": 1}\n' * 100)
    with pytest.raises(zstandard.ZstdError, match="too much memory"):
        zstandard.ZstdDecompressor().decompressobj().decompress(frame)


def test_a_last_line_cut_off_is_said_and_the_rest_imported(tmp_path: Path) -> None:
    # A torrent's partial file: the download stopped inside the last line.
    _, comments = _every_era()
    text = ndjson(comments)
    cut = text[: text.rindex(b"\n", 0, len(text) - 1) + 30]
    db = tmp_path / "a.db"
    result = run_import(write(tmp_path / "RC_part.ndjson", cut), "--db", db)
    assert result.exit_code == 0, result.output
    assert f"1 line(s) skipped, not a Reddit comment or submission (the first, line " \
           f"{len(comments):,}: not JSON" in result.output
    assert problems(db, comments[:-1], []) == []


@pytest.mark.parametrize(("name", "body"), [
    ("other.ndjson", b'{"a": 1}\n{"b": 2}\n' * 15),
    ("items.jsonl", b'{"by": "pg", "id": 1, "kids": [], "type": "story"}\n' * 15),
    ("lists.ndjson", b"[1, 2]\n[3]\n" * 15),
    ("other.zst", zst(b'{"x": 1}\n' * 30)),
])  # fmt: skip
def test_a_file_that_is_no_dump_is_one_error_line(name: str, body: bytes,
                                                    tmp_path: Path) -> None:
    result = run_import(write(tmp_path / name, body), "--db", tmp_path / "a.db")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and name in errors[0], result.output


def test_an_arctic_shift_zst_blocks_file_is_named_for_what_it_is(tmp_path: Path) -> None:
    # Blocks of rows, each a zstd frame after its 4-byte length: zstd's magic at byte 4.
    import struct

    import zstandard

    rows = [json.dumps(line).encode() for line in era_lines("arctic_shift")[1]]
    index = b"".join(struct.pack("<II", sum(map(len, rows[:i])), len(row))
                     for i, row in enumerate(rows))  # fmt: skip
    frame = zstandard.ZstdCompressor().compress(struct.pack("<I", len(rows)) + index
                                                + b"".join(rows))  # fmt: skip
    path = write(tmp_path / "RC_2023-04.zst_blocks", struct.pack("<I", len(frame)) + frame)
    result = run_import(path, "--db", tmp_path / "a.db")
    assert result.exit_code == 1
    assert f"Error: {path}: Arctic Shift's zst_blocks format" in result.output
    assert "binary file" not in result.output
