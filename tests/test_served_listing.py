"""HN listing rows read from the served HTML (``hn.served_listing``) read as lxml's walk
(``listing_rows.read_row``) reads them.

The served reading takes a row only where it is spelled exactly as HN spelled its
listing rows in 2010-15, and hands any other row to the walk. Held here to the walk row
by row on the corpus's listings, and page by page (the whole Listing, or the same
error) on listings generated in 2010 and 2015 markup with random titles, links, names
and counts, character references among them, and on such pages and the corpus's whose
rows were changed at random in the ways a row can differ: other attributes and
quoting, marks, job and dead rows, nested tags, comments, a page cut short.
"""

from __future__ import annotations

import random

import pytest

from scraper.parsers import hn, whole
from scraper.parsers.errors import ParseError
from scraper.parsers.hn import served_listing
from scraper.parsers.hn.listing import _SUBTEXT
from scraper.parsers.hn.listing_rows import read_row
from scraper.parsers.hn.story import _prev_row
from tests import hnpages
from tests.corpus import corpus_dir

AT = hnpages.FETCHED_AT
URL = "https://news.ycombinator.com/news"
_OLD = ("news-2010-08.html", "news-2012-03.html", "news-2015-04.html", "news-2015-06.html")


def _corpus(names: tuple[str, ...] = _OLD) -> dict[str, str]:
    folder = corpus_dir("hn")
    return {n: (folder / n).read_text(encoding="utf-8") for n in names}


def _both_readings(html: str) -> list[tuple[object | None, object]]:
    """(the served reading of each row alone, None where it declines; the walk's)."""
    doc, _ = whole.parse_html(html, site="hn", url=URL)
    subtexts = [e for e in doc.iter("td") if "subtext" in (e.get("class") or "").split()]
    starts = [m.start() for m in _SUBTEXT.finditer(html)]
    assert len(starts) == len(subtexts)
    out: list[tuple[object | None, object]] = []
    for n, (s, start) in enumerate(zip(subtexts, starts, strict=True)):
        row = s.getparent()
        assert row is not None
        walked = read_row(s, _prev_row(row), n, 0, url=URL, fetched_at=AT)
        served = served_listing.read_served(
            html, served_listing._title_start(html, start), start, chained=False,
            position=n, url=URL, fetched_at=AT)
        out.append((served[0] if served is not None else None, walked))
    return out


def test_served_rows_are_the_walks_rows_on_the_corpus() -> None:
    taken = {}
    for name, html in _corpus((*_OLD, "news-2021-10-18.html")).items():
        pairs = _both_readings(html)
        for fast, slow in pairs:
            if fast is not None:
                assert fast == slow, name
        taken[name] = sum(fast is not None for fast, _ in pairs)
    # Every row but the job ads (no points, no submitter); 2016- markup is walked.
    assert taken == {"news-2010-08.html": 30, "news-2012-03.html": 29,
                     "news-2015-04.html": 29, "news-2015-06.html": 29,
                     "news-2021-10-18.html": 0}


