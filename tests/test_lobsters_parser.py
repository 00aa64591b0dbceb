"""The Lobsters parsers over every page of the shared corpus (2016-2026 HTML, 2018-2025 JSON).

Generated pages for the cases that must always run are in test_lobsters_generated.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from archive.models import Comment, ListingEntry, Story, User
from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters import (
    ServerErrorPage,
    detect,
    parse_listing,
    parse_story,
    parse_user,
)
from tests.corpus import corpus_dir, corpus_text

LOBSTERS = "https://lobste.rs"
FETCHED = datetime(2026, 7, 10, 12, 0, tzinfo=UTC)
TDFOQH = f"{LOBSTERS}/s/tdfoqh/ranking_comments_by_sum_replies_scores"

# name -> (kind, URL it was served at, rows: comments or listing rows)
PAGES: dict[str, tuple[str, str, int]] = {
    "story-donlgu-2018-reformatted.json": ("story-json", f"{LOBSTERS}/s/donlgu.json", 3),
    "story-d9ucpe-2021.json": ("story-json", f"{LOBSTERS}/s/d9ucpe.json", 7),
    "story-tdfoqh-2022.json": ("story-json", f"{LOBSTERS}/s/tdfoqh.json", 7),
    "story-tdfoqh-2023.json": ("story-json", f"{LOBSTERS}/s/tdfoqh.json", 10),
    "story-tdfoqh-2025.json": ("story-json", f"{LOBSTERS}/s/tdfoqh.json", 10),
    "story-tdfoqh-2026-05.html": ("story-html", TDFOQH, 10),
    "story-tdfoqh-2026-07.html": ("story-html", TDFOQH, 10),
    "hottest-2021.json": ("listing-json", f"{LOBSTERS}/hottest.json", 25),
    "hottest-2025.json": ("listing-json", f"{LOBSTERS}/hottest.json", 25),
    "tag-meta-2023.json": ("listing-json", f"{LOBSTERS}/t/meta.json", 25),
    "tag-programming-rust-2023.json": ("listing-json", f"{LOBSTERS}/t/programming,rust.json",
                                       25),
    "front-2016-10.html": ("listing-html", f"{LOBSTERS}/", 25),
    "front-2023-03.html": ("listing-html", f"{LOBSTERS}/", 25),
    "front-2026-07.html": ("listing-html", f"{LOBSTERS}/", 25),
    "search-chatgpt-2023-07-loggedin.html": (
        "listing-html", f"{LOBSTERS}/search?q=ChatGPT&what=stories&order=newest", 20),
    "search-chatgpt-2026-07.html": (
        "listing-html", f"{LOBSTERS}/search?order=newest&q=chatgpt&what=stories", 20),
    "user-msfjarvis-2026-05.html": ("user-html", f"{LOBSTERS}/~msfjarvis", 0),
    "error-422-static.html": ("error", f"{LOBSTERS}/s/tdfoqh", 422),
    "error-500-static.html": ("error", f"{LOBSTERS}/s/tdfoqh", 500),
    "error-502-static.html": ("error", f"{LOBSTERS}/hottest.json", 502),
    "error-504-static.html": ("error", f"{LOBSTERS}/~msfjarvis", 504),
}
STORY_PAGES = [n for n, (k, _, _) in PAGES.items() if k.startswith("story")]
LISTING_PAGES = [n for n, (k, _, _) in PAGES.items() if k.startswith("listing")]
ERROR_PAGES = [n for n, (k, _, _) in PAGES.items() if k == "error"]


def test_every_corpus_page_is_named_here() -> None:
    folder = corpus_dir("lobsters")
    assert sorted(p.name for p in folder.iterdir() if p.name != "SOURCES.tsv") == sorted(PAGES)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_page_is_detected_as_its_kind(name: str) -> None:
    assert detect(corpus_text("lobsters", name)) == PAGES[name][0]


def _story(name: str):
    _, url, _ = PAGES[name]
    return parse_story(corpus_text("lobsters", name), url=url, fetched_at=FETCHED)


def _declared_difference(comments: tuple[Comment, ...], declared: int | None) -> int:
    """Lobsters' comments_count counts active comments (merged_comments.active): gone ones
    are listed (with replies under them) but not counted."""
    return sum(1 for c in comments if not (c.deleted or c.removed)) - (declared or 0)


@pytest.mark.parametrize("name", STORY_PAGES)
def test_story_comments_match_what_the_page_declares(name: str) -> None:
    thread = _story(name).thread
    assert len(thread.comments) == PAGES[name][2]
    assert _declared_difference(thread.comments, thread.story.comment_count) == 0


@pytest.mark.parametrize("name", STORY_PAGES)
def test_parents_and_depths_are_consistent(name: str) -> None:
    comments = _story(name).thread.comments
    seen: dict[str, Comment] = {}
    siblings: dict[str | None, int] = {}
    for c in comments:
        if c.parent_id is None:
            assert c.depth == 0
        else:
            assert c.depth == seen[c.parent_id].depth + 1, c.id
        assert c.position == siblings.get(c.parent_id, 0)
        siblings[c.parent_id] = c.position + 1
        seen[c.id] = c


@pytest.mark.parametrize("name", [n for n in STORY_PAGES if n.endswith(".json")])
def test_json_tree_is_the_one_the_json_states(name: str) -> None:
    """Each era's own statement of place: indent_level (1-based), parent_comment, depth."""
    raw = json.loads(corpus_text("lobsters", name))["comments"]
    comments = _story(name).thread.comments
    assert [c.id for c in comments] == [r["short_id"] for r in raw]
    for c, r in zip(comments, raw, strict=True):
        if r.get("indent_level") is not None:
            assert c.depth == r["indent_level"] - 1
        if r.get("depth") is not None:
            assert c.depth == r["depth"]
        if "parent_comment" in r:
            assert c.parent_id == r["parent_comment"]
        assert c.score == r["score"]
        assert c.author == (r["commenting_user"] if isinstance(r["commenting_user"], str)
                            else r["commenting_user"]["username"])


