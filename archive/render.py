"""Text for the terminal: query results in sqlite-utils' formats, a thread as a tree.

Pure functions from rows to strings, so the CLI stays thin and tests need no runner.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

from archive.errors import ArchiveError
from archive.export import flags_of, readable
from archive.terminal import safe, safe_line

FORMATS = ("json", "nl", "csv", "tsv", "table")
INDENT = "  "  # per depth level in `show`


def _json_value(value: Any) -> Any:
    # Same shape sqlite-utils uses for BLOBs, so its users read our output unchanged.
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    return value


def _text_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return safe(value) if isinstance(value, str) else value


def _check_distinct(columns: Sequence[str]) -> None:
    # A JSON object keeps one value per name: the later column would silently replace
    # the earlier (a join's two "id"s), so such a result is refused, never cut.
    first: dict[str, int] = {}
    for i, name in enumerate(columns, 1):
        if name in first:
            raise ArchiveError(
                f"columns {first[name]} and {i} are both named {safe_line(name)!r}, and a "
                "JSON object keeps one value per name: name them apart with AS "
                "(select c.id AS comment_id, ...), or use --csv, --tsv or --table"
            )
        first[name] = i


def format_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fmt: str = "json",
    *,
    terminal: bool = False,
) -> Iterator[str]:
    """Yield the output lines of a result set in one of :data:`FORMATS`.

    A table is for reading, so control characters in its text always show as escapes
    (:func:`archive.terminal.safe`); CSV and TSV keep text exact unless ``terminal``.
    """
    if fmt in ("json", "nl"):
        _check_distinct(columns)
    if fmt == "json":
        # One object per line inside the array, as sqlite-utils prints it: greppable,
        # and still one valid JSON document.
        if not rows:
            yield "[]"
            return
        last = len(rows) - 1
        for i, row in enumerate(rows):
            obj = json.dumps({c: _json_value(v) for c, v in zip(columns, row, strict=True)})
            yield ("[" if i == 0 else " ") + obj + ("]" if i == last else ",")
    elif fmt == "nl":
        for row in rows:
            yield json.dumps({c: _json_value(v) for c, v in zip(columns, row, strict=True)})
    elif fmt in ("csv", "tsv"):
        # One record per yielded line, cut by the writer rather than by splitlines(),
        # which would also split a quoted cell at its own CR or LF. The CRLF terminator
        # makes the writer quote any cell holding a lone CR (it quotes only for
        # characters of its terminator), so such a text survives a round trip.
        buf = io.StringIO()
        writer = csv.writer(
            buf, dialect="excel-tab" if fmt == "tsv" else "excel", lineterminator="\r\n"
        )
        for record in (columns, *rows):
            buf.seek(0)
            buf.truncate()
            writer.writerow(
                [_json_value(v)["encoded"] if isinstance(v, bytes) else v for v in record]
            )
            yield safe(buf.getvalue()[:-2]) if terminal else buf.getvalue()[:-2]
    elif fmt == "table":
        # Imported here: tabulate reads its own version through importlib.metadata at
        # import, ~20 ms of every command's start otherwise (tests/test_startup.py).
        import tabulate

        table = tabulate.tabulate(
            [[_text_value(v) for v in row] for row in rows],
            headers=[safe(c) for c in columns],
            tablefmt="simple",
        )
        yield from table.splitlines()
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def _flags(row: dict[str, Any]) -> str:
    # The exports' words, so `show` and every export mark a comment alike ([gone] too).
    marks = [f"[{flag}]" for flag in flags_of(row)]
    return (" " + " ".join(marks)) if marks else ""


def _field(value: Any) -> str:
    # One-line fields of a hostile archive can hold anything, in any column type.
    return safe_line(str(value))


def _wrap(text: str | None, indent: str, width: int) -> list[str]:
    """Wrap plain text paragraph by paragraph, keeping blank lines between them."""
    if not text:
        return []
    lines: list[str] = []
    avail = max(width - len(indent), 20)  # deep replies still get a readable column
    for para in text.split("\n"):
        if not para.strip():
            lines.append(indent.rstrip())
            continue
        lines.extend(
            textwrap.wrap(
                para,
                avail,
                initial_indent=indent,
                subsequent_indent=indent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return lines


def render_thread(
    story: dict[str, Any], comments: Sequence[dict[str, Any]], *, width: int = 80,
    verbose: bool = False,
) -> str:
    """The thread as an indented tree: header, then each comment under its parent.
    ``verbose``: each comment's id and sources too, and the story's (``show -v``).

    Everything from the archive goes through :mod:`archive.terminal`: text that a
    terminal would obey (a clear-screen, a window title) is printed as visible escapes.
    """
    story = readable(story)
    comments = [readable(c) for c in comments]
    title = _field(story.get("title") or "(no title)")
    lines = [title + _flags(story)]
    if story.get("url"):
        lines.append(_field(story["url"]))
    meta = [_field(f"{story['site']}/{story['id']}")]
    if story.get("author"):
        meta.append(f"by {_field(story['author'])}")
    if story.get("score") is not None:
        meta.append(f"{_field(story['score'])} points")
    if story.get("created_at") or story.get("created_at_raw"):
        meta.append(_field(story.get("created_at") or story.get("created_at_raw")))
    if verbose:
        meta.append(f"source {_field(story.get('source'))}")
    lines.append(" · ".join(meta))
    declared = story.get("comment_count")
    archived = story.get("archived_count", len(comments))
    lines.append(
        f"{_field(archived)} comment{'' if archived == 1 else 's'} archived"
        + (f" ({_field(declared)} declared)" if declared is not None else "")
    )
    if story.get("text"):
        lines.append("")
        lines.extend(_wrap(safe(str(story["text"])), "", width))
    for c in comments:
        # "• author" at the comment's depth, its text two columns in: a reply's bullet
        # lines up under its parent's text, as in a nested list, so a blank line
        # between paragraphs cannot be mistaken for the start of another comment.
        indent = INDENT * _depth(c.get("depth"))
        head = [_field(c.get("author") or "(no author)")]
        if c.get("created_at") or c.get("created_at_raw"):
            head.append(_field(c.get("created_at") or c.get("created_at_raw")))
        if verbose:
            head += [f"#{_field(c.get('id'))}", f"source {_field(c.get('source'))}"]
        lines.append("")
        lines.append(indent + "• " + " · ".join(head) + _flags(c))
        if c.get("text"):
            lines.extend(_wrap(safe(str(c["text"])), indent + INDENT, width))
    return "\n".join(lines) + "\n"


MAX_INDENT_DEPTH = 40  # deeper replies stay at this indent rather than run off the screen


def _depth(value: Any) -> int:
    # A stored depth is a number the crawler wrote; a hostile archive may hold text,
    # a negative number or a billion there.
    try:
        return min(max(int(value), 0), MAX_INDENT_DEPTH)
    except (TypeError, ValueError):
        return 0
