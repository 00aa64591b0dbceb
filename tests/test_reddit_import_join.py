"""`linkthread import` of saved /api/morechildren answers (scraper/importers/join.py,
scraper/importers/reddit.py): placed in their thread as a crawl places them, whether
the thread's comments response is on the same command line or was imported before;
the gap an answer fills is recorded as filled, what is still missing stays a gap, and
an answer with no thread to join is one line, kept raw, nothing stored lost."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.parsers.reddit.thread import ThreadPages, more_stubs
from tests.corpus import corpus_file
from tests.redditpages import (
    Cut,
    GeneratedThread,
    comments_page,
    continue_page,
    generate_thread,
    morechildren_page,
)
from tests.test_import import FETCHED, dump, run_import, write

AT = datetime.fromisoformat(FETCHED).astimezone(UTC)
CUT = Cut(top_limit=12, child_limit=2)


@pytest.fixture
def g() -> GeneratedThread:
    return generate_thread(150, seed=8)


def answers(g: GeneratedThread) -> tuple[str, list[str]]:
    """The thread's comments response and one morechildren answer per stub it holds."""
    first = comments_page(g, CUT)
    stubs = [s for s in more_stubs(first) if not s.is_continue]
    assert len(stubs) >= 2
    return first, [morechildren_page(g, s.children) for s in stubs]


def crawled(first: str, later: list[str]) -> ThreadPages:
    """The thread as a crawl places the same answers."""
    built = ThreadPages()
    built.add(first, url="comments.json")
    for i, text in enumerate(later):
        built.add(text, url=f"more{i}.json")
    return built


def tree(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, parent_id, depth, position, text, gone_at FROM comments"
                            " ORDER BY id").fetchall()  # fmt: skip


def gap(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT story_id, unexpanded, archived + dead + deleted"
                            " FROM thread_crawls ORDER BY seen_at").fetchall()  # fmt: skip


def gaps_line(db: Path) -> str:
    from click.testing import CliRunner

    from archive.cli import cli

    result = CliRunner().invoke(cli, ["gaps", "--site", "reddit", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


def test_answers_on_the_command_line_join_their_thread(tmp_path: Path,
                                                       g: GeneratedThread) -> None:
    first, later = answers(g)
    paths = [write(tmp_path / "saved" / "comments.json", first)]
    paths += [write(tmp_path / "saved" / f"more-{i}.json", t) for i, t in enumerate(later)]
    db = tmp_path / "a.db"
    result = run_import(*paths, "--db", db, "--fetched-at", FETCHED)
    assert result.exit_code == 0, result.output
    want = crawled(first, later).thread(fetched_at=AT)
    assert len(want.comments) == 150
    assert tree(db) == sorted((c.id, c.parent_id, c.depth, c.position, c.text, None)
                              for c in want.comments)
    assert gap(db) == [(g.story_id, 0, 150)]
    assert g.story_id not in gaps_line(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), count(error) FROM pages").fetchone() == (
            1 + len(later), 0)
    before = dump(db)
    again = run_import(*paths, "--db", db, "--fetched-at", FETCHED)
    assert again.exit_code == 0, again.output
    assert dump(db) == before  # importing again adds nothing


def test_a_later_import_fills_the_gap_it_answers(tmp_path: Path, g: GeneratedThread) -> None:
    first, later = answers(g)
    db = tmp_path / "a.db"
    ok = run_import(write(tmp_path / "comments.json", first), "--db", db, "--fetched-at", FETCHED)
    assert ok.exit_code == 0, ok.output
    shown = len(tree(db))
    held = 150 - shown
    assert gap(db) == [(g.story_id, held, shown)]
    assert g.story_id in gaps_line(db)

    # One answer later (at another time), then the rest: each time the same crawl row,
    # the thread grown by what the answer held and the gap smaller by as much.
    filled = [later[0]]
    more = run_import(write(tmp_path / "more-0.json", later[0]), "--db", db,
                      "--fetched-at", "2026-01-15T08:00:00+00:00")  # fmt: skip
    assert more.exit_code == 0, more.output
    want = crawled(first, filled).thread(fetched_at=AT)
    assert tree(db) == sorted((c.id, c.parent_id, c.depth, c.position, c.text, None)
                              for c in want.comments)
    ((_, left, archived),) = gap(db)
    assert archived == len(want.comments) > shown and 0 < left < held
    assert g.story_id in gaps_line(db)

    # The same answer again: it is in the thread already.
    before = dump(db)
    again = run_import(tmp_path / "more-0.json", "--db", db,
                       "--fetched-at", "2026-01-15T09:00:00+00:00")  # fmt: skip
    assert again.exit_code == 0, again.output
    assert dump(db) == before

    rest = [write(tmp_path / f"more-{i}.json", t) for i, t in enumerate(later[1:], 1)]
    done = run_import(*rest, "--db", db, "--fetched-at", "2026-01-16T08:00:00+00:00")
    assert done.exit_code == 0, done.output
    assert gap(db) == [(g.story_id, 0, 150)]
    assert g.story_id not in gaps_line(db)
    assert tree(db) == sorted((c.id, c.parent_id, c.depth, c.position, c.text, None)
                              for c in crawled(first, later).thread(fetched_at=AT).comments)
    with sqlite3.connect(db) as conn:
        # Every new comment first seen with the thread's own first page, none gone.
        assert conn.execute("SELECT DISTINCT first_seen_at FROM comments").fetchall() == [
            ("2026-01-14T12:00:00Z",)]


def test_an_answer_without_its_thread_is_one_line_and_kept_raw(tmp_path: Path,
                                                               g: GeneratedThread) -> None:
    other = generate_thread(20, seed=9, story_id="2zzzzz")
    db = tmp_path / "a.db"
    assert run_import(write(tmp_path / "other.json", comments_page(other)), "--db", db,
                      "--fetched-at", FETCHED).exit_code == 0  # fmt: skip
    before = dump(db)
    _, later = answers(g)
    result = run_import(write(tmp_path / "more.json", later[0]), "--db", db)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if g.story_id in line]
    assert len(lines) == 1
    assert "neither among the files nor kept in the archive" in lines[0]
    assert "comments response" in lines[0]
    after = dump(db)
    assert {k: v for k, v in after.items() if k != "pages"} == {
        k: v for k, v in before.items() if k != "pages"}
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT story_id, error IS NOT NULL FROM pages WHERE url LIKE"
                            " '%morechildren%'").fetchall()  # fmt: skip
    assert kept == [(g.story_id, 1)]


