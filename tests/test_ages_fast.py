"""The quick readings of HN's age texts and titles give what the regex reading gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from scraper.parsers import ages

AT = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


def _by_regex(title: str) -> datetime | None:
    m = ages._TITLE.fullmatch(title)
    if m is None:
        return None
    try:
        if m["epoch"]:
            return datetime.fromtimestamp(int(m["epoch"]), UTC)
        return ages.as_utc(datetime.fromisoformat(m["iso"]))
    except (ValueError, OverflowError, OSError):
        return None


def test_age_titles_read_as_the_regex_reads_them() -> None:
    rng = random.Random(14)
    pieces = ["2025", "-", "05", "15", "T", "13:56:47", ".5", " ", "  ", "\t", "1747317407",
              "174731740", "17473174071", "999999999999", "Z", "+02:00", "x", "٣", "²", ":"]
    titles = ["2025-05-15T13:56:47 1747317407", "2023-02-21T20:35:07", " 2025-05-15T13:56:47 "
              "1747317407 ", "2025-05-15T13:56:47  1747317407", "9999-99-99T99:99 99999999999"]
    for _ in range(5000):
        titles.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 9))))
        base = "2025-05-15T13:56:47 1747317407"
        k = rng.randrange(len(base))
        titles.append(base[:k] + rng.choice(pieces) + base[k + 1:])
    for title in titles:
        assert ages.parse_age_title(title) == _by_regex(title), title


def test_age_texts_read_once_a_page_read_as_each_alone() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        n = rng.choice(["1", "0", "12", "99999999999", "368"])
        unit = rng.choice(["minute", "hour", "day", "month", "year", "week"])
        date = rng.choice(["on Oct 9, 2006", "on July 11, 2014", "on Foo 1, 2000",
                           "on Feb 30, 2001"])
        text = rng.choice([f"user {n} {unit}s ago | link", f"user {n} {unit} ago", date,
                           f"x {date} | parent", "no age here"])
        at = AT - timedelta(days=rng.randrange(3))
        m = ages.find_age_text(text)
        expected = (None, None) if m is None else (ages.resolve_age_text(m, at), m.group(0))
        assert ages.parse_age(None, text, at) == expected, text
