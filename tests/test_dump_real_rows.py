"""The fields of real dumps' lines that differ by producer and year (see
tests/redditdump.py's ERAS), line by line: a line with only its fullname is read by
it, a score missing where ``ups``/``downs`` are given is theirs, and every era's lines
give the row the general path (Reddit's own mapping) gives."""

from __future__ import annotations

import random

import pytest

from scraper.importers import reddit_dump_rows as rows_of
from tests.redditdump import ERAS, comment, era_lines, submission

# staged row columns (archive.bulk.STAGED_COLUMNS) the tests below read
ID, STORY, PARENT, SCORE = 1, 2, 3, 14


def test_a_comment_with_only_its_fullname_is_read_by_it() -> None:
    line = comment("abc", "par", story="post")
    del line["id"]
    row = rows_of.comment_row(line, 1)
    assert (row[ID], row[STORY], row[PARENT]) == ("abc", "post", "par")
    assert row == rows_of.general_comment_row(line, 1)


def test_a_submission_with_only_its_fullname_is_read_by_it() -> None:
    line = submission("xyz")
    del line["id"]
    story, _ = rows_of.story_row(line, 1)
    assert story.id == "xyz"


def test_a_bare_id_wins_over_the_fullname_and_neither_is_no_id() -> None:
    assert rows_of.thing_id({"id": "a1", "name": "t1_b2"}) == "a1"
    assert rows_of.thing_id({"id": "", "name": "t1_b2"}) == "b2"
    assert rows_of.thing_id({"id": None, "name": "b2"}) == "b2"
    with pytest.raises(rows_of.NotAThing, match="no id"):
        rows_of.thing_id({"name": ""})
    with pytest.raises(rows_of.NotAThing, match="name 'a b' is not a Reddit id"):
        rows_of.thing_id({"name": "a b"})


@pytest.mark.parametrize(("fields", "score"), [
    ({"ups": 12, "downs": 2}, 10),  # no score
    ({"score": None, "ups": 12, "downs": 2}, 10),  # a null one
    ({"ups": 7}, 7),  # ups alone: Reddit's own since 2014 (downs are fuzzed away)
    ({"score": 3, "ups": 12, "downs": 2}, 3),  # a score given is the score
    ({"ups": "12"}, None),  # no number: no score, not a guess
    ({"ups": 12, "downs": "x"}, None),
    ({}, None),
])  # fmt: skip
def test_a_score_missing_where_ups_and_downs_are_given_is_theirs(fields: dict,
                                                                  score: int | None) -> None:
    line = comment("c1")
    del line["score"]
    line.update(fields)
    row = rows_of.comment_row(line, 1)
    assert row[SCORE] == score
    assert row == rows_of.general_comment_row(line, 1)
    post = submission("p1")
    del post["score"]
    post.update(fields)
    assert rows_of.story_row(post, 1)[0].score == score


def test_a_score_past_64_bits_from_ups_is_kept_whole_in_extra() -> None:
    line = comment("c1", ups=2**70)
    del line["score"]
    row = rows_of.comment_row(line, 1)
    assert row[SCORE] is None and f'"score":{2**70}' in row[20]
    assert row == rows_of.general_comment_row(line, 1)


@pytest.mark.parametrize("era", sorted(ERAS))
def test_every_eras_lines_read_as_the_general_path_reads_them(era: str) -> None:
    posts, comments = era_lines(era, threads=3, per_thread=40)
    for line in comments:
        assert rows_of.comment_row(line, 4) == rows_of.general_comment_row(line, 4)
    for post in posts:
        assert rows_of.story_row(post, 4)[0].id == rows_of.thing_id(post)


def test_mixtures_of_the_eras_read_as_the_general_path_reads_them() -> None:
    # One line through several eras' shapes at once (a later producer's copy of an
    # older month keeps some of its fields): any mixture reads alike both ways.
    rnd = random.Random(7)
    names = sorted(ERAS)
    for n in range(3_000):
        line = comment(f"c{n}", f"p{n}" if n % 2 else None, at=1_200_000_000 + n)
        for era in rnd.sample(names, rnd.randrange(1, 4)):
            line = ERAS[era](line, n)
        fast = rows_of.comment_row(line, 2)
        assert fast == rows_of.general_comment_row(line, 2), line