def test_the_corpus_answer_joins_its_saved_thread(tmp_path: Path) -> None:
    first = corpus_file("reddit", "comments-3hahrw-limit10.json")
    more = corpus_file("reddit", "morechildren-3hahrw.json")
    db = tmp_path / "a.db"
    result = run_import(first, more, "--db", db, "--fetched-at", FETCHED)
    assert result.exit_code == 0, result.output
    want = crawled(first.read_text(), [more.read_text()])
    thread = want.thread(fetched_at=AT)
    assert len(tree(db)) == len(thread.comments) == 102
    ((story, left, archived),) = gap(db)
    assert (story, archived) == ("3hahrw", 102) and left > 0
    assert "3hahrw" in gaps_line(db)


def test_a_continue_page_joins_its_thread_or_stands_alone(tmp_path: Path) -> None:
    g = generate_thread(80, seed=10)
    cut = Cut(depth_limit=2)
    first = comments_page(g, cut)
    conts = [s for s in more_stubs(first) if s.is_continue]
    assert conts
    parent = conts[0].parent_id
    assert parent is not None
    # As a mirror saves it: under the host, at the answer's own path.
    site = tmp_path / "saved" / "www.reddit.com" / "comments" / g.story_id
    page = write(site / "_" / f"{parent}.json", continue_page(g, parent, cut))
    db = tmp_path / "a.db"
    result = run_import(write(site.with_suffix(".json"), first), page, "--db", db,
                        "--fetched-at", FETCHED)  # fmt: skip
    assert result.exit_code == 0, result.output
    built = ThreadPages()
    built.add(first, url="comments.json")
    built.add(continue_page(g, parent, cut), url=f"x/comments/{g.story_id}/_/{parent}")
    assert tree(db) == sorted((c.id, c.parent_id, c.depth, c.position, c.text, None)
                              for c in built.thread(fetched_at=AT).comments)
    ((_, left, archived),) = gap(db)
    # Its stub is expanded (a continue-thread stub holds at least one comment).
    assert parent not in {s.parent_id for s in built.unexpanded()}
    assert left == len(built.unexpanded()) and archived == len(tree(db))
    # Alone, the continue page is a thread of its own, as before.
    other = tmp_path / "b.db"
    alone = run_import(page, "--db", other, "--fetched-at", FETCHED)
    assert alone.exit_code == 0, alone.output
    assert {r[0] for r in tree(other)} < {r[0] for r in tree(db)}
