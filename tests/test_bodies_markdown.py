"""Rendered Markdown's blocks (lists, quotes, headings, code blocks) read without a parse
(``scraper.parsers.mdblocks``) give the text BeautifulSoup gives.

Random bodies of the renderer's shape, nested, then damaged now and then (a tag dropped
or moved, a stray or odd piece put in): every one read by ``bodies.texts`` and
``bodies.text`` as BeautifulSoup reads it, and most of the undamaged ones read with no
parse at all (else the test would hold nothing). Every body of the corpus's JSON pages
too, one by one.
"""

from __future__ import annotations

import html
import json
import random

from scraper.parsers import bodies, mdblocks
from scraper.parsers.mdblocks import md_blocks
from tests.corpus import corpus_dir

_WORDS = ["a", "b c", " ", "  ", "\n", "\t", "é", "\u2019", "😀", "\xa0", "&amp;", "&lt;", "&gt;",
          "&quot;", "&#39;", "&#x27;", "&#x200B;", "x.", "1"]
_INLINE = [("<em>", "</em>"), ("<strong>", "</strong>"), ("<code>", "</code>"),
           ("<del>", "</del>"), ("<sup>", "</sup>"),
           ('<a href="https://x.org/?a=1&amp;b=2" rel="ugc">', "</a>"),
           ('<a href="/u/x">', "</a>")]
_CODE = ["x = 1\n", "\n  a &lt; b\n", "", " ", "if a:\n    pass\n\n", "é &amp; \u2019\n"]
# What breaks the shape, or lies just beside it.
_ODD = ["<p>", "</p>", "<li>", "</li>", "<ul>", "</ul>", "<ol>", "</ol>", "<blockquote>",
        "</blockquote>", "<pre>", "</pre>", "<code>", "</code>", "<pre><code>", "</code></pre>",
        "<h2>", "</h2>", "<br>", "<br/>", "</br>", "<hr/>", "<hr>", '<ol start="2">',
        "<p class=x>", "<P>", "<li >", "<!-- c -->", "<!--", '<a href="</p>">', "<a href='<li>'>",
        "<em>", "</em>", "<em/>", "<div>", "</div>", '<div class="md">', "<table>", "<td>",
        "\r", "\r\n", "\x00", "&nbsp;", "&#57344;", "\ue000", "<", "<3", "a > b", "<img src=x>",
        "<span class=x>", "<dl>", "<dd>", "<lt-body>", "</lt-body>", "<script>", "<b>", "</b>",
        "<!-- SC_OFF -->", "<!-- SC_ON -->", "-->", "<!-- SC_OFF", "<!---->", "&#x200b;",
        "&#x200B", "&#8203;", "<p>&#x200B;</p>", "\u200b"]


def _inline(rng: random.Random, depth: int = 0) -> str:
    out = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if r < 0.2 and depth < 2:
            start, end = rng.choice(_INLINE)
            out.append(start + _inline(rng, depth + 1) + end)
        elif r < 0.25:
            out.append(rng.choice(["<br>", "<br/>", "<br />"]))
        else:
            out.append(rng.choice(_WORDS))
    return "".join(out)


def _sep(rng: random.Random) -> str:
    return rng.choice(["\n", "", "\n\n", " "])


def _blocks(rng: random.Random, depth: int) -> str:
    out = []
    for _ in range(rng.randint(0, 4 if depth < 2 else 2)):
        r = rng.random()
        if r < 0.4 or depth >= 3:
            tag = "p" if rng.random() < 0.85 else rng.choice(["h1", "h2", "h3"])
            out.append(f"<{tag}>{_inline(rng)}</{tag}>")
        elif r < 0.65:
            out.append(_list(rng, depth))
        elif r < 0.8:
            out.append(f"<blockquote>{_sep(rng)}{_blocks(rng, depth + 1)}</blockquote>")
        elif r < 0.93:
            out.append(f"<pre><code>{rng.choice(_CODE)}</code></pre>")
        else:
            out.append(rng.choice(["<hr>", "<hr/>", "<hr />"]))
        out.append(_sep(rng))
    return "".join(out)


