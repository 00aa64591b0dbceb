"""Profile pages, generated in the site's markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage
from scraper.parsers.hn.user import parse_user
from tests import hnpages

URL = "https://news.ycombinator.com/user?id=pg"


def test_a_profile_reads_fully() -> None:
    page = hnpages.user_page("pg", karma=157316, about="Bug fixer.<p>See <a href=\"x\">x</a>")
    user = parse_user(page, url=URL, fetched_at=hnpages.FETCHED_AT)
    assert (user.site, user.id, user.karma, user.about) == ("hn", "pg", 157316,
                                                             "Bug fixer.\n\nSee x")
    assert user.created_at == datetime(2007, 2, 19, tzinfo=UTC)
    assert user.about_html == 'Bug fixer.<p>See <a href="x">x</a></p>'


def test_an_empty_about_is_none() -> None:
    user = parse_user(hnpages.user_page("pg", karma=1, about=""), url=URL,
                      fetched_at=hnpages.FETCHED_AT)
    assert (user.about, user.about_html, user.karma) == (None, None, 1)


@pytest.mark.parametrize("body, error", [
    ("No such user.", NoSuchItem),
    (hnpages.THROTTLE_PAGE, ThrottledPage),
    (hnpages.modern_page(hnpages.random_thread(2), []), ParseError),
])
def test_pages_that_are_not_a_profile(body: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_user(body, url=URL, fetched_at=hnpages.FETCHED_AT)


def test_a_profile_of_someone_else_is_an_error() -> None:
    with pytest.raises(ParseError, match="not 'pg'"):
        parse_user(hnpages.user_page("dang", karma=1, about=""), url=URL,
                   fetched_at=hnpages.FETCHED_AT)


@pytest.mark.parametrize(("written", "about"), [
    ("", None),
    ("Bug fixer.\n\nSee &lt;x&gt;", "Bug fixer.\n\nSee <x>"),
])
def test_ones_own_profile_reads_the_about_box_not_the_help_link(written: str,
                                                                about: str | None) -> None:
    # Saved logged in, one's own profile is a form: the about is a textarea (HN's input
    # format) followed by a "help" link, and more label rows (email, showdead...) follow.
    editor = ('<textarea name="about" rows="5" cols="60" style="width:100%;max-width:540px;">'
              f'{written}</textarea><span style="color:#999;padding-left:4px">help</span>'
              '</td></tr><tr><td valign="top">email:</td><td><input type="text" name="email"'
              ' value="" size="40">')
    page = hnpages.user_page("pg", karma=1, about=editor)
    user = parse_user(page, url=URL, fetched_at=hnpages.FETCHED_AT)
    assert (user.about, user.about_html, user.karma) == (about, None, 1)


def test_an_old_profile_says_how_many_days_ago_it_was_created() -> None:
    # Before ~2014 the row held no date and no front?day= link: "created: 2202 days ago",
    # resolved against the time the page was fetched, like every relative age.
    page = re.sub(r'<a href="front\?day=[^"]*">[^<]*</a>', "2202 days ago",
                  hnpages.user_page("pg", karma=1, about=""))
    user = parse_user(page, url=URL, fetched_at=hnpages.FETCHED_AT)
    assert user.created_at == hnpages.FETCHED_AT - timedelta(days=2202)
    assert user.created_at_raw == "2202 days ago"


@pytest.mark.parametrize("markup", ["<textarea>", "<!--", "<script>", "</html>"])
def test_markup_that_ends_the_tree_early_is_an_error_not_half_a_profile(markup: str) -> None:
    page = hnpages.user_page("pg", karma=157316, about="Bug fixer.")
    at = page.index("<tr><td valign=\"top\">karma:")
    with pytest.raises(ParseError, match=r"markup holds 4 profile rows, the parsed tree 2: "
                                         r"the HTML is malformed"):
        parse_user(page[:at] + markup + page[at:], url=URL, fetched_at=hnpages.FETCHED_AT)


def test_markup_that_ends_the_tree_in_the_about_is_an_error() -> None:
    # The last row: nothing after it but the footer, which the tree then lacks.
    page = hnpages.user_page("pg", karma=1, about="Bug <textarea> fixer.")
    with pytest.raises(ParseError, match=r"footer \(span.yclinks\) is not in the parsed tree"):
        parse_user(page, url=URL, fetched_at=hnpages.FETCHED_AT)


def test_an_impossible_created_day_reads_the_text_instead() -> None:
    page = hnpages.user_page("pg", karma=1, about="").replace(
        "front?day=2007-02-19", "front?day=9999-99-99")
    user = parse_user(page, url=URL, fetched_at=hnpages.FETCHED_AT)
    assert (user.created_at, user.created_at_raw) == (datetime(2007, 2, 19, tzinfo=UTC),
                                                      "2007-02-19")


@pytest.mark.parametrize(("shown", "karma"), [("\u00b2574", None), ("9" * 5000, None),
                                              ("-3", -3), ("1,234", 1234)])
def test_karma_reads_ascii_digits_only(shown: str, karma: int | None) -> None:
    page = re.sub(r"(karma:</td><td>)[^<]*", lambda m: m.group(1) + shown,
                  hnpages.user_page("pg", karma=1, about=""))
    assert parse_user(page, url=URL, fetched_at=hnpages.FETCHED_AT).karma == karma
