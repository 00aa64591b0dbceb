"""``jsonload.loads`` gives what ``json.loads`` gives: the same value (types, float bits,
key order) or the same error (type, message, position)."""

from __future__ import annotations

import json
import math
import os
import random
import struct
from pathlib import Path

import pytest

from scraper.parsers.jsonload import _long_number, loads

CORPUS = os.environ.get("LINKTHREAD_CORPUS")


def same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    return a == b


def outcome(fn, text):  # type: ignore[no-untyped-def]
    try:
        return "ok", fn(text)
    except json.JSONDecodeError as e:
        return "error", (type(e), e.msg, e.pos, e.lineno, e.colno)
    except (ValueError, RecursionError) as e:
        return "error", (type(e), str(e))


def check(text: str | bytes) -> None:
    want, got = outcome(json.loads, text), outcome(loads, text)
    if want[0] == "error" and want[1][0] is RecursionError:
        # Deeper than json.loads goes: a JSONDecodeError (a ValueError, what every reader
        # of a page catches), orjson's naming where, past its 1,024 levels.
        assert got[0] == "error" and issubclass(got[1][0], json.JSONDecodeError), text[:80]
        return
    assert want[0] == got[0], (text[:80], want, got)
    if want[0] == "ok":
        assert same(want[1], got[1]), text[:80]
    else:
        assert want == got, text[:80]


ODD = [
    "18446744073709551615", "18446744073709551616", "-9223372036854775808",
    "-9223372036854775809", "-9999999999999999999", "9999999999999999999",
    "[1, 123456789012345678901234567890]", '{"a":-12345678901234567890}', " 1234567890123456789 ",
    '"1234567890123456789012"', '{"u":"https://x/status/1187463865518432256"}',
    "1234567890123456789.5", "1e0000000000000000000005", "-0", "-0.0", "0", "1e400",
    "-1e400", "1e-400", "-1e-400", "NaN", "Infinity", "-Infinity", "[NaN, 1]",
    '"\\ud800"', '"\ud800"', '{"\ud800": 1}', '"\\udc00\\ud800"', '"\\ud83d\\ude00"',
    '"\U0001f600"', "\ufeff{}", "{} ", " \t\n\r{}", "\x0c{}", "\u00a0{}", "{}\x00",
    '"a\x01"', '"a\x7f"', '{"a":1,"a":2,"b":3}', '{"b":1,"a":2,"b":3}', "[1,]", "01", "1.",
    ".5", "1e5", "1E+5", "-", '"\\x"', '"\\u00e9"', "[1 2]", '"\\/"', '{"a" 1}', "tru",
    "true false", "1.0e", "", "\n", '"\\u0000"', "2.2250738585072011e-308", "4.9e-324",
    "2e-324", "1.7976931348623157e308", "1.7976931348623159e308",
    "0.1000000000000000055511151231257827021181583404541015625",
    "1.00000000000000011102230246251565404236316680908203125",
    "1.00000000000000011102230246251565404236316680908203124",
    "9007199254740993", "9007199254740993.0", '{"a":[{"b":null}],"c":true}', "[" * 50,
    "[" * 1025 + "]" * 1025, "[" * 2000 + "]" * 2000, '{"a":' * 1025 + "1" + "}" * 1025,
]


@pytest.mark.parametrize("text", ODD)
def test_odd_texts(text: str) -> None:
    check(text)
    check(text.encode("utf-8", "surrogatepass"))


def test_bytes_json_loads_reads_otherwise() -> None:
    for data in ('{"a": "\u00e9"}'.encode("utf-16"), '[1, "x"]'.encode("utf-32-le"),
                 b"\xef\xbb\xbf[1]", b'"\xed\xa0\x80"', b'"\xff"'):
        check(data)


def test_nested_within_orjson_decodes() -> None:
    # Deeper than json.loads reaches from here, within orjson's 1024 levels: the one
    # difference, documented in the module (a value where json.loads raised).
    text = "[" * 1020 + "]" * 1020
    with pytest.raises(RecursionError):
        json.loads(text)
    value = loads(text)
    for _ in range(1019):
        value = value[0]
    assert value == []


def test_random_doubles_round_trip() -> None:
    rng = random.Random(14)
    for _ in range(20000):
        x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(x):
            check(repr(x))
            check(f"[{x!r}, {x:.25e}, {x:.17g}]")


def test_long_mantissas_and_exponents() -> None:
    rng = random.Random(15)
    for _ in range(5000):
        whole = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 18)))
        whole = whole.lstrip("0") or "0"
        frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 60)))
        exp = rng.choice(["", f"e{rng.randint(-330, 330)}", f"E+{rng.randint(0, 40)}"])
        check(f'{{"x": {rng.choice(["", "-"])}{whole}.{frac}{exp}}}')


def test_integers_of_every_length() -> None:
    rng = random.Random(16)
    for digits in range(1, 40):
        for _ in range(30):
            n = rng.randrange(10 ** (digits - 1), 10 ** digits)
            for text in (str(n), f"-{n}", f'{{"k": {n}}}', f"[0,\n -{n}]", f'["{n}"]'):
                check(text)


