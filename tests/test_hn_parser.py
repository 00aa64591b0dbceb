"""The HN item page parser over the real pages of the shared corpus (2010-2026 markup)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import lxml.html
import pytest

from archive.models import Comment, Story, Thread
from scraper.parsers import ages, bodies, hn
from scraper.parsers.errors import NoSuchItem, ParseError, ThrottledPage, TruncatedPage
from scraper.parsers.hn.text import inner_html
from scraper.parsers.pages import ItemPage
from scraper.parsers.tree import assemble_thread, build_tree
from tests import hnpages
from tests.corpus import corpus_dir, corpus_text

HN = "https://news.ycombinator.com"
# A fixed "now" for relative ages; the pages' own capture dates are in SOURCES.tsv.
FETCHED = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)

# name -> (comment rows, max depth), as SOURCES.tsv gives them and grep confirms.
ROWS = {
    "item-1-loggedout.html": (15, 5),
    "item-1.html": (19, 5),
    "item-3412900.html": (97, 3),
    "item-3412900-p2.html": (100, 2),
    "item-3412900-p3.html": (27, 1),
    "item-34886766.html": (98, 4),
    "item-48814952.html": (7, 2),
    "item-4992617.html": (204, 3),
    "item-5002483.html": (9, 3),
    "item-5003980-2014-01.html": (18, 5),
    "item-5003980-2017-04.html": (18, 5),
    "item-6561358.html": (30, 4),
    "item-7064435.html": (43, 4),
    "item-7663775.html": (49, 4),
    "item-8019415-2016-03.html": (59, 5),
    "item-8019415-2017-07.html": (59, 5),
    "item-9342369.html": (121, 7),
    "item-9681697.html": (69, 13),
    "item-9989667.html": (10, 3),
}
# Continuation pages are served at /x?fnid=... (no id): the caller names the story.
FNID = {"item-3412900-p2.html": "/x?fnid=L4Utx2mqoS", "item-3412900-p3.html": "/x?fnid=ym6dUtJLfm"}
NEXT = {"item-3412900.html": f"{HN}/x?fnid=L4Utx2mqoS",
        "item-3412900-p2.html": f"{HN}/x?fnid=ym6dUtJLfm"}
# Greyed (downvoted) bodies per page: every other comment is c00.
GREYS = {
    "item-1.html": {"cdd": 4}, "item-3412900.html": {"c73": 1, "ce6": 1},
    "item-34886766.html": {"c5a": 1, "c73": 1}, "item-48814952.html": {"c88": 1},
    "item-6561358.html": {"c5a": 2}, "item-7064435.html": {"c88": 1},
    "item-7663775.html": {"c5a": 1, "c73": 1, "cae": 1, "cbe": 1},
    "item-8019415-2016-03.html": {"c5a": 3, "c88": 1, "cae": 1},
    "item-8019415-2017-07.html": {"c5a": 3, "c88": 1, "cae": 1},
    "item-9342369.html": {"c5a": 2, "c88": 1}, "item-9681697.html": {"c5a": 2, "c9c": 1},
}
# (title, author, score, declared comments, kind, domain); "comments" without a number
# (2012-14 pages of older threads) is an unknown count: None.
STORIES = {
    "item-1-loggedout.html": ("Y Combinator", "pg", 57, 15, "story", "ycombinator.com"),
    "item-1.html": ("Y Combinator", "pg", 57, 19, "story", "ycombinator.com"),
    "item-3412900.html": ("Ask HN: Who is Hiring? (January 2012)", "whoishiring", 259, None,
                          "ask", None),
    "item-34886766.html": ("Spy Balloon Simulator", "benryon", 442, 99, "story",
                           "hornetsnestguild.com"),
    "item-48814952.html": ("Show HN: Fast, native Mac file manager (filters, fuzzy find, 9 MB, "
                           "no Electron)", "whimbyte", 14, 7, "show", "whimfiles.com"),
    "item-4992617.html": ("Ask HN: Who is hiring? (January 2013)", "whoishiring", 211, 204,
                          "ask", None),
    "item-5002483.html": ("The future according to Google's Larry Page", "Libertatea", 62, 9,
                          "story", "cnn.com"),
    "item-5003980-2014-01.html": ("A/B testing mistakes", "ankneo", 50, None, "story",
                                  "visualwebsiteoptimizer.com"),
    "item-5003980-2017-04.html": ("A/B testing mistakes", "ankneo", 53, 18, "story",
                                  "visualwebsiteoptimizer.com"),
    "item-6561358.html": ("Are Dev Bootcamps a scam? A Hacker's perspective", "louhong", 35,
                          None, "story", "techendo.co"),
    "item-7064435.html": ("Nassim Taleb: We should retire the notion of standard deviation",
                          "pyduan", 72, 43, "story", "edge.org"),
    "item-7663775.html": ("Show HN: Velocity.js \N{EN DASH} Accelerated JavaScript animation",
                          "purpleturtle", 160, 49, "show", "velocityjs.org"),
    "item-8019415-2016-03.html": ("Videos about JavaScript", "bolshchikov", 360, 59, "story",
                                  "github.com"),
    "item-8019415-2017-07.html": ("Videos about JavaScript", "bolshchikov", 360, 59, "story",
                                  "github.com"),
    "item-9342369.html": ("Microsoft announces Hyper-V Containers", "swernli", 279, 121,
                          "story", "microsoft.com"),
    "item-9681697.html": ("What's new in Xcode 7", "yconst", 129, 69, "story", "apple.com"),
    "item-9989667.html": ("How to destroy special collections with social media", "pepys",
                          112, 10, "story", "sarahwerner.net"),
}


def story_id_of(name: str) -> str:
    return name.split("-")[1].removesuffix(".html")


def parse(name: str) -> ItemPage:
    sid = story_id_of(name)
    url = HN + FNID.get(name, f"/item?id={sid}")
    return hn.parse_item_page(corpus_text("hn", name), url=url, fetched_at=FETCHED,
                              story_id=sid if name in FNID else None)


def tree_of(page: ItemPage) -> tuple[Comment, ...]:
    return build_tree("hn", page.story_id, page.comments, url=page.url)


def test_the_expectations_cover_every_item_page_of_the_corpus() -> None:
    assert sorted(p.name for p in corpus_dir("hn").glob("item-*.html")) == sorted(ROWS)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_rows_depths_and_tree(name: str) -> None:
    page = parse(name)
    rows, max_depth = ROWS[name]
    assert len(page.comments) == rows
    assert max(c.depth for c in page.comments) == max_depth
    assert page.next_url == NEXT.get(name)
    comments = tree_of(page)  # raises on a depth jump or a duplicate id
    by_id = {c.id: c for c in comments}
    for c in comments:
        assert c.id.isdigit() and not c.synthetic_id
        if c.parent_id is not None:
            assert by_id[c.parent_id].depth == c.depth - 1
        assert c.created_at is not None and c.created_at.tzinfo == UTC
        assert c.created_at_raw
        assert c.author or c.deleted
        if not (c.deleted or c.flagged):
            assert c.text and c.text_html
    greys = Counter(c.colour for c in comments if c.colour not in ("c00", None))
    assert greys == Counter(GREYS.get(name, {}))


@pytest.mark.parametrize("name", sorted(ROWS))
def test_text_html_is_the_served_body_and_reads_as_the_text(name: str) -> None:
    for c in parse(name).comments:
        if c.text_html is None:
            continue
        # No reply link, no "-----" spacer (<font color=#f6f6ef>), no page markup.
        assert "reply?id=" not in c.text_html and "f6f6ef" not in c.text_html
        assert not re.search(r"<(?:div|span|font|td)\b", c.text_html)
        # What was cut from the served page reads exactly as lxml's rendering of it.
        fragment = lxml.html.fragment_fromstring(c.text_html, create_parent="div")
        assert bodies.text(inner_html(fragment)) == c.text


@pytest.mark.parametrize("name", sorted(STORIES))
def test_story_header(name: str) -> None:
    story = parse(name).story
    assert story is not None
    assert (story.title, story.author, story.score, story.comment_count, story.kind,
            story.domain) == STORIES[name]
    assert story.id == story_id_of(name)
    assert story.created_at is not None and story.created_at_raw
    assert (story.url is None) == (story.kind == "ask")
    assert not (story.dead or story.flagged or story.deleted)


@pytest.mark.parametrize("name", sorted(FNID))
def test_continuation_pages_have_no_header(name: str) -> None:
    assert parse(name).story is None
    with pytest.raises(ParseError, match="pass story_id"):
        hn.parse_item_page(corpus_text("hn", name), url=HN + FNID[name], fetched_at=FETCHED)


def test_story_times_and_texts() -> None:
    def story(name: str) -> Story:
        page = parse(name)
        assert page.story is not None
        return page.story

    balloon = story("item-34886766.html")
    assert balloon.created_at == datetime(2023, 2, 21, 20, 35, 7, tzinfo=UTC)
    assert balloon.url == "https://spyballoonsim.hornetsnestguild.com/"
    mac = story("item-48814952.html")
    assert mac.created_at == datetime.fromtimestamp(1783411932, UTC)
    assert mac.created_at_raw == "2026-07-07T08:12:12 1783411932"
    assert mac.text and mac.text.startswith("My Downloads folder had been left unkept")
    assert mac.text_html and mac.text_html.startswith("My Downloads folder")
    assert "<p>" in mac.text_html and "</p>" not in mac.text_html  # as served
    y = story("item-1.html")
    assert y.created_at == datetime(2006, 10, 9, tzinfo=UTC)
    assert y.created_at_raw == "on Oct 9, 2006"
    hiring = story("item-3412900.html")
    assert hiring.created_at == datetime(2025, 1, 11, 12, tzinfo=UTC)  # "368 days ago"
    assert hiring.text and hiring.text.startswith("Please lead with the location")
    assert hiring.text_html and "<p>Please also see" in hiring.text_html


def test_relative_comment_ages_resolve_against_fetched_at() -> None:
    comments = parse("item-7064435.html").comments  # captured fresh: minutes and hours
    raws = {c.created_at_raw for c in comments}
    assert {"0 minutes ago", "1 minute ago", "3 minutes ago", "58 minutes ago"} <= raws
    for c in comments:
        n, unit = c.created_at_raw.split()[:2]  # type: ignore[union-attr]
        step = 60 if unit.startswith("minute") else 3600
        assert c.created_at == datetime.fromtimestamp(FETCHED.timestamp() - int(n) * step, UTC)


def test_the_flagged_row_of_34886766() -> None:
    comments = tree_of(parse("item-34886766.html"))
    flagged = [c for c in comments if c.flagged]
    assert [(c.id, c.author, c.text, c.text_html, c.colour, c.dead, c.deleted)
            for c in flagged] == [("34887138", "mlyle", None, None, None, False, False)]
    # HN's own count of the subtree (n='17') holds its 16 replies.
    assert sum(1 for c in comments if _ancestor(comments, c, "34887138")) == 16


def _ancestor(comments: tuple[Comment, ...], c: Comment, ident: str) -> bool:
    by_id = {x.id: x for x in comments}
    while c.parent_id is not None:
        if c.parent_id == ident:
            return True
        c = by_id[c.parent_id]
    return False


_TOGG = re.compile(r"""<a class=["']togg[^>]*?(?:id=["'](\d+)["'][^>]*?n=["'](\d+)["']|"""
                   r"""n=["'](\d+)["'][^>]*?toggle\(event, (\d+)\))""")