# What a title or a link may hold: references taken and not, bare "&"s, blanks,
# controls and characters libxml2 may read otherwise.
_PIECES = (
    "Show HN", "Ask HN: x", "plain words", "Q&A", "AT&T", "R&D;", "&A ", "&AB ", "& ", "&",
    "&amp;", "&lt;", "&gt;", "&quot;", "&nbsp;", "&#39;", "&#x27;", "&#X27;", "&#0039;",
    "&apos;", "&AMP;", "&amp", "&copy", "&copy;", "&not ", "&notin;", "&lt=", "&gt",
    "&#39", "&#;", "&#x;", "&;", "&#128;", "&#x80;", "&#159;", "&#160;", "&#0;", "&#9;",
    "&#10;", "&#13;", "&#x1F;", "&#55295;", "&#xD800;", "&#xDFFF;", "&#xE000;",
    "&#xFDCF;", "&#xFDD0;", "&#xFFFD;", "&#xFFFE;", "&#x1FFFE;", "&#x10FFFF;",
    "&#x110000;", "&#99999999;", "&dir=up", "&_r=1", "&amp=1", "&copy=2", "&copy-2",
    "&not=3", "&x", "\r\n", "\r", "\x00", "\x0c", "\t", "\n", "  ", " ", "\xa0", "\ufeff",
    "\U0001f600", "\x85", "\u2028", "\u3000", "\ufffe", "\U0001fffe", '"', "'", ">", "<",
    "é", "“quoted”", "/path", "?q=1", "#frag", "%20", "=",
)
# The pieces of a plain row: what HN's titles and links hold, references among them.
_SAFE = ("Show HN", "plain words", "Q&A", "AT&T", "&amp;", "&lt;", "&gt;", "&quot;",
         "&nbsp;", "&#39;", "&#x27;", "&#8217;", "&#x1F600;", " ", "é", "“quoted”", "'", ">",
         "/path", "?q=1", "%20", "=")
_SAFE_HREFS = ("http://example.com/", "https://www.example.org/a?b=1", "item?id=77",
               "http://www.x.co", "https://news.ycombinator.com/item?id=79")
_HREFS = ("http://example.com/", "https://www.example.org/a?b=1", "item?id=77",
          "/item?id=78", "item?id=x", "vote?for=1", "from?site=x", "", "http://[", "//host/p",
          "https://news.ycombinator.com/item?id=79", "http://www.x.co")
_NAMES = ("pg", "a_b-c", "x" * 32, "discuss", "10", "on", "day", "ago", "x" * 33, "a.b")
_AGES = ("1 minute ago", "3 hours ago", "1 day ago", "368 days ago", "2 months ago",
         "1 years ago", "on Oct 9, 2006", "5 weeks ago", "99999999999 days ago", "3 hours")
_COUNTS = ("discuss", "1 comment", "0 comments", "12 comments", "1" * 19 + " comments",
           "comments", "3 comment")
_SITES = ("example.com", "a.b.c", "", "sub-d.org", "a b", "x(y)", "é.com")


def _text(rng: random.Random, pieces: tuple[str, ...], first: str = "") -> str:
    return first + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))


def _row(rng: random.Random, era: str, rank: int, ident: int, odd: float) -> str:
    """One row, each of whose fields is HN's, else (at the rate ``odd``) of any pieces."""
    def pieces() -> tuple[str, ...]:
        return _PIECES if rng.random() < odd else _SAFE

    def pick(values: tuple[str, ...], plain: int) -> str:  # the first ``plain`` are HN's
        return rng.choice(values if rng.random() < odd else values[:plain])

    title = _text(rng, pieces(), rng.choice(("", "A title ", "Show HN: ")))
    href = rng.choice(_HREFS if rng.random() < odd else _SAFE_HREFS)
    if "?" in href and rng.random() < 0.6:
        href += "&x=1" + _text(rng, pieces())
    name, age, count = pick(_NAMES, 4), pick(_AGES, 5), pick(_COUNTS, 4)
    points = pick(("1 point", "2 points", "0 points", "17 points", "1" * 19 + " points",
                   "3 point"), 4)
    site = pick(_SITES, 3)
    comhead = (f'<span class="comhead"> ({site}) </span>' if era == "2010"
               else f'<span class="sitebit comhead"> ({site})</span>') if site else ""
    if era == "2010":
        return (
            f'<tr><td align=right valign=top class="title">{rank}.</td><td><center>'
            f'<a id=up_{ident} href="vote?for={ident}&dir=up&whence=%6e%65%77%73"><img '
            f'src="http://ycombinator.com/images/grayarrow.gif" border=0 vspace=3 hspace=2>'
            f'</a><span id=down_{ident}></span></center></td><td class="title"><a '
            f'href="{href}">{title}</a>{comhead}</td></tr><tr><td colspan=2></td><td '
            f'class="subtext"><span id=score_{ident}>{points}</span> by <a '
            f'href="user?id={name}">{name}</a> {age}  | <a href="item?id={ident}">{count}'
            f'</a></td></tr><tr style="height:5px"></tr>')
    return (
        f"\n      <tr class='athing'>\n      <td align=\"right\" valign=\"top\" "
        f'class="title"><span class="rank">{rank}.</span></td>      <td><center><a '
        f'id="up_{ident}" onclick="return vote(this)" href="vote?for={ident}&amp;dir=up&amp;'
        f'goto=news"><div class="votearrow" title="upvote"></div></a></center></td><td '
        f'class="title"><span class="deadmark"></span><a href="{href}">{title}</a>'
        f'{comhead}</td></tr><tr><td colspan="2"></td><td class="subtext">\n        '
        f'<span class="score" id="score_{ident}">{points}</span> by <a href="user?id='
        f'{name}">{name}</a> <a href="item?id={ident}">{age}</a>          | <a '
        f'href="flag?id={ident}&amp;goto=news">flag</a>         | <a href="item?id={ident}">'
        f'{count}</a>                              </td></tr>\n      <tr class="spacer" '
        f'style="height:5px"></tr>')


