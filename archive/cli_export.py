"""``linkthread export``: a thread, or every comment an SQL condition picks, to a file.

Registered on :data:`archive.cli.cli` when :mod:`archive.cli` is imported (its last
line imports this module). The work is in :mod:`archive.export` and its siblings;
this module only turns options into calls and errors into one line.
"""

from __future__ import annotations

from pathlib import Path

import click

from archive.cli import _user_errors, cli, db_option, item_id, time_limit_option
from archive.db import open_readonly
from archive.export import THREAD_FORMATS, thread_document
from archive.export_many import DEFAULT_TIME_LIMIT, MANY_FORMATS, export_where
from archive.export_output import ExportError, check_output_path, write_text
from archive.query import load_thread

# What `-o` implies when --format is not given.
SUFFIX_FORMATS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".md": "md",
    ".html": "html",
    ".htm": "html",
    ".parquet": "parquet",
}


def _choose_format(fmt: str | None, output: str | None, many: bool) -> str:
    if fmt:
        chosen = fmt
    elif output and Path(output).suffix.lower() in SUFFIX_FORMATS:
        chosen = SUFFIX_FORMATS[Path(output).suffix.lower()]
    else:
        chosen = "jsonl" if many else "json"
    allowed = MANY_FORMATS if many else THREAD_FORMATS
    if chosen not in allowed:
        what = "--where exports" if many else "a thread exports as"
        raise ExportError(f"{what} {', '.join(allowed)}; not {chosen}")
    return chosen


@cli.command()
@click.argument("site", required=False)
@click.argument("id", required=False)
@click.option(
    "--where",
    metavar="SQL",
    help="Export the comments matching this SQL condition over the comments table "
    "(site, id, story_id, parent_id, depth, position, author, created_at, text, dead, "
    "flagged, deleted, ...), instead of one thread.",
)
@click.option(
    "-p",
    "--param",
    "params",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="Named parameter for :NAME in --where (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice((*THREAD_FORMATS, "parquet")),
    help="Thread: json (nested), jsonl, csv, md, html. --where: jsonl, csv, parquet. "
    "[default: from the -o suffix, else json for a thread, jsonl for --where]",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write here (never over an existing file without --force). Default: stdout; "
    "required for parquet.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@time_limit_option(DEFAULT_TIME_LIMIT, "--where export")
@db_option
def export(
    site: str | None,
    id: str | None,
    where: str | None,
    params: tuple[tuple[str, str], ...],
    fmt: str | None,
    output: str | None,
    force: bool,
    time_limit: float,
    db: str,
) -> None:
    """Export one thread (SITE ID), or the comments --where picks, to a file.

    ID is the thread's id or its URL. CSV cells that a spreadsheet would read as a
    formula get a leading ' (strip one leading ' from any cell to get the text back).
    HTML pages are standalone, sanitised and run no script.

    Example: linkthread export hn 8863 --format html -o 8863.html

    Example: linkthread export --where "site = 'hn' and created_at >= :since"
    -p since 2026-01 --format parquet -o comments.parquet
    """
    if output == "-":
        output = None
    with _user_errors():
        if where is not None:
            if site or id:
                raise ExportError("give either SITE ID or --where, not both")
            chosen = _choose_format(fmt, output, many=True)
            count = export_where(
                db, where, chosen, output, params=dict(params), force=force,
                time_limit=time_limit or None,
            )  # fmt: skip
            if output is not None:
                click.echo(f"{count} comments written to {output}", err=True)
            return
        if not site or not id:
            raise ExportError("give SITE ID (a thread) or --where SQL (many comments)")
        if params:
            raise ExportError("-p binds parameters of --where; there is no --where")
        chosen = _choose_format(fmt, output, many=False)
        if output is not None:
            check_output_path(output, force=force)  # before reading: fail fast
        conn = open_readonly(db)
        try:
            story, comments = load_thread(conn, site, item_id(id))
        finally:
            conn.close()
        document = thread_document(chosen, story, comments)
        if output is None:
            click.echo(document, nl=False)
            return
        write_text(output, document, force=force)
    click.echo(f"{site}/{story['id']}: {len(comments)} comments written to {output}", err=True)