TOGG_PAGES = ["item-1.html", "item-34886766.html", "item-48814952.html",
              "item-5003980-2017-04.html", "item-8019415-2017-07.html"]


# HN's count includes replies the page does not show: logged out, 34886766 hides two dead
# replies to 34888135 (n=4, one reply shown), so it and its parent count 2 more.
TOGG_HIDDEN = {"item-34886766.html": {"34888135": 2, "34887562": 2}}


@pytest.mark.parametrize("name", TOGG_PAGES)
def test_subtree_sizes_match_the_counts_hn_prints(name: str) -> None:
    """Modern pages print each comment's subtree size (a.togg[n]): the rebuilt tree agrees."""
    counts = {m[0] or m[3]: int(m[1] or m[2]) for m in _TOGG.findall(corpus_text("hn", name))}
    comments = tree_of(parse(name))
    assert len(counts) == len(comments)
    size = Counter[str]()
    for c in comments:
        size[c.id] += 1
        node = c
        while node.parent_id is not None:
            size[node.parent_id] += 1
            node = next(x for x in comments if x.id == node.parent_id)
    for ident, hidden in TOGG_HIDDEN.get(name, {}).items():
        size[ident] += hidden
    assert dict(size) == counts


def test_the_dead_rows_of_item_1() -> None:
    dead = [c for c in parse("item-1.html").comments if c.dead]
    assert [(c.id, c.author, c.depth, c.colour) for c in dead] == [
        ("454426", "Arrington", 0, "cdd"), ("454424", "Arrington", 0, "cdd"),
        ("454410", "Arrington", 0, "cdd"), ("82729", "vice", 0, "cdd")]
    assert all(c.text for c in dead)
    assert not any(c.dead for c in parse("item-1-loggedout.html").comments)


