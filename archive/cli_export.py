"""``linkthread export``: a thread, or every comment an SQL condition picks, to a file.

Registered on :data:`archive.cli.cli` when :mod:`archive.cli` is imported (its last
line imports this module). The work is in :mod:`archive.export` and its siblings;
this module only turns options into calls and errors into one line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, cast

import click

from archive import sites
from archive.cli import _user_errors, cli, db_option, item_id, time_limit_option
from archive.db import open_readonly
from archive.export import THREAD_FORMATS, thread_document
from archive.export_many import DEFAULT_TIME_LIMIT, MANY_FORMATS, export_where
from archive.export_output import ExportError, check_output_path, write_text
from archive.query import load_thread
from archive.terminal import SafeWriter, safe, safe_line

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
_SUFFIX_OF = {fmt: suffix[1:] for suffix, fmt in reversed(SUFFIX_FORMATS.items())}


# What `-o` takes to mean stdout: the same stream, so the same meaning. Left to the
# file checks, /dev/stdout would be refused at a terminal, refused as "exists" when
# redirected to a file, and with --force have its link renamed over.
STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1")


def stdout_is_terminal() -> bool:
    """Whether the export is read on a screen: then its text is made inert
    (:func:`archive.terminal.safe`); a pipe or a redirect gets the exact bytes."""
    return sys.stdout.isatty()


def _choose_format(fmt: str | None, output: str | None, many: bool) -> str:
    implied = SUFFIX_FORMATS.get(Path(output).suffix.lower()) if output else None
    if fmt and implied and implied != fmt:
        # Refused, not warned: a .json file holding CSV is misread by every tool that
        # goes by the name, a warning scrolls by unseen in a script, and the fix is one
        # word. A suffix that names no format (.txt, none) takes any --format.
        raise ExportError(
            f"-o {output} names a {implied} file but --format is {fmt}; "
            f"give the file a .{_SUFFIX_OF[fmt]} name, or leave out --format"
        )
    chosen = fmt or implied or ("jsonl" if many else "json")
    allowed = MANY_FORMATS if many else THREAD_FORMATS
    if chosen not in allowed:
        what = "--where exports" if many else "a thread exports as"
        raise ExportError(f"{what} {', '.join(allowed)}; not {chosen}")
    return chosen


@cli.command()
@click.argument("site", required=False)
@click.argument("ids", nargs=-1, metavar="[ID]...")
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
    help="Write here (never over an existing file without --force). Default, and with "
    "- or /dev/stdout: stdout; parquet needs a file.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@click.option(
    "--warc",
    metavar="FILE",
    help="Write the kept pages (every fetch of every body) as a WARC 1.1 file instead: "
    "all of them, SITE's, or the threads SITE ID...; gzipped if FILE ends in .gz.",
)
@click.option("--since", metavar="TIME",
              help="--warc: only pages fetched at or after this UTC time.")
@time_limit_option(DEFAULT_TIME_LIMIT, "--where export")
@db_option
def export(
    site: str | None,
    ids: tuple[str, ...],
    warc: str | None,
    since: str | None,
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

    Example: linkthread export --warc pages.warc.gz hn --since 2026-01-01
    """
    if output in STDOUT_NAMES:
        output = None
    with _user_errors():
        if warc is not None:
            _export_warc(db, warc, site, ids, since=since, force=force,
                         others=(where, params, fmt, output))
            return
        if since is not None:
            raise ExportError("--since picks the pages of --warc; for comments use --where")
        if len(ids) > 1:
            raise ExportError("a thread export takes one SITE ID; --warc takes many")
        id = ids[0] if ids else None
        if force and output is None:
            raise ExportError("--force overwrites the -o FILE; there is no -o FILE")
        if where is not None:
            if site or id:
                raise ExportError("give either SITE ID or --where, not both")
            chosen = _choose_format(fmt, output, many=True)
            # On a terminal the comments' text is shown inert; a pipe gets exact bytes.
            screen = (cast(IO[str], SafeWriter(sys.stdout))
                      if output is None and stdout_is_terminal() else None)
            count = export_where(
                db, where, chosen, output, params=dict(params), force=force,
                time_limit=time_limit or None, stdout=screen,
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
            story, comments = load_thread(conn, site, item_id(id, site))
        finally:
            conn.close()
        document = thread_document(chosen, story, comments)
        if output is None:
            # color=True: click.echo would otherwise strip what looks like an ANSI
            # sequence from a pipe or redirect, and the export would lose bytes.
            on_screen = stdout_is_terminal()
            click.echo(safe(document) if on_screen else document, nl=False, color=True)
            return
        write_text(output, document, force=force)
    done = f"{site}/{story['id']}: {len(comments)} comments written to {output}"
    click.echo(safe_line(done), err=True)


def _export_warc(db: str, output: str, site: str | None, ids: tuple[str, ...], *,
                 since: str | None, force: bool, others: tuple[object, ...]) -> None:
    # Here: warcio is for --warc alone, and every command's start would import it.
    from archive.warc import export_warc

    if any(others):
        raise ExportError("--warc writes pages: it takes no --where, -p, --format or -o")
    if site is not None:
        sites.get(site)  # an unknown site is one line naming the known ones
    conn = open_readonly(db)
    try:
        story_ids = [item_id(i, site) for i in ids] if site else []
        counts = export_warc(conn, output, site=site, since=since, story_ids=story_ids,
                             force=force)
    finally:
        conn.close()
    click.echo(safe_line(f"{counts.pages} pages and {counts.revisits} revisits written to "
                         f"{output}"), err=True)