def test_a_2025_comment_whole() -> None:
    c = next(c for c in _story("story-tdfoqh-2025.json").thread.comments if c.id == "pcvbcd")
    text = c.text or ""
    assert c == Comment(
        site="lobsters", id="pcvbcd", story_id="tdfoqh", parent_id="m3wyu5", depth=1,
        position=0, author="gioele",
        created_at=datetime(2022, 7, 23, 14, 52, 52, tzinfo=UTC),
        created_at_raw="2022-07-23T09:52:52.000-05:00", text_html=c.text_html, text=text,
        score=2, edited=True, edited_at=datetime(2022, 7, 23, 15, 9, 15, tzinfo=UTC),
        edited_at_raw="2022-07-23T10:09:15.000-05:00", by_submitter=True,
        extra={"flags": 0, "comment_plain": c.extra["comment_plain"] if c.extra else None},
    )
    assert text.startswith("Your proposal, or the max variant presented elsewhere")
    assert "\n\nFor this reason I believe that a) not counting" in text


def test_the_story_of_each_era_whole() -> None:
    expected = dict(site="lobsters", id="tdfoqh", title="Ranking comments by sum of replies' "
                    "scores", url=None, domain=None, author="gioele", score=18,
                    comment_count=10, created_at=datetime(2022, 7, 22, 17, 6, 59, tzinfo=UTC),
                    kind="story", tags=("meta",))
    for name in ("story-tdfoqh-2023.json", "story-tdfoqh-2025.json",
                 "story-tdfoqh-2026-05.html", "story-tdfoqh-2026-07.html"):
        story = _story(name).thread.story
        assert {k: getattr(story, k) for k in expected} == expected, name
        assert (story.text or "").startswith("There are often cases where comments with a "
                                             "poor score (say, 1 point)"), name
    assert _story("story-tdfoqh-2025.json").thread.story.created_at_raw == \
        "2022-07-22T12:06:59.000-05:00"
    assert _story("story-tdfoqh-2026-07.html").thread.story.created_at_raw == \
        "2022-07-22 12:06:59 1658509619"


def test_json_user_objects_become_user_records() -> None:
    users = {u.id: u for u in _story("story-tdfoqh-2023.json").users}
    assert users["gioele"] == User(
        site="lobsters", id="gioele", created_at=datetime(2018, 4, 25, 16, 31, 25, tzinfo=UTC),
        created_at_raw="2018-04-25T11:31:25.000-05:00", karma=737, about="https://gioele.io",
        extra={"is_admin": False, "is_moderator": False, "avatar_url": "/avatars/gioele-100.png",
               "invited_by_user": "pushcx"})
    assert _story("story-tdfoqh-2025.json").users == ()  # 2024-: names only


# Lobsters' Markdown renderer stopped making typographic quotes between the 2025-02 JSON
# and the 2026-05 HTML ("it\u2019s" -> "it's"): the same comment, rendered again.
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


