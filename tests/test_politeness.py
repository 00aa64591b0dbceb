"""The small pieces of politeness: which robots.txt line forbids a path, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scrapy.utils.test import get_crawler

from scraper.middlewares import SoftErrorMiddleware, retry_after
from scraper.politeness import RobotsText, deciding_rule, pattern_matches, refusal

UA = "linkthread/0.1.0 (discussion archiver)"


@pytest.mark.parametrize("pattern, path, matches", [
    ("/", "/item?id=1", True),
    ("/item", "/item?id=1", True),
    ("/items", "/item?id=1", False),
    ("/*?id=", "/item?id=1", True),
    ("/item$", "/item", True),
    ("/item$", "/item?id=1", False),
    ("/*.php$", "/a/b.php", True),
    ("/*.php$", "/a/b.php?x", False),
    ("/a.b", "/aXb", False),  # regex characters are literal
])
def test_pattern_matches(pattern: str, path: str, matches: bool) -> None:
    assert pattern_matches(pattern, path) is matches


SAMPLE = """\
User-Agent: *
Disallow: /x?
Disallow: /r?
Disallow: /vote?
Allow: /x?fnid=
Crawl-delay: 30

User-agent: BadBot   # shouts
user-agent: linkthread-evil
Disallow: /
"""


@pytest.mark.parametrize("text, path, agent, want", [
    (SAMPLE, "/item?id=1", UA, None),
    (SAMPLE, "/vote?id=1&how=up", UA, ("*", "Disallow: /vote?")),
    (SAMPLE, "/x?fnid=abc", UA, None),  # the longer Allow wins
    (SAMPLE, "/x?other=1", UA, ("*", "Disallow: /x?")),
    (SAMPLE, "/item?id=1", "BadBot/2.0", ("badbot", "Disallow: /")),
    # "thread" inside "linkthread" is no word of its own: that group is not ours.
    ("User-agent: thread\nDisallow: /\n", "/item", UA, None),
    ("User-agent: *\nDisallow: /item\nAllow: /item\n", "/item", UA, None),  # tie: Allow
    ("User-agent: *\nDisallow:\n", "/item", UA, None),
    ("", "/item", UA, None),
])
def test_deciding_rule(text: str, path: str, agent: str, want: tuple[str, str] | None) -> None:
    found = deciding_rule(text, path, agent)
    assert (found and (found[0], found[1].line)) == want
    # The rule we quote is the reason Protego (which decides) refuses, and only then.
    protego = RobotsText(text.encode(), None)
    assert protego.allowed(f"https://example.com{path}", agent) is (want is None)


def test_refusal_without_a_rule_to_quote_still_says_what_and_how() -> None:
    assert refusal("https://example.com", "/a", UA, None) == (
        "robots.txt of https://example.com forbids /a for linkthread; not crawling it. "
        "Override knowingly with -s ROBOTSTXT_OBEY=False")


NOW = datetime(2026, 1, 14, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("value, seconds", [
    (None, None), (b"", None), (b"120", 120.0), ("  7 ", 7.0), (b"0", 0.0), (b"-5", 0.0),
    (b"1.5", 1.5), (b"inf", None), (b"nan", None), (b"soon", None),
    (b"Wed, 14 Jan 2026 12:00:30 GMT", 30.0),
    (b"Wed, 14 Jan 2026 11:00:00 GMT", 0.0),  # already past
    (b"Wednesday, 14-Jan-26 12:01:00 GMT", 60.0),  # RFC 850, still allowed to arrive
])
def test_retry_after(value: bytes | str | None, seconds: float | None) -> None:
    assert retry_after(value, now=NOW) == seconds


def test_the_back_off_doubles_per_strike_up_to_its_ceiling_however_long_the_storm() -> None:
    mw = SoftErrorMiddleware(get_crawler(), base=10.0, ceiling=600.0, retries=8)
    assert [mw.backoff(n) for n in (1, 2, 3, 6, 7, 5000)] == [10, 20, 40, 320, 600, 600]


def test_user_agent_names_no_page_that_does_not_exist_and_takes_a_contact() -> None:
    import subprocess
    import sys

    code = "from scraper import settings; print(settings.USER_AGENT)"
    env = {"PATH": "/usr/bin:/bin", "LINKTHREAD_CONTACT": "ops@example.org"}
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, check=True).stdout.strip()
    assert shown == "linkthread/0.1.0 (discussion archiver; +ops@example.org)"
    from scraper import settings

    assert "pypi.org" not in settings.USER_AGENT
