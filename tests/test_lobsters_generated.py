"""The Lobsters parsers on pages built in test code: the cases that must always run
(gone, moderated, edited, merged, deep nesting, old JSON eras, error bodies)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from archive.models import Comment, Story, User
from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage, TruncatedPage
from scraper.parsers.lobsters import ServerErrorPage, detect, parse_listing, parse_story, parse_user
from scraper.parsers.lobsters.listing import listing_name_and_page
from scraper.parsers.parents import UNKNOWN, Place, Row, place
from tests.lobsterspages import (
    NOW,
    POSTED,
    Node,
    chain,
    deep_page,
    merged_details,
    shown_at,
    story_html,
    story_json,
)

URL = "https://lobste.rs/s/abc123/a_story"
FETCHED = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)


def thread_nodes() -> list[Node]:
    return [
        Node(id="aaa", user="sub", text="Top, by the submitter", children=[
            Node(id="bbb", user="bob", text="A reply, edited later", edited=True, children=[
                Node(id="ccc", user="carol", gone="Comment removed by author"),
            ]),
            Node(id="ddd", user="dave", text="Second reply", score=-1),
        ]),
        Node(id="eee", user="erin", moderated=True,
             gone="Comment removed by moderator pushcx: Troll"),
        Node(id="fff", user="frank", gone="Comment from banned user removed"),
        Node(id="ggg", user="gina", text="Posted on the merged story", merged_from="old111"),
    ]


def _json(nodes: list[Node], **kw: object):
    return parse_story(story_json(nodes, **kw), url=URL, fetched_at=FETCHED)  # type: ignore[arg-type]


def _html(nodes: list[Node], **kw: object):
    return parse_story(story_html(nodes, **kw), url=URL, fetched_at=FETCHED)  # type: ignore[arg-type]


def test_gone_comments_keep_their_place_and_author_but_no_text() -> None:
    for page in (_json(thread_nodes()), _html(thread_nodes())):
        by_id = {c.id: c for c in page.thread.comments}
        assert (by_id["ccc"].deleted, by_id["ccc"].removed) == (True, False)
        assert (by_id["eee"].deleted, by_id["eee"].removed) == (False, True)
        assert (by_id["fff"].deleted, by_id["fff"].removed) == (False, True)
        for ident in ("ccc", "eee", "fff"):
            assert by_id[ident].text is None and by_id[ident].text_html is None
        assert by_id["eee"].extra is not None
        assert by_id["eee"].extra["gone_text"] == "Comment removed by moderator pushcx: Troll"
        assert by_id["ccc"].author == "carol" and by_id["ccc"].parent_id == "bbb"


def test_an_edited_comment_whole_from_json_and_from_html() -> None:
    edited_at = shown_at(1, True)
    j = next(c for c in _json(thread_nodes()).thread.comments if c.id == "bbb")
    h = next(c for c in _html(thread_nodes()).thread.comments if c.id == "bbb")
    common = dict(site="lobsters", id="bbb", story_id="abc123", parent_id="aaa", depth=1,
                  position=0, author="bob", text="A reply, edited later", score=3,
                  edited=True, edited_at=edited_at)
    assert j == Comment(**common, created_at=POSTED + timedelta(hours=1),
                        created_at_raw="2026-07-01T08:00:00.000-05:00",
                        edited_at_raw="2026-07-01T08:05:00.000-05:00",
                        text_html="<p>A reply, edited later</p>\n",
                        extra={"flags": 0, "comment_plain": "A reply, edited later"})
    # The page shows only the edit time for an edited comment.
    assert h == Comment(**common, created_at=None, created_at_raw=None,
                        edited_at_raw=f"2026-07-01 08:05:00 {int(edited_at.timestamp())}",
                        text_html="<p>A reply, edited later</p>")


def test_json_and_html_of_one_thread_agree() -> None:
    fields = ("id", "parent_id", "depth", "position", "author", "text", "deleted", "removed",
              "edited", "edited_at", "by_submitter")
    j, h = _json(thread_nodes()).thread, _html(thread_nodes()).thread
    assert [tuple(getattr(c, f) for f in fields) for c in h.comments] == \
        [tuple(getattr(c, f) for f in fields) for c in j.comments]
    # Gone comments show no score on the page; the JSON still sends one.
    assert [c.score for c in h.comments] == [None if c.deleted or c.removed else c.score
                                             for c in j.comments]
    assert [c.by_submitter for c in j.comments] == [True, False, False, False, False, False,
                                                    False]


def test_stories_merged_into_the_page_and_their_comments_are_recorded() -> None:
    page = _html(thread_nodes(), merged=merged_details("old111", "Old story", "bob"))
    assert page.merged == (Story(
        site="lobsters", id="old111", title="Old story", author="bob", comment_count=2,
        created_at=datetime(2026, 7, 1, 14, 0, tzinfo=UTC),
        created_at_raw="2026-07-01 09:00:00 1782914400", tags=("meta",),
        merged_into="abc123"),)
    ggg = next(c for c in page.thread.comments if c.id == "ggg")
    assert ggg.extra == {"merged_from": "old111"} and ggg.story_id == "abc123"


def test_a_json_redirect_from_a_merged_story_records_it() -> None:
    page = parse_story(story_json(thread_nodes()), url="https://lobste.rs/s/old111.json",
                       fetched_at=FETCHED)
    assert page.thread.story.id == "abc123"
    assert page.merged == (Story(site="lobsters", id="old111", merged_into="abc123"),)
    assert _json(thread_nodes()).merged == ()


@pytest.mark.parametrize("build", [story_json, story_html])
def test_a_300_level_thread_parses_whole(build) -> None:
    page = parse_story(build([chain(300)]), url=URL, fetched_at=FETCHED)
    comments = page.thread.comments
    assert [c.depth for c in comments] == list(range(300))
    assert [c.parent_id for c in comments] == [None] + [f"d{i}" for i in range(299)]


def test_a_thread_deeper_than_the_html_parser_holds_is_an_error_not_lost_rows() -> None:
    """libxml2 holds 2048 open elements even with huge_tree (2 per level here): a thread
    of 1,000 levels reads whole, one of 1,500 is refused, never cut short silently."""
    whole = parse_story(deep_page(1000), url=URL, fetched_at=FETCHED).thread.comments
    assert [c.depth for c in whole] == list(range(1000))
    with pytest.raises(ParseError, match=r"holds 1500 comments but \d+ were read, not d\d+"):
        parse_story(deep_page(1500), url=URL, fetched_at=FETCHED)


def test_served_comments_the_html_parser_drops_are_an_error_not_lost_rows() -> None:
    """Markup that makes libxml2 swallow the rest (here an unclosed <!--) loses rows."""
    page = story_html(thread_nodes()).replace('<div id="c_ddd"', '<!-- <div id="c_ddd"')
    with pytest.raises(ParseError, match="holds 7 comments but 3 were read, not ddd"):
        parse_story(page, url=URL, fetched_at=FETCHED)


@pytest.mark.parametrize("build", [story_json, story_html])
def test_no_comments_where_the_story_declares_some_is_an_error(build) -> None:
    with pytest.raises(ParseError, match="says 4 comments but none were found"):
        parse_story(build([], comment_count=4), url=URL, fetched_at=FETCHED)


def _old_json(comments: list[dict]) -> str:
    """The 2018-2021 form: indent_level (1-based), no parent_comment, user objects."""
    return json.dumps({
        "short_id": "abc123", "created_at": "2018-06-17T20:07:42.000-05:00", "title": "Old",
        "url": "https://example.com/", "score": 3, "upvotes": 3, "downvotes": 0,
        "comment_count": len(comments), "description": "",
        "submitter_user": {"username": "sub", "karma": 5,
                           "created_at": "2016-04-03T11:33:05.000-05:00"},
        "tags": ["systemd"], "comments": [
            {"short_id": ident, "created_at": "2018-06-18T00:44:50.000-05:00",
             "updated_at": "2018-06-18T00:44:50.000-05:00", "is_deleted": False,
             "is_moderated": False, "score": 1, "comment": "<p>x</p>", "indent_level": level,
             "commenting_user": {"username": "u", "karma": 1}}
            for ident, level in comments]})


def test_old_json_builds_the_tree_from_indent_levels() -> None:
    page = parse_story(_old_json([("a", 1), ("b", 2), ("c", 3), ("d", 2), ("e", 1)]),
                       url=URL, fetched_at=FETCHED)
    assert [(c.id, c.parent_id, c.depth, c.position) for c in page.thread.comments] == [
        ("a", None, 0, 0), ("b", "a", 1, 0), ("c", "b", 2, 0), ("d", "a", 1, 1),
        ("e", None, 0, 1)]
    assert {u.id: u.karma for u in page.users} == {"sub": 5, "u": 1}


def test_old_json_with_a_jump_of_two_levels_is_an_error() -> None:
    with pytest.raises(ParseError, match=r"comment c \(row 1\): depth 2 jumps"):
        parse_story(_old_json([("a", 1), ("c", 3)]), url=URL, fetched_at=FETCHED)


@pytest.mark.parametrize(("rows", "message"), [
    ([Row("a", "b", None), Row("b", None, None)], "its parent b comes after it"),
    ([Row("a", "zz", None)], "its parent zz is not on the page"),
    ([Row("a", None, 0), Row("b", "a", 1), Row("c", None, 0), Row("d", "b", None)],
     "its parent b is not an open ancestor"),
    ([Row("a", None, 0), Row("b", "a", 2)], "depth 2 but its parent a is at depth 0"),
    ([Row("a", None, 1)], "depth 1 but no parent"),
    ([Row("a", None, 0), Row("a", None, 0)], "duplicate comment id"),
    ([Row("a", UNKNOWN, None)], "neither a parent nor a depth"),
])
def test_place_rejects_listings_that_are_not_one_tree(rows: list[Row], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        place(rows, site="x", url="u")


def test_place_mixes_parents_and_depths() -> None:
    rows = [Row("a", None, 0), Row("b", "a", None), Row("c", UNKNOWN, 2), Row("d", UNKNOWN, 1),
            Row("e", "a", 1)]
    assert place(rows, site="x", url="u") == [
        Place(None, 0, 0), Place("a", 1, 0), Place("b", 2, 0), Place("a", 1, 1),
        Place("a", 1, 2)]


STATIC_502 = """<!DOCTYPE html>
<html><head><title>Lobsters HTTP 502 status: puma timeout</title></head>
<body><h1>Lobsters HTTP 502 status: server error</h1></body></html>"""


@pytest.mark.parametrize(("body", "error", "message"), [
    (STATIC_502, ServerErrorPage, "HTTP 502 error page"),
    (STATIC_502.replace("502", "422"), ServerErrorPage, "HTTP 422 error page"),
    ("Throttled, sleep(1) between hits; more in config/initializers/rack_attack.rb\n",
     ThrottledPage, "slow down"),
    ("Retry later\n", ThrottledPage, "slow down"),
    ("", TruncatedPage, "empty body"),
    ('{"short_id": "abc123", "comments": [', TruncatedPage, "JSON stops"),
    ("<!doctype html><html><body><ol class='stories'><li class='story'>", TruncatedPage,
     "no </html>"),
])
def test_bodies_that_are_not_pages(body: str, error: type[Exception], message: str) -> None:
    for parse in (parse_story, parse_listing, parse_user):
        with pytest.raises(error, match=message):
            parse(body, url=URL, fetched_at=FETCHED)
    if error is not TruncatedPage:  # a cut-off page is still of its kind, only incomplete
        assert detect(body) == "error"


def test_a_server_error_says_whether_to_try_again() -> None:
    with pytest.raises(ServerErrorPage) as err:
        parse_story(STATIC_502, url=URL, fetched_at=FETCHED)
    assert (err.value.status, err.value.transient) == (502, True)
    with pytest.raises(ServerErrorPage) as err:
        parse_story(STATIC_502.replace("502", "422"), url=URL, fetched_at=FETCHED)
    assert (err.value.status, err.value.transient) == (422, False)


def _old_listing(span: str, body_attrs: str = "") -> str:
    return (f"<!doctype html><html><body{body_attrs}><ol class='stories'>"
            "<li id='story_abc123' data-shortid='abc123' class='story'>"
            "<div class='story_liner'><div class='voters'><a class='upvoter'></a>"
            "<div class='score'>7</div></div><div class='details'><span class='link'>"
            "<a href='https://example.com/x'>X</a></span><div class='byline'>"
            f"<a href='/u/ann'>ann</a>{span}<span class='comments_label'>| "
            "<a href='/s/abc123/x'>no comments</a></span></div></div></div></li></ol>"
            "<div class='morelink'><a href='/page/2'>Page 2 &gt;&gt;</a></div>"
            "</body></html>")


def test_relative_ages_resolve_against_the_pages_now_else_fetched_at() -> None:
    own_now = _old_listing("<span>3 hours ago</span>", f" data-now-unix='{NOW}'")
    row = parse_listing(own_now, url="https://lobste.rs/", fetched_at=FETCHED).entries[0]
    assert row.created_at == datetime.fromtimestamp(NOW, UTC) - timedelta(hours=3)
    assert row.created_at_raw == "3 hours ago"
    row = parse_listing(_old_listing("<span>just now</span>"), url="https://lobste.rs/",
                        fetched_at=FETCHED).entries[0]
    assert row.created_at == FETCHED
    assert (row.author, row.score, row.comment_count) == ("ann", 7, 0)


def test_a_zone_less_title_is_central_time() -> None:
    page = _old_listing("<span title='2026-01-14 06:00:00'>1 day ago</span>")
    row = parse_listing(page, url="https://lobste.rs/", fetched_at=FETCHED).entries[0]
    assert row.created_at == datetime(2026, 1, 14, 12, 0, tzinfo=UTC)  # CST, -06:00


def test_a_user_json_of_the_current_form() -> None:
    body = json.dumps({"username": "ann", "created_at": "2020-04-24T11:41:56.000-05:00",
                       "is_admin": False, "is_moderator": False, "karma": 12,
                       "homepage": "https://ann.example", "about": "<p>Hi <em>there</em></p>",
                       "avatar_url": "/avatars/ann-100.png", "invited_by_user": "bob"})
    assert parse_user(body, url="https://lobste.rs/~ann.json", fetched_at=FETCHED) == User(
        site="lobsters", id="ann", created_at=datetime(2020, 4, 24, 16, 41, 56, tzinfo=UTC),
        created_at_raw="2020-04-24T11:41:56.000-05:00", karma=12,
        about_html="<p>Hi <em>there</em></p>", about="Hi there",
        extra={"is_admin": False, "is_moderator": False, "homepage": "https://ann.example",
               "avatar_url": "/avatars/ann-100.png", "invited_by_user": "bob"})
    with pytest.raises(ParseError, match="page shows user 'ann', not 'bob'"):
        parse_user(body, url="https://lobste.rs/~bob.json", fetched_at=FETCHED)


def as_2016_markup(page: str) -> str:
    """The same page in the 2016-2018 markup: ``div#comment_ID``, ``div.score``, ``/u/``
    links, ``<span title="... -0500">`` times, a "link" link, no data-now-unix, and no
    submitter mark (it marked the submitter only as the linked work's author)."""
    page = page.replace('<div id="c_', '<div id="comment_').replace('href="/~', 'href="/u/')
    page = page.replace(" data-now-unix='1783665557'", "")
    page = page.replace(' class="user_is_submitter" aria-label="x - Submitter"', ' class=""')
    page = re.sub(r'<a class="upvoter" title="(-?\d+)" href="/login">-?\d+</a>',
                  r'<a class="upvoter" href="/login"></a><div class="score">\1</div>', page)
    page = re.sub(r'<a href="/c/(\w+)"><time title="([^"]+)" datetime="[^"]+" '
                  r'data-at-unix="\d+">[^<]*</time></a>',
                  r'<span title="\2 -0500">9 days ago</span> | '
                  r'<a href="https://lobste.rs/s/abc123/a_story#c_\1">link</a>', page)
    return re.sub(r'<time title="([^"]+)" datetime="[^"]+" data-at-unix="\d+">[^<]*</time>',
                  r'<span title="\1 -0500">9 days ago</span>', page)


def test_the_2016_markup_of_a_thread_reads_the_same() -> None:
    fields = ("id", "parent_id", "depth", "position", "author", "text", "deleted", "removed",
              "edited", "created_at", "edited_at", "score")
    now = _html(thread_nodes())
    old_page = as_2016_markup(story_html(thread_nodes()))
    assert "data-at-unix" not in old_page and 'id="comment_aaa"' in old_page
    old = parse_story(old_page, url=URL, fetched_at=FETCHED)
    assert [tuple(getattr(c, f) for f in fields) for c in old.thread.comments] == \
        [tuple(getattr(c, f) for f in fields) for c in now.thread.comments]
    assert [c.by_submitter for c in old.thread.comments] == [False] * 7
    assert old.thread.story.created_at == now.thread.story.created_at == POSTED
    assert old.thread.comments[1].edited_at_raw == "2026-07-01 08:05:00 -0500"


def _in_layout(box: str) -> str:
    return (f"<!doctype html><html><head><title>Lobsters</title></head><body data-username=''>"
            f"<header id='nav'></header><div id='inside'>{box}</div></body></html>")


@pytest.mark.parametrize(("box", "message"), [
    ('<div class="box wide"><h1 class="title">404</h1><div class="story_text"><p>The '
     "resource you requested was not found, or the story has been deleted.</p></div></div>",
     "404 page"),
    ('<div class="box"><p>\n  Story was removed by a moderator.\n<p>(Logged-out visitors '
     "only see ...)</p></p></div>", "removed by a moderator"),
    ('<div class="box"><p>\n    Story was removed by submitter.\n</p></div>',
     "removed by submitter"),
    ('<div class="box wide"><p>If this user used to exist, they changed their username. '
     "Check the moderation log.</p></div>", "no such user"),
])
def test_pages_for_what_is_not_there_are_no_such_item(box: str, message: str) -> None:
    for parse in (parse_story, parse_listing, parse_user):
        with pytest.raises(NoSuchItem, match=message):
            parse(_in_layout(box), url=URL, fetched_at=FETCHED)
    assert detect(_in_layout(box)) == "error"


def test_a_hat_and_an_e_mailed_comment_are_kept() -> None:
    page = story_html(thread_nodes())
    page = page.replace('href="/~dave">dave</a>', 'href="/~dave">dave</a>\n<span class="hat '
                        'hat_sysop" title="Granted 2020-01-01">Sysop</span>')
    page = page.replace('<a href="/c/ddd">', 'e-mailed\n<a href="/c/ddd">')
    ddd = next(c for c in parse_story(page, url=URL, fetched_at=FETCHED).thread.comments
               if c.id == "ddd")
    assert ddd.extra == {"hat": "Sysop", "via_email": True}
    assert (ddd.edited, ddd.author, ddd.score) == (False, "dave", -1)


def test_a_profile_laid_out_as_a_definition_list() -> None:
    """Lobsters' current users/show: dl.labelled_grid of dt/dd pairs."""
    page = _in_layout(
        "<h1>ann</h1><section class='profile'><dl class='labelled_grid'>"
        "<dt>Status</dt><dd>Active user</dd>"
        "<dt>Joined</dt><dd><time title='2020-04-24 11:41:56' data-at-unix='1587746516'>"
        "6 years ago</time> by <a href='/users#ann'>invitation</a> from "
        "<a href='/~bob'>bob</a></dd><dt>Karma</dt><dd>1,024</dd>"
        "<dt>About</dt><dd><p>Hi</p></dd></dl></section>")
    assert parse_user(page, url="https://lobste.rs/~ann", fetched_at=FETCHED) == User(
        site="lobsters", id="ann", created_at=datetime(2020, 4, 24, 16, 41, 56, tzinfo=UTC),
        created_at_raw="2020-04-24 11:41:56 1587746516", karma=1024, about_html="<p>Hi</p>",
        about="Hi", extra={"invited_by_user": "bob", "Status": "Active user"})


@pytest.mark.parametrize(("url", "expected"), [
    ("https://lobste.rs/", ("hottest", 1)),
    ("https://lobste.rs/hottest.json", ("hottest", 1)),
    ("https://lobste.rs/page/3", ("hottest", 3)),
    ("https://lobste.rs/newest/page/2.json", ("newest", 2)),
    ("https://lobste.rs/t/programming,rust/page/4.json", ("t/programming,rust", 4)),
    ("https://lobste.rs/active", ("active", 1)),
    ("https://lobste.rs/search?q=x&what=stories&order=newest&page=3",
     ("search?order=newest&q=x&what=stories", 3)),
])
def test_listing_names_and_pages(url: str, expected: tuple[str, int]) -> None:
    assert listing_name_and_page(url) == expected


def _json_rows(n: int) -> str:
    """n rows of a JSON listing: story objects without their comments."""
    rows = [json.loads(story_json([], sid=f"s{i:05d}")) for i in range(n)]
    return json.dumps([{k: v for k, v in row.items() if k != "comments"} for row in rows])


def test_a_json_listing_page_names_the_next_page_only_when_full() -> None:
    full = parse_listing(_json_rows(25), url="https://lobste.rs/newest/page/2.json",
                         fetched_at=FETCHED)
    assert (full.name, full.page, full.entries[0].rank, full.entries[-1].rank) == \
        ("newest", 2, 26, 50)
    assert full.next_url == "https://lobste.rs/newest/page/3.json"
    short = parse_listing(_json_rows(7), url="https://lobste.rs/newest/page/3.json",
                          fetched_at=FETCHED)
    assert short.next_url is None and short.entries[-1].rank == 57