def _list(rng: random.Random, depth: int) -> str:
    tag = rng.choice(["ul", "ol"])
    items = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.5:
            item = _inline(rng)  # a tight list's item
        elif r < 0.75:
            item = _inline(rng) + _sep(rng) + _list(rng, depth + 1)
        else:
            item = _sep(rng) + _blocks(rng, depth + 1)
        items.append(f"<li>{item}</li>{_sep(rng)}")
    return f"<{tag}>{_sep(rng)}{''.join(items)}</{tag}>"


def _body(rng: random.Random) -> tuple[str, bool]:
    """A body, and whether it was left undamaged."""
    body = _blocks(rng, 0)
    if rng.random() < 0.3:
        body = f'<div class="md">{body}</div>' + rng.choice(["", "\n"])
    if rng.random() < 0.15:  # Reddit's wrapping of a post's text
        body = f"<!-- SC_OFF -->{body}<!-- SC_ON -->"
    damaged = rng.random() < 0.35
    if damaged:
        for _ in range(rng.randint(1, 2)):
            at = rng.randint(0, len(body))
            if rng.random() < 0.3 and "<" in body:  # a tag dropped
                start = body.index("<", rng.randint(0, body.rindex("<")))
                end = body.find(">", start)
                body = body[:start] + (body[end + 1:] if end >= 0 else "")
            else:
                body = body[:at] + rng.choice(_ODD) + body[at:]
    return body, not damaged


def test_random_markdown_blocks() -> None:
    rng = random.Random(26)
    taken = whole = common = 0
    for _ in range(1500):
        made = [_body(rng) for _ in range(rng.randint(1, 4))]
        fragments = [f for f, _ in made]
        assert bodies.texts(fragments) == bodies.soup_texts(fragments), fragments
        for f, undamaged in made:
            assert bodies.text(f) == bodies.soup_text(f), f
            blocks = md_blocks(f)
            read = bodies._simple_text(blocks) if blocks is not None else None
            # texts() skips the plain test where every body reads without a parse.
            assert read is None or bodies._is_plain(f), f
            if undamaged and "</" in f:
                whole += 1
                taken += read is not None
            if mdblocks._COMMON.fullmatch(f) is not None and "</" in f and \
                    mdblocks._PARA not in f:
                common += 1  # the common shapes, matched whole, as the walk reads them
                assert mdblocks._walked(f) == mdblocks._MARKS.sub(mdblocks._PARA, f), f
    assert taken > whole * 0.8, (taken, whole)
    assert common > 300, common


def _json_bodies(obj: object) -> list[str]:
    """Every body and description of a decoded Lobsters or Reddit JSON page, as served."""
    found: list[str] = []
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in ("comment", "description", "body_html", "selftext_html"):
                value = item.get(key)
                if isinstance(value, str) and value:
                    found.append(html.unescape(value) if value.lstrip().startswith("&lt;")
                                 else value)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_every_corpus_json_body() -> None:
    seen = taken = 0
    for site in ("lobsters", "reddit"):
        for path in sorted(corpus_dir(site).glob("*.json")):
            found = _json_bodies(json.loads(path.read_text(encoding="utf-8")))
            assert bodies.texts(found) == bodies.soup_texts(found), path.name
            for f in found:
                seen += 1
                if mdblocks._COMMON.fullmatch(f) is not None and "</" in f:
                    assert mdblocks._walked(f) == mdblocks._MARKS.sub(mdblocks._PARA, f), f
                blocks = md_blocks(f)
                if blocks is not None and bodies._simple_text(blocks) is not None:
                    taken += 1
                    assert bodies._is_plain(f), f  # text() and texts() skip the test
                    assert bodies.text(f) == bodies.soup_text(f), f
    assert seen > 1000 and taken > seen * 0.9, (seen, taken)