@pytest.mark.parametrize("html", ["story-tdfoqh-2026-05.html", "story-tdfoqh-2026-07.html"])
def test_json_and_html_of_one_story_agree_comment_by_comment(html: str) -> None:
    j = _story("story-tdfoqh-2025.json").thread
    h = _story(html).thread
    assert [(c.id, c.parent_id, c.depth, c.position, c.author, c.by_submitter, c.edited,
             c.edited_at, c.deleted, c.removed) for c in h.comments] == \
        [(c.id, c.parent_id, c.depth, c.position, c.author, c.by_submitter, c.edited,
          c.edited_at, c.deleted, c.removed) for c in j.comments]
    for jc, hc in zip(j.comments, h.comments, strict=True):
        assert (hc.text or "") == (jc.text or "").translate(_QUOTES), jc.id
        # The page shows one time, the last edit: for a comment not marked edited that is
        # within Lobsters' minute of its creation (lqqn3a: 13 s), for an edited one the
        # creation time is not on the page at all.
        if jc.edited:
            assert hc.created_at is None
        else:
            assert hc.created_at is not None and jc.created_at is not None
            assert timedelta(0) <= hc.created_at - jc.created_at <= timedelta(minutes=1)
    # Scores are live: one vote came after the JSON was saved (2025-02 -> 2026).
    moved = {jc.id: (jc.score, hc.score) for jc, hc in zip(j.comments, h.comments,
                                                           strict=True) if jc.score != hc.score}
    assert moved == {"ncdsfc": (17, 18)}
    assert h.story.text == (j.story.text or "").translate(_QUOTES)


def test_two_html_markups_of_one_story_give_the_same_records() -> None:
    """2026-05 (span.tags, li#story_comments, submitter marked user_is_author) and 2026-07
    (ul.tags, ol#story_comments, user_is_submitter): only the raw marks in extra differ."""
    may, july = (_story(f"story-tdfoqh-2026-{m}.html").thread for m in ("05", "07"))
    assert may.story == july.story
    assert [replace(c, extra=None) for c in may.comments] == \
        [replace(c, extra=None) for c in july.comments]
    assert {c.id: (c.extra or {}).get("user_marks") for c in july.comments
            if c.by_submitter} == {"pcvbcd": ["user_is_author", "user_is_submitter"],
                                   "owddle": ["user_is_author", "user_is_submitter"]}


def test_json_eras_of_one_story_agree() -> None:
    """2023 (parent_comment alone) and 2025 (parent + depth) give the same tree; 2022
    (indent_level + parent) is the thread a day old: 7 of the later 10, ranked then."""
    t22, t23, t25 = (_story(f"story-tdfoqh-{y}.json").thread for y in (2022, 2023, 2025))
    tree = [(c.id, c.parent_id, c.depth, c.position, c.author, c.text) for c in t25.comments]
    assert [(c.id, c.parent_id, c.depth, c.position, c.author, c.text)
            for c in t23.comments] == tree
    later = {c.id: c for c in t25.comments}
    assert {c.id for c in t22.comments} < set(later)
    for c in t22.comments:
        assert (c.parent_id, c.depth, c.author, c.created_at) == \
            (later[c.id].parent_id, later[c.id].depth, later[c.id].author,
             later[c.id].created_at)


def test_edit_times_per_era() -> None:
    """-2023 JSON: updated_at; 2024-: last_edited_at; 'edited' past one minute, as Lobsters
    judges it (7b0jgw was changed 53 s after posting: not edited, here or on the page)."""
    edited = {y: {c.id for c in _story(f"story-tdfoqh-{y}.json").thread.comments if c.edited}
              for y in (2022, 2023, 2025)}
    assert edited == {2022: set(), 2023: {"pcvbcd", "ei3nck"}, 2025: {"pcvbcd", "ei3nck"}}
    later = {c.id: c for c in _story("story-tdfoqh-2025.json").thread.comments}
    assert later["7b0jgw"].edited_at - later["7b0jgw"].created_at == timedelta(seconds=53)


@pytest.mark.parametrize("name", LISTING_PAGES)
def test_listings_parse_with_ranks_and_next_page(name: str) -> None:
    _, url, rows = PAGES[name]
    listing = parse_listing(corpus_text("lobsters", name), url=url, fetched_at=FETCHED)
    assert [e.rank for e in listing.entries] == list(range(1, rows + 1))
    assert all(e.story_id and e.title and e.author and e.created_at for e in listing.entries)
    assert all(e.comment_count is not None and e.score is not None for e in listing.entries)
    assert listing.next_url is not None and listing.page == 1
    assert ("page=2" in listing.next_url) if "search" in name \
        else listing.next_url.endswith(("/page/2", "/page/2.json"))