def thread_3412900() -> Thread:
    pages = [parse("item-3412900.html")]
    for name in ("item-3412900-p2.html", "item-3412900-p3.html"):
        url = pages[-1].next_url
        assert url == HN + FNID[name]
        pages.append(hn.parse_item_page(corpus_text("hn", name), url=url, fetched_at=FETCHED,
                                        story_id="3412900"))
    assert pages[-1].next_url is None
    return assemble_thread(pages)


def test_the_three_pages_of_3412900_make_one_thread() -> None:
    thread = thread_3412900()
    assert len(thread.comments) == 97 + 100 + 27 == 224
    assert thread.story.id == "3412900" and thread.fetched_at == FETCHED
    ids = [c.id for c in thread.comments]
    assert len(set(ids)) == 224
    by_id = {c.id: c for c in thread.comments}
    for c in thread.comments:
        assert c.story_id == "3412900"
        assert c.parent_id is None or by_id[c.parent_id].depth == c.depth - 1
    # Page 2 starts a new top-level comment: positions carry on from page 1.
    first_of_p2 = thread.comments[97]
    assert first_of_p2.depth == 0
    assert first_of_p2.position == sum(1 for c in thread.comments[:97] if c.depth == 0)


# Where item-1.html and Algolia's tree disagree, and why.
ALGOLIA_EXCEPTIONS = {
    # Deleted in 2008; Algolia keeps the node (author null), HN's page omits it.
    "234591": "absent from the page",
    # Dead replies: Algolia nests them under 15 and 17; the page (and the Firebase kids
    # list of item 1) lists them at the top level, after the live comments.
    "454424": "page parent 1, Algolia 15",
    "454426": "page parent 1, Algolia 17",
}
DEAD_ON_ITEM_1 = {"454426", "454424", "454410", "82729"}  # hidden when logged out
# The account "rms" was renamed "kf" after Algolia indexed its 2008 comments: the page
# shows the current name, Algolia the one at indexing time.
RENAMED = {"234549": ("kf", "rms"), "234567": ("kf", "rms")}


