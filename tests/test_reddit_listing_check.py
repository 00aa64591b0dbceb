"""The old.reddit listing's check of its body (``html._check_listing``) raises where
``errors.check_text`` raises, with the same error, and passes where it passes: on the
corpus's pages and on long pages holding the error pages' phrases in any case."""

from __future__ import annotations

import random

from scraper.parsers.errors import ParseError
from scraper.parsers.reddit import html
from scraper.parsers.reddit.errors import check_text
from tests.corpus import corpus_dir

URL = "https://old.reddit.com/r/x/"
PHRASES = ["whoa there, pardner!", "whoa there,pardner", "blocked by network security",
           "log in to your Reddit account or use your developer token", "network", "pardner",
           "developer token", "<h1>403 Forbidden</h1>", "nothing at all"]


def _outcome(check: object, text: str) -> object:
    try:
        check(text, url=URL) if check is check_text else check(text, URL)  # type: ignore[operator]
    except ParseError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _odd_case(phrase: str, rng: random.Random) -> str:
    # Each letter in either case, and i / s now and then as the letters re.I also takes.
    out = []
    for c in phrase:
        c = c.upper() if rng.random() < 0.5 else c
        if c in "iI" and rng.random() < 0.3:
            c = rng.choice(["\u0131", "\u0130"])
        elif c in "sS" and rng.random() < 0.3:
            c = "\u017f"
        elif c in "kK" and rng.random() < 0.3:
            c = "\u212a"
        out.append(c)
    return "".join(out)


def test_the_check_is_check_text() -> None:
    pages = [p.read_text(encoding="utf-8") for p in sorted(corpus_dir("reddit").glob("*"))
             if p.suffix in (".html", ".json")]
    rng = random.Random(4)
    filler = "<div>" + "x " * 1500 + "</div>"
    for _ in range(600):
        parts = [rng.choice(["", filler, filler * 30, "<html>", "   "])]
        for _ in range(rng.randint(0, 2)):
            parts.append(_odd_case(rng.choice(PHRASES), rng))
            parts.append(rng.choice(["", filler, filler * 25]))
        pages.append("".join(parts))
    for text in pages:
        assert _outcome(html._check_listing, text) == _outcome(check_text, text)
