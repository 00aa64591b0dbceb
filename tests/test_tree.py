"""build_tree / assemble_thread: the site-neutral rebuild of a thread from (id, depth) rows;
walk: the depth-first walk of a nested tree (HN API, Algolia)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from archive.models import Story
from scraper.parsers.errors import ParseError
from scraper.parsers.pages import ItemPage, PageComment
from scraper.parsers.tree import assemble_thread, build_tree, walk

URL = "https://example.test/item?id=1"
AT = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


def rows(*spec: tuple[str | None, int]) -> list[PageComment]:
    """(id, depth) rows; a None id is an old-markup deleted row."""
    return [PageComment(site="t", id=i, depth=d, deleted=i is None) for i, d in spec]


def shape(comments: tuple) -> list[tuple]:
    return [(c.id, c.parent_id, c.depth, c.position) for c in comments]


def test_parents_and_positions_from_a_preorder_listing() -> None:
    got = build_tree("t", "1", rows(("a", 0), ("b", 1), ("c", 2), ("d", 1), ("e", 0),
                                    ("f", 1)), url=URL)
    assert shape(got) == [
        ("a", None, 0, 0), ("b", "a", 1, 0), ("c", "b", 2, 0), ("d", "a", 1, 1),
        ("e", None, 0, 1), ("f", "e", 1, 0),
    ]
    assert all(c.story_id == "1" and c.site == "t" and not c.synthetic_id for c in got)


def test_empty_listing_is_an_empty_tree() -> None:
    assert build_tree("t", "1", [], url=URL) == ()


@pytest.mark.parametrize("spec, message", [
    ([("a", 1)], "row 0 (id a): the first comment has depth 1"),
    ([("a", 0), ("b", 2)], "row 1 (id b): depth 2 jumps more than one level"),
    ([("a", 0), ("b", 1), ("c", 3)], "row 2 (id c): depth 3 jumps"),
    ([("a", 0), ("b", 1), ("a", 1)], "row 2 (id a): duplicate comment id"),
    ([("a", 0), ("b", -1)], "row 1 (id b): negative depth"),
])
def test_broken_listings_name_the_offending_row(spec: list, message: str) -> None:
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        build_tree("t", "1", rows(*spec), url=URL)
    assert e.value.site == "t" and e.value.url == URL


def test_deleted_rows_without_id_get_stable_synthetic_ids() -> None:
    # None with a child: named after the child; childless: after its place.
    got = build_tree("t", "9", rows(("a", 0), (None, 1), ("c", 2), (None, 1), (None, 0)),
                     url=URL)
    assert shape(got) == [
        ("a", None, 0, 0),
        ("deleted-c", "a", 1, 0),
        ("c", "deleted-c", 2, 0),
        ("deleted-a-after-deleted-c", "a", 1, 1),
        ("deleted-9-after-a", None, 0, 1),
    ]
    assert [c.synthetic_id for c in got] == [False, True, False, True, True]


def test_synthetic_ids_survive_comments_added_elsewhere() -> None:
    before = rows(("a", 0), (None, 1), ("c", 2), ("d", 0), (None, 1))
    after = rows(("new", 0), ("a", 0), (None, 1), ("c", 2), ("n2", 2), ("d", 0), (None, 1),
                 ("late", 1))
    ids = lambda got: {c.id for c in got if c.synthetic_id}  # noqa: E731
    assert ids(build_tree("t", "9", before, url=URL)) == ids(build_tree("t", "9", after, url=URL))


def test_nested_deleted_rows_do_not_collide_or_loop() -> None:
    # A deleted parent whose only child is a childless deleted row: naming each after
    # the other would be circular; the parent takes its place-name instead.
    got = build_tree("t", "9", rows((None, 0), (None, 1), (None, 0), (None, 1), ("x", 2)),
                     url=URL)
    assert shape(got) == [
        ("deleted-9-after-first", None, 0, 0),
        ("deleted-deleted-9-after-first-after-first", "deleted-9-after-first", 1, 0),
        ("deleted-deleted-x", None, 0, 1),
        ("deleted-x", "deleted-deleted-x", 1, 0),
        ("x", "deleted-x", 2, 0),
    ]
    assert len({c.id for c in got}) == 5


def _random_forest(rng: random.Random, n: int) -> list[tuple[str, str | None]]:
    """(id, parent id or None) in pre-order (display order) for a random forest."""
    out: list[tuple[str, str | None]] = []
    children: dict[str | None, list[str]] = {None: []}
    for i in range(n):
        parent = rng.choice([None, *children]) if rng.random() < 0.9 else None
        name = f"n{i}"
        children.setdefault(parent, []).append(name)
        children[name] = []

    def visit(parent: str | None) -> None:
        for child in children[parent]:
            out.append((child, parent))
            visit(child)

    visit(None)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_random_trees_survive_flatten_and_rebuild(seed: int) -> None:
    rng = random.Random(seed)
    forest = _random_forest(rng, rng.randint(1, 300))
    depth: dict[str | None, int] = {None: -1}
    position: dict[str, int] = {}
    seen: dict[str | None, int] = {}
    for name, parent in forest:
        depth[name] = depth[parent] + 1
        position[name] = seen.get(parent, 0)
        seen[parent] = position[name] + 1
    hidden = {name for name, _ in forest if rng.random() < 0.12}  # ids the site omits
    page = [PageComment(site="t", id=None if name in hidden else name, depth=depth[name],
                        deleted=name in hidden) for name, _ in forest]

    got = build_tree("t", "s", page, url=URL)

    assert len(got) == len(forest)
    real = {name: c.id for (name, _), c in zip(forest, got, strict=True)}
    assert len(set(real.values())) == len(real)
    for (name, parent), c in zip(forest, got, strict=True):
        assert c.depth == depth[name] and c.position == position[name]
        assert c.parent_id == (real[parent] if parent is not None else None)
        assert c.synthetic_id == (name in hidden)
        if name not in hidden:
            assert c.id == name
    # Naming is a pure function of the listing: a second build gives the same ids.
    assert [c.id for c in build_tree("t", "s", page, url=URL)] == [c.id for c in got]


def _page(comments: list[PageComment], *, story: Story | None, url: str = URL) -> ItemPage:
    return ItemPage(site="t", story_id="1", url=url, fetched_at=AT, story=story,
                    comments=tuple(comments))


STORY = Story(site="t", id="1", title="A story", comment_count=4)


def test_assemble_continues_the_tree_across_pages() -> None:
    first = _page(rows(("a", 0), ("b", 1)), story=STORY)
    second = _page(rows(("c", 1), ("d", 0)), story=None, url=URL + "&p=2")
    thread = assemble_thread([first, second])
    assert thread.story == STORY and thread.fetched_at == AT
    assert shape(thread.comments) == [("a", None, 0, 0), ("b", "a", 1, 0), ("c", "a", 1, 1),
                                      ("d", None, 0, 1)]


def test_assemble_takes_the_story_from_the_first_page_that_has_one() -> None:
    thread = assemble_thread([_page(rows(("a", 0)), story=None), _page([], story=STORY)])
    assert thread.story == STORY


def test_assemble_without_any_story_header_fails() -> None:
    with pytest.raises(ParseError, match="story header"):
        assemble_thread([_page(rows(("a", 0)), story=None)])


def test_zero_comments_where_the_story_declares_some_fails() -> None:
    with pytest.raises(ParseError, match="page says 4 comments but none were found"):
        assemble_thread([_page([], story=STORY)])


def test_zero_comments_where_none_are_declared_is_an_empty_thread() -> None:
    for declared in (0, None):
        story = Story(site="t", id="1", comment_count=declared)
        assert assemble_thread([_page([], story=story)]).comments == ()


def test_pages_of_different_threads_are_not_assembled() -> None:
    other = ItemPage(site="t", story_id="2", url=URL, fetched_at=AT, story=None, comments=())
    with pytest.raises(ParseError, match="item 2 in the thread of 1"):
        assemble_thread([_page([], story=STORY), other])


def test_a_subtree_repeated_by_a_later_page_is_read_once() -> None:
    # Between the two fetches "b" moved down the ranking: page 2 shows it (and its
    # reply) again, then carries on with comments page 1 did not have.
    first = _page(rows(("a", 0), ("b", 0), ("c", 1)), story=STORY)
    second = _page(rows(("b", 0), ("c", 1), ("x", 2), ("d", 0), ("e", 1)), story=None,
                   url=URL + "&p=2")
    thread = assemble_thread([first, second])
    assert shape(thread.comments) == [("a", None, 0, 0), ("b", None, 0, 1), ("c", "b", 1, 0),
                                      ("d", None, 0, 2), ("e", "d", 1, 0)]


def test_a_repeat_within_one_page_is_still_an_error() -> None:
    with pytest.raises(ParseError, match="duplicate comment id"):
        assemble_thread([_page(rows(("a", 0), ("b", 1), ("a", 0)), story=STORY)])


# -- walk: a tree an API gives nested -------------------------------------------------


def test_walk_keeps_the_place_of_a_none_child_and_goes_depth_first() -> None:
    tree = {"id": 0, "kids": [{"id": 1, "kids": [None, {"id": 2, "kids": []}]}, None,
                              {"id": 3, "kids": []}]}  # fmt: skip
    placed = [(n["id"], None if p is None else p["id"], d, pos)
              for n, p, d, pos in walk(tree, lambda n: n["kids"])]
    assert placed == [(1, None, 0, 0), (2, 1, 1, 1), (3, None, 0, 2)]


def test_walk_with_a_key_passes_over_repeats_and_loops() -> None:
    nodes: dict[int, dict] = {0: {"id": 0, "kids": [1, 2]}, 1: {"id": 1, "kids": [2, 0]},
                              2: {"id": 2, "kids": [1]}}  # fmt: skip
    def children(n: dict) -> list[dict | None]:
        return [nodes.get(k) for k in n["kids"]]

    placed = [(n["id"], d, pos) for n, _, d, pos in walk(nodes[0], children,
                                                         key=lambda n: n["id"])]
    # 2 is met first under 1, so its second listing (under the story) is passed over;
    # the loops back to 0 and 1 are too.
    assert placed == [(1, 0, 0), (2, 1, 0)]


def test_walk_goes_deeper_than_the_recursion_limit() -> None:
    chain: dict = {"id": 0, "kids": []}
    node = chain
    for i in range(1, 5000):
        child = {"id": i, "kids": []}
        node["kids"].append(child)
        node = child
    depths = [d for _, _, d, _ in walk(chain, lambda n: n["kids"])]
    assert depths == list(range(4999))
