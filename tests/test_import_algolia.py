"""`linkthread import` of a saved Algolia item response (hn.algolia.com/api/v1/items/ID):
its comments enter with source "algolia", their order marked as Algolia's, its text in
the page's form. A generated response always runs; the corpus's real one skips when
the corpus is absent."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from scraper.parsers import hn
from scraper.parsers.hn.algolia import page_html, parse_algolia_item
from tests import hnpages
from tests.conftest import rows
from tests.corpus import corpus_file, corpus_text
from tests.firebase import STORY_TIME, _time_of
from tests.test_import import FETCHED, run_import, write

STORY = "7000"


def algolia_form(thread: hnpages.GenThread, seed: int = 3) -> dict[str, Any]:
    """The response Algolia gives for a generated thread: children shuffled (its sort is
    by points), paragraphs each wrapped in <p>, deleted comments reduced to {id, children}."""
    rng = random.Random(seed)

    def node(c: hnpages.GenComment) -> dict[str, Any]:
        kids = [node(k) for k in c.children]
        rng.shuffle(kids)
        if c.deleted:
            return {"id": int(c.id), "children": kids}
        return {"id": int(c.id), "created_at_i": _time_of(c), "type": "comment",
                "author": c.author, "text": "<p>" + c.text.replace("<p>", "</p><p>") + "</p>",
                "points": None, "parent_id": int(c.parent_id or thread.story_id),
                "story_id": int(thread.story_id), "children": kids}

    roots = [node(c) for c in thread.roots]
    rng.shuffle(roots)
    return {"id": int(thread.story_id), "created_at_i": STORY_TIME, "type": "story",
            "author": thread.author, "title": thread.title, "url": None, "text": None,
            "points": thread.score, "children": roots}


def test_page_html_puts_back_the_pages_paragraphs() -> None:
    assert page_html("<p>one</p><p>two <i>x</i></p>") == "one<p>two <i>x</i>"
    assert page_html("<p>sequential numbering\n  I must be bored</p>") == \
        "sequential numbering\n  I must be bored"
    assert page_html(None) is None
    assert page_html("") is None


def test_a_saved_algolia_response_imports_with_its_source_and_order(tmp_path: Path) -> None:
    thread = hnpages.random_thread(60, seed=8, story_id=STORY)
    saved = write(tmp_path / "items" / STORY, json.dumps(algolia_form(thread)))
    db = tmp_path / "a.db"

    result = run_import(saved, "--fetched-at", FETCHED, "--db", db)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("imported 1 thread(s), 60 comments, from 1 file(s)")
    # The same comments, under the same parents, with the page's text and exact times
    # (none for a deleted one, reduced to its id); the positions are Algolia's order,
    # which the story says.
    page = hn.parse_thread(hnpages.site_pages(thread)[f"/item?id={STORY}"],
                           url=f"https://news.ycombinator.com/item?id={STORY}",
                           fetched_at=hnpages.FETCHED_AT)
    assert rows(db, "select id, parent_id, depth, author, created_at, text, deleted, source"
                    " from comments order by cast(id as integer)") == sorted(
        ((c.id, c.parent_id, c.depth, c.author, None if c.deleted
          else c.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"), c.text, int(c.deleted), "algolia")
         for c in page.comments), key=lambda r: int(r[0]))
    assert rows(db, "select id, score, extra, source from stories") == [
        (STORY, thread.score, '{"comment_order":"points"}', "algolia")]
    assert rows(db, "select url from pages") == [
        (f"https://hn.algolia.com/api/v1/items/{STORY}",)]


def test_a_later_page_crawl_says_the_order_is_the_pages_again(tmp_path: Path) -> None:
    thread = hnpages.random_thread(20, seed=9, story_id=STORY)
    saved = write(tmp_path / "a.json", json.dumps(algolia_form(thread)))
    page = write(tmp_path / "page.html", hnpages.site_pages(thread)[f"/item?id={STORY}"])
    db = tmp_path / "a.db"

    assert run_import(saved, "--fetched-at", "2026-01-14T11:00:00Z", "--db", db).exit_code == 0
    assert run_import(page, "--fetched-at", FETCHED, "--db", db).exit_code == 0

    assert rows(db, "select extra, source from stories") == [
        ('{"comment_order":"display"}', "algolia,import")]


def test_a_response_that_is_not_a_story_is_one_line(tmp_path: Path) -> None:
    saved = write(tmp_path / "c.json", json.dumps(
        {"id": 9, "created_at_i": 1, "type": "comment", "children": []}))

    result = run_import(saved, "--db", tmp_path / "a.db")

    assert result.exit_code == 1
    assert "the item is a 'comment', not a story" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_corpus_response_against_its_page() -> None:
    text = corpus_text("hn", "algolia-item-1.json")
    thread = parse_algolia_item(text, url="https://hn.algolia.com/api/v1/items/1",
                                fetched_at=hnpages.FETCHED_AT)
    page = hn.parse_thread(corpus_text("hn", "item-1.html"),
                           url="https://news.ycombinator.com/item?id=1",
                           fetched_at=hnpages.FETCHED_AT)
    ours = {c.id: c for c in thread.comments}
    theirs = {c.id: c for c in page.comments}

    assert (len(ours), thread.story.score, thread.comment_order) == (20, 61, "points")
    # What the two disagree on (SOURCES.tsv): the deleted 234591 only Algolia has; the
    # dead 454424 and 454426 the page lists at the top level, Algolia under 15 and 17.
    assert set(ours) - set(theirs) == {"234591"}
    assert ours["234591"].deleted and ours["234591"].author is None
    moved = {i: (ours[i].parent_id, theirs[i].parent_id) for i in set(ours) & set(theirs)
             if ours[i].parent_id != theirs[i].parent_id}
    assert moved == {"454424": ("15", None), "454426": ("17", None)}
    # Where both have a text, it is the same text once Algolia's <p> wrapping is undone.
    same = [i for i in set(ours) & set(theirs) if ours[i].text and theirs[i].text]
    assert len(same) >= 15
    assert all(ours[i].text == theirs[i].text for i in same)
    # Exact times: the page shows "on Oct 9, 2006"-style days; Algolia the second.
    assert ours["15"].created_at_raw == "1160423461"
    assert corpus_file("hn", "algolia-item-1.json").stat().st_size > 0
