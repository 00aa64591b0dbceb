"""Reddit's target grammar and URL forms (archive/sites_reddit.py)."""

from __future__ import annotations

import pytest

from archive import sites
from archive.site import TargetError
from archive.sites import REDDIT, Target

BASE = "http://127.0.0.1:8123"  # a test's stand-in API, as LINKTHREAD_REDDIT_API_URL names it


def thread(story_id: str) -> Target:
    return Target("reddit", "thread", story_id)


WORDS = [
    ("1j7g9uj", thread("1j7g9uj")),
    ("t3_1j7g9uj", thread("1j7g9uj")),
    ("https://www.reddit.com/r/Python/comments/abc12/some_slug/", thread("abc12")),
    ("https://www.reddit.com/r/Python/comments/abc12/", thread("abc12")),
    ("https://www.reddit.com/comments/abc12", thread("abc12")),
    ("old.reddit.com/r/aww/comments/8dyrb3/ben/dxr0evr/", thread("8dyrb3")),
    ("https://np.reddit.com/r/aww/comments/8dyrb3/ben/?context=3", thread("8dyrb3")),
    ("https://new.reddit.com/r/aww/comments/8dyrb3/ben/", thread("8dyrb3")),
    ("https://reddit.com/r/aww/comments/8dyrb3.json", thread("8dyrb3")),
    ("https://oauth.reddit.com/comments/8dyrb3/_/dxr0evr", thread("8dyrb3")),
    ("https://redd.it/8dyrb3", thread("8dyrb3")),
    ("https://www.reddit.com/user/bob/comments/x1y2z3/my_post/", thread("x1y2z3")),
    ("https://www.reddit.com/gallery/x1y2z3", thread("x1y2z3")),
    (f"{BASE}/comments/x1y2z3", thread("x1y2z3")),
    ("t1_dxr0evr", Target("reddit", "comment", "dxr0evr")),
    ("r/Python", Target("reddit", "listing", "r/python")),
    ("r/python/hot", Target("reddit", "listing", "r/python")),
    ("/r/python/new/", Target("reddit", "listing", "r/python/new")),
    ("r/python/rising", Target("reddit", "listing", "r/python/rising")),
    ("r/python/top", Target("reddit", "listing", "r/python/top")),
    ("r/python/top?t=week", Target("reddit", "listing", "r/python/top?t=week")),
    ("r/python/top --time week", Target("reddit", "listing", "r/python/top?t=week")),
    ("r/python/controversial?t=all", Target("reddit", "listing", "r/python/controversial?t=all")),
    ("r/aww+pics/new", Target("reddit", "listing", "r/aww+pics/new")),
    ("https://old.reddit.com/r/programming/top/?t=month",
     Target("reddit", "listing", "r/programming/top?t=month")),
    ("https://www.reddit.com/r/pics/", Target("reddit", "listing", "r/pics")),
    ("user spez", Target("reddit", "user", "spez")),
    ("u/spez", Target("reddit", "user", "spez")),
    ("/u/spez", Target("reddit", "user", "spez")),
    ("https://www.reddit.com/user/spez/", Target("reddit", "user", "spez")),
    ("https://old.reddit.com/u/Some_User-1", Target("reddit", "user", "Some_User-1")),
]


@pytest.mark.parametrize(("word", "target"), WORDS)
def test_each_form_a_user_pastes_names_its_target(word: str, target: Target) -> None:
    assert REDDIT.parse_target(word, base_url=BASE) == target


@pytest.mark.parametrize("word", [
    "https://example.org/r/x/comments/abc/", "T3_ABC", "t2_abc", "r/x/best", "r/x/new?t=week",
    "r/python/top?t=fortnight", "https://www.reddit.com/r/x/comments/", "user ", "u/x",
    "https://redd.it/", "https://www.reddit.com/r/x/wiki/index",
])
def test_what_is_not_a_target_is_one_clear_error(word: str) -> None:
    with pytest.raises(TargetError) as info:
        REDDIT.parse_target(word)
    assert "\n" not in str(info.value) and str(info.value)


def test_a_comment_permalink_archives_its_thread_and_names_the_comment() -> None:
    link = "https://www.reddit.com/r/aww/comments/8dyrb3/ben/dxr0evr/"
    assert REDDIT.parse_target(link) == thread("8dyrb3")
    assert REDDIT.permalink_comment(link) == "dxr0evr"
    assert REDDIT.permalink_comment("https://redd.it/8dyrb3") is None
    assert REDDIT.permalink_comment("8dyrb3") is None


def test_command_line_words_read_user_pairs_and_listings_once() -> None:
    assert sites.parse_targets("reddit", ["user", "bob", "r/Python", "r/python", "t3_abc"]) == [
        Target("reddit", "user", "bob"), Target("reddit", "listing", "r/python"),
        thread("abc")]


def test_url_forms_request_the_api_and_link_to_the_public_site() -> None:
    assert REDDIT.item_url("abc") == "https://www.reddit.com/comments/abc"
    assert REDDIT.item_url("abc", json=True) == "https://oauth.reddit.com/comments/abc"
    assert REDDIT.item_url("abc", base_url=BASE, json=True) == f"{BASE}/comments/abc"
    assert REDDIT.comment_url("abc", "def") == "https://www.reddit.com/comments/abc/_/def"
    assert REDDIT.user_url("bob", json=True) == "https://oauth.reddit.com/user/bob/about"
    assert REDDIT.user_url("bob") == "https://www.reddit.com/user/bob"
    assert REDDIT.listing_path("r/python") == "r/python/hot"
    assert REDDIT.listing_path("r/python/top?t=week") == "r/python/top?t=week"
    assert REDDIT.listing_url("r/python/top?t=week", base_url=BASE, json=True) == \
        f"{BASE}/r/python/top?t=week"
    assert REDDIT.snapshot_name("r/Python/hot") == "r/python"
    with pytest.raises(ValueError, match="after"):
        REDDIT.listing_url("r/python", 2)


def test_politeness_is_the_api_limit() -> None:
    polite = REDDIT.politeness
    assert polite.robots_forbids and polite.delay_for("thread") == 0.6  # 100 a minute
    assert sites.site_of_url("https://old.reddit.com/r/x/") is REDDIT
    assert sites.site_of_url("https://redd.it/abc") is REDDIT