@pytest.mark.parametrize("name", ["item-1.html", "item-1-loggedout.html"])
def test_item_1_agrees_with_algolia(name: str) -> None:
    algolia = json.loads(corpus_text("hn", "algolia-item-1.json"))
    truth: dict[str, tuple[str, dict]] = {}

    def walk(node: dict) -> None:
        for child in node.get("children", []):
            truth[str(child["id"])] = (str(node["id"]), child)
            walk(child)

    walk(algolia)
    thread = hn.parse_thread(corpus_text("hn", name), url=f"{HN}/item?id=1", fetched_at=FETCHED)
    page = {c.id: c for c in thread.comments}
    hidden = {"234591"} | (DEAD_ON_ITEM_1 if name == "item-1-loggedout.html" else set())
    assert set(truth) - set(page) == hidden
    for ident, (parent, node) in truth.items():
        if ident not in page:
            continue
        c = page[ident]
        assert (c.author, node["author"]) == RENAMED.get(ident, (node["author"],) * 2)
        # The page shows only a date ("on Oct 9, 2006"): it must be Algolia's UTC date.
        assert c.created_at == datetime.fromisoformat(node["created_at"]).replace(
            hour=0, minute=0, second=0, microsecond=0)
        if ident in ALGOLIA_EXCEPTIONS:
            assert (c.parent_id or "1") != parent, f"{ident} agrees now: drop the exception"
        else:
            assert (c.parent_id or "1") == parent, ident


# ------------------------------------------------------------ hand-written pages

FOOT = ('<tr><td><center><form method="get" action="//hn.algolia.com/">Search: <input '
        'type="text" name="q"></form></center></td></tr></table></center></body></html>')


def modern_page(rows: str, *, sid: str = "100", subtext: str | None = None,
                title: str = '<a href="https://example.com/a">A title</a>', extra: str = "",
                after: str = "") -> str:
    subtext = subtext if subtext is not None else (
        f'<span class="score" id="score_{sid}">5 points</span> by <a href="user?id=op" '
        f'class="hnuser">op</a> <span class="age" title="2025-05-15T13:56:47 1747317407">'
        f'<a href="item?id={sid}">1 hour ago</a></span> | <a href="item?id={sid}">'
        f'3&nbsp;comments</a>')
    return (f'<html op="item"><body><center><table id="hnmain"><tr><td><table class="fatitem">'
            f'<tr class="athing submission" id="{sid}"><td class="title"><span class="rank">'
            f'</span></td><td class="title"><span class="titleline">{title}</span></td></tr>'
            f'<tr><td colspan="2"></td><td class="subtext"><span class="subline">{subtext}'
            f'</span></td></tr>{extra}</table><br><table class="comment-tree">{rows}</table>'
            f'{after}</td></tr>{FOOT}')


def modern_row(ident: str, depth: int, text: str = "hello", *, head: str = "",
               age: str = '<span class="age" title="2023-02-21T20:35:07"><a href="item?id={i}">'
                          '1 day ago</a></span>', author: str = "alice") -> str:
    user = f'<a href="user?id={author}" class="hnuser">{author}</a> ' if author else ""
    return (f'<tr class="athing comtr" id="{ident}"><td><table><tr><td class="ind" '
            f'indent="{depth}"><img src="s.gif" height="1" width="{depth * 40}"></td><td '
            f'class="default"><div><span class="comhead">{user}{age.format(i=ident)}{head}'
            f'</span></div><br><div class="comment">{text}<div class="reply"><p><font '
            f'size="1"><u><a href="reply?id={ident}">reply</a></u></font></div></div></td></tr>'
            f'</table></td></tr>')


def old_row(ident: str | None, depth: int, text: str = "hi", *, age: str = "2 hours ago",
            colour: str = "#000000", width: int | None = None) -> str:
    head = (f'<a href="user?id=bob">bob</a> {age}  | <a href="item?id={ident}">link</a>'
            if ident else "")
    body = f"<font color={colour}>{text}</font>" if ident else "[deleted]"
    return (f'<tr><td><table border=0><tr><td><img src="s.gif" height=1 width='
            f'{depth * 40 if width is None else width}></td><td class="default"><div><span '
            f'class="comhead">{head}</span></div><br>\n<span class="comment">{body}</span><p>'
            f'<font size=1><font color=#f6f6ef>-----</font></font></td></tr></table></td></tr>')


def old_page(rows: str) -> str:
    return f"<html><body><center><table><tr><td><table border=0>{rows}</table></td></tr>{FOOT}"


def parse_snippet(html: str, *, url: str = f"{HN}/item?id=100", story_id: str | None = None,
                  ) -> ItemPage:
    return hn.parse_item_page(html, url=url, fetched_at=FETCHED, story_id=story_id)


def test_a_modern_snippet_reads_fully() -> None:
    page = parse_snippet(modern_page(
        modern_row("101", 0, '<div class="commtext c5a">a &amp; b<p>x <i>y</i></div>')
        + modern_row("102", 1, "[flagged]", head=" [flagged]")
        + modern_row("103", 0, "[deleted]", author=""),
        after='<a href="item?id=100&amp;p=2" class="morelink" rel="next">More</a>'))
    a, f, d = page.comments
    assert (a.id, a.depth, a.author, a.colour, a.text, a.text_html) == (
        "101", 0, "alice", "c5a", "a & b\n\nx y", "a &amp; b<p>x <i>y</i>")
    assert a.created_at == datetime(2023, 2, 21, 20, 35, 7, tzinfo=UTC)
    assert (f.flagged, f.text, f.author, f.colour) == (True, None, "alice", None)
    assert (d.deleted, d.text, d.author, d.id) == (True, None, None, "103")
    assert page.next_url == f"{HN}/item?id=100&p=2"
    assert page.story is not None and page.story.comment_count == 3
    assert page.story.created_at == datetime.fromtimestamp(1747317407, UTC)


