"""Which kind of Lobsters page a body is, from the body alone (for ``linkthread import``
of saved files, whose URL may say nothing). Cheap: JSON is decoded, HTML only searched
for the landmarks each kind alone has."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Literal

from scraper.parsers.errors import ParseError
from scraper.parsers.lobsters.common import decoded
from scraper.parsers.lobsters.errors import check_body, found_at

Kind = Literal["story-json", "listing-json", "user-json", "story-html", "listing-html",
               "user-html", "error", "unknown"]

# A story page always has its comment list root (even empty) or, for a text post, the text.
_STORY_HTML = re.compile(r"""id=["']story_comments["']|class=["']comments_subtree|"""
                         r"""class=["']story_text["']""")
_LISTING_HTML = re.compile(r"""<ol\s+class=["'](?:stories|search_results)\b""")
_USER_HTML = re.compile(r"""<section\s+class=["']profile["']|class=["']labelled_grid["']""")
# Where a word of _STORY_HTML or _USER_HTML's labelled_grid stands: its underscore, the
# word around it ("story_text" whatever follows it: the listing's story-page test wants
# every one, and _STORY_HTML's match asks for the quote). One scan finds them all (the
# regex's one-character literal prefix is found fast; five ``in`` scans of the words
# cost twice that), and each full regex is tried only where a hit says its match would
# start: this many characters before the underscore (``id="story``, ``class="comments``,
# ``class="story``, ``class="labelled``).
_WORD_HINT = re.compile(r"""_(?:(?<=story_)(?P<comments>comments)["']|"""
                        r"""(?<=comments_)(?P<subtree>subtree)|"""
                        r"""(?<=story_)(?P<text>text)|(?<=labelled_)(?P<grid>grid)["'])""")
_BACK = {"comments": 9, "subtree": 15, "text": 12, "grid": 15}
_PROFILE = re.compile(r"""<section\s+class=["']profile["']""")  # _USER_HTML's other half


def detect(text: str) -> Kind:
    """The page kind; "error" for Lobsters' error pages and throttle answers (which the
    parsers raise on), "unknown" for anything else."""
    try:
        check_body(text, url="")
    except ParseError:
        return "error"
    return detect_checked(text)


def detect_checked(text: str) -> Kind:
    """``detect`` of a body that ``check_body`` has already passed."""
    return detect_words(text)[0]


def detect_words(text: str) -> tuple[Kind, bool]:
    """``detect_checked``, and whether "comments_subtree" or "story_text" occurs in the
    body (True, not looked for, where the kind is JSON or story-html): the listing's
    story-page test looks for those classes only where they occur, and the landmarks'
    scan sees every occurrence on its way."""
    if text.lstrip()[:1] in ("{", "["):
        return _json_kind(text), True
    # Each regex runs only where a literal each of its matches holds occurs: the scans
    # for those cost a tenth of the regexes' own, which were a fifth of a listing's parse.
    story, grid, words = _landmarks(text)
    if story:
        return "story-html", True
    if grid or found_at(text, "<section", _PROFILE):
        return "user-html", words
    if _LISTING_HTML.search(text):
        return "listing-html", words
    return "unknown", words


def _json_kind(text: str) -> Kind:
    try:
        obj = decoded(text)
    except json.JSONDecodeError:
        return "unknown"
    if isinstance(obj, list):
        return "listing-json" if all(isinstance(o, Mapping) and "short_id" in o
                                     for o in obj) else "unknown"
    if isinstance(obj, Mapping):
        if "short_id" in obj and isinstance(obj.get("comments"), list):
            return "story-json"
        if "username" in obj and "short_id" not in obj:
            return "user-json"
    return "unknown"


def _landmarks(text: str) -> tuple[bool, bool, bool]:
    """(``_STORY_HTML`` matches, ``_USER_HTML``'s labelled_grid half matches, "comments_
    subtree" or "story_text" occurs) somewhere in ``text``; the last two are only known
    to be False when the first is False."""
    grid = words = False
    for m in _WORD_HINT.finditer(text):
        word = m.lastgroup or ""
        words = words or word == "subtree" or word == "text"
        start = m.start() - _BACK[word]
        if start < 0:
            continue
        if word == "grid":
            grid = grid or _USER_HTML.match(text, start) is not None
        elif _STORY_HTML.match(text, start) is not None:
            return True, grid, True
    return False, grid, words
