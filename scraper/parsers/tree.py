"""Site-neutral trees: page-ordered (id, depth) rows -> parent, depth, position; and the
walk of a tree that an API gives nested (:func:`walk`).

Aggregators that print threads as indented lists (HN, Lobsters, old Reddit) give each
comment's depth but not its parent; in a pre-order listing the parent is the nearest
earlier row one level up. The invariants that make this sound are checked, not assumed:
a tree built from a page that breaks them would silently misplace replies.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import TypeVar

from archive.models import Comment, Thread
from archive.records import quick
from scraper.parsers.errors import ParseError, gc_paused
from scraper.parsers.pages import ItemPage, PageComment

N = TypeVar("N")


def walk(root: N, children: Callable[[N], Iterable[N | None]], *,
         key: Callable[[N], Hashable] | None = None,
         ) -> Iterator[tuple[N, N | None, int, int]]:  # fmt: skip
    """Every node under ``root`` (not itself) depth first, in its parent's order, as
    (node, parent or None at the top, depth from 0, position among the parent's children).

    A None child keeps its place (its later siblings keep their index) but is neither
    yielded nor descended: an item the source answered null for, or one it does not
    serve. With ``key``, a node whose key was met before (the root's included) is passed
    over the same way: a repeat or a loop in what the source gave. A loop with a stack,
    not a recursion: a thread can nest deeper than Python's recursion limit allows."""
    seen = {key(root)} if key is not None else set()
    stack: list[tuple[Iterator[tuple[int, N | None]], N | None, int]] = [
        (iter(enumerate(children(root))), None, 0)]
    while stack:
        kids, parent, depth = stack[-1]
        step = next(kids, None)
        if step is None:
            stack.pop()
            continue
        position, node = step
        if node is None:
            continue
        if key is not None:
            name = key(node)
            if name in seen:
                continue
            seen.add(name)
        yield node, parent, depth, position
        stack.append((iter(enumerate(children(node))), node, depth + 1))

_new_comment = quick(Comment)  # a Comment per row (see archive.records)


def _row_name(i: int, c: PageComment) -> str:
    """How an error names a row; formatted only for an error (a page has thousands)."""
    return f"row {i} (id {c.id})" if c.id is not None else f"row {i} (no id)"


def _shape(site: str, comments: Sequence[PageComment], *, url: str) -> tuple[list[int], list[int]]:
    """(parent index or -1, position among siblings) per row; ParseError on a bad listing."""
    parents: list[int] = []
    positions: list[int] = []
    stack: list[int] = []  # indices of the open ancestors, one per depth
    next_position: dict[int, int] = {}  # parent index (-1: top) -> next sibling position
    seen: set[str] = set()
    for i, c in enumerate(comments):
        if c.id is not None:
            if c.id in seen:
                raise ParseError(site, url, f"{_row_name(i, c)}: duplicate comment id")
            seen.add(c.id)
        if c.depth < 0:
            raise ParseError(site, url, f"{_row_name(i, c)}: negative depth {c.depth}")
        if i == 0 and c.depth != 0:
            raise ParseError(site, url, f"{_row_name(i, c)}: the first comment has depth "
                                        f"{c.depth}, not 0")
        if c.depth > len(stack):
            raise ParseError(site, url, f"{_row_name(i, c)}: depth {c.depth} jumps more than "
                                        f"one level below the previous row (depth "
                                        f"{len(stack) - 1})")
        del stack[c.depth:]
        parent = stack[-1] if stack else -1
        parents.append(parent)
        positions.append(next_position.get(parent, 0))
        next_position[parent] = positions[-1] + 1
        stack.append(i)
    return parents, positions


def _synthetic_ids(story_id: str, comments: Sequence[PageComment], parents: list[int],
                   positions: list[int]) -> list[str]:
    """Final ids, inventing stable ones for rows the site gave none (old HN [deleted]).

    A deleted comment with replies is named after its first reply ("deleted-<child>"),
    which later comments elsewhere cannot change. A childless one is named after its place:
    "deleted-<parent or story>-after-<previous sibling or 'first'>". When the first reply
    is itself a childless deleted row, naming each after the other would be circular,
    so the parent falls back to the place form."""
    n = len(comments)
    ids: list[str | None] = [c.id for c in comments]
    # Downward names first, from the end: in pre-order a row's first child is the next row.
    for i in range(n - 1, -1, -1):
        if ids[i] is None and i + 1 < n and parents[i + 1] == i and ids[i + 1] is not None:
            ids[i] = f"deleted-{ids[i + 1]}"
    prev_sibling: dict[int, int] = {}  # parent index -> last child index seen so far
    for i in range(n):
        parent = parents[i]
        if ids[i] is None:
            where = ids[parent] if parent >= 0 else story_id
            before = ids[prev_sibling[parent]] if positions[i] > 0 else "first"
            ids[i] = f"deleted-{where}-after-{before}"
        prev_sibling[parent] = i
    return [i for i in ids if i is not None]


def build_tree(site: str, story_id: str, comments: Sequence[PageComment], *,
               url: str) -> tuple[Comment, ...]:
    """Place page-ordered comments in their tree: parent_id (None at depth 0), depth and
    0-based position among siblings. Rows without an id get a stable synthetic one."""
    parents, positions = _shape(site, comments, url=url)
    ids = _synthetic_ids(story_id, comments, parents, positions)
    if len(set(ids)) != len(ids):
        dup = next(x for x in ids if ids.count(x) > 1)
        raise ParseError(site, url, f"synthetic id {dup} collides with another comment")
    return tuple(
        _new_comment(
            site=c.site, id=ids[i], story_id=story_id,
            parent_id=ids[parents[i]] if parents[i] >= 0 else None,
            depth=c.depth, position=positions[i], author=c.author,
            created_at=c.created_at, created_at_raw=c.created_at_raw,
            text_html=c.text_html, text=c.text, dead=c.dead, flagged=c.flagged,
            deleted=c.deleted, colour=c.colour, synthetic_id=c.id is None,
        )
        for i, c in enumerate(comments)
    )


def _joined(pages: Sequence[ItemPage]) -> list[PageComment]:
    """The rows of all pages in order. A live thread can shift between two page fetches,
    so a later page may repeat a subtree an earlier page already gave: that subtree is
    read once, from the earlier page (a repeat within one page is still an error)."""
    if len(pages) == 1:
        return list(pages[0].comments)  # a repeat within one page is _shape's to find
    rows: list[PageComment] = []
    earlier: set[str] = set()
    for page in pages:
        skip_below: int | None = None
        for c in page.comments:
            if skip_below is not None and c.depth > skip_below:
                continue
            skip_below = None
            if c.id is not None and c.id in earlier:
                skip_below = c.depth
                continue
            rows.append(c)
        earlier.update(c.id for c in page.comments if c.id is not None)
    return rows


def assemble_thread(pages: Sequence[ItemPage]) -> Thread:
    """One thread from its pages in order: continuation pages carry on the same listing.

    Zero comments while the story declares some is an error, not an empty thread. The
    declared count is not required to match: it includes dead and deleted comments
    the page hides."""
    if not pages:
        raise ValueError("assemble_thread needs at least one page")
    with gc_paused():  # a Comment per row, none in a cycle (see gc_paused)
        return _assembled(pages)


def _assembled(pages: Sequence[ItemPage]) -> Thread:
    first = pages[0]
    for page in pages[1:]:
        if page.story_id != first.story_id or page.site != first.site:
            raise ParseError(first.site, page.url, f"page of {page.site} item {page.story_id} "
                                                   f"in the thread of {first.story_id}")
    story = next((p.story for p in pages if p.story is not None), None)
    if story is None:
        raise ParseError(first.site, first.url, "no page of the thread shows its story header")
    comments = _joined(pages)
    if not comments and story.comment_count:
        raise ParseError(first.site, first.url, f"page says {story.comment_count} comments "
                                                "but none were found")
    return Thread(
        story=story,
        comments=build_tree(first.site, story.id, comments, url=first.url),
        fetched_at=first.fetched_at,
    )
