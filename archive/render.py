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

import tabulate

from archive.terminal import safe

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
        table = tabulate.tabulate(
            [[_text_value(v) for v in row] for row in rows],
            headers=[safe(c) for c in columns],
            tablefmt="simple",
        )
        yield from table.splitlines()
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")


def _flags(row: dict[str, Any]) -> str:
    marks = [f"[{flag}]" for flag in ("dead", "flagged", "deleted") if row.get(flag)]
    return (" " + " ".join(marks)) if marks else ""


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
    story: dict[str, Any], comments: Sequence[dict[str, Any]], *, width: int = 80
) -> str:
    """The thread as an indented tree: header, then each comment under its parent."""
    title = story.get("title") or "(no title)"
    lines = [title + _flags(story)]
    if story.get("url"):
        lines.append(story["url"])
    meta = [f"{story['site']}/{story['id']}"]
    if story.get("author"):
        meta.append(f"by {story['author']}")
    if story.get("score") is not None:
        meta.append(f"{story['score']} points")
    if story.get("created_at") or story.get("created_at_raw"):
        meta.append(str(story.get("created_at") or story.get("created_at_raw")))
    lines.append(" · ".join(meta))
    declared = story.get("comment_count")
    archived = story.get("archived_count", len(comments))
    lines.append(
        f"{archived} comment{'' if archived == 1 else 's'} archived"
        + (f" ({declared} declared)" if declared is not None else "")
    )
    if story.get("text"):
        lines.append("")
        lines.extend(_wrap(story["text"], "", width))
    for c in comments:
        # "• author" at the comment's depth, its text two columns in: a reply's bullet
        # lines up under its parent's text, as in a nested list, so a blank line
        # between paragraphs cannot be mistaken for the start of another comment.
        indent = INDENT * max(int(c["depth"]), 0)
        head = [c.get("author") or "(no author)"]
        if c.get("created_at") or c.get("created_at_raw"):
            head.append(str(c.get("created_at") or c.get("created_at_raw")))
        lines.append("")
        lines.append(indent + "• " + " · ".join(head) + _flags(c))
        lines.extend(_wrap(c.get("text"), indent + INDENT, width))
    return "\n".join(lines) + "\n"
