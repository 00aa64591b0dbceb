"""Comment and story bodies as readable plain text, read with BeautifulSoup.

A body is the HTML a user wrote (HN allows paragraphs, italics, links and ``<pre><code>``
blocks). Its text is what a reader sees: paragraphs separated by a blank line, ``<pre>``
blocks with their whitespace kept, every other run of whitespace collapsed as a browser
collapses it (ASCII whitespace only: ``&nbsp;`` stays), links as their shown text.

All bodies of a page go through ONE BeautifulSoup parse (lxml builder), each inside a
marker element: per-body parses cost 8-12x a bare lxml parse of the whole page on a
1,000-comment page, a single parse of all of them about 1x (bench/parse.py). HN writes a
paragraph break as a bare ``<p>``, most of the tags in a body; BeautifulSoup's cost is
per node, so those are turned into a sentinel character before the parse rather than
built as elements (a third of the time on long, many-paragraph job posts).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bs4 import BeautifulSoup, NavigableString, PageElement, Tag

_MARK = "lt-body"
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_BLOCKS = frozenset({"p", "div", "blockquote", "ul", "ol", "li", "table", "tr",
                     "h1", "h2", "h3", "h4", "h5", "h6"})
_BREAK = "\x00"  # libxml2 never hands a NUL through, so it cannot be in the text
_PARA = "\ue000"  # a private-use character, used only where the body cannot contain it
_PARA_SPELLINGS = ("\ue000", "57344", "xe000", "xE000")


class _Verbatim(str):
    """The text of a ``<pre>`` block, whose whitespace is kept."""

    __slots__ = ()


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip(" ")


def _gather(node: Tag, out: list[str]) -> None:
    # A stack of open elements rather than recursion: a damaged body can nest deeper
    # than Python's recursion limit (a thousand unclosed <i>), and libxml2 allows it.
    stack: list[tuple[Iterator[PageElement], bool]] = [(iter(node.children), False)]
    while stack:
        children, block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if block:
                out.append(_BREAK)
        elif isinstance(child, Tag):
            if child.name == "pre":
                out.append(_Verbatim(child.get_text()))
            elif child.name in _BLOCKS:
                out.append(_BREAK)
                stack.append((iter(child.children), True))
            elif child.name == "br":
                out.append(_BREAK)
            else:
                stack.append((iter(child.children), False))
        elif type(child) is NavigableString:  # not comments, CDATA or doctypes
            if _PARA in child:
                for k, piece in enumerate(child.split(_PARA)):
                    if k:
                        out.append(_BREAK)
                    out.append(piece)
            else:
                out.append(child)


def tag_text(node: Tag) -> str:
    """The readable text of one parsed body (see the module's rules)."""
    out: list[str] = []
    _gather(node, out)
    blocks: list[str] = []
    line: list[str] = []
    for part in [*out, _BREAK]:
        if part is _BREAK or isinstance(part, _Verbatim):
            block = _collapse("".join(line))
            if block:
                blocks.append(block)
            line.clear()
            if isinstance(part, _Verbatim):
                code = part.strip("\n").rstrip()
                if code:
                    blocks.append(code)
        else:
            line.append(part)
    return "\n\n".join(blocks)


def texts(fragments: Sequence[str]) -> list[str]:
    """The text of each HTML fragment, in order, from one parse of them all."""
    if not fragments:
        return []
    joined = "".join(f"<{_MARK}>{_paragraphs(f)}</{_MARK}>" for f in fragments)
    soup = BeautifulSoup(joined, "lxml")
    marks = soup.find_all(_MARK)
    top = soup.body
    if len(marks) == len(fragments) and all(m.parent is top for m in marks):
        return [tag_text(m) for m in marks]
    # A fragment broke out of its marker (stray close tags): read each on its own.
    return [text(f) for f in fragments]


def _paragraphs(fragment: str) -> str:
    if "<p>" not in fragment or any(s in fragment for s in _PARA_SPELLINGS):
        return fragment
    return fragment.replace("<p>", _PARA)


def text(fragment: str) -> str:
    """The text of one HTML fragment."""
    return tag_text(BeautifulSoup(f"<div>{fragment}</div>", "lxml").div or Tag(name="div"))