def test_the_shapes_taken_and_refused() -> None:
    listed = ('<p>Try:</p>\n<ul>\n<li>one <em>thing</em>,</li>\n<li>two<ol>\n<li>deep</li>'
              '</ol></li>\n</ul>\n<pre><code>  x = 1\n</code></pre>\n<blockquote>\n<p>q</p>\n'
              '</blockquote>\n')
    assert bodies._simple_text(md_blocks(listed) or "") == \
        "Try:\n\none thing,\n\ntwo\n\ndeep\n\n  x = 1\n\nq"
    assert bodies.text(listed) == bodies.soup_text(listed)
    ruled = '<div class="md"><p>a</p>\n\n<hr/>\n\n<p><sup>b</sup></p>\n</div>'
    assert bodies._simple_text(md_blocks(ruled) or "") == "a\n\nb" == bodies.soup_text(ruled)
    post = '<!-- SC_OFF --><div class="md"><p>a</p>\n</div><!-- SC_ON -->'
    assert bodies._simple_text(md_blocks(post) or "") == "a" == bodies.soup_text(post)
    for refused in ("<p>a<ul><li>b</li></ul></p>",  # a list inside a paragraph
                    "<!-- SC_OFF --><p>a</p><!-- x --><!-- SC_ON -->",
                    "<!-- SC_OFF --><p>a<!-- SC_ON -->", "<!-- SC_OFF --><!-- SC_ON -->",
                    "<p><em>a</p><p>b</em></p>",  # an inline tag across an edge
                    "<ul>x<li>b</li></ul>",  # text outside an item
                    '<p><a href="</p>">a</a></p>',  # a block tag in an attribute
                    '<ol start="3"><li>a</li></ol>', "<li>a</li>", "<ul><li>a<hr>b</li></ul>",
                    "<p>a<hr/>b</p>", "<hr class=x>",
                    "<p>a<pre><code>b</code></pre></p>", "<ul><li>a</ul>"):
        blocks = md_blocks(refused)
        assert blocks is None or bodies._simple_text(blocks) is None, refused
        assert bodies.text(refused) == bodies.soup_text(refused), refused


def test_inline_pieces_matched_in_c() -> None:
    """What the regex of common pieces takes, the reading tag by tag takes too."""
    rng = random.Random(7)
    pieces = ["a", " ", "<", ">", '"', "'", "<em>", "</em>", "<code>", "</code>", "<br>",
              "<br/>", "<br />", "<br >", "<a href=\"x\">", "<a href='<b>'>", '<a href="a>b">',
              "</a>", "<abbr>", "</abbr>", "<b>", "</b>", "<p>", "<x>", "</x>", "<em/>"]
    matched = 0
    for _ in range(20000):
        piece = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        if mdblocks._FLAT.fullmatch(piece) is not None:
            matched += 1
            assert mdblocks._inline_closed(piece), piece
    assert matched > 2000


def test_unrolled_link_pattern_takes_the_same_links() -> None:
    """narrow's link pattern, unrolled, takes exactly the links its alternation took."""
    import re

    from scraper.parsers import narrow

    old = re.compile(rf"""a href="(?:[^"<>&\x00-\x1f]|{narrow._HN_ENTITY})*"(?: rel="[a-z ]*")?""")
    new = re.compile(narrow._HREF)
    rng = random.Random(9)
    pieces = ["x", "/", "?", "=", "&amp;", "&#x2F;", "&", "&amp", ";", '"', "<", ">", "\x01",
              " ", "é", "\ue000", ' rel="ugc"', ' rel="x>"', "#38;"]
    for _ in range(20000):
        link = 'a href="' + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        assert (old.fullmatch(link) is None) == (new.fullmatch(link) is None), link
        assert (old.match(link) is None) == (new.match(link) is None), link


def test_marks_are_nuls_where_the_body_holds_none() -> None:
    """``_unparsed`` marks an ASCII body's blocks with NULs, not the 2-byte ``_PARA`` (a
    string as wide as its widest character: every scan after it twice as long), and with
    ``_PARA`` where the body holds a NUL itself; both read as BeautifulSoup reads."""
    body = '<p>a  <em>b</em></p>\n<ul>\n<li>c</li>\n</ul>\n<pre><code>d\n</code></pre>'
    marked = md_blocks(body, "\x00")
    assert marked is not None and marked.isascii() and "\x00a" in marked
    assert md_blocks(body) == marked.replace("\x00", mdblocks._PARA)
    assert bodies._simple_text(marked, "\x00") == "a b\n\nc\n\nd" == bodies.soup_text(body)
    assert md_blocks("<p>a\x00</p>", "\x00") is None
    for held in ("<p>a\x00b</p><ul><li>c</li></ul>", "<ul><li>\x00</li></ul>"):
        assert bodies.text(held) == bodies.soup_text(held), held
