"""Reddit's community dumps (Arctic Shift, the Pushshift successors) into the archive,
streamed through the bulk path of :mod:`archive.bulk`.

A dump file is NDJSON (``.zst`` compressed, or plain ``.ndjson``/``.jsonl``/``.json``),
one Reddit thing a line: comments (``RC_YYYY-MM``, ``*_comments``: objects with
``link_id``, ``parent_id`` and ``body``) or submissions (``RS_YYYY-MM``,
``*_submissions``: ``title``, ``selftext``, ``num_comments``), told apart by their
fields, never by the file's name. Each object goes through Reddit's own mapping
(:mod:`scraper.parsers.reddit.things`) and is staged; every ``batch`` rows are one
transaction together with the position reached in the file. When every file is read,
the staged comments are published (their trees built, indexed, searchable).

Filters (``--subreddit``, ``--since``/``--until`` on ``created_utc``) are applied while
streaming, so a year of all of Reddit can be read for one subreddit. An import is
keyed by its file (size and first MiB) and its filters: the same import started again
goes on from where it was killed, and once done it adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
import zstandard

from archive import bulk, redact, store
from archive.bulk_publish import Published, publish
from archive.db import transaction
from archive.rows import iso_utc, now_iso
from archive.stories import save_story
from archive.versions import story_snapshot
from scraper.importers import dump_stream
from scraper.importers.dump_stream import SUFFIXES, first_objects, open_stream
from scraper.parsers.reddit import things

DumpKind = Literal["comments", "submissions"]
SITE = "reddit"
SOURCE = "dump"
TIME_ORDER = "old"  # Reddit's name for its oldest-first sort: how a dump's siblings go
BATCH = 20_000  # rows a transaction (LINKTHREAD_DUMP_BATCH): large, and their memory small
_COMMENT_KEYS = frozenset({"link_id", "parent_id", "body"})
_SUBMISSION_KEYS = frozenset({"title", "selftext", "num_comments"})


def dump_kind(path: Path) -> DumpKind | None:
    """Whether ``path`` is a Reddit dump, and of what, from its first lines' fields."""
    if path.suffix.lower() not in SUFFIXES or not path.is_file():
        return None
    objects = first_objects(path)
    if objects and all(o.keys() >= _COMMENT_KEYS for o in objects):
        return "comments"
    if objects and all(o.keys() >= _SUBMISSION_KEYS for o in objects):
        return "submissions"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    subreddits: frozenset[str] = frozenset()  # lower case; empty: every subreddit
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before

    def as_json(self) -> str:
        return json.dumps({"subreddits": sorted(self.subreddits),
                           "since": iso_utc(self.since), "until": iso_utc(self.until)},
                          sort_keys=True)  # fmt: skip

    def keeps(self, data: dict[str, Any], created: float | None) -> bool:
        if self.subreddits and str(data.get("subreddit") or "").lower() not in self.subreddits:
            return False
        if self.since is not None and (created is None or created < self.since.timestamp()):
            return False
        return self.until is None or (created is not None
                                      and created < self.until.timestamp())


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
    for path, kind in paths:
        try:
            _import_file(db, path, kind, filters=filters, crawl_id=crawl_id, batch=batch,
                         outcome=outcome, bar=bar(path, path.stat().st_size),
                         workers=workers)
        except (OSError, ValueError) as e:
            outcome.failures.append(f"{path}: {e}")
        except zstandard.ZstdError as e:
            outcome.failures.append(
                f"{path}: the compressed stream is damaged or cut short ({e}); the lines "
                "before the damage are imported")
    outcome.published = publish(db, crawl_id=crawl_id, time_order=TIME_ORDER)
    return outcome


def file_key(path: Path, filters: Filters) -> str:
    """What names one import of one file: its size, its first MiB, the filters."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
    digest.update(f"\0{path.stat().st_size}\0{filters.as_json()}".encode())
    return digest.hexdigest()


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

    def commit(position: int, compressed: int, state: str) -> None:
        nonlocal done
        done = bulk.Progress(key=key, position=position, lines=lines, kept=kept, state=state)
        with transaction(db) as conn:
            bulk.stage_comments(conn, comments)
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
            bulk.save_progress(conn, done, path=str(path), filters=filters.as_json(),
                               crawl_id=crawl_id)
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
        try:
            for (rows, bad), position, count in dump_stream.mapped(
                    tasks, decode_lines, (kind, filters, crawl_id), workers):
                lines += count
                outcome.bad_lines += bad
                unread += count
                target.extend(rows)
                kept += len(rows)
                # Lines count too: a filter that keeps few rows must still move on.
                if len(target) >= batch or unread >= 10 * batch:
                    commit(position, stream.compressed, "reading")
                    unread = 0
        except zstandard.ZstdError:
            commit(position, stream.compressed, "reading")  # the lines before the damage
            raise
        commit(position, stream.compressed, "read")
    outcome.lines += lines - first_lines


def decode_lines(chunk: list[bytes], kind: DumpKind, filters: Filters,
                 crawl_id: int) -> tuple[list[Any], int]:  # fmt: skip
    """The rows of the lines the filters keep (staged comment rows, or (Story, seen)),
    and how many lines were no Reddit thing at all."""
    read = _comment_row if kind == "comments" else _story
    rows = []
    bad = 0
    for line in chunk:
        try:
            row = _read_line(line, read, filters, crawl_id)
        except _NotAThing:
            bad += 1
            continue
        if row is not None:
            rows.append(row)
    return rows, bad


class _NotAThing(Exception):
    """A line that is not a JSON object with an id (a damaged line of the file)."""


def _read_line(line: bytes, read: Callable[[dict[str, Any], int], Any], filters: Filters,
               crawl_id: int) -> Any:  # fmt: skip
    if not line.strip():
        return None
    try:
        data = json.loads(line)
    except ValueError:
        raise _NotAThing from None
    if not isinstance(data, dict):
        raise _NotAThing
    created = _epoch(data.get("created_utc"))
    if not filters.keeps(data, created):
        return None
    return read(data, crawl_id)


def _epoch(value: Any) -> float | None:
    # Pushshift wrote created_utc as a string in some years, a number in others.
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _seen(data: dict[str, Any]) -> str:
    """When the dump's crawler saw the thing: ``retrieved_on`` (``retrieved_utc`` in some
    years), else its creation: the earliest it can have been seen."""
    for key in ("retrieved_on", "retrieved_utc", "created_utc"):
        moment = _epoch(data.get(key))
        if moment is not None:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
    return "1970-01-01T00:00:00Z"


def _comment_row(data: dict[str, Any], crawl_id: int) -> tuple[Any, ...] | None:
    story_id = things.unprefixed(data.get("link_id"))
    parent = str(data.get("parent_id") or "")
    if not story_id or not data.get("id"):
        raise _NotAThing
    # A reply to the post (t3_) is at the top level.
    parent_id = None if parent.startswith("t3_") or not parent else things.unprefixed(parent)
    comment = things.comment_from(data, story_id=story_id, parent_id=parent_id, depth=0,
                                  position=0)
    seen = _seen(data)
    return bulk.staged_row((SITE, comment.id, *store._comment_content(comment), seen, seen,
                            crawl_id), SOURCE)


def _story(data: dict[str, Any], crawl_id: int) -> tuple[Any, str] | None:
    if not data.get("id"):
        raise _NotAThing
    seen = _seen(data)
    fetched = datetime.fromisoformat(seen.replace("Z", "+00:00"))
    return things.story_from(data, fetched_at=fetched, source=SOURCE), seen
