"""HN rows read from the served HTML (``hn.served_rows``) read as lxml's walk reads them.

The served reading takes a row only where it is spelled exactly as HN spelled its rows
in 2010-16, and hands any other row to the walk (``item_rows.read_comment``). Held here
to the walk row by row on every corpus page and on generated pages, and page by page
(the whole ItemPage, or the same error) on pages whose rows were changed at random in
the ways a row can differ: other attributes and quoting, names and ages the template
does not take, marks in the head, nested tags, comments, other wrappers and widths, a
page cut short.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import pytest

from scraper.parsers import hn, whole
from scraper.parsers.errors import ParseError
from scraper.parsers.hn import served_rows, stream
from scraper.parsers.hn.item_rows import read_comment
from scraper.parsers.hn.text import RawBodies, container_starts
from tests import hnpages
from tests.corpus import corpus_dir

AT = hnpages.FETCHED_AT


def _both_readings(html: str) -> tuple[list[dict[str, Any] | None], list[dict[str, Any]]]:
    """(the served reading of each row, None where it declines; the walk's of each row)."""
    doc, _ = whole.parse_html(html, site="hn", url="https://news.ycombinator.com/item?id=1")
    containers = [e for e in doc.iter("span", "div") if e.get("class") == "comment"]
    raw = RawBodies(html, containers, container_starts(html))
    assert raw.starts is not None
    walked = [read_comment(c, n, raw, url="u", fetched_at=AT) for n, c in enumerate(containers)]
    served: list[dict[str, Any] | None] = []
    lo = 0
    for start in raw.starts:
        read = served_rows.read_served(html, lo, start, fetched_at=AT)
        served.append(read[0] if read is not None else None)
        lo = start
    return served, walked


def _old_page(n: int, seed: int) -> str:
    thread = hnpages.random_thread(n, seed=seed)
    return hnpages.site_pages(thread, era="old")[f"/item?id={thread.story_id}"]


def _corpus_item_pages() -> list[tuple[str, str]]:
    folder = corpus_dir("hn")
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("item-*.html"))]


def test_served_rows_are_the_walks_rows_on_generated_pages() -> None:
    taken = 0
    for seed in range(1, 6):
        served, walked = _both_readings(_old_page(120, seed))
        for fast, slow in zip(served, walked, strict=True):
            if fast is not None:
                assert fast == slow
                taken += 1
    assert taken > 500  # the plain rows (not dead, deleted or greyed by a mark) are read


def test_served_rows_are_the_walks_rows_on_the_corpus() -> None:
    taken = {}
    for name, html in _corpus_item_pages():
        if "comhead" not in html:
            continue
        served, walked = _both_readings(html)
        for fast, slow in zip(served, walked, strict=True):
            if fast is not None:
                assert fast == slow, name
        taken[name] = sum(r is not None for r in served)
    # 2010-16 markup is read from the bytes; 2017- markup (hnuser links, age titles)
    # is left to the walk.
    assert taken["item-3412900.html"] == 97 and taken["item-9342369.html"] == 121
    assert taken["item-7663775.html"] > 40 and taken["item-8019415-2016-03.html"] > 50
    assert taken["item-34886766.html"] == 0


