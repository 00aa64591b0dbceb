"""archive.items: items stored one by one, linked into their threads as parents arrive."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from archive import redact
from archive.db import open_db
from archive.items import ItemsResult, LooseItem, Mark, save_items
from archive.models import Comment, Story
from tests.conftest import rows

T1 = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 1, 14, 13, 0, tzinfo=UTC)


def story(i: str, *kids: str) -> LooseItem:
    return LooseItem(id=i, kids=kids, story=Story(site="hn", id=i, title=f"story {i}"))


def comment(i: str, parent: str, *kids: str, text: str = "hello") -> LooseItem:
    c = Comment(site="hn", id=i, story_id="", parent_id=None, depth=0, position=0,
                author="pg", text=text, text_html=text)
    return LooseItem(id=i, parent=parent, kids=kids, comment=c)


PLACED = "SELECT id, story_id, parent_id, depth, position, source FROM comments ORDER BY id"


def test_replies_before_their_parents_wait_and_are_linked_when_they_arrive(
        tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    # A reply, and the reply to it, before the comment and story they answer.
    first = save_items(db, "hn", [comment("4", "3"), comment("5", "4")], fetched_at=T1,
                       mark=Mark(name="backfill:4-5", position=5))
    assert first == ItemsResult(stories=0, comments=0, waiting=2)
    assert rows(path, "SELECT id, parent_id FROM pending_comments ORDER BY id") == \
        [("4", "3"), ("5", "4")]
    second = save_items(db, "hn", [story("1", "9", "3"), comment("3", "1", "4")],
                        fetched_at=T2)
    assert second == ItemsResult(stories=1, comments=3, waiting=0, new_comments=3)
    assert rows(path, PLACED) == [
        ("3", "1", None, 0, 1, "api"), ("4", "1", "3", 1, 0, "api"),
        ("5", "1", "4", 2, 0, "api"),
    ]  # fmt: skip
    assert rows(path, "SELECT count(*) FROM pending_comments") == [(0,)]
    assert rows(path, "SELECT archived_count, source FROM stories") == [(3, "api")]
    assert rows(path, "SELECT name, position FROM follow_state") == [("backfill:4-5", 5)]


def test_a_later_reply_takes_its_place_from_the_parents_kids(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_items(db, "hn", [story("1", "7", "2")], fetched_at=T1)
    save_items(db, "hn", [comment("2", "1"), comment("7", "1")], fetched_at=T1)
    assert rows(path, PLACED) == [("2", "1", None, 0, 1, "api"), ("7", "1", None, 0, 0, "api")]
    # The parent seen again with its kids reordered moves the replies stored before.
    save_items(db, "hn", [story("1", "2", "7")], fetched_at=T2)
    assert rows(path, PLACED) == [("2", "1", None, 0, 0, "api"), ("7", "1", None, 0, 1, "api")]


def test_a_changed_item_is_a_version_and_nothing_else_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_items(db, "hn", [story("1", "2", "3"), comment("2", "1"), comment("3", "1")],
               fetched_at=T1)
    result = save_items(db, "hn", [comment("2", "1", text="edited")], fetched_at=T2)
    assert result == ItemsResult(stories=0, comments=1, waiting=0, updated_comments=1)
    assert rows(path, "SELECT comment_id, change, text FROM comment_versions"
                         " ORDER BY comment_id, seen_at") == [
        ("2", "added", "hello"), ("2", "edited", "edited"),
    ]  # fmt: skip
    assert rows(path, "SELECT id, gone_at FROM comments ORDER BY id") == \
        [("2", None), ("3", None)]


def test_replies_waiting_for_a_story_come_with_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_items(db, "hn", [comment("2", "1", "3"), comment("3", "2")], fetched_at=T1)
    result = save_items(db, "hn", [story("1", "2")], fetched_at=T2)
    assert result == ItemsResult(stories=1, comments=2, waiting=0, new_comments=2)
    assert rows(path, PLACED) == [("2", "1", None, 0, 0, "api"), ("3", "1", "2", 1, 0, "api")]


def test_what_a_redaction_names_is_withheld_from_later_items(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_items(db, "hn", [story("1", "2", "3"), comment("2", "1"), comment("3", "1")],
               fetched_at=T1)
    redact.redact(db, site="hn", kind="comment", key="2", reason="asked by its author")
    # The API gives it again, and a reply to it that waits for a parent not yet stored.
    again = comment("2", "1", text="hello again")
    save_items(db, "hn", [again, comment("9", "8", text="x"), comment("3", "1", text="new")],
               fetched_at=T2)
    assert rows(path, "SELECT id, text FROM comments ORDER BY id") == [("2", None), ("3", "new")]
    assert rows(path, "SELECT count(*) FROM comment_versions WHERE comment_id = '2'"
                      " AND text IS NOT NULL") == [(0,)]


def test_a_story_deleted_since_is_marked_deleted(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_db(path)
    save_items(db, "hn", [story("1")], fetched_at=T1)
    gone = LooseItem(id="1", story=Story(site="hn", id="1", deleted=True))
    save_items(db, "hn", [gone], fetched_at=T2)
    # The title it had stays (NULL says nothing); the flag is the item's.
    assert rows(path, "SELECT id, title, deleted FROM stories") == [("1", "story 1", 1)]
