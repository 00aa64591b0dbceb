"""Every Reddit page of the shared corpus parses, or gives its one clear error line.

Comment counts, parents and positions are checked against a walk of the JSON written
here, independent of the parser: it follows ``replies`` recursively and trusts only
``parent_id``; deleted, removed and edited states are counted the same way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from scraper.importers import detect
from scraper.parsers.errors import NoSuchItem, ParseError
from scraper.parsers.reddit import html
from scraper.parsers.reddit.errors import ApiError
from scraper.parsers.reddit.listing import parse_listing
from scraper.parsers.reddit.thread import more_stubs, parse_thread_pages, unexpanded
from tests.corpus import corpus_dir, corpus_text

NOW = datetime(2026, 6, 1, tzinfo=UTC)
API = "https://oauth.reddit.com"
COMMENTS = ["comments-1j7g9uj-context-2025.json", "comments-3hahrw-limit10.json",
            "comments-3hahrw.json", "comments-4b1tfm-small-deleted.json",
            "comments-6otocc-context-deepchain.json", "comments-6wmniq-context-dma3mi5.json",
            "comments-fo7p5b.json"]


def walk(children: list[dict[str, Any]], parent: str | None, depth: int,
         out: dict[str, list[Any]]) -> None:
    """Each t1 as (id, parent id, depth, position) and each more stub, in page order."""
    position = 0
    for thing in children:
        data = thing["data"]
        if thing["kind"] == "more":
            out["more"].append((data["id"], parent, len(data["children"])))
            continue
        expected_parent = data["parent_id"].split("_", 1)[1]
        assert parent is None or expected_parent == parent
        out["t1"].append((data["id"], parent if parent else None, depth, position, data))
        position += 1
        if data.get("replies"):
            walk(data["replies"]["data"]["children"], data["id"], depth + 1, out)


def independent(name: str) -> dict[str, list[Any]]:
    obj = json.loads(corpus_text("reddit", name))
    out: dict[str, list[Any]] = {"t1": [], "more": []}
    walk(obj[1]["data"]["children"], None, 0, out)
    return out


@pytest.mark.parametrize("name", COMMENTS)
def test_comments_responses_read_every_comment_in_place(name: str) -> None:
    text = corpus_text("reddit", name)
    thread = parse_thread_pages([(f"{API}/comments/x", text)], fetched_at=NOW)
    want = independent(name)
    # A context page starts below the top: its first comment's parent is not on it.
    top_parent = want["t1"][0][4]["parent_id"]
    offset = 0 if top_parent.startswith("t3_") else 1
    got = [(c.id, c.parent_id, c.depth, c.position) for c in thread.comments]
    assert len(got) == len(want["t1"])
    if offset:
        assert got[0][1] == top_parent[3:]
    assert [g[0] for g in got] == [w[0] for w in want["t1"]]
    assert [g[1] for g in got[offset:]] == [w[1] for w in want["t1"][offset:]]
    assert [g[3] for g in got] == [w[3] for w in want["t1"]]
    given = [w[4].get("depth") for w in want["t1"]]
    if all(isinstance(d, int) for d in given):  # 2017-: the field agrees with the nesting
        assert [g[2] for g in got] == given
    stubs = more_stubs(text)
    assert [(m.id, m.parent_id, len(m.children)) for m in stubs] == want["more"]
    assert len(unexpanded([(f"{API}/comments/x", text)])) == len(stubs)


# (file, t1, author [deleted], body [deleted], body [removed], edited, more, continue)
COUNTS = [
    ("comments-fo7p5b.json", 492, 19, 10, 0, None, 222, 1),
    ("comments-3hahrw.json", 476, 16, 6, 0, None, 18, 6),
    ("comments-4b1tfm-small-deleted.json", 4, 1, 1, 0, None, 0, 0),
    ("comments-6otocc-context-deepchain.json", 10, 0, 0, 0, None, 1, 1),
]


@pytest.mark.parametrize(("name", "n", "gone_author", "deleted", "removed", "edited", "more",
                          "continued"), COUNTS)
def test_states_are_counted_as_the_json_says(name: str, n: int, gone_author: int, deleted: int,
                                             removed: int, edited: int | None, more: int,
                                             continued: int) -> None:
    want = independent(name)
    datas = [w[4] for w in want["t1"]]
    thread = parse_thread_pages([(f"{API}/comments/x", corpus_text("reddit", name))],
                                fetched_at=NOW)
    c = thread.comments
    assert len(c) == n
    assert sum(x.author is None for x in c) == gone_author == \
        sum(d["author"] == "[deleted]" for d in datas)
    assert sum(x.deleted for x in c) == deleted == sum(d["body"] == "[deleted]" for d in datas)
    assert sum(x.removed for x in c) == removed == sum(d["body"] == "[removed]" for d in datas)
    assert sum(x.edited for x in c) == sum(bool(d["edited"]) for d in datas)
    stubs = more_stubs(corpus_text("reddit", name))
    assert (len(stubs), sum(m.is_continue for m in stubs)) == (more, continued)
    for x, d in zip(c, datas, strict=True):
        assert x.score == d["score"]
        if d["edited"]:
            assert x.edited_at == datetime.fromtimestamp(d["edited"], UTC)


def test_a_morechildren_answer_completes_the_limited_thread() -> None:
    first = corpus_text("reddit", "comments-3hahrw-limit10.json")
    more = corpus_text("reddit", "morechildren-3hahrw.json")
    things = json.loads(more)["json"]["data"]["things"]
    t1 = [t["data"] for t in things if t["kind"] == "t1"]
    thread = parse_thread_pages([(f"{API}/comments/3hahrw", first),
                                 (f"{API}/api/morechildren", more)], fetched_at=NOW)
    got = {c.id: c for c in thread.comments}
    assert len(got) == 10 + len(t1) == len(thread.comments)
    for d in t1:  # each under the parent the answer names, at the depth it gives
        parent = d["parent_id"].split("_", 1)[1]
        assert got[d["id"]].parent_id == (None if d["parent_id"].startswith("t3_") else parent)
        assert got[d["id"]].depth == d["depth"]
    # siblings in Reddit's order: the answer's order among each parent's new replies
    for parent in {d["parent_id"] for d in t1}:
        pid = parent.split("_", 1)[1] if parent.startswith("t1_") else None
        answer = [d["id"] for d in t1 if d["parent_id"] == parent]
        placed = [c.id for c in thread.comments if c.parent_id == pid and c.id in answer]
        assert placed == answer


def test_the_deleted_comment_permalink_is_one_clear_line() -> None:
    text = corpus_text("reddit", "comments-52o2fl-deleted-comment-permalink.json")
    with pytest.raises(ParseError, match=r"says 19 comments but the answer holds none"):
        parse_thread_pages([(f"{API}/comments/52o2fl/_/d7ltvl0", text)], fetched_at=NOW)


LISTINGS = [("listing-r-popular-hot-2026.json", f"{API}/r/popular/hot?limit=100&raw_json=1",
             "r/popular", 100, "t3_1skbyfv"),
            ("listing-r-ferguson-hot-quarantined-2016.json",
             f"{API}/r/ferguson/hot?limit=100&raw_json=1", "r/ferguson", 101, "t3_2yu81x")]


@pytest.mark.parametrize(("name", "url", "listing", "rows", "after"), LISTINGS)
def test_api_listings(name: str, url: str, listing: str, rows: int, after: str) -> None:
    text = corpus_text("reddit", name)
    page = parse_listing(text, url=url, fetched_at=NOW)
    children = json.loads(text)["data"]["children"]
    assert (page.name, page.page, len(page.entries)) == (listing, 1, rows)
    assert [e.story_id for e in page.entries] == [c["data"]["id"] for c in children]
    assert [e.rank for e in page.entries] == list(range(1, rows + 1))
    assert page.next_url == f"{url}&after={after}&count={rows}"
    second = parse_listing(text, url=page.next_url, fetched_at=NOW)
    assert (second.page, second.entries[0].rank) == (2, rows + 1)  # count=rows, limit=100


@pytest.mark.parametrize(("name", "error", "line"), [
    ("error-403-quarantined-subreddit.json", ApiError,
     r"HTTP 403 Forbidden: forbidden \(a quarantined subreddit not opted into"),
    ("error-400-morechildren.html", ApiError, r"HTTP 400 error page \(Bad request; "),
])
def test_error_bodies_are_one_line(name: str, error: type[Exception], line: str) -> None:
    with pytest.raises(error, match=line) as info:
        parse_listing(corpus_text("reddit", name), url=f"{API}/x", fetched_at=NOW)
    assert "\n" not in str(info.value)
    assert not isinstance(info.value, NoSuchItem)


def test_old_reddit_comment_page() -> None:
    text = corpus_text("reddit", "old-comments-8dyrb3.html")
    thread = html.parse_old_comments(text, url="https://old.reddit.com/r/aww/comments/8dyrb3/",
                                     fetched_at=NOW)
    assert (thread.story.id, thread.story.score, thread.story.comment_count) == (
        "8dyrb3", 21427, 198)
    assert len(thread.comments) == text.count('data-type="comment"') == 197
    assert sum(c.extra is not None and c.extra["collapsed"] for c in thread.comments) == \
        text.count("collapsed-for-reason")
    assert thread.comments[0].by_submitter and thread.comments[0].edited
    ids = {c.id for c in thread.comments}
    assert all(c.parent_id is None or c.parent_id in ids for c in thread.comments)
    assert thread.story.extra is not None and thread.story.extra["unexpanded_stubs"] == 2


def test_old_reddit_listing() -> None:
    page = html.parse_old_listing(corpus_text("reddit", "old-listing-r-programming-2016.html"),
                                  url="https://www.reddit.com/r/programming/", fetched_at=NOW)
    assert (page.name, page.page, len(page.entries)) == ("r/programming", 1, 25)
    assert [e.rank for e in page.entries] == list(range(1, 26))
    assert page.next_url == "https://www.reddit.com/r/programming/?count=25&after=t3_566mrn"
    assert page.entries[0].story_id == "5652tc" and page.entries[0].comment_count == 307


def test_redesign_comment_page_reads_what_it_shows() -> None:
    text = corpus_text("reddit", "newreddit-comments-awx46q.html")
    thread = html.parse_new_comments(text, url="https://www.reddit.com/r/x/comments/awx46q/",
                                     fetched_at=NOW)
    assert thread.story.id == "awx46q"
    assert len(thread.comments) == len({c.id for c in thread.comments})
    assert sum(c.deleted for c in thread.comments) == text.count("Comment deleted by user")
    assert sum(c.removed for c in thread.comments) == text.count("Comment removed")
    assert all(c.created_at is None and c.score is None for c in thread.comments)
    folded = [c for c in thread.comments if c.extra and c.extra.get("collapsed")]
    assert len(folded) == len(thread.comments) - text.count('data-testid="comment"') - \
        text.count("Comment deleted by user") - text.count("Comment removed")
    assert all(c.text is None for c in folded)


def test_every_file_is_recognised_as_reddit_by_import() -> None:
    folder = corpus_dir("reddit")
    odd = {"SOURCES.tsv", "error-400-morechildren.html"}  # not Reddit's own markup
    for path in sorted(folder.iterdir()):
        found = detect.recognise(path.read_text("utf-8"))
        if path.name in odd:
            assert found is None, path.name
        else:
            assert found is not None and found[0].site.name == "reddit", path.name