def test_a_listing_row_of_each_html_era_whole() -> None:
    rows = {n: parse_listing(corpus_text("lobsters", n), url=PAGES[n][1],
                             fetched_at=FETCHED).entries[0]
            for n in ("front-2016-10.html", "front-2026-07.html")}
    assert rows["front-2016-10.html"] == ListingEntry(
        site="lobsters", story_id="vdhwll", rank=1,
        title="Meet the Man Behind \u2018Solarized,\u2019 the Most Important Color Scheme in "
              "Computer History",
        url="http://observer.com/2015/02/meet-the-man-behind-solarized-the-most-important-"
            "color-scheme-in-computer-history/",
        domain="observer.com", author="calvin", score=22, comment_count=23,
        created_at=datetime(2016, 10, 5, 22, 35, 45, tzinfo=UTC),
        created_at_raw="2016-10-05 17:35:45 -0500")
    assert rows["front-2026-07.html"] == ListingEntry(
        site="lobsters", story_id="0mam5k", rank=1, title="Lobsters Interview with mitchellh",
        url="https://alexalejandre.com/programming/interview-with-mitchell-hashimoto/",
        domain="alexalejandre.com", author="veqq", score=69, comment_count=5,
        created_at=datetime(2026, 7, 9, 15, 41, 15, tzinfo=UTC),
        created_at_raw="2026-07-09 10:41:15 1783611675")


def test_page_two_ranks_continue_and_link_no_further_page_than_it_shows() -> None:
    text = corpus_text("lobsters", "front-2026-07.html")
    listing = parse_listing(text, url=f"{LOBSTERS}/page/2", fetched_at=FETCHED)
    assert (listing.name, listing.page, listing.entries[0].rank) == ("hottest", 2, 26)
    assert listing.next_url is None  # the page links /page/2, its own number


def test_json_listing_rows_and_self_posts() -> None:
    listing = parse_listing(corpus_text("lobsters", "tag-programming-rust-2023.json"),
                            url=PAGES["tag-programming-rust-2023.json"][1], fetched_at=FETCHED)
    first = listing.entries[0]
    assert (first.story_id, first.url, first.domain, first.kind, first.comment_count) == \
        ("dikmbr", None, None, "ask", 18)
    assert listing.name == "t/programming,rust"
    assert listing.next_url == f"{LOBSTERS}/t/programming,rust/page/2.json"


def test_the_profile_page_whole() -> None:
    user = parse_user(corpus_text("lobsters", "user-msfjarvis-2026-05.html"),
                      url=f"{LOBSTERS}/~msfjarvis", fetched_at=FETCHED)
    assert user == User(
        site="lobsters", id="msfjarvis", created_at=datetime(2020, 4, 24, 16, 41, 56, tzinfo=UTC),
        created_at_raw="2020-04-24 11:41:56 1587746516", karma=2817,
        about_html=user.about_html,
        about="Android and Kotlin developer, currently working for Cloudflare\n\n"
              "openpgp4fpr:8F87050B0F9CB84115157399B7843F823355E9B9",
        extra={"invited_by_user": "Amolith", "Status": "Active user",
               "Stories Submitted": "38, most commonly tagged rust", "Comments Posted": "258",
               "Homepage": "https://msfjarvis.dev", "GitHub": "https://github.com/msfjarvis",
               "Mastodon": "@msfjarvis@androiddev.social"})


@pytest.mark.parametrize("name", ERROR_PAGES)
@pytest.mark.parametrize("parse", [parse_story, parse_listing, parse_user])
def test_error_pages_are_never_records(name: str, parse) -> None:
    _, url, status = PAGES[name]
    with pytest.raises(ServerErrorPage) as err:
        parse(corpus_text("lobsters", name), url=url, fetched_at=FETCHED)
    assert err.value.status == status
    assert err.value.transient == (status >= 500)
    assert f"HTTP {status}" in str(err.value)


def test_a_page_of_another_kind_is_a_clear_error() -> None:
    with pytest.raises(ParseError, match=r"not a story page \(looks like: listing-html"):
        parse_story(corpus_text("lobsters", "front-2026-07.html"), url=f"{LOBSTERS}/s/x",
                    fetched_at=FETCHED)
    with pytest.raises(ParseError, match=r"not a listing page \(looks like: story-json"):
        parse_listing(corpus_text("lobsters", "story-tdfoqh-2025.json"),
                      url=f"{LOBSTERS}/hottest.json", fetched_at=FETCHED)


def test_a_story_asked_for_by_another_id_is_recorded_as_merged() -> None:
    """/s/OLD.json redirects to the story OLD was merged into: the body is the target's."""
    page = parse_story(corpus_text("lobsters", "story-tdfoqh-2025.json"),
                       url=f"{LOBSTERS}/s/old123.json", fetched_at=FETCHED)
    assert page.thread.story.id == "tdfoqh"
    assert page.merged == (Story(site="lobsters", id="old123", merged_into="tdfoqh"),)