def _listing(rng: random.Random, era: str, n: int = 30, odd: float = 0.02) -> str:
    """A listing page in HN's 2010-14 (``era`` "2010") or 2015 markup."""
    rows = "".join(_row(rng, era, k + 1, 1000 + k, odd) for k in range(n))
    return (
        "<html><head><title>Hacker News</title></head><body><center><table border=0 "
        'cellpadding=0 cellspacing=0 width="85%"><tr><td><span class="pagetop">'
        '<a href="news">Hacker News</a></span></td></tr><tr style="height:10px"></tr>'
        f"<tr><td><table border=0 cellpadding=0 cellspacing=0>{rows}"
        '<tr style="height:10px"></tr><tr><td colspan=2></td><td class="title">'
        '<a href="news2" rel="nofollow">More</a></td></tr></table></td></tr><tr><td>'
        '<center><span class="yclinks"><a href="lists">Lists</a></span></center>'
        "</td></tr></table></center></body></html>")


def _read(html: str, *, served: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    with monkeypatch.context() as patch:
        if not served:
            patch.setattr(served_listing, "read_served", lambda *a, **k: None)
        try:
            return hn.parse_listing(html, url=URL, fetched_at=AT)
        except ParseError as exc:
            return ("error", type(exc).__name__, str(exc))


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A count of the rows the served reading takes, from now on."""
    taken = [0]
    read = served_listing.read_served

    def counting(*args: object, **kwargs: object) -> object:
        found = read(*args, **kwargs)  # type: ignore[arg-type]
        taken[0] += found is not None
        return found
    monkeypatch.setattr(served_listing, "read_served", counting)
    return taken


@pytest.mark.parametrize("era", ["2010", "2015"])
def test_generated_listings_read_as_the_walk_reads_them(
        era: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(f"listing-{era}")
    taken = _counted(monkeypatch)
    refs = 0
    for _ in range(150):
        html = _listing(rng, era)
        walked = _read(html, served=False, monkeypatch=monkeypatch)
        before = taken[0]
        assert _read(html, served=True, monkeypatch=monkeypatch) == walked
        if taken[0] > before and "&#" in html:
            refs += 1
    # The plain rows, references and all, are read from the bytes.
    assert taken[0] > 1500 and refs > 50


# Changes a row's spelling can take, each applied where its first string occurs in one
# row (the title row and its subtext row).
_CHANGES = [
    ("<tr>", "<tr id='5'>"), ("<tr class='athing'>", "<tr class='athing' id='5'>"),
    ("<tr class='athing'>", "<tr class=athing>"), ("<tr>", "<TR>"),
    ('class="title">', 'class="title x">'), ('class="title">', "class='title'>"),
    ('class="title">', 'class="title"><!-- x -->'), ('"title">', '"title"> '),
    ('<span class="rank">', '<span class="rank" id="r">'), (".</", "</"), (".</", "..</"),
    ('<span class="rank">', '<span class="rank">0'),
    ('<span class="rank">', '<span class="rank">1' * 9),
    ("<center>", "<center><script>'</td>'</script>"), ("<center>", "<center></td><td>"),
    ("<center>", "<center><table>"), ("id=up_", "id=up_x"), ('id="up_', 'id="up_x'),
    ("id=up_", "id=down_"), ('id="up_', 'id="x'), ("<a id=", "<a class=v id="),
    ('<span class="deadmark"></span>', '<span class="deadmark"></span>[dead] '),
    ('<span class="deadmark"></span>', ""), ('<a href="', '<a rel="nofollow" href="'),
    ('<a href="', "<a href='"), ('<a href="', '<a href=x title="'), ('<a href="', "<a  href=\""),
    ('<a href="', '<A href="'), ("</a><span", "<b>x</b></a><span"), ("</a><span", "</a> <span"),
    ("</a><span", "</A><span"), ('<span class="comhead">', '<span class="sitebit comhead">'),
    ('<span class="comhead">', '<span class="sitestr">'), ("comhead\"> (", "comhead\">("),
    (") </span>", ")</span>"), (") </span>", ")  </span>"), ("</td></tr>", "</td> </tr>"),
    ("</td></tr>", "</td></tr><tr><td>x</td></tr>"), ("<tr><td colspan", "<tr> <td colspan"),
    ("colspan=", "colspan=3 x="), ('colspan="2"', 'colspan="3"'),
    ('<td class="subtext">', '<td class="subtext x">'),
    ('<td class="subtext">', "<td class=subtext>"),
    ('<td class="subtext">', '<TD class="subtext">'),
    ('<td class="subtext">', '<td class="subtext"><span class="age" title="2020-01-01T00:00:00">'
                             "</span>"),
    ("<span id=score_", "<span id=score_x"), ("<span id=score_", "<span class=score id=score_"),
    ('<span class="score" id="score_', '<span id="score_'),
    ('<span class="score" id="score_', '<span class="score x" id="score_'),
    (" points</span>", "</span>"), (" points</span>", " points </span>"), ("> by <", ">by <"),
    ("> by <", "> by  <"), ('<a href="user', '<a class="hnuser" href="user'),
    ('<a href="user?id=', '<a href="user?id=x'), ('">', '"><font color=#3c963c>'),
    ("</a> ", "</a>"), ("</a> ", "</a> [flagged] "), (" ago", " ago [dead]"),
    ("  | ", " | "), ("  | ", "  |"), ("  | ", ""), (" ago", "s ago"),
    ("flag</a>", "unflag</a>"), ("flag</a>", "flag</a> | <a href=\"x\">past</a>"),
    ("comments</a>", "comments</a> [dead]"), ("comments</a>", "comments </a>"),
    ("comment</a>", "comment</a>"), ('| <a href="item', '| <a href="/item'),
    ("</a></td></tr>", "</a></td></tr><tr><td></td><td class=\"subtext\">x</td></tr>"),
    ('<tr style="height:5px"></tr>', '<tr style="height:6px"></tr>'),
    ('<tr style="height:5px"></tr>', "<!-- <td class=\"subtext\"> -->"),
    ('<tr style="height:5px"></tr>', ""), ('<tr class="spacer"', '<tr class="spacer" id="s"'),
    ('<tr class="spacer" style="height:5px"></tr>', '<tr class="spacer"></tr>'),
    ("<a href=\"user", "<span class=\"score\" id=\"score_9\">3 points</span><a href=\"user"),
    ('<span id=score_', '<!-- <td class="subtext"> --><span id=score_'),
]


def _changed(html: str, rng: random.Random) -> str:
    """The page with one to four rows changed by one to three of ``_CHANGES`` each, or
    cut short inside a row."""
    for _ in range(rng.randint(1, 4)):
        starts = [m.start() for m in _SUBTEXT.finditer(html)]
        if not starts:
            break
        k = rng.randrange(len(starts))
        begin = served_listing._title_start(html, starts[k])
        end = html.find("</tr>", starts[k])
        if begin < 0 or end < 0:
            break
        row = html[begin:end + 5]
        for old, new in rng.sample(_CHANGES, rng.randint(1, 3)):
            at = row.find(old)
            if at >= 0:
                row = row[:at] + new + row[at + len(old):]
        html = html[:begin] + row + html[end + 5:]
    if rng.random() < 0.1:
        starts = [m.start() for m in _SUBTEXT.finditer(html)]
        if starts:
            html = html[:starts[rng.randrange(len(starts))] + rng.randint(-300, 300)]
    return html


def _bases(rng: random.Random) -> list[str]:
    pages = [_listing(rng, "2010"), _listing(rng, "2015")]
    try:
        return pages + list(_corpus().values())
    except pytest.skip.Exception:
        return pages


@pytest.mark.parametrize("seed", range(4))
def test_changed_rows_read_as_the_walk_reads_them(seed: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    bases = _bases(rng)
    differ = 0
    for _ in range(150):
        base = rng.choice(bases)
        html = _changed(base, rng)
        walked = _read(html, served=False, monkeypatch=monkeypatch)
        assert _read(html, served=True, monkeypatch=monkeypatch) == walked
        differ += walked != _read(base, served=False, monkeypatch=monkeypatch)
    assert differ > 30  # the changes do change what the page reads as


def test_rows_paired_wrongly_are_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page whose tree has a subtext the bytes' search does not see (a capital TD)
    and whose bytes have one the tree does not (in a comment): the two pair the rows
    one off, and the walk reads the page (here: a story listed twice)."""
    html = _listing(random.Random(5), "2010", n=4, odd=0)
    first = served_listing._title_start(html, html.find('<td class="subtext"'))
    twin = html[first:html.find("</tr>", html.find('<td class="subtext"')) + 5]
    twin = twin.replace('<td class="subtext"', '<TD class="subtext"')
    at = html.find("</table></td></tr><tr><td><center>")
    html = html[:first] + twin + html[first:at] + '<!-- <td class="subtext"> -->' + html[at:]
    walked = _read(html, served=False, monkeypatch=monkeypatch)
    assert walked == ("error", "ParseError", f"hn: {URL}: story 1000 is listed twice")
    taken = _counted(monkeypatch)
    assert _read(html, served=True, monkeypatch=monkeypatch) == walked
    assert taken[0] == 4  # the bytes' rows, before the walk's reading of the last said no


def test_references_taken_are_decoded_as_libxml2_decodes_them() -> None:
    codes = (0x1F, 0x20, 0x26, 0x3C, 0x7E, 0x7F, 0x80, 0x9F, 0xA0, 0xD7FF, 0xD800, 0xDFFF,
             0xE000, 0xFDCF, 0xFDD0, 0xFDEF, 0xFDF0, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000,
             0x1FFFE, 0x1FFFF, 0x10FFFD, 0x10FFFE, 0x10FFFF)
    refs = [f"&#{c};" for c in codes] + [f"&#x{c:x};" for c in codes] + [
        "&amp;", "&lt;", "&gt;", "&quot;", "&nbsp;", "&#0039;", "&#X27;"]
    taken = 0
    for ref in refs:
        shown = served_listing._decoded(f"a{ref}b")
        if shown is None:
            continue
        doc, _ = whole.parse_html(f'<html><body><a href="x{ref}y">a{ref}b</a></body></html>',
                                  site="hn", url=URL)
        link = next(doc.iter("a"))
        assert (link.text, link.get("href")) == (shown, f"x{shown[1:-1]}y"), ref
        taken += 1
    assert taken >= 24  # all but the controls, C1, surrogate and non-character codes
