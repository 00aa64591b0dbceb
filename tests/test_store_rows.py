"""The store's row helpers against the slow forms they stand in for."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from archive.rows import iso_utc


def reference(value: datetime) -> str:
    # The form the archive always stored: isoformat to the second, "Z" for "+00:00".
    return value.astimezone(UTC).isoformat(timespec="seconds")[:-6] + "Z"


EDGES = [datetime(1, 1, 1, tzinfo=UTC), datetime(999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
         datetime(1970, 1, 1, tzinfo=UTC), datetime(2006, 10, 9, 18, 21, 51, 500_000, tzinfo=UTC),
         datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
         datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-5))),
         datetime(2026, 1, 1, 0, 0, 30, tzinfo=timezone(timedelta(hours=14)))]


@pytest.mark.parametrize("value", EDGES, ids=str)
def test_iso_utc_is_isoformat_to_the_second(value: datetime) -> None:
    assert iso_utc(value) == reference(value)


def test_iso_utc_over_random_times() -> None:
    rng = random.Random(14)
    start = datetime(1, 1, 1, tzinfo=UTC)
    span = (datetime(9999, 12, 30, tzinfo=UTC) - start).total_seconds()
    for _ in range(20_000):
        value = start + timedelta(seconds=rng.uniform(0, span))
        zone = timezone(timedelta(minutes=rng.randrange(-12 * 60, 14 * 60 + 1)))
        assert iso_utc(value) == reference(value)
        assert iso_utc(value.astimezone(zone)) == reference(value)


def test_iso_utc_refuses_a_naive_time_and_passes_none() -> None:
    assert iso_utc(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        iso_utc(datetime(2026, 1, 1))


def test_a_fetched_page_carries_its_bodys_sha256_and_a_replaced_body_its_own() -> None:
    import hashlib
    from dataclasses import replace

    from archive.models import FetchedPage
    from archive.revisits import body_sha256, page_set

    page = FetchedPage(site="hn", url="https://news.ycombinator.com/item?id=1",
                       fetched_at=datetime(2026, 1, 1, tzinfo=UTC), status=200, body=b"<p>a")
    assert page.sha256 == hashlib.sha256(b"<p>a").hexdigest() == body_sha256(page.body)
    other = replace(page, body=b"<p>b")
    assert other.sha256 == hashlib.sha256(b"<p>b").hexdigest()
    assert page_set([page, other]) == ((page.url, page.sha256), (page.url, other.sha256))
    assert replace(page, status=503) == replace(page, status=503)  # compared as before
    assert "sha256" not in repr(page)
