"""Reddit's community dumps (Arctic Shift, the Pushshift successors) into the archive,
streamed through the bulk path of :mod:`archive.bulk`.

A dump file is NDJSON (``.zst`` compressed, or plain ``.ndjson``/``.jsonl``/``.json``),
one Reddit thing a line: comments (``RC_YYYY-MM``, ``*_comments``: objects with
``link_id``, ``parent_id`` and ``body``) or submissions (``RS_YYYY-MM``,
``*_submissions``: ``title``, ``selftext``, ``num_comments``), told apart by their
fields, never by the file's name. Each object becomes the row Reddit's own mapping
(:mod:`scraper.parsers.reddit.things`) gives it, read in decoding workers by
:mod:`scraper.importers.reddit_dump_rows`, and is staged; every ``batch`` rows are one
transaction together with the position reached in the file. When every file is read,
the staged comments are published (their trees built, indexed, searchable).

Filters (``--subreddit``, ``--since``/``--until`` on ``created_utc``) are applied while
streaming, so a year of all of Reddit can be read for one subreddit. An import is
keyed by its file (size and first MiB) and its filters: the same import started again
goes on from where it was killed, and once done it adds nothing.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
import zstandard

from archive import bulk, redact
from archive.bulk_publish import Published, publish
from archive.db import transaction
from archive.rows import now_iso
from archive.stories import save_story
from archive.versions import story_snapshot
from scraper.importers import dump_stream
from scraper.importers import reddit_dump_rows as rows_of
from scraper.importers.dump_sniff import dump_kind, refusal
from scraper.importers.dump_stream import DamagedStream, WindowTooLarge, open_stream
from scraper.importers.reddit_dump_rows import SITE, SOURCE, DumpKind, Filters

__all__ = ["DumpKind", "DumpOutcome", "Filters", "dump_kind", "import_dumps", "refusal"]
TIME_ORDER = "old"  # Reddit's name for its oldest-first sort: how a dump's siblings go
READ_CACHE_KIB = 32 * 1024  # SQLite's page cache while the files are read
BATCH = 20_000  # rows a transaction (LINKTHREAD_DUMP_BATCH): large, and their memory small


@dataclass
class DumpOutcome:
    files: int = 0
    skipped: list[str] = field(default_factory=list)  # files this import had already done
    lines: int = 0
    comments: int = 0
    stories: int = 0
    failures: list[str] = field(default_factory=list)
    published: Published | None = None
    bad_lines: int = 0  # lines that were no JSON object of a Reddit thing: skipped
    # One line per file about the lines it skipped or repaired, and the damage it
    # stepped over: the file imported, but not all of it as it stands.
    notes: list[str] = field(default_factory=list)


@dataclass
class _Tally:
    """A file's lines that could not be read as they stand, for its note."""

    bad: int = 0
    first_bad: tuple[int, str] | None = None  # (line number, why)
    repaired: int = 0
    first_repaired: int | None = None

    def add(self, problems: rows_of.Problems, first_line: int) -> None:
        bad, first_bad, repaired, first_repaired = problems
        self.bad += bad
        if first_bad is not None and self.first_bad is None:
            self.first_bad = (first_line + first_bad[0], first_bad[1])
        self.repaired += repaired
        if first_repaired >= 0 and self.first_repaired is None:
            self.first_repaired = first_line + first_repaired

    def notes(self, path: Path) -> list[str]:
        out = []
        if self.first_bad is not None:
            line, why = self.first_bad
            out.append(f"{path}: {self.bad:,} line(s) skipped, not a Reddit comment or "
                       f"submission (the first, line {line:,}: {why})")
        if self.first_repaired is not None:
            out.append(f"{path}: {self.repaired:,} line(s) had bytes that are not UTF-8, "
                       f"read with U+FFFD in their place (the first, line "
                       f"{self.first_repaired:,})")
        return out


