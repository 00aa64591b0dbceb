"""``lobsters.common.domain_of`` (``hosts.domain``): its reading of a plain http(s) host
without urlsplit gives urlsplit's hostname (without "www."), for every link of the
corpus and random ones."""

from __future__ import annotations

import json
import random
from urllib.parse import urlsplit

from scraper.parsers.lobsters.common import domain_of
from tests.corpus import corpus_dir


def _reference(url: str | None) -> str | None:
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else None


def test_corpus_links() -> None:
    seen = 0
    for path in sorted(corpus_dir("lobsters").glob("*.json")):
        obj = json.loads(path.read_text(encoding="utf-8"))
        for row in obj if isinstance(obj, list) else [obj]:
            if isinstance(row, dict) and isinstance(row.get("url"), str):
                seen += 1
                assert domain_of(row["url"]) == _reference(row["url"]), row["url"]
    assert seen > 50


def test_random_links() -> None:
    rng = random.Random(11)
    heads = ["http://", "https://", "HTTPS://", "ftp://", " https://", "https:/", "//", ""]
    hosts = ["x.org", "www.x.org", "WWW.X.ORG", "a-b.c", "", "x.org:80", "u@x.org", "[::1]",
             "x%2e.org", "é.org", "x\t.org", "x.org\n", "1.2.3.4", "www.", "www"]
    tails = ["", "/", "/a", "?q", "#f", ":8080/", "/a\r", "\\x", " ", "a"]
    for _ in range(20000):
        url = rng.choice(heads) + rng.choice(hosts) + rng.choice(tails)
        assert domain_of(url) == _reference(url), repr(url)
    assert domain_of(None) is None and domain_of("") is None