# Changes a row's spelling can take, each applied where its first string occurs in one
# row. Names and ages that the template does not take, marks, nested and other tags,
# attributes, quoting, case, blanks that libxml2 does not count as blanks.
_CHANGES = [
    ('">user', '">us&amp;er'), ('">user', '"><b>user</b>'), ('">user', '">u\xa0ser'),
    ('">user', '">  user'), ('">user', '">üser'), ('">user', '"><font size=2>user</font>'),
    ('">user', '"><font color=#3c963c>user'), ('">user', '"><font color="#3c963c">user'),
    ("</a> ", "</a>"), ("</a> ", "</a>\t"), ("</a> ", "</a> [dead] "),
    ("</a> ", "</a> [flagged] "), (" ago", " ago [dead]"), (" ago", "s ago"),
    (" ago", "  ago"), (" ago", " ago "), (" days ago", " weeks ago"), ("days ago", "day ago"),
    ("  | ", " | "), ("  | ", "  |"), ("days ago", ""), ("days ago", "on Oct 9, 2006"),
    ("link</a>", "link</a> [dead]"),
    ("link</a>", "parent</a>"), ("link</a>", "link</A>"),
    ('<a href="item', '<a class="x" href="item'), ('<a href="item', '<a href="/item'),
    ('<a href="item', '<a  href="item'), ('<a href="user', "<a href='user"),
    ('<a href="user', '<A href="user'), ('<a href="user', '<a href="https://news.ycombinator.com/user'),
    ('item?id=', 'item?id=x'), ('item?id=', 'item?id=1&#50;'), ("item?id=", "item?id=\u0661"),
    ("width=", "width=4"), ("width=", "width=1"), ("width=", "width=x"), ("width=", "width= "),
    ("s.gif", "s.png"), ("s.gif", "s.gif?"), ("height=1", "height=2"),
    ("<tr><td><table", "<tr id='5'><td><table"),
    ("<tr><td><table", "<tr class='athing' id='5'><td><table"),
    ("<td><img", "<td indent='3'><img"), ("<td><img", "<td class='ind' indent='2'><img"),
    ("<td><img", "<td><!-- x --><img"), ("<center>", "<center><script>'</td>'</script>"),
    ("<center>", "<center></td><td>"), ("<center>", "<center><table>"),
    ('<td class="default">', '<td class="default" id="d">'),
    ('<td class="default">', '<td class="default"><div><span class="comhead">x</span></div>'),
    ("-10px; ", "-10px;"), ("-10px; ", "-10px; \f"),
    ('<span class="comhead">', '<span class="comhead"> '),
    ('<span class="comhead">', '<span class="comhead">\xa0'),
    ('<span class="comhead">',
     '<span class="comhead"><span class="age" title="2020-01-01T00:00:00">'),
    ('<span class="age">', '<span class="age" title="2020-01-01T00:00:00">'),
    ('<span class="age">', '<span class="age"> '), ('<span class="age">', "<span class='age'>"),
    ('"></div></a></center>', '"></div></a></center><span class="age">'),
    ("</span></div><br>", "</span> </div><br>"), ("</span></div><br>", "</span></div>\n<br>"),
    ("</span></div><br>", "</span></div><br/>"), ("</span></div><br>", "</span></div><p>"),
    ("<font color=#", "<font size=1 color=#"), ("<font color=#", "<font color=\"#"),
    ("<font color=#", "<font color=#ff"), ("<font color=#", '<span class="c5A">'),
    ("<font color=#", '<span class="commtext c00">'), ("<font color=#", "<font COLOR=#"),
    ("<font color=#", "\xa0<font color=#"), ("<font color=#", "x<font color=#"),
    ('<span class="comment">', '<span class="comment">[deleted]'),
    ('<span class="comment">', '<span class="comment"><font color=#000000></font>'),
]


def _changed(html: str, rng: random.Random) -> str:
    """The page with one to three rows changed by one to three of ``_CHANGES`` each, or
    cut short inside a row."""
    starts = [pos for pos, _ in container_starts(html)]
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(starts))
        begin = html.rfind("<tr><td><table", 0, starts[k])
        begin = html.rfind("<tr", 0, html.rfind("<tr", 0, starts[k])) if begin < 0 else begin
        end = html.find("</tr>", starts[k])
        row = html[begin:end]
        for old, new in rng.sample(_CHANGES, rng.randint(1, 3)):
            if old.lower() in row.lower():
                at = row.lower().find(old.lower())
                row = row[:at] + new + row[at + len(old):]
        html = html[:begin] + row + html[end:]
        starts = [pos for pos, _ in container_starts(html)]
        if not starts:
            break
    if rng.random() < 0.1 and starts:
        html = html[:starts[rng.randrange(len(starts))] + rng.randint(-300, 300)]
    return html


def _read(html: str, *, served: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as patch:
        if not served:
            patch.setattr(served_rows, "read_served", lambda *a, **k: None)
        try:
            # No id in the URL: the page's own header names its story.
            return hn.parse_item_page(html, url="https://news.ycombinator.com/x?fnid=a",
                                      fetched_at=AT)
        except ParseError as exc:
            return ("error", type(exc).__name__, str(exc))


def _rows(html: str, *, served: bool,
          monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]] | None:
    """Every row as ``served_rows.read_rows`` reads it, or with the walk alone; None
    where the page's tree and bytes do not match (the walk reads every row then)."""
    try:
        doc, _ = whole.parse_html(html, site="hn", url="u")
    except ParseError:
        return None
    containers = [e for e in doc.iter("span", "div") if e.get("class") == "comment"]
    raw = RawBodies(html, containers, container_starts(html))
    if raw.starts is None:
        return None
    with monkeypatch.context() as patch:
        if not served:
            patch.setattr(served_rows, "read_served", lambda *a, **k: None)
        try:
            return served_rows.read_rows(containers, raw, url="u", fetched_at=AT)
        except ParseError as exc:
            return [{"error": str(exc)}]


def _bases() -> list[str]:
    pages = [_old_page(30, seed) for seed in (1, 2)]
    try:
        folder = corpus_dir("hn")
    except pytest.skip.Exception:
        return pages
    names = ("item-3412900.html", "item-9342369.html", "item-7663775.html", "item-6561358.html",
             "item-8019415-2016-03.html")
    return pages + [(folder / n).read_text(encoding="utf-8") for n in names
                    if (folder / n).is_file()]