def test_a_grey_class_in_upper_case_hex() -> None:
    # Seen on a 2026 page of a 2008 thread: <div class="commtext c5A">.
    page = parse_snippet(modern_page(
        modern_row("101", 0, '<div class="commtext c5A">grey <i>here</i></div>')))
    (c,) = page.comments
    assert (c.colour, c.text, c.text_html) == ("c5a", "grey here", "grey <i>here</i>")


def _saved_by_a_browser(html: str) -> str:
    """HN's own links as a browser's "Save Page As" writes them: absolute (seen in a
    public project's saved copy of item 27145911, href="https://news.ycombinator.com/...")."""
    for path in ("user?id=", "item?id="):
        html = html.replace(f'href="{path}', f'href="https://news.ycombinator.com/{path}')
    return html


def test_hn_links_spelled_absolute_read_as_relative_ones() -> None:
    rows = old_row("101", 0) + old_row("102", 1)
    page = parse_snippet(_saved_by_a_browser(old_page(rows)), url=f"{HN}/x?fnid=a",
                         story_id="100")
    assert [(c.id, c.author, c.depth) for c in page.comments] == [
        ("101", "bob", 0), ("102", "bob", 1)]
    subtext = ('<span class="score" id="score_100">5 points</span> by <a href="user?id=op">op'
               '</a> 2 hours ago | <a href="item?id=100">3 comments</a>')
    story = parse_snippet(_saved_by_a_browser(modern_page(
        "", title='<a href="item?id=100">Ask HN: Why?</a>', subtext=subtext))).story
    assert story is not None
    assert (story.url, story.domain, story.kind, story.author, story.comment_count) == (
        None, None, "ask", "op", 3)


@pytest.mark.parametrize("html, error, reason", [
    ("<html><body>Sorry, we're not able to serve your requests this quickly.</body></html>",
     ThrottledPage, "cannot serve"),
    ("No such item.", NoSuchItem, "No such item"),
    ("", TruncatedPage, "empty body"),
    ("  \n ", TruncatedPage, "empty body"),
    (modern_page(modern_row("101", 0))[:-300], TruncatedPage, "truncated"),
    ('<html><body><b>Login</b><br><br><form action="login" method="post"><input type="text" '
     'name="acct"></form></body></html>', ParseError, "login page"),
    ("<html><head><title>Something else</title></head><body><p>hi</p></body></html>",
     ParseError, "not an HN item page"),
])
def test_pages_that_are_not_the_item_asked_for(html: str, error: type[ParseError],
                                               reason: str) -> None:
    with pytest.raises(error, match=reason) as e:
        parse_snippet(html)
    assert (e.value.site, e.value.url) == ("hn", f"{HN}/item?id=100")


def test_a_front_page_is_not_an_item_page() -> None:
    for page in sorted(corpus_dir("hn").glob("news-*.html")):
        with pytest.raises(ParseError, match="a listing of 30 stories"):
            parse_snippet(page.read_text(encoding="utf-8"))


def test_throttle_detection_does_not_fire_on_a_thread_quoting_it() -> None:
    quote = "Sorry, we're not able to serve your requests this quickly."
    assert hn.is_throttle_page(f"<html><body>{quote}</body></html>")
    html = modern_page(modern_row("101", 0, f'<div class="commtext c00">{quote}</div>'))
    assert not hn.is_throttle_page(html)
    assert parse_snippet(html).comments[0].text == quote


def test_looks_complete_judges_html_documents_only() -> None:
    page = modern_page(modern_row("101", 0))
    assert hn.looks_complete(page) and hn.looks_complete(page + "\n  ")
    assert not hn.looks_complete(page[:-10]) and not hn.looks_complete(" ")
    # Not HTML documents, so nothing to be cut short (the spider asks about robots.txt).
    assert hn.looks_complete("User-agent: *\nCrawl-delay: 30\n")
    assert hn.looks_complete("No such item.")


