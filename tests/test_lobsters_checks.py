"""The whole-page checks of a Lobsters body (``check_body``, ``detect_checked``) held to
the plain regex scans they replaced: each regex now runs only where a literal that all
its matches hold occurs, and the verdicts must be those of the regexes alone, on every
corpus page and on random pages built from the landmarks, near-misses of them and
noise (ASCII and not), each also spliced into the corpus pages at random places."""

from __future__ import annotations

import random
import re

import pytest

from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage, TruncatedPage
from scraper.parsers.lobsters import errors
from scraper.parsers.lobsters.detect import detect, detect_checked
from scraper.parsers.lobsters.errors import ServerErrorPage, check_body
from tests.corpus import corpus_dir

# The reference: the scans as they were before the literal pre-tests (2026-12-03).
_STORY_HTML = re.compile(r"""id=["']story_comments["']|class=["']comments_subtree|"""
                         r"""class=["']story_text["']""")
_LISTING_HTML = re.compile(r"""<ol\s+class=["'](?:stories|search_results)\b""")
_USER_HTML = re.compile(r"""<section\s+class=["']profile["']|class=["']labelled_grid["']""")
_USER_GONE = re.compile(r"If this user used to exist, they changed their username")


def reference_kind(text: str) -> str:
    """``detect_checked`` of an HTML body, as the three regexes alone say."""
    if _STORY_HTML.search(text):
        return "story-html"
    if _USER_HTML.search(text):
        return "user-html"
    if _LISTING_HTML.search(text):
        return "listing-html"
    return "unknown"


def reference_check(text: str) -> tuple[str, str, int | None] | None:
    """``check_body``'s raise (class, message, status) as the regexes alone say."""
    head = text[:2000]
    if not text or text.isspace():
        return "TruncatedPage", "empty body", None
    if errors._THROTTLE.match(head):
        return "ThrottledPage", "the site asks to slow down (rate limit)", None
    m = errors._STATIC.search(head)
    if m is not None:
        return ("ServerErrorPage", f"the site's HTTP {m.group(1)} error page ({m.group(2)})",
                int(m.group(1)))
    if text.lstrip()[:1] in ("{", "["):
        return None
    body = text[:200_000]
    gone = errors._STORY_GONE.search(body)
    if gone is not None:
        return "NoSuchItem", f"the story was removed by {gone.group(1)}", None
    if errors._NOT_FOUND.search(body):
        return "NoSuchItem", "the site's 404 page: no such story, user or page", None
    if _USER_GONE.search(body):
        return "NoSuchItem", "no such user (renamed or never existed)", None
    return None


def checked(text: str) -> tuple[str, str, int | None] | None:
    try:
        check_body(text, url="")
    except (ServerErrorPage, NoSuchItem, ThrottledPage, TruncatedPage) as err:
        return type(err).__name__, err.reason, getattr(err, "status", None)
    except ParseError as err:  # pragma: no cover - a kind the reference never names
        return type(err).__name__, err.reason, None
    return None


def assert_same(text: str) -> None:
    assert checked(text) == reference_check(text), text[:300]
    if text.lstrip()[:1] not in ("{", "["):
        assert detect_checked(text) == reference_kind(text), text[:300]


# Landmarks whole, cut short, with the other quote, the wrong spacing or the wrong word:
# the pre-tests see these literals, and only the regexes may say what they are.
PIECES = [
    '<div id="story_comments">', "<ol id='story_comments' >", 'id="story_comments',
    "story_comments'", 'class="comments_subtree">', "class='comments_subtree ",
    "comments_subtree", 'class="story_text">', "class='story_text'", 'class="story_texts"',
    "_text'", "story_text", '<section class="profile">', "<section\n  class='profile'>",
    '<section class="profiles">', "<section", '<section  class="profile"', "profile",
    'class="labelled_grid">', "class='labelled_grid'", "labelled_grid", "_grid'",
    'class="labelled_grids"', '<ol class="stories">', "<ol\tclass='search_results'>",
    '<ol class="storiesx">', '<ol class="stories list">', "mobile_comments", "story_",
    '<h1 class="title">404</h1>', "<h1 class='title'>\n 404 \n</h1>", '<h1 class="title">',
    '<h1 class="title"> 4044</h1>', "<h1 class=", "<h1 class=<h1 class=\"title\">404</h1>",
    '<div class="box"><p>Story removed by a moderator', "<div class='box'>\n<p> Story was "
    "removed by submitter", '<div class="box"><p>Story removed by someone', "removed by ",
    "If this user used to exist, they changed their username",
    "If this user used to exist, they changed", "<title>Lobsters HTTP 500 status: x</title>",
    "Retry later", "Throttled, sleep(1) between hits", "\u00e9\u4e2d", "\U0001f600", "_", "'",
    '"', "=", "<", " ", "\n", "{", "[",
]


def random_page(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) if rng.random() < 0.6 else
                   "".join(rng.choice("ab_<>='\" \n\u00e9") for _ in range(rng.randint(1, 9)))
                   for _ in range(rng.randint(0, 12)))


def corpus_pages() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(corpus_dir("lobsters").glob("*.*"))
            if p.suffix in (".html", ".json")]


def test_the_corpus_pages_get_the_reference_verdicts() -> None:
    pages = corpus_pages()
    assert pages
    for page in pages:
        assert_same(page)


def test_random_pages_get_the_reference_verdicts() -> None:
    rng = random.Random(14)
    for _ in range(20_000):
        assert_same(random_page(rng))


def test_landmarks_spliced_into_real_pages_get_the_reference_verdicts() -> None:
    rng = random.Random(3)
    pages = [p for p in corpus_pages() if p.lstrip()[:1] == "<"]
    for _ in range(3_000):
        page = rng.choice(pages)
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(page))
            page = page[:at] + random_page(rng) + page[at:]
        assert_same(page)


@pytest.mark.parametrize("cut", [0, 1, 2, 5, 9, 15, 16])
def test_a_landmark_at_the_page_start_is_found(cut: int) -> None:
    # The hint's match minus its offset may fall before the page: never tried there.
    for piece in PIECES:
        assert_same(piece[cut:])
        assert_same(piece[cut:] + "<p>x</p>")


def test_detect_still_tells_the_walls_apart() -> None:
    assert detect("Retry later\n") == "error"
    assert detect("<title>Lobsters HTTP 502 status: bad gateway</title>") == "error"
    assert detect('<div><h1 class="title">404</h1></div>') == "error"
    assert detect('<html><ol class="stories"><li>x</li></ol></html>') == "listing-html"
    assert detect("<html><p>log in to see this</p></html>") == "unknown"
