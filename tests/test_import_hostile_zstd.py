"""Damaged and foreign compressed dumps: a zstd file cut short, one with a corrupt
frame in the middle, one whose frame asks for a window past 2 GiB, concatenated
frames, a .zst that is no zstd, a zstd of something that is no NDJSON, and gzip.
Each is one line naming the file (and the byte), what can be read is imported, the
exit status is 1 where something is lost, and the archive stays consistent."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest
import zstandard

from archive import store
from archive.db import open_db
from scraper.importers import dump_stream
from scraper.importers.reddit_dump import Filters, import_dumps
from tests.conftest import rows
from tests.redditdump import comment, consistency_problems, generate, ndjson, zst
from tests.test_import import run_import
from tests.test_reddit_dump import table_rows

# A zstd frame header asking for a 4 GiB window (window descriptor: exponent 22, so
# 2**32), then one raw block of five bytes: valid zstd, but past the 2 GiB allowed.
HUGE_WINDOW = b"\x28\xb5\x2f\xfd" + bytes([0x00, 0xB0]) + bytes([(5 << 3) | 1, 0, 0]) + b"hello"


def lines(count: int, first: int = 0) -> bytes:
    return ndjson(comment(f"c{i}", at=1_700_000_000 + i) for i in range(first, first + count))


def errors(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def test_concatenated_frames_import_whole(tmp_path: Path) -> None:
    path = tmp_path / "many_comments.zst"
    path.write_bytes(zst(lines(300), frames=7))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    assert rows(db, "select count(*) from comments") == [(300,)]
    assert consistency_problems(db) == []


def test_a_cut_short_file_imports_what_came_before_and_says_so(tmp_path: Path) -> None:
    small = generate(tmp_path, comments=4_000, threads=20, seed=5)
    data = small.comments_path.read_bytes()
    cut = tmp_path / "cut_comments.zst"
    cut.write_bytes(data[: len(data) // 2])
    db = tmp_path / "a.db"
    result = run_import(cut, "--db", db)
    assert result.exit_code == 1
    [line] = errors(result)
    assert line.startswith(f"Error: {cut}: the compressed stream is damaged or cut short (the "
                           "file ends inside the zstd frame that starts at byte ")
    assert line.endswith("it is cut short); the lines before it are imported")
    [(count,)] = rows(db, "select count(*) from comments")
    assert 0 < count < len(small.truth)
    # What was imported is placed in its trees, indexed, and nothing is left staged.
    problems = consistency_problems(db)
    assert problems == [f"{cut}: import left reading"]


def test_a_small_file_cut_inside_its_only_frame_is_one_line(tmp_path: Path) -> None:
    cut = tmp_path / "tiny_comments.zst"
    cut.write_bytes(zst(lines(20))[:-12])
    db = tmp_path / "a.db"
    result = run_import(cut, "--db", db)
    assert result.exit_code == 1
    assert errors(result) == [f"Error: {cut}: a zstd file that cannot be read: the file ends "
                              "inside the zstd frame that starts at byte 0: it is cut short"]
    assert "Traceback" not in result.output


def test_a_corrupt_frame_in_the_middle_loses_only_that_frame(tmp_path: Path) -> None:
    frames = [zst(lines(40, first=40 * i)) for i in range(5)]
    damaged = bytearray(frames[2])
    damaged[len(damaged) // 2:] = b"\xff" * (len(damaged) - len(damaged) // 2)
    path = tmp_path / "mid_comments.zst"
    path.write_bytes(b"".join([*frames[:2], bytes(damaged), *frames[3:]]))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 0, result.output
    start = len(frames[0]) + len(frames[1])
    warning = (f"Warning: {path}: the zstd frame at byte {start:,} is damaged: its lines "
               "from there on are lost; reading went on at the next frame, at byte "
               f"{start + len(damaged):,}")
    assert warning in result.stderr.splitlines()
    ids = {i for (i,) in rows(db, "select id from comments")}
    # Every line of the whole frames; of the damaged one, at most what came before the
    # damage (its last line, cut by it, joins the next frame's first: skipped, said so).
    assert {f"c{i}" for i in [*range(80), *range(121, 200)]} <= ids
    assert not ids & {f"c{i}" for i in range(100, 120)}
    assert consistency_problems(db) == []


def test_a_frame_needing_a_window_past_2_gib_is_a_clear_error(tmp_path: Path) -> None:
    alone = tmp_path / "huge_comments.zst"
    alone.write_bytes(HUGE_WINDOW)
    later = tmp_path / "later_comments.zst"
    first = zst(lines(25))
    later.write_bytes(first + HUGE_WINDOW)
    db = tmp_path / "a.db"
    result = run_import(alone, later, "--db", db)
    assert result.exit_code == 1
    assert sorted(errors(result)) == sorted([
        f"Error: {alone}: a zstd file that cannot be read: the zstd frame at byte 0 needs a "
        "4 GiB window, more than the 2 GiB this import decompresses with",
        f"Error: {later}: the zstd frame at byte {len(first):,} needs a 4 GiB window, more "
        "than the 2 GiB this import decompresses with; the lines before it are imported"])
    assert rows(db, "select count(*) from comments") == [(25,)]


def test_a_zst_that_is_not_zstd_and_a_zstd_of_no_ndjson(tmp_path: Path) -> None:
    fake = tmp_path / "fake_comments.zst"
    fake.write_bytes(b"<html><body>not compressed at all</body></html>\n")
    page = tmp_path / "page_comments.zst"
    page.write_bytes(zstandard.ZstdCompressor().compress(b"<html>\n<body>hi</body>\n</html>\n"))
    other = tmp_path / "other.zst"
    other.write_bytes(zst(ndjson({"kind": "x", "n": i} for i in range(10))))
    db = tmp_path / "a.db"
    result = run_import(fake, page, other, "--db", db)
    assert result.exit_code == 1
    not_a_dump = ("zstd-compressed, but not a Reddit dump: its first lines are not JSON "
                  "objects with body, link_id, parent_id (comments) or num_comments, "
                  "selftext, title (submissions)")
    assert sorted(errors(result)) == sorted([
        f"Error: {fake}: named .zst, but not zstd-compressed, and not a Reddit dump either",
        f"Error: {page}: {not_a_dump}", f"Error: {other}: {not_a_dump}"])
    assert rows(db, "select count(*) from comments") == [(0,)]


def test_plain_ndjson_named_zst_still_imports(tmp_path: Path) -> None:
    path = tmp_path / "plain_comments.zst"
    path.write_bytes(lines(12))
    db = tmp_path / "a.db"
    assert run_import(path, "--db", db).exit_code == 0
    assert rows(db, "select count(*) from comments") == [(12,)]


def test_gzip_dumps_import_and_a_cut_one_is_one_line(tmp_path: Path) -> None:
    good = tmp_path / "RC_x.ndjson.gz"
    good.write_bytes(gzip.compress(lines(50)))
    cut = tmp_path / "RC_y.ndjson.gz"
    cut.write_bytes(gzip.compress(lines(50, first=100))[:-20])
    db = tmp_path / "a.db"
    result = run_import(good, cut, "--db", db)
    assert result.exit_code == 1
    [line] = errors(result)
    assert str(cut) in line and "gzip" in line and "cut short" in line
    [(count,)] = rows(db, "select count(*) from comments where id glob 'c[0-9]'"
                          " or id glob 'c[0-9][0-9]'")
    assert count == 50


def test_a_file_with_a_corrupt_frame_resumes_to_the_same_archive(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped after a few batches and started again, an import of a file with a frame
    stepped over ends as one never stopped: the positions it commits count the text
    as read past the damage, the same on every reading."""
    frames = [zst(lines(60, first=60 * i)) for i in range(6)]
    damaged = bytearray(frames[3])
    damaged[10:] = b"\x00" * (len(damaged) - 10)
    path = tmp_path / "resumed_comments.zst"
    path.write_bytes(b"".join([*frames[:3], bytes(damaged), *frames[4:]]))
    monkeypatch.setattr(dump_stream, "CHUNK", 20)  # lines a decoding task: several batches

    def run(db_path: Path, stop_after: int | None) -> None:
        db = open_db(db_path)
        calls = 0

        def bar(_path: Path, _size: int):  # type: ignore[no-untyped-def]
            def moved(compressed: int, kept: int) -> None:
                nonlocal calls
                calls += 1
                if stop_after is not None and calls == stop_after:
                    raise KeyboardInterrupt  # as Ctrl-C between two batches
            return moved

        try:
            crawl = store.start_crawl(db, command="import", args={})
            import_dumps(db, [(path, "comments")], filters=Filters(), crawl_id=crawl,
                         batch=25, bar=bar)
        except KeyboardInterrupt:
            pass
        finally:
            db.close()

    whole = tmp_path / "whole.db"
    run(whole, None)
    stopped = tmp_path / "stopped.db"
    run(stopped, 3)
    assert rows(stopped, "select state from import_progress") == [("reading",)]
    run(stopped, None)
    assert table_rows(stopped) == table_rows(whole)
    assert consistency_problems(stopped) == []