@pytest.mark.parametrize("seed", range(4))
def test_changed_rows_read_as_the_walk_reads_them(seed: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    bases = _bases()
    taken = declined = pages = 0
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        return read_comment(*args, **kwargs)

    monkeypatch.setattr(served_rows, "read_comment", counted)
    for _ in range(120):
        html = _changed(rng.choice(bases), rng)
        page = _read(html, served=True, monkeypatch=monkeypatch)
        assert page == _read(html, served=False, monkeypatch=monkeypatch)
        pages += not isinstance(page, tuple)
        walked_rows = _rows(html, served=False, monkeypatch=monkeypatch)
        if walked_rows is None:
            continue  # lxml's tree and the bytes disagree: the page is read by the walk
        calls.clear()
        rows = _rows(html, served=True, monkeypatch=monkeypatch)
        assert rows == walked_rows
        assert rows is not None
        taken += len(rows) - len(calls)
        declined += len(calls)
    assert taken > 0 and declined > 0 and pages > 50


@pytest.mark.parametrize("row", [0, 1, 3])
def test_each_change_of_a_row_reads_as_the_walk(row: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Every change, alone, in one row of a plain page (the first, or one the rows
    before it lead into), and the rows after it: as the walk reads them."""
    html = _old_page(6, 3)
    start = container_starts(html)[row][0]
    begin = html.rfind("<tr><td><table", 0, start)
    end = html.find("</tr></table></td></tr>", start)
    declined = 0
    for old, new in _CHANGES:
        at = html.find(old, begin)
        if at < 0 or at > end:
            continue
        changed = html[:at] + new + html[at + len(old):]
        walked = _rows(changed, served=False, monkeypatch=monkeypatch)
        if walked is None:
            continue
        assert _rows(changed, served=True, monkeypatch=monkeypatch) == walked, (old, new)
        starts = [pos for pos, _ in container_starts(changed)]
        declined += served_rows.read_served(
            changed, starts[row - 1] if row else 0, starts[row], fetched_at=AT) is None
    assert declined > 30


def test_the_served_reading_of_a_page_needs_its_offsets(monkeypatch: pytest.MonkeyPatch,
                                                         ) -> None:
    """Rows whose offsets lxml's tree does not confirm are read by the walk alone."""
    html = _old_page(20, 4)
    calls: list[int] = []

    def counting(*args: object, **kwargs: Any) -> None:
        calls.append(1)
        return None

    monkeypatch.setattr(served_rows, "read_served", counting)
    hn.parse_item_page(html, url="https://news.ycombinator.com/x?fnid=a", fetched_at=AT)
    assert len(calls) == served_rows._TRIES  # no row read: the rest left to the walk
    calls.clear()
    doc, _ = whole.parse_html(html, site="hn", url="u")
    containers = [e for e in doc.iter("span", "div") if e.get("class") == "comment"]
    raw = RawBodies(html, containers[:-1], container_starts(html))  # not matched
    assert raw.starts is None
    rows = served_rows.read_rows(containers[:-1], raw, url="u", fetched_at=datetime(2026, 1, 1))
    assert len(rows) == 19 and not calls


def test_a_page_in_later_markup_is_left_to_the_walk_after_its_first_rows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A 2017- page has no row the bytes' reading takes: it stops asking after a few."""
    html = (corpus_dir("hn") / "item-34886766.html").read_text(encoding="utf-8")
    calls: list[int] = []
    real = served_rows.read_served

    def counting(*args: Any, **kwargs: Any) -> served_rows.Served | None:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(served_rows, "read_served", counting)
    page = hn.parse_item_page(html, url="https://news.ycombinator.com/item?id=34886766",
                              fetched_at=AT)
    assert len(page.comments) == 98 and len(calls) == served_rows._TRIES


def test_a_streamed_page_reads_its_rows_from_the_bytes(monkeypatch: pytest.MonkeyPatch,
                                                        ) -> None:
    """A page of 1 MiB or more is read as it parses (``hn.stream``): its plain rows are
    read from the bytes there too, and the page reads as with the walk alone."""
    html = _old_page(4000, 6)
    assert len(html) >= stream.MIN_SIZE
    walked: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        walked.append(1)
        return read_comment(*args, **kwargs)

    monkeypatch.setattr(served_rows, "read_comment", counted)
    streamed = stream.read_rows(html, container_starts(html), url="u", fetched_at=AT,
                                read_row=served_rows.RowReader())
    assert streamed is not None and len(streamed.rows) == 4000
    assert 0 < len(walked) < 400  # the first row, and the rows after a dead or deleted one
    walked.clear()
    page = _read(html, served=True, monkeypatch=monkeypatch)  # as the item parser reads it
    assert not isinstance(page, tuple) and 0 < len(walked) < 400
    assert page == _read(html, served=False, monkeypatch=monkeypatch)
