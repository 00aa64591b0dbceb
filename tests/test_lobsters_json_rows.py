"""The rows of a JSON listing read straight into entries give what the full Story
reading (``story_json.story_from_json``, then the listing's entry of it) gave."""

from __future__ import annotations

import json
import random

import pytest

from scraper.parsers.errors import ParseError
from scraper.parsers.hosts import domain
from scraper.parsers.lobsters import common, listing
from scraper.parsers.lobsters.json_rows import json_entries
from scraper.parsers.lobsters.story_json import story_from_json
from tests.corpus import corpus_dir

URL = "https://lobste.rs/t/x.json"


def _reference(rows: list[object], offset: int) -> object:
    try:
        return tuple(listing._entry(story_from_json(r, url=URL), offset + i + 1)
                     for i, r in enumerate(rows))
    except ParseError as exc:
        return f"{type(exc).__name__}: {exc}"


def _ours(rows: list[object], offset: int) -> object:
    try:
        return json_entries(rows, offset, url=URL)  # type: ignore[arg-type]
    except ParseError as exc:
        return f"{type(exc).__name__}: {exc}"


def test_corpus_listings_read_alike() -> None:
    seen = 0
    for path in sorted(corpus_dir("lobsters").glob("*.json")):
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            continue
        assert _ours(rows, 25) == _reference(rows, 25), path.name
        seen += 1
    assert seen >= 3


LINKS = ["https://example.com/a", "http://WWW.Example.COM", "https://www.x.org?q=1",
         "https://x.org#f", "https://user@x.org/", "https://x.org:8080/p", "https://[::1]/",
         "https://x.org%25Zone/", "HTTPS://X.org/", "https://x\t.org/", " https://x.org/",
         "https://ex\u00e4mple.com/", "ftp://x.org/", "https:///path", "https://", "x.org",
         "https://x.org\\y/z", "//x.org/p", "https://x.org/\n"]


@pytest.mark.parametrize("link", LINKS)
def test_domain_is_domain_of(link: str) -> None:
    try:
        expected: object = common.domain_of(link)
    except ValueError as exc:
        expected = type(exc)
    try:
        got: object = domain(link)
    except ValueError as exc:
        got = type(exc)
    assert got == expected


def test_odd_rows_read_alike() -> None:
    """Rows of every shape the checks tell apart, and their errors, in random pages."""
    values: dict[str, list[object]] = {
        "short_id": ["abc123", "ABC", "", None, 5, "x" * 13, "ok"],
        "title": ["A title", "", None, 3, ["t"]],
        "url": ["https://www.a.com/x", "", None, 7, "http://b.org:81/", "not a url"],
        "tags": [["ask"], ["show", "rust"], [], None, "ask", [1], ["programming"]],
        "created_at": ["2023-01-02T03:04:05.000-06:00", "2023-01-02T03:04:05", "", None,
                       "yesterday", 17],
        "score": [3, None, "3", 2.5, True],
        "comment_count": [0, 12, None, "1"],
        "submitter_user": ["alice", "", None, {"username": "bob"}, {"username": ""}, 4],
        "description": ["<p>hi</p>", "", None],
    }
    rng = random.Random(5)
    for _ in range(1000):
        rows: list[object] = []
        for _ in range(rng.randint(0, 4)):
            if rng.random() < 0.03:
                rows.append(rng.choice([None, "abc", [1]]))
                continue
            # The first value of each is a good one, half the time: most rows get far.
            rows.append({k: v[0] if rng.random() < 0.5 else rng.choice(v)
                         for k, v in values.items() if rng.random() < 0.95})
        assert _ours(rows, 0) == _reference(rows, 0), rows


def test_hostname_and_join_are_urllibs() -> None:
    """``hosts.hostname`` is ``urlsplit(...).hostname`` and ``hosts.joined`` is
    ``urljoin``, on links built at random from the pieces their fast paths test."""
    from urllib.parse import urljoin, urlsplit

    from scraper.parsers.hosts import hostname, joined

    pieces = ["https://", "http://", "HTTPS://", "//", "/", "~", "u/", "s/", "x.org",
              "WWW.X.Org", "a@", ":80", "[::1]", "%25z", "?", "q=1", "#", "f", ";p", " ",
              "\t", "\n", "\u00e4", "..", "", "lobste.rs", "abc"]
    rng = random.Random(9)
    bases = ["https://lobste.rs/", "https://lobste.rs/page/2", "http://lobste.rs/",
             "https://[bad/"]
    for _ in range(5000):
        link = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        pairs = [(hostname, lambda s: urlsplit(s).hostname)]
        pairs += [(lambda s, b=b: joined(b, s), lambda s, b=b: urljoin(b, s)) for b in bases]
        for fast, slow in pairs:
            try:
                expected: object = slow(link)
            except ValueError as exc:
                expected = type(exc)
            try:
                got: object = fast(link)
            except ValueError as exc:
                got = type(exc)
            assert got == expected, link
