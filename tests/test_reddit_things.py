"""One Reddit thing -> Story / Comment (scraper/parsers/reddit/things.py), from dicts
built here in the API's and the dumps' shapes."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from archive.models import Comment, Story
from scraper.parsers.reddit.things import comment_from, story_from

NOW = datetime(2026, 1, 2, tzinfo=UTC)
T0 = 1_700_000_000


def t1(**over: Any) -> dict[str, Any]:
    data = {"id": "c1", "name": "t1_c1", "parent_id": "t3_p1", "link_id": "t3_p1",
            "author": "alice", "body": "Hello & <b>",
            "body_html": '<div class="md"><p>Hello &amp; &lt;b&gt;</p>\n</div>',
            "created_utc": float(T0), "edited": False, "score": 7, "score_hidden": False,
            "collapsed": False, "stickied": False, "distinguished": None,
            "controversiality": 0, "is_submitter": False, "likes": None, "saved": False}
    data.update(over)
    return data


def place(data: dict[str, Any]) -> Comment:
    return comment_from(data, story_id="p1", parent_id=None, depth=0, position=0)


STATE = {"score_hidden": False, "collapsed": False, "stickied": False, "distinguished": None,
         "controversiality": 0}


def test_a_comment_becomes_its_whole_record() -> None:
    assert place(t1()) == Comment(
        site="reddit", id="c1", story_id="p1", parent_id=None, depth=0, position=0,
        author="alice", created_at=datetime.fromtimestamp(T0, UTC),
        created_at_raw=f"{float(T0)}",
        text_html='<div class="md"><p>Hello &amp; &lt;b&gt;</p>\n</div>', text="Hello & <b>",
        score=7, extra=STATE)


def test_escaped_body_html_is_unescaped_as_raw_json_would_give_it() -> None:
    raw = place(t1())
    escaped = place(t1(body_html=html.escape(t1()["body_html"]), body="Hello &amp; &lt;b&gt;"))
    assert escaped == raw


def test_states_deleted_removed_account_gone_edited() -> None:
    deleted = place(t1(author="[deleted]", body="[deleted]",
                       body_html='<div class="md"><p>[deleted]</p></div>'))
    assert (deleted.deleted, deleted.removed, deleted.author, deleted.text, deleted.text_html) \
        == (True, False, None, None, None)
    assert deleted.extra == {**STATE, "author": "[deleted]", "gone_text": "[deleted]"}
    removed = place(t1(author="[deleted]", body="[removed]"))
    assert (removed.deleted, removed.removed, removed.text) == (False, True, None)
    assert removed.extra == {**STATE, "author": "[deleted]", "gone_text": "[removed]"}
    account = place(t1(author="[deleted]"))
    assert (account.author, account.deleted, account.text) == (None, False, "Hello & <b>")
    edited = place(t1(edited=float(T0 + 90)))
    assert (edited.edited, edited.edited_at, edited.edited_at_raw) == (
        True, datetime.fromtimestamp(T0 + 90, UTC), f"{float(T0 + 90)}")
    old_true = place(t1(edited=True))
    assert (old_true.edited, old_true.edited_at, old_true.edited_at_raw) == (True, None, "true")


def test_flags_without_a_column_go_to_extra_only_when_the_object_has_them() -> None:
    c = place(t1(score_hidden=True, collapsed=True, collapsed_reason="low score",
                 stickied=True, distinguished="moderator", controversiality=1, locked=True,
                 archived=True, is_submitter=True))
    assert c.by_submitter is True
    assert c.extra == {"score_hidden": True, "collapsed": True, "collapsed_reason": "low score",
                       "stickied": True, "distinguished": "moderator", "controversiality": 1,
                       "locked": True, "archived": True}


def test_a_dump_object_reads_the_same_with_its_own_fields_in_extra() -> None:
    dump = {"id": "c1", "parent_id": "t3_p1", "link_id": "t3_p1", "author": "alice",
            "body": "Quote &gt; and &amp;", "created_utc": str(T0), "edited": False,
            "score": 3, "retrieved_on": T0 + 5,
            "_meta": {"was_deleted_later": True, "removal_type": None}}
    c = place(dump)
    assert (c.text_html, c.text, c.score, c.created_at) == (
        None, "Quote > and &", 3, datetime.fromtimestamp(T0, UTC))
    assert c.extra == {"retrieved_on": T0 + 5,
                       "_meta": {"was_deleted_later": True, "removal_type": None}}


def t3(**over: Any) -> dict[str, Any]:
    data = {"id": "p1", "name": "t3_p1", "title": "A post", "author": "bob", "score": 10,
            "num_comments": 4, "created_utc": float(T0), "edited": False, "is_self": False,
            "url": "https://www.example.org/a", "domain": "example.org", "selftext": "",
            "selftext_html": None, "subreddit": "test", "permalink": "/r/test/comments/p1/a/",
            "locked": False, "over_18": False}
    data.update(over)
    return data


def test_a_link_post_and_a_self_post() -> None:
    assert story_from(t3(), fetched_at=NOW, source="api") == Story(
        site="reddit", id="p1", title="A post", url="https://www.example.org/a",
        domain="example.org", author="bob", score=10, comment_count=4,
        created_at=datetime.fromtimestamp(T0, UTC), created_at_raw=f"{float(T0)}",
        extra={"subreddit": "test", "permalink": "/r/test/comments/p1/a/", "is_self": False,
               "over_18": False, "locked": False})
    own = story_from(t3(is_self=True, url="https://www.reddit.com/r/test/comments/p1/a/",
                        selftext="Hi", selftext_html="&lt;div class=&quot;md&quot;&gt;&lt;p&gt;"
                                                     "Hi&lt;/p&gt;&lt;/div&gt;",
                        edited=float(T0 + 5), poll_data={"total_vote_count": 3}),
                     fetched_at=NOW, source="api")
    assert (own.url, own.domain, own.text_html, own.text, own.kind) == (
        None, None, '<div class="md"><p>Hi</p></div>', "Hi", "poll")
    assert own.extra is not None and own.extra["edited"] == f"{float(T0 + 5)}"


def test_a_deleted_and_a_removed_post() -> None:
    gone = story_from(t3(author="[deleted]", selftext="[deleted]", is_self=True),
                      fetched_at=NOW, source="api")
    assert (gone.deleted, gone.dead, gone.author, gone.text) == (True, False, None, None)
    removed = story_from(t3(selftext="[removed]", is_self=True, removed_by_category="moderator"),
                         fetched_at=NOW, source="dump")
    assert (removed.deleted, removed.dead) == (False, True)
    assert removed.extra is not None and removed.extra["removed_by_category"] == "moderator"
