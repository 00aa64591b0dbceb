"""One thread out of the archive as JSON, JSONL, CSV or Markdown (HTML: export_html).

Every format is built from the same comment record (:data:`RECORD_FIELDS`), so a
comment reads the same in each: the flags become a list of words (``["dead"]``),
times stay the archive's UTC ISO strings. Functions here are pure, rows in and text
out; :mod:`archive.export_output` writes files and :mod:`archive.export_many` streams
whole tables. Output is deterministic (no export time inside), so a re-export of an
unchanged thread is byte-identical and can be diffed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from archive import sites

THREAD_FORMATS = ("json", "jsonl", "csv", "md", "html")

RECORD_FIELDS = (
    "site",
    "id",
    "story_id",
    "parent_id",
    "depth",
    "position",
    "author",
    "created_at",
    "text",
    "text_html",
    # The sources that observed it (archive.sources: "html", "api,html", "algolia"...).
    "source",
    "flags",
)
FLAGS = ("dead", "flagged", "deleted")  # stored 0/1 columns of the same names
# The columns :func:`flags_of` reads: the stored flags, and ``gone_at``, set while a
# comment is no longer shown on its site (flag "gone").
FLAG_COLUMNS = (*FLAGS, "gone_at")
STORY_FIELDS = (
    "site",
    "id",
    "title",
    "url",
    "domain",
    "author",
    "score",
    "comment_count",
    "archived_count",
    "created_at",
    "kind",
    "text",
    "text_html",
    "first_seen_at",
    "last_seen_at",
    "source",
)

# Columns that hold text. SQLite keeps whatever a row was given, so an archive made
# by hand can hold a number or a BLOB in one; every format reads them as text.
TEXT_COLUMNS = frozenset({
    "site", "id", "story_id", "parent_id", "author", "created_at", "created_at_raw",
    "text", "text_html", "title", "url", "domain", "kind", "first_seen_at", "last_seen_at",
})  # fmt: skip


def as_text(value: Any) -> Any:
    """A text column's value as ``str`` (None stays None): a BLOB is read as UTF-8,
    bytes that are not as U+FFFD (the archive itself keeps them), a number as its digits."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def readable(row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` with every :data:`TEXT_COLUMNS` value made text by :func:`as_text`."""
    return {k: as_text(v) if k in TEXT_COLUMNS else v for k, v in row.items()}


def flags_of(row: Mapping[str, Any]) -> list[str]:
    """The row's set flags as words, in a fixed order: ``["dead", "deleted", "gone"]``.

    "gone": the comment vanished from the site on a later crawl (``gone_at`` set), the
    one state that the site itself cannot mark, so an export says it as a flag too.
    """
    flags = [flag for flag in FLAGS if row.get(flag)]
    if row.get("gone_at"):
        flags.append("gone")
    return flags


def comment_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored comment row as the export shape: :data:`RECORD_FIELDS`, in that order."""
    record = {field: as_text(row.get(field)) if field in TEXT_COLUMNS else row.get(field)
              for field in RECORD_FIELDS}  # fmt: skip
    record["flags"] = flags_of(row)
    return record


def story_record(story: Mapping[str, Any]) -> dict[str, Any]:
    record = {field: story.get(field) for field in STORY_FIELDS}
    record["flags"] = flags_of(story)
    return record


def item_url(site: str, story_id: str, comment_id: str | None = None) -> str | None:
    """Where a story (or, given ``comment_id``, one of its comments) lives on its site:
    the "original" links of Markdown and HTML, and the links of search results. None
    for a site the registry does not know."""
    known = sites.SITES.get(site)
    if known is None:
        return None
    if comment_id is None:
        return known.item_url(story_id)
    return known.comment_url(story_id, comment_id)


def thread_forest(comments: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Comment records nested under their parents (``children``), keeping list order.

    ``comments`` is in display order (:func:`archive.query.load_thread`). A comment
    whose parent does not come before it (no stored parent, a parent cycle) becomes a
    root, so every comment appears exactly once. Built without recursion: a reply chain
    thousands deep must not hit Python's recursion limit.
    """
    nodes: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for row in comments:
        node = {**comment_record(row), "children": []}
        parent = nodes.get(row["parent_id"]) if row["parent_id"] is not None else None
        (parent["children"] if parent is not None else roots).append(node)
        nodes[row["id"]] = node
    return roots