def test_a_truncated_real_page() -> None:
    html = corpus_text("hn", "item-34886766.html")
    assert hn.looks_complete(html)
    with pytest.raises(TruncatedPage):
        parse_snippet(html[: len(html) // 2], url=f"{HN}/item?id=34886766")


@pytest.mark.parametrize("raw, minutes", [
    ("0 minutes ago", 0), ("1 minute ago", 1), ("59 minutes ago", 59), ("1 hour ago", 60),
    ("2 hours ago", 120), ("1 day ago", 1440), ("368 days ago", 368 * 1440),
])
def test_relative_ages(raw: str, minutes: int) -> None:
    c = parse_snippet(old_page(old_row("101", 0, age=raw)), url=f"{HN}/x?fnid=a",
                      story_id="100").comments[0]
    assert c.created_at_raw == raw
    assert c.created_at == datetime.fromtimestamp(FETCHED.timestamp() - 60 * minutes, UTC)


@pytest.mark.parametrize("raw, moment", [
    ("on Oct 9, 2006", datetime(2006, 10, 9, tzinfo=UTC)),
    ("on July 11, 2014", datetime(2014, 7, 11, tzinfo=UTC)),
    ("2023-02-21T20:35:07", datetime(2023, 2, 21, 20, 35, 7, tzinfo=UTC)),
    ("2025-05-15T13:56:47 1747317407", datetime(2025, 5, 15, 13, 56, 47, tzinfo=UTC)),
])
def test_absolute_ages(raw: str, moment: datetime) -> None:
    title = raw if raw[0].isdigit() else None
    assert ages.parse_age(title, "" if title else f"bob {raw} | link", FETCHED) == (moment, raw)


def test_old_markup_greys_and_the_spacer() -> None:
    rows = old_row("101", 0, "x<p>y", colour="#737373") + old_row("102", 1, colour="#e6e6e6")
    a, b = parse_snippet(old_page(rows), url=f"{HN}/x?fnid=a", story_id="100").comments
    assert (a.colour, a.text_html, a.text, b.colour, b.depth) == (
        "c73", "x<p>y", "x\n\ny", "ce6", 1)


def test_old_deleted_rows_keep_their_place_and_replies() -> None:
    def ids(rows: str) -> list[tuple[str, str | None, bool]]:
        page = parse_snippet(old_page(rows), url=f"{HN}/x?fnid=a", story_id="100")
        return [(c.id, c.parent_id, c.synthetic_id)
                for c in build_tree("hn", "100", page.comments, url=page.url)]

    before = old_row("101", 0) + old_row(None, 1) + old_row("103", 2) + old_row(None, 0)
    assert ids(before) == [
        ("101", None, False), ("deleted-103", "101", True), ("103", "deleted-103", False),
        ("deleted-100-after-101", None, True)]
    # A new sibling elsewhere changes no synthetic id.
    grown = old_row("101", 0) + old_row("104", 1) + old_row(None, 1) + old_row("103", 2) \
        + old_row(None, 0) + old_row("105", 0)
    assert {i for i, _, s in ids(before) if s} <= {i for i, _, s in ids(grown) if s}


@pytest.mark.parametrize("rows, reason", [
    (old_row("101", 0) + old_row("102", 2), r"row 1 \(id 102\): depth 2 jumps"),
    (old_row("101", 0) + old_row("101", 1), r"row 1 \(id 101\): duplicate"),
    (old_row("101", 1), r"row 0 \(id 101\): the first comment has depth 1"),
])
def test_broken_trees_fail_loudly(rows: str, reason: str) -> None:
    page = parse_snippet(old_page(rows), url=f"{HN}/x?fnid=a", story_id="100")
    with pytest.raises(ParseError, match=reason):
        build_tree("hn", "100", page.comments, url=page.url)


def test_a_spacer_off_the_40px_grid_fails() -> None:
    with pytest.raises(ParseError, match="spacer width 50"):
        parse_snippet(old_page(old_row("101", 0, width=50)), story_id="100")


def test_a_page_of_another_item_fails() -> None:
    with pytest.raises(ParseError, match="page shows item 100, not 7"):
        parse_snippet(modern_page(""), url=f"{HN}/item?id=7")


def test_a_comments_own_page_is_not_a_thread() -> None:
    focus = modern_row("101", 0).replace(
        "</span></div>", '<span class="onstory"> | on: <a href="item?id=100">A</a></span>'
        "</span></div>", 1)
    html = (f'<html><body><table><tr><td><table class="fatitem">{focus}</table>'
            f'<table class="comment-tree">{modern_row("102", 0)}</table></td></tr>{FOOT}')
    with pytest.raises(ParseError, match="comment's own page"):
        parse_snippet(html, url=f"{HN}/item?id=101")


@pytest.mark.parametrize("title, subtext, extra, kind", [
    ('<a href="item?id=100">Ask HN: Why?</a>', None, "", "ask"),
    ('<a href="https://x.example/">Show HN: A thing</a>', None, "", "show"),
    ('<a href="https://jobs.example/">Acme is hiring</a>',
     '<span class="age" title="2023-02-21T20:35:07"><a href="item?id=100">1 day ago</a></span>',
     "", "job"),
    ('<a href="item?id=100">Poll: Tabs or spaces?</a>', None,
     '<tr><td></td><td><table class="pollopts"><tr class="athing pollopt" id="201"><td '
     'class="comment"><div>Tabs</div></td></tr></table></td></tr>', "poll"),
])
def test_story_kinds(title: str, subtext: str | None, extra: str, kind: str) -> None:
    page = parse_snippet(modern_page(modern_row("101", 0), title=title, subtext=subtext,
                                     extra=extra))
    assert page.story is not None and page.story.kind == kind
    assert len(page.comments) == 1
    if kind == "job":
        assert (page.story.score, page.story.author) == (None, None)
    if title.startswith('<a href="item'):
        assert (page.story.url, page.story.domain) == (None, None)


@pytest.mark.parametrize("link, declared", [
    ('<a href="item?id=100">discuss</a>', 0), ('<a href="item?id=100">1 comment</a>', 1),
    ('<a href="item?id=100">57&nbsp;comments</a>', 57), ('<a href="item?id=100">comments</a>',
                                                          None),
])
def test_declared_comment_counts(link: str, declared: int | None) -> None:
    subtext = f'<span class="score" id="score_100">1 point</span> by <a href="user?id=op">op' \
              f'</a> 2 hours ago | {link}'
    story = parse_snippet(modern_page("", subtext=subtext)).story
    assert story is not None and (story.comment_count, story.score) == (declared, 1)
    assert story.created_at == datetime.fromtimestamp(FETCHED.timestamp() - 7200, UTC)


@pytest.mark.parametrize("title", [
    '<a href="https://x.example/p" class="titlelink">T</a>',  # 2021-22
    '<a href="https://x.example/p" class="storylink">T</a>',  # 2016-21
    '<span class="deadmark">[dead] </span><a href="https://x.example/p">T</a> '
    '<span class="sitebit comhead"> (<a href="from?site=x.example"><span class="sitestr">'
    'x.example</span></a>)</span>',
])
def test_title_markups(title: str) -> None:
    story = parse_snippet(modern_page("", title=title)).story
    assert story is not None
    assert (story.title, story.url, story.domain) == ("T", "https://x.example/p", "x.example")
    assert story.dead == ("[dead]" in title)


def test_a_title_wrapped_over_lines_reads_as_shown() -> None:
    # A saved copy re-wrapped by an editor (yahnac's item 9996335); &nbsp; stays a space.
    story = parse_snippet(modern_page("", title='<a href="item?id=100">Ask HN: Who wants to\n'
                                                '                  be&nbsp;hired?</a>')).story
    assert story is not None and (story.title, story.kind) == ("Ask HN: Who wants to be hired?",
                                                               "ask")


@pytest.mark.parametrize("href", ["?p=2", "?id=100&amp;p=2", "item?id=100&amp;p=2",
                                  "/item?id=100&amp;p=2"])
def test_every_spelling_of_the_next_page_link_keeps_the_thread(href: str) -> None:
    page = parse_snippet(modern_page(
        modern_row("101", 0, '<div class="commtext c00">hello</div>'),
        after=f'<a href="{href}" class="morelink" rel="next">More</a>'))
    assert page.next_url == f"{HN}/item?id=100&p=2"


# ------------------------------------------------- a tree that is not the whole page

def six_rows(era: str = "modern") -> tuple[str, str, list[str]]:
    """(page, url, comment ids) of a generated six-comment thread."""
    thread = hnpages.random_thread(6, seed=3, edge_cases=False)
    page = hnpages.site_pages(thread, era=era)[f"/item?id={thread.story_id}"]
    return page, f"{HN}/item?id={thread.story_id}", [c.id for c in thread.comments]


def in_second_body(page: str, markup: str) -> str:
    """``markup`` written into the second comment's body, as broken bytes would have it."""
    second = [m.end() for m in re.finditer(r'<div class="comment">|<span class="comment">',
                                           page)][1]
    return page[:second] + markup + page[second:]


@pytest.mark.parametrize("era", ["modern", "old"])
@pytest.mark.parametrize("markup", ["<style>", "<script>", "<!--", "<textarea>", "<title>",
                                    "<iframe>", "</html>", "<xmp>", "<plaintext>"])
def test_markup_that_ends_the_tree_early_is_an_error_not_a_short_thread(markup: str,
                                                                        era: str) -> None:
    # lxml reads the rest of the page as the element's text (or stops) and hands back a
    # well-formed tree of the first two comments: the bytes say there are six.
    page, url, _ = six_rows(era)
    with pytest.raises(ParseError, match=r"markup holds 6 comment rows, the parsed tree 2: "
                                         r"the HTML is malformed \(.*at offset \d+\?\)"):
        hn.parse_item_page(in_second_body(page, markup), url=url, fetched_at=FETCHED)


@pytest.mark.parametrize("markup", ["<i>" * 300, "<div>" * 300, "x" * 10_500_000])
def test_deep_nesting_and_huge_text_parse_whole(markup: str) -> None:
    # Past libxml2's default limits (depth 256, a 10 MB text node) but valid HTML: read
    # it all (huge_tree) rather than stop after the second comment.
    page, url, ids = six_rows()
    parsed = hn.parse_item_page(in_second_body(page, markup), url=url, fetched_at=FETCHED)
    assert [c.id for c in parsed.comments] == ids


def test_a_tree_that_stops_past_the_deepest_nesting_is_an_error() -> None:
    page, url, _ = six_rows()
    with pytest.raises(ParseError, match="holds 6 comment rows, the parsed tree 2"):
        hn.parse_item_page(in_second_body(page, "<div>" * 2100), url=url, fetched_at=FETCHED)


def test_a_tree_that_loses_the_more_link_is_an_error() -> None:
    # After the last comment, before the More link and the footer: no row is lost, but
    # the crawl would end at this page.
    thread = hnpages.random_thread(12, seed=3, edge_cases=False)
    pages = hnpages.site_pages(thread, per_page=5)
    page = pages[f"/item?id={thread.story_id}"]
    at = page.index('<tr class="morespace"')
    for markup in ("<textarea>", "<!--"):
        with pytest.raises(ParseError, match=r"footer \(span.yclinks\) is not in the parsed"):
            hn.parse_item_page(page[:at] + markup + page[at:], url=f"{HN}/item?id=1",
                               fetched_at=FETCHED, story_id=thread.story_id)
    # The link's own cell gone (its td.title deleted from an old page): the bytes still
    # show a More link the tree does not.
    old = hnpages.site_pages(thread, era="old", per_page=2)[f"/item?id={thread.story_id}"]
    cellless = old.replace('<td class="title"><a href="/x?fnid', '<a href="/x?fnid')
    assert cellless != old
    with pytest.raises(ParseError, match=r"has a More link .* that the parsed tree does not"):
        hn.parse_item_page(cellless, url=f"{HN}/x?fnid=a", fetched_at=FETCHED,
                           story_id=thread.story_id)


def test_a_body_that_quotes_the_markup_is_not_a_row() -> None:
    # HN escapes what users write: a comment quoting a comment container is text.
    quoted = "&lt;div class=&quot;comment&quot;&gt; and &lt;textarea&gt;"
    page = parse_snippet(modern_page(
        modern_row("101", 0, f'<div class="commtext c00">{quoted}</div>')
        + modern_row("102", 0)))
    assert [(c.id, c.text) for c in page.comments] == [
        ("101", '<div class="comment"> and <textarea>'), ("102", "hello")]


# ------------------------------------------------- values no page should hold

def test_a_story_link_that_is_not_a_url_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"the story link 'http://\[oops/' is not a valid URL"):
        parse_snippet(modern_page(modern_row("101", 0),
                                  title='<a href="http://[oops/">A title</a>'))


def test_a_more_link_that_is_not_a_url_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match=r"the More link .* is not a valid URL"):
        parse_snippet(modern_page(modern_row("101", 0),
                                  after='<a href="http://[::1" class="morelink">More</a>'))


