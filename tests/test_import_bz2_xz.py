"""Pushshift's own monthly files before zstd: bzip2 (``RC_2015-01.bz2``, 2005-2017)
and xz (``RC_2018-01.xz``, 2017-12 to 2018-10). Each imports as the same lines
uncompressed do, a cut one imports what it holds and says so in one line, and a file so
named that is no such thing is refused in one line."""

from __future__ import annotations

import bz2
import lzma
from collections.abc import Callable
from pathlib import Path

import pytest

from scraper.importers import dump_sniff, dump_stream
from tests.conftest import rows
from tests.redditdump import comment, ndjson
from tests.test_import import run_import

# bzip2 in its smallest blocks (100 kB of text): a block cut short is lost whole, the
# blocks before it are read.
KINDS: dict[str, Callable[[bytes], bytes]] = {
    ".bz2": lambda text: bz2.compress(text, compresslevel=1), ".xz": lzma.compress}


def lines(count: int, first: int = 0) -> bytes:
    # parents out of order: every tenth a reply to the next one
    return ndjson(comment(f"c{i}", at=1_700_000_000 + i,
                          parent=f"c{i + 1}" if i % 10 == 0 else None)
                  for i in range(first, first + count))


def _comments(db: Path) -> list[tuple[object, ...]]:
    return rows(db, "select id, story_id, parent_id, depth, position, author, text"
                    " from comments order by id")


@pytest.mark.parametrize("suffix", KINDS)
def test_imports_as_the_same_lines_uncompressed(tmp_path: Path, suffix: str) -> None:
    text = lines(300)
    packed = tmp_path / f"RC_2015-01{suffix}"
    # two streams end to end, as files joined with cat are
    packed.write_bytes(KINDS[suffix](text[:9000]) + KINDS[suffix](text[9000:]))
    plain = tmp_path / "RC_2015-01.ndjson"
    plain.write_bytes(text)
    assert dump_stream.compression(dump_stream.magic(packed)) == suffix.strip(".").replace(
        "bz2", "bzip2")
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    assert run_import(packed, "--db", a).exit_code == 0
    assert run_import(plain, "--db", b).exit_code == 0
    assert len(_comments(a)) == 300
    assert _comments(a) == _comments(b)
    assert run_import(packed, "--db", a).exit_code == 0  # again: nothing added
    assert _comments(a) == _comments(b)


@pytest.mark.parametrize("suffix", KINDS)
def test_a_cut_file_imports_what_it_holds_and_says_so(tmp_path: Path, suffix: str) -> None:
    text = lines(2000)
    assert len(text) > 300_000  # several bzip2 blocks
    whole = KINDS[suffix](text)
    cut = tmp_path / f"RC_2016-02{suffix}"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    db = tmp_path / "a.db"
    result = run_import(cut, "--db", db)
    assert result.exit_code == 1
    [error] = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert str(cut) in error and "cut short" in error
    [(count,)] = rows(db, "select count(*) from comments")
    assert 0 < count < 2000


@pytest.mark.parametrize("suffix", KINDS)
def test_a_file_so_named_that_is_none_is_one_line(tmp_path: Path, suffix: str) -> None:
    plain = tmp_path / f"notes{suffix}"
    plain.write_bytes(b"just some text\nand more\n")
    assert dump_sniff.refusal(plain) == (
        f"named {suffix}, but not {'bzip2' if suffix == '.bz2' else 'xz'}-compressed, and "
        "not a Reddit dump either")
    packed = tmp_path / f"other{suffix}"
    packed.write_bytes(KINDS[suffix](b'{"a": 1}\n' * 30))
    refused = dump_sniff.refusal(packed)
    assert refused is not None and "but not a Reddit dump" in refused
    db = tmp_path / "a.db"
    result = run_import(plain, packed, "--db", db)
    assert result.exit_code != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2 and str(plain) in errors[0] and str(packed) in errors[1]
