"""A Lobsters answer that is a whole JSON value but no page (``null``, a number, a
string) is a ParseError that says so, not a cut page to fetch again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scraper.parsers import lobsters
from scraper.parsers.errors import ParseError, TruncatedPage

AT = datetime(2026, 12, 8, tzinfo=UTC)
URL = "https://lobste.rs/s/abc123.json"


@pytest.mark.parametrize("body", ["null", " null\n", "true", "false", "42", "-1.5e3",
                                  '"gone"', '"' + "x" * 100 + '"'])
@pytest.mark.parametrize("parse", [lobsters.parse_story, lobsters.parse_listing,
                                   lobsters.parse_user])
def test_a_json_value_that_is_no_page_is_said_so(body: str, parse: object) -> None:
    with pytest.raises(ParseError, match="the answer is the JSON value ") as err:
        parse(body, url=URL, fetched_at=AT)  # type: ignore[operator]
    assert not isinstance(err.value, TruncatedPage)
    assert len(str(err.value)) < 200


@pytest.mark.parametrize("body", ["nul", "tru", "4x", '"cut', "no page", "-"])
def test_what_is_no_json_value_is_read_as_before(body: str) -> None:
    with pytest.raises(TruncatedPage, match="no </html>"):
        lobsters.parse_story(body, url=URL, fetched_at=AT)