# A progress bar: given a file and its size, what to call with the compressed bytes
# read and the rows kept so far.
Bar = Callable[[Path, int], Callable[[int, int], None]]


def _no_bar(path: Path, size: int) -> Callable[[int, int], None]:
    return lambda compressed, rows: None


def import_dumps(db: sqlite_utils.Database, paths: Sequence[tuple[Path, DumpKind]], *,
                 filters: Filters, crawl_id: int, batch: int = BATCH,
                 bar: Bar = _no_bar, workers: int = 0) -> DumpOutcome:  # fmt: skip
    """Read every dump file into the staging tables, then publish them all."""
    outcome = DumpOutcome(files=len(paths))
    bulk.start_story_log(db.conn)
    # Reading appends to the staging table, in key order but for the late lines: the
    # archive's 64 MiB cache holds nothing it needs that 32 MiB does not (at 1M lines
    # 8 MiB cost a quarter more CPU for staging, 32 MiB as little as 64), and its pages
    # would add to the import's peak beside the zstd window (publishing sets its own).
    cache = db.conn.execute("PRAGMA cache_size").fetchone()[0]
    db.conn.execute(f"PRAGMA cache_size = -{READ_CACHE_KIB}")
    try:
        for path, kind in paths:
            try:
                _import_file(db, path, kind, filters=filters, crawl_id=crawl_id,
                             batch=batch, outcome=outcome,
                             bar=bar(path, path.stat().st_size), workers=workers)
            except WindowTooLarge as e:
                outcome.failures.append(f"{path}: {e}; the lines before it are imported")
            except (DamagedStream, zstandard.ZstdError) as e:
                outcome.failures.append(f"{path}: the compressed stream is damaged or cut "
                                        f"short ({e}); the lines before it are imported")
            except (OSError, ValueError) as e:
                outcome.failures.append(f"{path}: {e}")
    finally:
        db.conn.execute(f"PRAGMA cache_size = {int(cache)}")
    _publish(db, outcome, crawl_id)
    return outcome


def _publish(db: sqlite_utils.Database, outcome: DumpOutcome, crawl_id: int) -> None:
    """Publish what is staged, adding its counts to the outcome's."""
    done = publish(db, crawl_id=crawl_id, time_order=TIME_ORDER)
    before = outcome.published
    if before is not None:
        done = Published(new=before.new + done.new, merged=before.merged + done.merged,
                         changed=before.changed + done.changed,
                         missing_parents=before.missing_parents + done.missing_parents,
                         stories=before.stories + done.stories)  # fmt: skip
    outcome.published = done


