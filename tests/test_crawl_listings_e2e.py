"""End to end: listings, the threads on them, profiles and history, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import hnpages
from tests.conftest import rows, run_linkthread
from tests.server import SiteServer

pytestmark = pytest.mark.e2e


def front(site: SiteServer, order: list[str], scores: dict[str, int | None]) -> None:
    """Serve /news and /news?p=2 listing the given story ids in this order."""
    stories = [hnpages.GenStory(id=i, title=f"Story {i}", score=scores[i], comments=3,
                                author=None if scores[i] is None else "poster")
               for i in order]
    site.routes["/news"] = hnpages.listing_page(stories[:10], next_href="?p=2")
    site.routes["/news?p=2"] = hnpages.listing_page(stories[10:], first_rank=11,
                                                    next_href="?p=3")
    site.routes["/news?p=3"] = hnpages.listing_page([], first_rank=21)


def test_front_pages_and_every_thread_on_them(site: SiteServer, tmp_path: Path) -> None:
    ids = [str(50_000 + 100 * k) for k in range(20)]
    scores: dict[str, int | None] = {i: 100 - k for k, i in enumerate(ids)}
    scores[ids[7]] = None  # a job ad: no score, no author
    front(site, ids, scores)
    for i in ids:
        site.routes.update(hnpages.site_pages(hnpages.random_thread(3, seed=int(i),
                                                                    story_id=i)))
    db = tmp_path / "hn.db"

    result = run_linkthread("crawl", "hn", "front", "--pages", "2", "--threads",
                            "--db", str(db), base_url=site.base_url)

    assert result.returncode == 0, result.stderr[-3000:]
    assert site.hits("/news?p=3") == 0, "--pages 2 reads two pages, no more"
    snap = rows(db, "select listing, page, rank, story_id, score from listing_snapshots "
                    "order by rank")
    assert snap == [("news", 1 + k // 10, k + 1, i, scores[i]) for k, i in enumerate(ids)]
    assert rows(db, "select count(distinct story_id) from comments") == [(20,)]
    assert rows(db, "select count(*) from comments") == [(60,)]
    assert rows(db, "select count(*) from stories") == [(20,)]


def test_three_visits_give_three_points_of_history(site: SiteServer, tmp_path: Path) -> None:
    ids = [str(7000 + k) for k in range(12)]
    db = tmp_path / "hn.db"
    watched = ids[5]
    for visit in range(3):
        order = ids[visit:] + ids[:visit]  # the watched story climbs one rank a visit
        scores: dict[str, int | None] = {i: 10 * (visit + 1) + k for k, i in enumerate(ids)}
        front(site, order, scores)
        result = run_linkthread("crawl", "hn", "front", "--db", str(db),
                                base_url=site.base_url)
        assert result.returncode == 0, result.stderr[-3000:]

    result = run_linkthread("history", "hn", watched, "--json", "--db", str(db))

    assert result.returncode == 0, result.stderr
    points = json.loads(result.stdout)
    assert [(p["rank"], p["score"]) for p in points] == [(6, 15), (5, 25), (4, 35)]
    times = [p["seen_at"] for p in points]
    assert times == sorted(times) and len(set(times)) == 3


def test_a_profile(site: SiteServer, tmp_path: Path) -> None:
    site.routes["/user?id=pg"] = hnpages.user_page("pg", karma=157316, about="Bug fixer.")
    db = tmp_path / "hn.db"

    result = run_linkthread("crawl", "hn", "user", "pg", "--db", str(db),
                            base_url=site.base_url)

    assert result.returncode == 0, result.stderr[-3000:]
    assert rows(db, "select site, id, karma, about, created_at from users") == [
        ("hn", "pg", 157316, "Bug fixer.", "2007-02-19T00:00:00Z")]


def test_three_crawls_of_a_changing_thread_show_exactly_its_changes(
        site: SiteServer, tmp_path: Path) -> None:
    thread = hnpages.random_thread(40, seed=21, story_id="8000", edge_cases=False)
    by_id = {c.id: c for c in thread.comments}
    edited, deleted, dead = (thread.comments[k].id for k in (3, 10, 20))
    deleted_text, original = by_id[deleted].text, by_id[edited].text
    db = tmp_path / "hn.db"

    def crawl() -> None:
        site.routes.update(hnpages.site_pages(thread))
        result = run_linkthread("crawl", "hn", "8000", "--db", str(db),
                                base_url=site.base_url)
        assert result.returncode == 0, result.stderr[-3000:]

    crawl()
    by_id[edited].text = "rewritten after the first crawl"
    by_id[deleted].deleted, by_id[deleted].author = True, None
    by_id[dead].dead, by_id[dead].colour = True, "cdd"
    crawl()
    late = hnpages.GenComment(id="9999", depth=0, parent_id=None, author="late",
                              text="a new top-level comment", age_minutes=2)
    thread.comments.append(late)
    by_id[edited].text = "rewritten twice"
    crawl()

    result = run_linkthread("changes", "hn", "8000", "--json", "--db", str(db))
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)
    crawls = sorted({c["seen_at"] for c in changes})
    assert len(crawls) == 3
    first, second, third = ([(c["comment_id"], c["change"]) for c in changes
                             if c["seen_at"] == t] for t in crawls)
    assert sorted(first) == sorted((c.id, "added") for c in thread.comments[:40])
    assert sorted(second) == sorted([(edited, "edited"), (deleted, "deleted"), (dead, "dead")])
    assert sorted(third) == sorted([("9999", "added"), (edited, "edited")])
    assert rows(db, "select deleted, text from comments where id=?", deleted) == [
        (1, deleted_text)]
    assert rows(db, "select change, text from comment_versions where comment_id=? "
                    "order by seen_at", edited) == [
        ("added", original), ("edited", "rewritten after the first crawl"),
        ("edited", "rewritten twice")]


def test_gaps_lists_a_thread_that_declares_more_than_was_archived(
        site: SiteServer, tmp_path: Path) -> None:
    whole = hnpages.random_thread(10, seed=1, story_id="8100", edge_cases=False)
    short = hnpages.random_thread(10, seed=2, story_id="8200", edge_cases=False)
    site.routes.update(hnpages.site_pages(whole))
    site.routes.update(hnpages.site_pages(short, declared=14))
    db = tmp_path / "hn.db"
    assert run_linkthread("crawl", "hn", "8100", "8200", "--db", str(db),
                          base_url=site.base_url).returncode == 0

    result = run_linkthread("gaps", "--json", "--db", str(db))

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [(g["story_id"], g["declared"]) for g in found] == [("8200", 14)]


def test_a_one_shot_fnid_continuation_keeps_its_listing_name(site: SiteServer,
                                                              tmp_path: Path) -> None:
    stories = [hnpages.GenStory(id=str(9000 + k), title=f"S{k}", score=k + 1, comments=0)
               for k in range(6)]
    site.routes["/newest"] = hnpages.listing_page(stories[:3], next_href="/x?fnid=Ab12")
    site.routes["/x?fnid=Ab12"] = hnpages.listing_page(stories[3:], first_rank=4)
    db = tmp_path / "hn.db"

    result = run_linkthread("crawl", "hn", "newest", "--pages", "2", "--db", str(db),
                            base_url=site.base_url)

    assert result.returncode == 0, result.stderr[-3000:]
    assert rows(db, "select listing, page, rank, story_id from listing_snapshots "
                    "order by rank") == [
        ("newest", 1 + k // 3, k + 1, str(9000 + k)) for k in range(6)]
