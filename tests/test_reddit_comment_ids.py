"""A comment whose id is missing or not text (a damaged or hostile answer, a dump line)
is a ParseError of one line naming the id, not a record with the id "" (which every
such comment would share, one overwriting the other in the archive)."""

from __future__ import annotations

from typing import Any

import pytest

from scraper.parsers.errors import ParseError
from scraper.parsers.reddit.things import comment_from, comments_from
from tests.test_reddit_things import t1

URL = "https://www.reddit.com/r/x/comments/p1/x/.json"


def _read(data: dict[str, Any]) -> str:
    return comment_from(data, story_id="p1", parent_id=None, depth=0, position=0, url=URL).id


@pytest.mark.parametrize("ident", [123, 1.5, True, [1, 2], {"a": 1}, ["x" * 500]])
def test_an_id_that_is_not_text_is_refused_by_name(ident: object) -> None:
    for data in (t1(id=ident), t1(id=ident, name=None)):  # a name beside it or not
        with pytest.raises(ParseError) as err:
            _read(data)
        message = str(err.value)
        assert err.value.site == "reddit" and err.value.url == URL
        assert "id is not text" in message and repr(ident)[:20] in message
        assert "\n" not in message and len(message) < 200


@pytest.mark.parametrize("data", [t1(id=None, name=None), t1(id="", name=None),
                                  t1(id="t1_", name=None), t1(id=None, name=7)],
                         ids=["null", "empty", "prefix-alone", "no-text-name"])
def test_a_comment_without_an_id_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(ParseError, match="a comment without an id"):
        _read(data)


def test_the_ids_read_before_are_read_the_same() -> None:
    """Where the id was read, it still is: ``id``, else (absent, null, empty, a false
    value) ``name``, without its prefix."""
    assert _read(t1()) == "c1"
    assert _read(t1(id="t1_c2")) == "c2"
    for absent in (None, "", 0, []):
        assert _read(t1(id=absent, name="t1_c3")) == "c3"
    data = t1()
    del data["id"]
    assert _read(data) == "c1"


def test_one_bad_comment_among_many_names_the_page() -> None:
    rows = [(t1(id=f"c{k}"), None, 0, k) for k in range(3)] + [(t1(id=9), None, 0, 3)]
    with pytest.raises(ParseError, match=r"reddit: .*p1/x/\.json: a comment whose id is not "
                                         r"text \(9\)"):
        comments_from(rows, story_id="p1", url=URL)
    good = comments_from(rows[:3], story_id="p1", url=URL)
    assert [c.id for c in good] == ["c0", "c1", "c2"]
