"""Comments chosen by an SQL condition, streamed to JSONL, CSV or Parquet.

``--where`` is the user's SQL expression over the ``comments`` table, so it runs on
the read-only connection (:func:`archive.db.open_readonly`) and in the same sandbox
as ``linkthread query`` (:class:`archive.sandbox.Sandbox`): its authorizer, value
and memory bounds, and a time limit for the whole export. Rows are read
``fetchmany`` batches at a time and written as they come, so an export of millions
of comments needs the memory of one batch.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from archive.db import open_readonly
from archive.errors import ArchiveError
from archive.export import FLAG_COLUMNS, RECORD_FIELDS, comment_record, jsonl_lines, write_csv
from archive.export_output import (
    ExportError,
    atomic_binary_output,
    atomic_output,
    check_output_path,
)
from archive.sandbox import Sandbox, check_text

MANY_FORMATS = ("jsonl", "csv", "parquet")
BATCH_ROWS = 2_000
# For the whole export, writing included: JSONL goes out at about 25,000 comments a
# second on a loaded core, so this is over a million comments, yet a --where that
# calls a slow function on every row still ends.
DEFAULT_TIME_LIMIT = 60.0
PARQUET_HINT = "pip install -e '.[parquet]' in a linkthread checkout, or pip install pyarrow"

_COLUMNS = tuple(c for c in RECORD_FIELDS if c != "flags") + FLAG_COLUMNS
# Grouped by thread, each thread in the order its comments were stored (display order
# for every comment a thread's first crawl saw). (site, story_id) has an index, and an
# index ends with the rowid, so SQLite can often stream this order without sorting.
_ORDER = "ORDER BY site, story_id, rowid"


def where_sql(where: str) -> str:
    # The condition sits on lines of its own, so a trailing "--" comment in it cannot
    # swallow the closing parenthesis or the ORDER BY.
    return f"SELECT {', '.join(_COLUMNS)} FROM comments\nWHERE (\n{where}\n)\n{_ORDER}"


def select_where(
    box: Sandbox, where: str, params: Mapping[str, Any] | None = None
) -> sqlite3.Cursor:
    """Start the query for the comments matching ``where``. Any SQLite error (syntax, a
    second statement, an attempted write) is an :class:`ArchiveError`, raised here,
    before anything has been written."""
    if not where.strip():
        raise ExportError("--where is empty; to export every comment say --where 1")
    check_text(where, "--where")
    try:
        return box.execute(where_sql(where), params)
    # sqlite3.Warning: Python < 3.12 reports "one statement at a time" with it.
    except (sqlite3.Error, sqlite3.Warning) as e:
        raise ArchiveError(f"--where: {e}") from e


def record_batches(
    box: Sandbox, cur: sqlite3.Cursor, batch_rows: int = BATCH_ROWS
) -> Iterator[list[dict[str, Any]]]:
    """The cursor's rows as comment records (:func:`archive.export.comment_record`),
    ``batch_rows`` at a time."""
    try:
        while batch := box.fetchmany(cur, batch_rows):
            yield [comment_record(dict(zip(_COLUMNS, row, strict=True))) for row in batch]
    except sqlite3.Error as e:  # e.g. a function failing on a row far into the table
        raise ArchiveError(f"--where: {e}") from e


def _records(batches: Iterator[list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    for batch in batches:
        yield from batch


def _write_text(fmt: str, batches: Iterator[list[dict[str, Any]]], out: IO[str]) -> int:
    if fmt == "csv":
        return write_csv(_records(batches), out)
    count = 0
    for line in jsonl_lines(_records(batches)):
        out.write(line + "\n")
        count += 1
    return count


def _parquet_schema() -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        raise ExportError(f"Parquet export needs pyarrow: {PARQUET_HINT}") from None
    return pa.schema(
        [
            (name, pa.int64() if name in ("depth", "position") else pa.string())
            for name in RECORD_FIELDS
            if name != "flags"
        ]
        + [("flags", pa.list_(pa.string()))]
    )


def _write_parquet(batches: Iterator[list[dict[str, Any]]], out: Any) -> int:
    schema = _parquet_schema()
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = 0
    # One row group per batch: the writer flushes each, so memory stays one batch deep.
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
        if count == 0:
            # An empty export is still a valid file with the columns, not 0 bytes.
            writer.write_table(schema.empty_table())
    return count


def export_where(
    db: str | Path,
    where: str,
    fmt: str,
    output: str | Path | None,
    *,
    params: Mapping[str, Any] | None = None,
    force: bool = False,
    stdout: IO[str] | None = None,
    batch_rows: int = BATCH_ROWS,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
) -> int:
    """Export the comments matching ``where`` to ``output`` (or ``stdout`` for JSONL and
    CSV) in ``fmt``; return how many were written. The file appears only once complete.
    Past ``time_limit`` seconds (None: no limit) the export stops with an
    :class:`ArchiveError` and no file.
    """
    if fmt not in MANY_FORMATS:
        raise ExportError(f"--where exports {', '.join(MANY_FORMATS)}, not {fmt}")
    if fmt == "parquet":
        _parquet_schema()  # fail on a missing pyarrow before any work
        if output is None:
            raise ExportError("Parquet needs an output file: -o FILE")
    if output is not None:
        # Before the query: its first row can take a scan of the whole table.
        check_output_path(output, force=force)
    conn = open_readonly(db)
    try:
        with Sandbox(conn, time_limit=time_limit, command="export --where") as box:
            batches = record_batches(box, select_where(box, where, params), batch_rows)
            if fmt == "parquet":
                assert output is not None
                with atomic_binary_output(output, force=force) as raw:
                    return _write_parquet(batches, raw)
            if output is None:
                return _write_text(fmt, batches, stdout or sys.stdout)
            with atomic_output(output, force=force) as out:
                return _write_text(fmt, batches, out)
    finally:
        conn.close()