def walk(forest: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each node of a :func:`thread_forest` depth-first, with its nesting level (0 = root).

    The level is the place in this export's tree, which equals the stored ``depth``
    except for comments shown as roots because their parent is missing.
    """
    stack = [(0, node) for node in reversed(forest)]
    while stack:
        level, node = stack.pop()
        yield level, node
        stack.extend((level + 1, child) for child in reversed(node["children"]))


def display_time(value: Any) -> str:
    """``2026-01-14T09:30:00Z`` as ``2026-01-14 09:30 UTC``; other values as text,
    unchanged (each format escapes them: an archive's time column can hold anything)."""
    if value is None or value == "":
        return ""
    text = str(value)
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d):\d\d(?:\.\d+)?Z", text)
    return f"{match.group(1)} {match.group(2)} UTC" if match else text


# -- JSON and JSONL ----------------------------------------------------------------


def thread_json(story: Mapping[str, Any], comments: Sequence[Mapping[str, Any]]) -> str:
    """The story object with a ``comments`` array of nested comments, in display order."""
    doc = {**story_record(story), "comments": thread_forest(comments)}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def jsonl_lines(records: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """One compact JSON object per comment record, no trailing newline."""
    for record in records:
        yield json.dumps(record, ensure_ascii=False)


def thread_jsonl(comments: Sequence[Mapping[str, Any]]) -> str:
    # Comments only, no story line: every line has the same shape, the same as a
    # `--where` export, so jq, DuckDB or pandas read a thread's file and a table's alike.
    return "".join(line + "\n" for line in jsonl_lines(map(comment_record, comments)))


# -- CSV ---------------------------------------------------------------------------

# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# CR, as a place where one can hide). The quote is listed too so that the rule can be
# undone exactly: every cell that starts with a quote in the file had one added.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralise_cell(value: Any) -> Any:
    """Put a ``'`` before a text cell starting with ``= + - @`` TAB, CR or ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def recover_cell(cell: str) -> str:
    """Undo :func:`neutralise_cell` on a cell read back from an exported CSV."""
    return cell[1:] if cell.startswith("'") else cell


def _csv_cells(record: Mapping[str, Any]) -> list[Any]:
    cells = []
    for field in RECORD_FIELDS:
        value = record[field]
        if field == "flags":
            value = " ".join(value)
        cells.append(neutralise_cell(value))
    return cells


def write_csv(records: Iterable[Mapping[str, Any]], out: IO[str]) -> int:
    """Write a header and one neutralised row per record; return the row count."""
    # RFC 4180's CRLF, not "\n": the csv module quotes a cell only for characters of
    # the line terminator, and a lone CR in a comment left unquoted breaks the row.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RECORD_FIELDS)
    count = 0
    for record in records:
        writer.writerow(_csv_cells(record))
        count += 1
    return count


def thread_csv(comments: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    write_csv(map(comment_record, comments), buf)
    return buf.getvalue()


# -- Markdown ----------------------------------------------------------------------

# Characters that would turn plain text into markup (emphasis, links, code, raw HTML,
# which a Markdown renderer would pass through as live HTML).
_MD_INLINE = re.compile(r"([\\`*_\[\]<>])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
# At the start of a line: headings, list items, quotes, setext underlines, rules.
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=|~]|\d+(?=[.)]))")
# CommonMark ends a line at CR as well as LF: left alone, a lone CR starts a line that
# the line-start escaping never saw ("\r# heading").
_MD_LINE_END = re.compile(r"\r\n?")
# What may not stay inside a one-line field: any line end or other break of a line
# (a title that starts a new heading), and runs of white space.
_MD_BREAKS = re.compile(r"[\s\x00-\x1f\x7f\u2028\u2029]+")
# A CommonMark autolink holds no white space, no < or >, and no control character.
_AUTOLINK = re.compile(r"https?://[^\s<>\x00-\x1f\x7f]+", re.IGNORECASE)


def md_escape(text: str) -> str:
    """Plain text that renders as itself in CommonMark: markup characters escaped."""
    text = _MD_LINE_END.sub("\n", text)
    text = _MD_ENTITY.sub(r"\\&", _MD_INLINE.sub(r"\\\1", text))
    return "\n".join(_MD_LINE_START.sub(_escape_line_start, line) for line in text.split("\n"))


def md_inline(value: Any) -> str:
    """A one-line field (author, time, title, id, a count) as Markdown text on one line.

    Any value, of any type: a hostile archive can hold text in a number's column. Line
    breaks become spaces, so the field cannot end its line and start a heading or a
    list; every ``#`` is escaped, so a title's trailing ``#`` is not an ATX closing.
    """
    text = _MD_BREAKS.sub(" ", str(value)).strip()
    text = _MD_ENTITY.sub(r"\\&", _MD_INLINE.sub(r"\\\1", text)).replace("#", "\\#")
    return _MD_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, mark = match.group(1), match.group(2)
    # "1." starts a list only through its dot, so the dot is what gets escaped.
    return indent + (mark + "\\" if mark[0].isdigit() else "\\" + mark)


def _md_link(url: Any) -> str:
    # Only a plain http(s) URL becomes an autolink; anything else stays inert text.
    text = str(url)
    return f"<{text}>" if _AUTOLINK.fullmatch(text) else md_inline(text)


def _md_flags(flags: Iterable[str]) -> list[str]:
    return [f"*\\[{flag}\\]*" for flag in flags]


def _md_head(node: Mapping[str, Any]) -> str:
    parts = [f"**{md_inline(node['author'])}**" if node.get("author") else "*(no author)*"]
    if node.get("created_at"):
        parts.append(md_inline(display_time(node["created_at"])))
    parts.extend(_md_flags(node["flags"]))
    return " · ".join(parts)


def _md_story(story: Mapping[str, Any]) -> list[str]:
    lines = [f"# {md_inline(story.get('title') or '(no title)')}", ""]
    if story.get("url"):
        lines += [_md_link(story["url"]), ""]
    score, declared = story.get("score"), story.get("comment_count")
    meta = [f"{md_inline(score)} points" if score is not None else None,
            f"by **{md_inline(story['author'])}**" if story.get("author") else None,
            md_inline(display_time(story.get("created_at"))) or None,
            f"{md_inline(story.get('archived_count') or 0)} comments archived",
            f"{md_inline(declared)} declared" if declared is not None else None,
            *_md_flags(flags_of(story))]  # fmt: skip
    origin = item_url(str(story["site"]), str(story["id"]))
    meta.append(
        md_inline(f"{story['site']}/{story['id']}") + (f" {_md_link(origin)}" if origin else "")
    )
    lines += [" · ".join(m for m in meta if m), ""]
    if story.get("text"):
        lines += [md_escape(str(story["text"])), ""]
    return lines


def thread_markdown(story: Mapping[str, Any], comments: Sequence[Mapping[str, Any]]) -> str:
    """The thread as Markdown: a header, then each reply quoted inside its parent.

    A comment at level N is a blockquote N deep, with a bold author and time line and
    its flags (``[deleted]``, ``[dead]``). Between two comments the quote is closed
    down to the newer one's parent, so siblings are separate boxes and a reply sits in
    its parent's.
    """
    lines = _md_story(story)
    lines.append("---")
    previous = 0
    for level, node in walk(thread_forest(comments)):
        # Closing to level-1 (or staying open at `previous` when going deeper) on the
        # blank line ends the earlier comment's paragraph, so no lazy continuation
        # can pull the next comment into it.
        lines.append(("> " * (previous if level > previous else max(level - 1, 0))).rstrip())
        quote = "> " * level
        body = [_md_head(node)]
        if node.get("text"):
            body += ["", md_escape(str(node["text"]))]
        for line in "\n".join(body).split("\n"):
            lines.append((quote + line).rstrip())
        previous = level
    return "\n".join(lines) + "\n"


# -- one entry point ---------------------------------------------------------------


def thread_document(
    fmt: str, story: Mapping[str, Any], comments: Sequence[Mapping[str, Any]]
) -> str:
    """The whole thread in ``fmt`` (one of :data:`THREAD_FORMATS`) as text."""
    story = readable(story)
    comments = [readable(c) for c in comments]
    if fmt == "json":
        return thread_json(story, comments)
    if fmt == "jsonl":
        return thread_jsonl(comments)
    if fmt == "csv":
        return thread_csv(comments)
    if fmt == "md":
        return thread_markdown(story, comments)
    if fmt == "html":
        # Imported here: export_html builds on this module's records.
        from archive.export_html import thread_html

        return thread_html(story, comments)
    raise ValueError(f"unknown thread format {fmt!r}; expected one of {THREAD_FORMATS}")
