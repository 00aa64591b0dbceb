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
from scraper.parsers.lobsters.errors import check_body

Kind = Literal["story-json", "listing-json", "user-json", "story-html", "listing-html",
               "user-html", "error", "unknown"]

# A story page always has its comment list root (even empty) or, for a text post, the text.
_STORY_HTML = re.compile(r"""id=["']story_comments["']|class=["']comments_subtree|"""
                         r"""class=["']story_text["']""")
_LISTING_HTML = re.compile(r"""<ol\s+class=["'](?:stories|search_results)\b""")
_USER_HTML = re.compile(r"""<section\s+class=["']profile["']|class=["']labelled_grid["']""")
_STORY_WORDS = ("story_comments", "comments_subtree", "story_text")
_USER_WORDS = ("profile", "labelled_grid")


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
    start = text.lstrip()[:1]
    if start in ("{", "["):
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
    # Each regex runs only where one of its words occurs: the substring tests cost a
    # tenth of the regexes' scans, which were a fifth of a listing's parse.
    if any(w in text for w in _STORY_WORDS) and _STORY_HTML.search(text):
        return "story-html"
    if any(w in text for w in _USER_WORDS) and _USER_HTML.search(text):
        return "user-html"
    if _LISTING_HTML.search(text):
        return "listing-html"
    return "unknown"
