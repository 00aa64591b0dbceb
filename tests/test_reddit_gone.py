"""Reddit's own removals ("[ Removed by Reddit ]" and its longer sentences) are read as
removals by every Reddit reader, as "[removed]" is, and never stored as the text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from archive.bulk import STAGED_COLUMNS
from scraper.importers import reddit_dump_rows
from scraper.parsers.reddit import gone, things

PLACEHOLDERS = [
    "[ Removed by Reddit ]",
    "[ Removed by reddit in response to a copyright notice. ]",
    "[ Removed by reddit on account of violating the [content policy](/help/contentpolicy). ]",
]
# Texts that quote or resemble one and are the author's own.
NOT_PLACEHOLDERS = [
    "[ Removed by Reddit ] is what they left of my post",
    "Reddit wrote [ Removed by Reddit ]",
    "[ Removed by Reddit ]\n\nand then I posted it again ]",
    "[ Removed by Reddit " + "x" * 300 + " ]",
    "[removed by a friend]",
    "[deleted]!",
    "",
]


@pytest.mark.parametrize("text", PLACEHOLDERS)
def test_reddit_placeholders_are_removals(text: str) -> None:
    assert gone.body_state(text) == (False, True)


@pytest.mark.parametrize("text", NOT_PLACEHOLDERS)
def test_texts_like_them_are_texts(text: str) -> None:
    assert gone.body_state(text) == (False, False)


def test_moderators_and_authors_placeholders() -> None:
    assert gone.body_state("[removed]") == (False, True)
    assert gone.body_state("[deleted]") == (True, False)
    assert gone.body_state(None) == (False, False)


def _comment(body: str) -> dict[str, object]:
    return {"id": "c1", "name": "t1_c1", "link_id": "t3_p1", "parent_id": "t3_p1",
            "author": "someone", "body": body, "created_utc": 1_600_000_000, "score": 1,
            "subreddit": "test"}


@pytest.mark.parametrize("text", PLACEHOLDERS[:1])
def test_api_comment_removed_by_reddit(text: str) -> None:
    data = {**_comment(text), "body_html": f'<div class="md"><p>{text}</p></div>'}
    (comment,) = things.comments_from([(data, None, 0, 0)], story_id="p1")
    assert comment.removed and not comment.deleted
    assert comment.text is None and comment.text_html is None
    assert comment.extra is not None and comment.extra["gone_text"] == text


@pytest.mark.parametrize("text", PLACEHOLDERS[1:])
def test_api_post_removed_by_reddit(text: str) -> None:
    data = {"id": "p1", "name": "t3_p1", "title": "a post", "author": "someone",
            "selftext": text, "selftext_html": f'<div class="md"><p>{text}</p></div>',
            "is_self": True, "created_utc": 1_600_000_000, "score": 5, "subreddit": "test",
            "num_comments": 0}
    story = things.story_from(data, fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
                              source="api")
    assert story.dead or story.deleted
    assert story.text is None and story.text_html is None
    assert story.extra is not None and story.extra["gone_text"] == text


def test_dump_comment_removed_by_reddit() -> None:
    """Both of the dump's readings (a line without body_html straight to the row, one
    with it through Reddit's mapping) take it as a removal."""
    text = PLACEHOLDERS[0]
    plain = _comment(text)
    served = {**plain, "body_html": f'<div class="md"><p>{text}</p></div>'}
    for data in (plain, served):
        row = dict(zip(STAGED_COLUMNS, reddit_dump_rows.comment_row(
            reddit_dump_rows.loads(json.dumps(data).encode()), 0), strict=True))
        assert row["removed"] and not row["deleted"], data
        assert row["text"] is None and row["text_html"] is None
        assert json.loads(row["extra"])["gone_text"] == text