def test_a_frame_zero_filled_past_a_point_keeps_the_lines_before(tmp_path: Path) -> None:
    """A torrent's partial download: one frame, preallocated with zeros past what came.
    The lines decompressed before the damage are imported (the frame is fed a little at
    a time, so what one call had decompressed is no more than a piece), then one line
    says where it stopped."""
    noise = random.Random(7)  # bodies that compress as real text does, not as repeats
    text = ndjson(comment(f"c{i}", at=1_700_000_000 + i, body=noise.randbytes(60).hex())
                  for i in range(20_000))
    whole = zstandard.ZstdCompressor(level=3).compress(text)
    assert len(whole) > 4 * dump_stream._FED  # several pieces
    damaged = bytearray(whole)
    damaged[len(whole) // 2:] = bytes(len(whole) - len(whole) // 2)
    path = tmp_path / "partial_comments.zst"
    path.write_bytes(bytes(damaged))
    db = tmp_path / "a.db"
    result = run_import(path, "--db", db)
    assert result.exit_code == 1
    [line] = errors(result)
    assert str(path) in line and "damaged" in line
    [(count,)] = rows(db, "select count(*) from comments")
    # about half the text came before the zeros; at most a piece's worth of it is lost
    assert 20_000 * 0.3 < count < 20_000 * 0.6
    # placed, indexed, nothing staged; the import stays open, to go on once the rest comes
    assert consistency_problems(db) == [f"{path}: import left reading"]
