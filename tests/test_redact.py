"""`linkthread redact`: what it names is gone from the rows, the history, the full-text
index, the kept pages and the file's bytes, and stays gone when the thread comes again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper import cli as _registers_commands  # noqa: F401
from tests import hnpages
from tests.conftest import rows
from tests.test_warc import invoke, save_page, save_pages

PHRASE = "zanzibar quokka marmalade telescope"  # in every comment of the forgotten author
FORGOTTEN = "user3"


def file_bytes(db: Path) -> bytes:
    """Every byte the archive has on disk: the file, its WAL and shared memory."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    thread = hnpages.random_thread(40, seed=31, story_id="7300", max_depth=3)
    for c in thread.comments:
        if c.author == FORGOTTEN:
            c.text = f"{c.text} {PHRASE}"
    assert any(c.author == FORGOTTEN for c in thread.comments)
    save_pages(tmp_path / "saved", hnpages.site_pages(thread, per_page=20))
    save_page(tmp_path / "saved", f"/user?id={FORGOTTEN}",
              hnpages.user_page(FORGOTTEN, karma=5, about=f"I like {PHRASE}"))
    return tmp_path / "saved"


@pytest.fixture
def db(saved: Path, tmp_path: Path) -> Path:
    db = tmp_path / "a.db"
    assert invoke("import", saved, "--fetched-at", "2026-01-14T12:00:00Z",
                  "--db", db).exit_code == 0
    assert PHRASE.encode() in file_bytes(db)
    return db


def search_hits(db: Path, words: str) -> str:
    return invoke("search", words, "--db", db).output


def test_redact_author_leaves_no_byte_of_their_words(db: Path, saved: Path,
                                                     tmp_path: Path) -> None:
    assert "zanzibar" in search_hits(db, "zanzibar")
    others = rows(db, "select count(*) from comments where author != ?", FORGOTTEN)

    result = invoke("redact", "--author", "hn", FORGOTTEN, "--reason", "asked to be forgotten",
                    "--db", db)

    assert result.exit_code == 0, result.output
    assert "took out" in result.output and "not touched" in result.output
    assert PHRASE.encode() not in file_bytes(db)
    assert b"quokka" not in file_bytes(db)
    assert "zanzibar" not in search_hits(db, "zanzibar")
    assert rows(db, "select count(*) from comments where author = ?", FORGOTTEN) == [(0,)]
    assert rows(db, "select count(*) from comments where author != ?", FORGOTTEN) == others
    assert rows(db, "select count(*) from comments where redacted_at is not null"
                " and text is null and author is null") != [(0,)]
    export = invoke("export", "hn", "7300", "--db", db).output
    assert "quokka" not in export and FORGOTTEN not in export
    assert json.loads(export)["id"] == "7300"  # the thread still reads, with holes
    [log] = rows(db, "select site, kind, key, reason, unredacted_at from redactions")
    assert log == ("hn", "author", FORGOTTEN, "asked to be forgotten", None)
    assert rows(db, "select count(*) from pages where body is not null and redacted_at is null"
                " and url like '%user?id=user3%'") == [(0,)]

    # The thread and the profile come again: they stay out.
    again = invoke("import", saved, "--fetched-at", "2026-01-15T12:00:00Z", "--db", db)
    assert again.exit_code == 0, again.output
    assert PHRASE.encode() not in file_bytes(db)
    assert "zanzibar" not in search_hits(db, "zanzibar")
    assert rows(db, "select count(*) from comments where author = ?", FORGOTTEN) == [(0,)]


def test_a_dry_run_changes_nothing(db: Path) -> None:
    result = invoke("redact", "--author", "hn", FORGOTTEN, "--reason", "x", "--dry-run",
                    "--db", db)
    assert result.exit_code == 0, result.output
    assert "would take out" in result.output
    assert rows(db, "select count(*) from redactions") == [(0,)]
    assert PHRASE.encode() in file_bytes(db)
    assert rows(db, "select count(*) from comments where redacted_at is not null") == [(0,)]


def test_one_comment_and_unredact(db: Path, saved: Path) -> None:
    [(cid, text)] = rows(db, "select id, text from comments where author = ? limit 1",
                         FORGOTTEN)
    assert invoke("redact", "--comment", "hn", cid, "--reason", "libel", "--db", db
                  ).exit_code == 0
    assert rows(db, "select text, author from comments where id = ?", cid) == [
        (None, FORGOTTEN)]
    lifted = invoke("redact", "--comment", "hn", cid, "--unredact", "--reason", "appeal",
                    "--db", db)
    assert lifted.exit_code == 0, lifted.output
    assert invoke("import", saved, "--fetched-at", "2026-01-16T12:00:00Z", "--db", db
                  ).exit_code == 0
    assert rows(db, "select text from comments where id = ?", cid) == [(text,)]


def test_deleted_on_site_takes_out_what_the_site_deleted(tmp_path: Path) -> None:
    thread = hnpages.random_thread(20, seed=41, story_id="7400", max_depth=2)
    victim = thread.comments[3]
    victim.text = f"{victim.text} {PHRASE}"
    save_pages(tmp_path / "t0", hnpages.site_pages(thread))
    victim.deleted = True  # the author deleted it on the site
    save_pages(tmp_path / "t1", hnpages.site_pages(thread))
    db = tmp_path / "d.db"
    # In force before anything is archived: it names what the site shows deleted later.
    assert invoke("redact", "--deleted-on-site", "hn", "--reason", "terms",
                  "--db", db).exit_code == 0

    for folder, at in (("t0", "2026-01-14T12:00:00Z"), ("t1", "2026-01-14T13:00:00Z")):
        assert invoke("import", tmp_path / folder, "--fetched-at", at, "--db", db
                      ).exit_code == 0
    # The text was withheld at the save; a second run clears the bytes the first
    # observation left in the index's old segments and the WAL.
    assert invoke("redact", "--deleted-on-site", "hn", "--reason", "terms", "--db", db
                  ).exit_code == 0

    assert rows(db, "select deleted, text from comments where id = ?", victim.id) == [
        (1, None)]
    assert PHRASE.encode() not in file_bytes(db)


def test_bad_requests_are_one_line(db: Path) -> None:
    none = invoke("redact", "--reason", "x", "--db", db)
    assert none.exit_code == 2 and "name one of" in none.output
    two = invoke("redact", "--comment", "hn", "1", "--author", "hn", "a", "--reason", "x",
                 "--db", db)
    assert two.exit_code == 2
    missing = invoke("redact", "--comment", "hn", "999999", "--reason", "x", "--db", db)
    assert missing.exit_code == 1 and "holds no comment hn/999999" in missing.stderr
    site = invoke("redact", "--author", "nosuch", "a", "--reason", "x", "--db", db)
    assert site.exit_code == 1 and "unknown site" in site.stderr
    blank = invoke("redact", "--author", "hn", FORGOTTEN, "--reason", " ", "--db", db)
    assert blank.exit_code == 1 and "say why" in blank.stderr
