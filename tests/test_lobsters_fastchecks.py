"""The two checks an unchanged Lobsters story passes before it is taken as unchanged,
each held to the slower check it replaces (scraper/spiders/lobsters.py):

* ``holds_object_member`` finds a profile (a JSON object as a member's value) in every
  body where the regular expression it replaced (``"\\s*:\\s*\\{``) did: it may send
  more bodies to the parser, never fewer;
* the soft-error check of a long JSON body reads its decoded head only, and says what
  the check of the whole decoded text says.
"""

from __future__ import annotations

import json
import random
import re

import pytest
from scrapy.http import TextResponse

from scraper.parsers.lobsters.errors import check_body
from scraper.spiders.args import retry_reason
from scraper.spiders.lobsters import LobstersSpider, holds_object_member
from tests.corpus import corpus_dir
from tests.lobsterspages import Node, story_json
from tests.test_lobsters_revisits import OLD_FORM, V1, V2

REGEX = re.compile(rb'"\s*:\s*\{')  # what the spider searched for before
URL = "https://lobste.rs/s/abc123.json"


def generated() -> list[bytes]:
    bodies = [b.encode() for b in (V1, V2, OLD_FORM)]
    bodies += [json.dumps(json.loads(b), indent=2).encode() for b in bodies]
    bodies.append(story_json([Node(f"c{i:05d}", user="u", text=t) for i, t in enumerate(
        ("a: {b}", 'x":{', "{:}", "::{{", ": \n {"))]).encode())  # fmt: skip
    return bodies


def test_a_profile_is_found_wherever_the_regex_found_one() -> None:
    bodies = generated()
    bodies += [p.read_bytes() for p in sorted(corpus_dir("lobsters").glob("*.json"))]
    for body in bodies:
        assert holds_object_member(body) == bool(REGEX.search(body)), body[:200]
    rng = random.Random(7)
    for _ in range(3000):
        body = bytes(rng.choice(b'{}:" \n\ta,[]') for _ in range(rng.randrange(1, 40)))
        if REGEX.search(body):
            assert holds_object_member(body), body


def response(body: bytes, *, content_type: str = "application/json; charset=utf-8"
             ) -> TextResponse:
    return TextResponse(URL, body=body, headers={"Content-Type": content_type})


def long_json(head: str = "") -> bytes:
    return story_json([Node(f"c{i:05d}", user="u", text=f"{head}Comment {i} é ✓ 𝄞")
                       for i in range(300)]).encode()


@pytest.mark.parametrize("body, content_type", [
    (long_json(), "application/json; charset=utf-8"),
    (b"  \n" + long_json(), "application/json; charset=utf-8"),
    (b"\xef\xbb\xbf" + long_json(), "application/json; charset=utf-8"),  # a BOM
    (long_json("<title>Lobsters HTTP 502 status: Bad Gateway</title>"), "application/json"),
    (long_json("Throttled, sleep(1) between hits"), "application/json; charset=utf-8"),
    (long_json().decode().encode("utf-16-le"), "application/json; charset=utf-16-le"),
    (long_json().decode().encode("latin-1", "replace"), "application/json; charset=latin-1"),
    (long_json()[:9000], "application/json; charset=utf-8"),  # cut in a character
    (b"{}", "application/json"),
    (b" " * 9000, "application/json"),
    (b"Throttled, sleep(1) between hits" + b"." * 9000, "text/plain"),
])  # fmt: skip
def test_a_long_json_body_is_checked_by_its_head_as_by_its_whole_text(
        body: bytes, content_type: str) -> None:
    spider = LobstersSpider(items="abc123")
    got = response(body, content_type=content_type)
    whole = response(body, content_type=content_type)
    assert spider.soft_error(got) == retry_reason(lambda: check_body(whole.text, url=URL))


def test_every_corpus_page_is_checked_as_by_its_whole_text() -> None:
    spider = LobstersSpider(items="abc123")
    for path in sorted(corpus_dir("lobsters").iterdir()):
        kind = "application/json" if path.suffix == ".json" else "text/html"
        body = path.read_bytes()
        whole = response(body, content_type=kind).text
        assert spider.soft_error(response(body, content_type=kind)) == retry_reason(
            lambda: check_body(whole, url=URL)), path.name  # noqa: B023