@pytest.mark.parametrize("title, raw", [
    ("9999-99-99T99:99:99", "1 day ago"),
    ("0001-01-01T00:00:00+05:00", "1 day ago"),  # before the year 1 in UTC
    ("9999-12-31T23:59:59-05:00", "1 day ago"),  # after the year 9999 in UTC
])
def test_an_impossible_age_title_falls_back_to_the_text(title: str, raw: str) -> None:
    age = f'<span class="age" title="{title}"><a href="item?id={{i}}">{raw}</a></span>'
    (c,) = parse_snippet(modern_page(modern_row("101", 0, age=age))).comments
    assert (c.created_at, c.created_at_raw) == (FETCHED - timedelta(days=1), raw)


def test_an_age_before_the_year_one_is_no_time() -> None:
    age = '<span class="age"><a href="item?id={i}">99999999999 days ago</a></span>'
    (c,) = parse_snippet(modern_page(modern_row("101", 0, age=age))).comments
    assert (c.created_at, c.created_at_raw) == (None, "99999999999 days ago")


@pytest.mark.parametrize("indent", ["\u00b2", "9" * 5000, "-1", ""])
def test_an_odd_indent_falls_back_to_the_spacer(indent: str) -> None:
    # str.isdigit() is true of "²", which int() rejects; int() refuses 5,000 digits.
    rows = modern_row("101", 0) + modern_row("102", 1).replace('indent="1"', f'indent="{indent}"')
    page = parse_snippet(modern_page(rows))
    assert [(c.id, c.depth) for c in page.comments] == [("101", 0), ("102", 1)]


