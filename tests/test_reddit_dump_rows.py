"""The dump's fast reading of a line (scraper/importers/reddit_dump_rows.py) against the
general one (Reddit's mapping, then the store's row): the same staged row, whole, for
every line of a generated dump and for lines built from odd values of every field."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from scraper.importers import reddit_dump_rows as rows_of
from scraper.parsers.reddit import things
from tests.redditdump import generate

ODD = {
    "id": ["abc", "t1_abc", "", None, 7, "x_y"],
    "name": ["t1_zz", None],
    "link_id": ["t3_post", "post", "t1_odd", "", None],
    "parent_id": ["t3_post", "t1_par", "par", "", None, "t5_x", 12],
    "author": ["someone", "[deleted]", "", None, 5, "AutoModerator"],
    "body": ["plain words", "[deleted]", "[removed]", "", None, "a &amp; b &lt;3 &#0;",
             "&amp;", "ünïcode ✓ \U0001f600", 3, ["x"]],
    "body_html": [None, "", "&lt;div class=\"md\"&gt;&lt;p&gt;hi &amp;amp;&lt;/p&gt;&lt;/div&gt;",
                  "<p>raw <b>html</b></p>"],
    "created_utc": [1_700_000_000, "1700000000", 1_700_000_000.0, 1_700_000_000.5,
                    "1700000000.25", -5, 0, "", None, True, "soon", 10**12, 10**20,
                    253_402_300_799, 253_402_300_800, [1]],
    "edited": [False, True, 0, 0.0, 1_700_000_300, 1_700_000_300.75, "1700000300", "",
               None, "x"],
    "score": [5, -3, 0, True, 2.5, "7", None, 2**70],
    "retrieved_on": [1_700_003_600, 1_700_003_600.9, "1700003600", None, -1.5, "x"],
    "retrieved_utc": [1_700_009_999, None],
    "is_submitter": [True, False, 1, None],
    "stickied": [False, True],
    "distinguished": [None, "moderator"],
    "controversiality": [0, 1],
    "score_hidden": [False],
    "collapsed": [True],
    "gilded": [0, 2],
    "author_flair_text": [None, "flair ✓"],
    "_meta": [{"was_deleted_later": True, "retrieved_2nd_on": 1_702_000_000},
              {"removal_type": "moderator", "is_edited": True}, {}],
    "subreddit": ["python"],
}  # fmt: skip


def odd_lines(count: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        data = {}
        for key, values in ODD.items():
            # The keys every dump line has are there most of the time; the rest at times.
            if rnd.random() < (0.9 if key in ("id", "link_id", "body", "created_utc") else 0.5):
                data[key] = rnd.choice(values)
        out.append(data)
    return out


def both(data: dict) -> tuple[object, object]:
    def read(row_of):
        try:
            return row_of(data, 3)
        except Exception as e:  # the same refusal, as the same kind of error
            return type(e)

    return read(rows_of.comment_row), read(rows_of.general_comment_row)


def test_the_extra_fields_are_reddits_own() -> None:
    assert rows_of.COMMENT_EXTRA == things._COMMENT_EXTRA


def test_odd_lines_read_as_the_general_path_reads_them() -> None:
    lines = odd_lines(6_000, seed=1)
    read = [both(d) for d in lines]
    assert all(fast == general for fast, general in read)
    # The cases are really there: rows of every kind and refusals.
    assert sum(isinstance(f, tuple) for f, _ in read) > 1_500
    assert any(f is rows_of.NotAThing for f, _ in read)
    assert any(isinstance(f, tuple) and f[7] is not None for f, _ in read)  # body_html


def test_a_generated_dump_reads_as_the_general_path_reads_it(tmp_path: Path) -> None:
    dump = generate(tmp_path, comments=3_000, threads=30, seed=21)
    for *_, data in dump.truth.values():
        line = json.dumps(data).encode()
        assert rows_of.loads(line) == data
        assert rows_of.comment_row(data, 9) == rows_of.general_comment_row(data, 9)


@pytest.mark.parametrize("line", [
    b'{"id": "a", "score": NaN}', b'{"id": "a", "score": 123456789012345678901234567890}',
    b'{"id": "a", "body": "\\ud800 lone"}', '{"id": "a"}'.encode("utf-16"),
    b'{"id": "a", "id": "b"}', b'{"x": 1e400}', b'{"x": 0.1, "y": 1.7e9, "z": -0.0}',
    b'{"x": "\\u00e9\\n\\t"}', b'  {"x": []}  \n',
])  # fmt: skip
def test_lines_decode_as_json_loads_decodes_them(line: bytes) -> None:
    want = json.loads(line)
    got = rows_of.loads(line)
    assert repr(got) == repr(want)


def test_a_line_json_refuses_is_refused() -> None:
    with pytest.raises(ValueError):
        rows_of.loads(b'{"id": ')