def _hostile(rng: random.Random, depth: int = 0) -> str:
    kind = rng.randrange(9 if depth < 6 else 5)
    if kind == 0:
        return rng.choice(["true", "false", "null", "NaN", "-Infinity", "1e400", "-0"])
    if kind == 1:
        return str(rng.choice([rng.randrange(-10**25, 10**25), rng.randrange(-10**6, 10**6)]))
    if kind == 2:
        return repr(rng.uniform(-1e300, 1e300))
    if kind in (3, 4):
        chars = [rng.choice(['\\"', "\\\\", "\\n", "\\u00e9", "\\ud800", "\\udfff\\ud83d",
                             "\\ud83d\\ude00", "\u2019", "\U0001f600", "\ud800", "a", " ",
                             "\x01", "1234567890123456789", "\\/", "\\x"])
                 for _ in range(rng.randrange(6))]
        return '"' + "".join(chars) + '"'
    if kind in (5, 6):
        items = [_hostile(rng, depth + 1) for _ in range(rng.randrange(4))]
        return "[" + rng.choice([",", ", ", ",\n "]).join(items) + "]"
    keys = [_hostile(rng, 99) if rng.random() < 0.1 else f'"k{rng.randrange(4)}"'
            for _ in range(rng.randrange(4))]
    return "{" + ",".join(f"{k}:{_hostile(rng, depth + 1)}" for k in keys) + "}"


def test_generated_hostile_texts() -> None:
    rng = random.Random(17)
    for _ in range(4000):
        text = _hostile(rng)
        if rng.random() < 0.2:  # cut, or a byte changed
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(["", "}", "]", ",", " ", "\ufeff", "x"]) + \
                text[at + rng.randrange(2):]
        check(rng.choice(["", " ", "\n", "\ufeff"]) + text + rng.choice(["", " ", "\r\n"]))


def test_long_number_search() -> None:
    rng = random.Random(18)
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(12, 24)))
        prefix = "".join(rng.choice('ab:,[ \n"-0123456789') for _ in range(rng.randrange(30)))
        text = (prefix + digits + rng.choice(["", ",", "]", "x"])).encode()
        want = any(len(run) >= 19 for run in _token_runs(text))
        assert _long_number(text) == want, text


def _token_runs(data: bytes) -> list[bytes]:
    """Runs of digits that start a token as _long_number reads one (the reference)."""
    runs, at = [], 0
    while at < len(data):
        if chr(data[at]).isdigit() and data[at:at + 1].isdigit():
            end = at
            while end < len(data) and data[end:end + 1].isdigit():
                end += 1
            before = at - 1 if at and data[at - 1:at] == b"-" else at
            if before == 0 or data[before - 1:before] in (b":", b",", b"[", b" ", b"\t",
                                                          b"\n", b"\r"):
                runs.append(data[at:end])
            at = end
        else:
            at += 1
    return runs


@pytest.mark.skipif(not CORPUS, reason="LINKTHREAD_CORPUS not set")
def test_every_corpus_json_file() -> None:
    files = sorted(Path(CORPUS or ".").rglob("*.json"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        check(text)
        check(path.read_bytes())


def test_dump_lines_read_as_json_loads() -> None:
    from scraper.importers.reddit_dump_rows import loads as dump_loads

    for line in (b'{"id": "a", "n": -9223372036854775809}', b'{"id": "a", "n": 2e400}',
                 b'{"id": "a", "n": 123456789012345678901}', b'{"id": "\\ud800"}'):
        want, got = json.loads(line), dump_loads(line)
        assert same(want, got), line


def test_a_dump_keeps_a_number_below_64_bits_whole(tmp_path: Path) -> None:
    # Through the importer: -2**63 - 1 has 19 digits, which the dump's own test of long
    # numbers (20 digits) let orjson read as -9.223372036854776e+18.
    from tests.conftest import rows
    from tests.test_import import run_import

    low = "-9223372036854775809"
    dump = tmp_path / "low_comments.ndjson"
    dump.write_text(json.dumps({
        "id": "c1", "link_id": "t3_post", "parent_id": "t3_post", "body": "text",
        "author": "a", "created_utc": 1_700_000_000, "retrieved_on": 1_700_000_060,
        "subreddit": "python", "edited": int(low), "gilded": int(low)}) + "\n")
    db = tmp_path / "low.db"
    result = run_import(dump, "--db", db)
    assert result.exit_code == 0, result.output
    [(edited, extra)] = rows(db, "select edited_at_raw, extra from comments where id = 'c1'")
    # The extra column's text, not SQLite's reading of it (a real past 64 bits).
    assert (edited, json.loads(extra)["gilded"]) == (low, int(low))


def test_a_reddit_chain_nested_past_json_loads_reads() -> None:
    # ~1,000 levels (5 a comment): json.loads raised RecursionError, which Reddit's
    # reader gave as a ParseError; orjson's value is read as the thread it is.
    from tests.redditpages import comments_page, corpus_readers, generate_thread

    page = json.loads(comments_page(generate_thread(1, seed=1)))
    post = page[0]["data"]["children"][0]["data"]["name"]
    template = page[1]["data"]["children"][0]
    text = '"@replies"'
    for at in range(199, 0, -1):
        data = {**template["data"], "id": f"c{at}", "name": f"t1_c{at}", "depth": at - 1,
                "parent_id": f"t1_c{at - 1}" if at > 1 else post, "replies": "@replies"}
        comment = json.dumps({**template, "data": data})
        listing = '""' if at == 199 else \
            '{"kind": "Listing", "data": {"children": [' + text + "]}}"
        text = comment.replace('"@replies"', listing)
    page[1]["data"]["children"] = ["@top"]
    text = json.dumps(page).replace('"@top"', text)
    with pytest.raises(RecursionError):
        json.loads(text)
    thread = corpus_readers()["comments"](text)
    comments = thread.comments  # type: ignore[attr-defined]
    assert [(c.id, c.parent_id, c.depth) for c in comments] == \
        [(f"c{at}", f"c{at - 1}" if at > 1 else None, at - 1) for at in range(1, 200)]