def test_numbers_too_long_to_be_counts_are_none() -> None:
    subtext = (f'<span class="score" id="score_100">{"9" * 5000} points</span> by <a href='
               f'"user?id=op">op</a> | <a href="item?id=100">{"9" * 5000}&nbsp;comments</a>')
    story = parse_snippet(modern_page(modern_row("101", 0), subtext=subtext)).story
    assert story is not None and (story.score, story.comment_count) == (None, None)


def test_any_other_failure_is_a_parse_error_naming_the_page(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The guarantee behind the fixes: a cause not found yet still gives a ParseError.
    def broken(*_: object, **__: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(hn.item, "_with_texts", broken)
    with pytest.raises(ParseError, match=r"unreadable page \(KeyError: 'surprise'\)") as e:
        hn.parse_thread(modern_page(modern_row("101", 0)), url=f"{HN}/item?id=100",
                        fetched_at=FETCHED)
    assert (e.value.site, e.value.url) == ("hn", f"{HN}/item?id=100")
    assert isinstance(e.value.__cause__, KeyError)
    with pytest.raises(ParseError, match=r"the page's URL is not a valid URL"):
        hn.parse_item_page(modern_page(modern_row("101", 0)), url="http://[oops/item?id=100",
                           fetched_at=FETCHED)


def test_a_body_nested_deeper_than_pythons_stack_reads_whole() -> None:
    # Its text is gathered without recursion (a thousand <i> would exceed the limit).
    page, url, ids = six_rows()
    at = [m.end() for m in re.finditer(r'<div class="commtext c\w\w">', page)][1]
    deep = "<i>" * 1200 + "deep" + "</i>" * 1200
    parsed = hn.parse_item_page(page[:at] + deep + page[at:], url=url, fetched_at=FETCHED)
    assert [c.id for c in parsed.comments] == ids
    assert parsed.comments[1].text is not None and parsed.comments[1].text.startswith("deep")


def test_the_error_names_the_element_left_open_not_one_closed_before_it() -> None:
    # Left open in the header, the textarea takes every row: the page's <title>, closed,
    # comes before it and is not the cause.
    page, url, _ = six_rows()
    at = page.index('<td class="subtext">')
    with pytest.raises(ParseError, match=rf"tree 0: the HTML is malformed \(an unclosed "
                                         rf"<textarea> at offset {at}\?\)"):
        hn.parse_item_page(page[:at] + "<textarea>" + page[at:], url=url, fetched_at=FETCHED)


def test_a_page_that_declares_its_encoding_parses() -> None:
    # lxml refuses a str with an XML encoding declaration; the text is decoded already.
    page, url, ids = six_rows()
    declared = '<?xml version="1.0" encoding="iso-8859-1"?>\n' + page
    parsed = hn.parse_item_page(declared, url=url, fetched_at=FETCHED)
    assert [c.id for c in parsed.comments] == ids
    assert parsed.comments == hn.parse_item_page(page, url=url, fetched_at=FETCHED).comments