def file_key(path: Path, filters: Filters) -> str:
    """What names one import of one file: its size, its first MiB, the filters."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
    digest.update(f"\0{path.stat().st_size}\0{filters.as_json()}".encode())
    return digest.hexdigest()


def _save_stories(conn: Any, stories: list[tuple[Any, str]], crawl_id: int) -> None:
    for story, seen in stories:
        story, held = redact.withheld_story(conn, story)
        save_story(conn, story, seen=seen, crawl_id=crawl_id, source=SOURCE)
        if held:
            redact.take_out(conn, SITE, [], [story.id], [], now=now_iso(),
                            forget_author=False)
        # "thread": what a story's own record says, as a crawl's save has it.
        story_snapshot(conn, site=SITE, story_id=story.id, seen=seen,
                       crawl_id=crawl_id, source="thread", score=story.score,
                       comment_count=story.comment_count, title=story.title,
                       via=SOURCE)


def _other_rows(others: list[dict[str, Any]], kind: DumpKind,
                crawl_id: int) -> tuple[list[Any], list[Any], int]:  # fmt: skip
    """The comment rows and stories of the lines of the other kind than the file's
    (a submission in a comments file), and how many of them are no Reddit thing."""
    comments, stories, bad = [], [], 0
    for data in others:
        try:
            if kind == "comments":  # the file's kind: these are submissions
                stories.append(rows_of.story_row(data, crawl_id))
            else:
                comments.append(rows_of.comment_row(data, crawl_id))
        except rows_of.NotAThing:
            bad += 1
    return comments, stories, bad


def _import_file(db: sqlite_utils.Database, path: Path, kind: DumpKind, *, filters: Filters,
                 crawl_id: int, batch: int, outcome: DumpOutcome,
                 bar: Callable[[int, int], None], workers: int) -> None:  # fmt: skip
    key = file_key(path, filters)
    done = bulk.progress(db.conn, key) or bulk.Progress(key=key)
    if done.state == "done":
        outcome.skipped.append(str(path))
    if done.state != "reading":  # read whole before: what is left is to publish
        return
    comments: list[tuple[Any, ...]] = []
    stories: list[tuple[Any, ...]] = []
    first_lines, lines, kept = done.lines, done.lines, done.kept
    start = kept
    tally = _Tally()

    def commit(position: int, compressed: int, state: str) -> None:
        nonlocal done
        done = bulk.Progress(key=key, position=position, lines=lines, kept=kept, state=state)
        with transaction(db) as conn:
            later = bulk.stage_comments(conn, comments)
            _save_stories(conn, stories, crawl_id)
            if not later:
                bulk.save_progress(conn, done, path=str(path), filters=filters.as_json(),
                                   crawl_id=crawl_id)
        while later:
            # A comment seen again with other content: what is staged is published, so
            # that the later observation merges into it as a version (archive.bulk_merge)
            # rather than replacing it. The position is committed with the last rows: a
            # kill in between reads the batch again, which merges as it should.
            _publish(db, outcome, crawl_id)
            bulk.start_story_log(db.conn)
            with transaction(db) as conn:
                later = bulk.stage_comments(conn, later)
                if not later:
                    bulk.save_progress(conn, done, path=str(path),
                                       filters=filters.as_json(), crawl_id=crawl_id)
        outcome.comments += len(comments)
        outcome.stories += len(stories)
        comments.clear()
        stories.clear()
        bar(compressed, kept - start)

    target = comments if kind == "comments" else stories
    unread = 0
    # Files of a few MiB are decoded here: starting worker processes would cost more.
    workers = workers if path.stat().st_size > 8 << 20 else 0
    with open_stream(path, done.position) as stream:
        tasks = dump_stream.chunks(iter(stream), lambda: stream.position)
        position = done.position
        # Comment rows cross from the workers marshalled (stories are records: pickled).
        packed = workers > 0 and kind == "comments"
        decode = rows_of.decode_packed if packed else rows_of.decode_lines
        try:
            for result, position, count in dump_stream.mapped(
                    tasks, decode, (kind, filters, crawl_id), workers):
                rows, others, problems = marshal.loads(result) if packed else result
                tally.add(problems, lines + 1)
                lines += count
                unread += count
                target.extend(rows)
                kept += len(rows)
                if others:
                    more_comments, more_stories, bad = _other_rows(others, kind, crawl_id)
                    comments.extend(more_comments)
                    stories.extend(more_stories)
                    kept += len(more_comments) + len(more_stories)
                    tally.bad += bad
                # Lines count too: a filter that keeps few rows must still move on.
                if len(target) >= batch or unread >= 10 * batch:
                    commit(position, stream.compressed, "reading")
                    unread = 0
        except (DamagedStream, zstandard.ZstdError):
            commit(position, stream.compressed, "reading")  # the lines before the damage
            raise
        finally:
            outcome.bad_lines += tally.bad
            outcome.notes.extend(tally.notes(path))
            outcome.notes.extend(
                f"{path}: the zstd frame at byte {at:,} is damaged: its lines from there "
                f"on are lost; reading went on at the next frame, at byte {on:,}"
                for at, on in stream.skipped)  # fmt: skip
        commit(position, stream.compressed, "read")
    outcome.lines += lines - first_lines
