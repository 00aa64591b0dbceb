"""The fast paths of ``scraper.parsers.bodies`` give the records BeautifulSoup gives.

Each page is parsed twice: as the parsers run (lxml's tree, or no parse for HN's narrow
markup) and with ``bodies.texts``/``bodies.text`` replaced by their BeautifulSoup-only
forms. The records must be equal, whole, for every page of the corpus and the generated
pages; random markup holds the two readings to the same text body by body.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from scraper.parsers import bodies, hn, lobsters, shaped
from scraper.parsers.errors import ParseError
from scraper.parsers.hn import body_text
from scraper.parsers.lobsters import story_json
from scraper.parsers.tree import assemble_thread
from tests import hnpages
from tests.corpus import corpus_dir


def _outcome(parse: Callable[[], object]) -> object:
    try:
        return parse()
    except ParseError as exc:
        return f"ParseError: {exc}"


def assert_same_records(parse: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> bool:
    """Whether the page gave records (not a ParseError), after checking both readings."""
    fast = _outcome(parse)
    with monkeypatch.context() as m:
        # The reference reads every body with BeautifulSoup: the shape reading of
        # Lobsters' and Reddit's bodies (``parsers.shaped``) is held off too.
        m.setattr(shaped, "shaped_text", lambda fragment: None)
        m.setattr(story_json, "shaped_text", lambda fragment: None)
        m.setattr(bodies, "texts", lambda fragments, known=None: bodies.soup_texts(fragments))
        m.setattr(bodies, "text", bodies.soup_text)
        reference = _outcome(parse)
    assert fast == reference
    return not isinstance(fast, str)


def _hn_pages() -> list[Path]:
    return sorted(corpus_dir("hn").glob("*.html"))


def _hn_parse(path: Path) -> Callable[[], object]:
    page = path.read_text(encoding="utf-8")
    if path.name.startswith("news-"):
        return lambda: hn.parse_listing(page, url="https://news.ycombinator.com/news",
                                             fetched_at=hnpages.FETCHED_AT)
    story_id = path.stem.split("-")[1]
    url = f"https://news.ycombinator.com/item?id={story_id}"
    return lambda: hn.parse_item_page(page, url=url, fetched_at=hnpages.FETCHED_AT,
                                      story_id=story_id)


def test_every_hn_corpus_page(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = _hn_pages()
    read = sum(assert_same_records(_hn_parse(path), monkeypatch) for path in pages)
    assert read >= 25


def test_every_lobsters_corpus_page(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = corpus_dir("lobsters")
    read = {"story": lobsters.parse_story, "user": lobsters.parse_user,
            "front": lobsters.parse_listing, "hottest": lobsters.parse_listing,
            "tag": lobsters.parse_listing, "search": lobsters.parse_listing}
    seen = 0
    for path in sorted(folder.glob("*.*")):
        parse = read.get(path.name.split("-")[0])
        if parse is None:
            continue
        page = path.read_text(encoding="utf-8")
        url = "https://lobste.rs/s/" + path.stem.split("-")[1]
        seen += assert_same_records(lambda p=parse, page=page, url=url: p(  # type: ignore[misc]
            page, url=url, fetched_at=hnpages.FETCHED_AT), monkeypatch)
    assert seen >= 15


@pytest.mark.parametrize("era", ["modern", "old"])
def test_generated_pages(era: str, monkeypatch: pytest.MonkeyPatch) -> None:
    thread = hnpages.random_thread(600, seed=3)
    page = hnpages.site_pages(thread, era=era)[f"/item?id={thread.story_id}"]
    url = f"https://news.ycombinator.com/item?id={thread.story_id}"
    parsed = assemble_thread([hn.parse_item_page(page, url=url, fetched_at=hnpages.FETCHED_AT)])
    assert len(parsed.comments) == 600
    assert_same_records(lambda: assemble_thread([hn.parse_item_page(
        page, url=url, fetched_at=hnpages.FETCHED_AT)]), monkeypatch)


# Pieces of body markup: HN's own, what Markdown renderers write, and the odd and broken
# (comments, stray close tags, raw-text elements, the marker element itself, NUL).
_ODD = ["a", "b", " ", "\n", "  ", "\t", "\r\n", "\xa0", "é", "😀", "\x00", "\x0c", "\x85",
        "&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#39;", "&#x2F;", "&amp;lt;", "&nbsp;",
        "&#57344;", "&#38;", "&#60;", "&#62;", "&#34;", "&#38;amp;", "&", ">", "<3", "< p>",
        "</ p>", "\ue000", "<p>", "</p>", "<P>",
        "<p class=x>", "<i>", "</i>", "<i> </i>", "<a href=\"x\">", "<a href=\"\">",
        "<a href=\"http://x.com/?a=1&amp;b=2\" rel=\"nofollow\">", "</a>", "<pre>", "</pre>",
        "<code>", "</code>", "<br>", "<br/>", "</br>", "<div>", "</div>", "<ul>", "<li>",
        "</li>", "</ul>", "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>",
        "<blockquote>", "</blockquote>", "<h1>", "</h1>", "<dl>", "<dt>", "<dd>", "<b>",
        "</b>", "<em>", "</em>", "<strong>", "<sup>", "<q>", "<span>", "</span>", "<hr>",
        "<img src=x>", "<!-- c -->", "<!--", "-->", "<script>", "</script>", "<style>",
        "<textarea>", "<rt>", "<x-y>", "<![CDATA[x]]>", "<?pi?>", "<lt-body>", "</lt-body>",
        "</body>"]
_HN = ["a", "b", " ", "\n", "é", "&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&amp;lt;",
       ">", "<p>", "<i>", "</i>", "<a href=\"x\">", "</a>", "<code>", "</code>", "\ue000",
       "<a href=\"http://x.com/?a=1&amp;b=2\" rel=\"nofollow\">", "\xa0", "\t",
       # code blocks as HN writes them, and pieces of them
       "<pre><code>  x = 1\n</code></pre>", "<pre><code>\n\n  a &lt; b\n  \n</code></pre>",
       "<pre><code></code></pre>", "<pre><code> </code></pre>", "<pre><code>", "</code></pre>",
       "<pre>", "</pre>", "\r\n", "\r", "&#39;", "\x00",
       # HN's numeric spellings before ~2014, alone, doubled and inside a link
       "&#38;", "&#60;", "&#62;", "&#34;", "&#38;amp;", "&#38;lt;", "&amp;#38;", "&#61;",
       "<a href=\"http:&#x2F;&#x2F;x.com&#x2F;?a=1&#38;b=2\" rel=\"nofollow\">", "\ue000 \ue000"]


# Reddit's rendered Markdown: paragraphs in a div.md, and what may break that shape.
_MD = ['<div class="md">', "</div>", "<p>", "</p>", "\n", "\n\n", " ", "a", "b c", "&#39;",
       "&amp;", "&lt;", "<a href=\"https://x.org/?a=1&amp;b=2\">", "</a>", "<em>", "</em>",
       "<strong>", "</strong>", "<code>", "</code>", "<blockquote>", "</blockquote>",
       "<ul>", "<li>", "</li>", "</ul>", "<pre>", "<br/>", "<hr/>", "<sup>", "</sup>",
       "<del>", "</del>", "<div>", "<p class=x>", "<P>", "\ue000", "&#57344;", "<!-- c -->",
       "<table>", "<td>", "</p >", "<p/>", "\xa0", "\t"]


def _md_body(rng: random.Random) -> str:
    """Mostly the shape Reddit serves, with a piece of anything else now and then."""
    paragraphs = "".join(
        "<p>" + "".join(rng.choice(_MD[5:] if rng.random() < 0.1 else _MD[7:18])
                        for _ in range(rng.randint(0, 6))) + "</p>" + rng.choice(["\n", "\n\n", ""])
        for _ in range(rng.randint(0, 4)))
    if rng.random() < 0.4:  # quotes, nested, now and then unbalanced
        for _ in range(rng.randint(1, 3)):
            cut = sorted(rng.randint(0, len(paragraphs)) for _ in range(2))
            at = [k for k in range(len(paragraphs) + 1)
                  if paragraphs.startswith("<p>", k) or k == len(paragraphs)]
            a, b = (rng.choice(at), rng.choice(at)) if rng.random() < 0.9 else cut
            a, b = min(a, b), max(a, b)
            closes = ["</blockquote>\n", "</blockquote>", "", "</blockquote></blockquote>"]
            close = rng.choice(closes) if rng.random() < 0.2 else closes[0]
            paragraphs = (paragraphs[:a] + "<blockquote>\n" + paragraphs[a:b] + close
                          + paragraphs[b:])
    wrapper = rng.choice([('<div class="md">', "</div>"), (' <div class="md">', "</div>"),
                          ("", ""), ("\n", "\n")])  # Reddit's div.md; Lobsters' bare <p>s
    return wrapper[0] + paragraphs + wrapper[1]


@pytest.mark.parametrize("pieces", [_ODD, _HN, _MD], ids=["odd", "hn", "md"])
def test_random_markup(pieces: list[str]) -> None:
    rng = random.Random(14)
    for _ in range(800):
        fragments = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))
                     for _ in range(rng.randint(1, 4))]
        if pieces is _MD:
            fragments += [_md_body(rng) for _ in range(rng.randint(1, 4))]
        assert bodies.texts(fragments) == bodies.soup_texts(fragments), fragments
        for f in fragments:
            assert bodies.text(f) == bodies.soup_text(f), f
            # texts() skips the plain test where every body reads without a parse.
            read = bodies._simple_text(bodies._md_paragraphs(f) or bodies._paragraphs(f))
            assert read is None or bodies._is_plain(f), f


# Inline tags, blanks and text alone: where libxml2 keeps or drops a run of blanks
# before a tag depends on the tag before it (its allowPCData list), which the reading
# without a parse must match for every tag it takes (and leave the others to lxml).
_INLINE = ["a", " ", "  ", "\n", "\ue000", "<p>", "</p>", "<em>", "</em>", "<strong>",
           "</strong>", "<del>", "</del>", "<b>", "</b>", "<u>", "</u>", "<s>", "</s>",
           "<strike>", "</strike>", "<i>", "</i>", "<code>", "</code>", "<sup>", "</sup>",
           "<a href=\"https://x.org/\">", "</a>", "&amp;", "&#39;", "<br>", "<span>", "</span>",
           "<sub>", "</sub>", "<q>", "</q>", "<mark>", "</mark>", "<font>", "</font>",
           "<small>", "</small>", "<ins>", "</ins>", "<em/>", "<span class=x>", "<wbr>",
           "<a href=\"/x\" rel=\"ugc\">", "<a href=\"/x\" rel=\"nofollow ugc\">",
           "<a href=\"/x\" rel=\"\">", "<a href=\"/x\" rel=\"a>b\">"]


def test_random_inline_markup() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        fragments = ["".join(rng.choice(_INLINE) for _ in range(rng.randint(0, 10)))
                     for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.5:
            fragments = [f'<div class="md"><p>{f}</p>\n</div>' for f in fragments]
        assert bodies.texts(fragments) == bodies.soup_texts(fragments), fragments
        for f in fragments:
            assert bodies.text(f) == bodies.soup_text(f), f


def test_fast_paths_are_taken() -> None:
    """HN's markup is read without a parse, Markdown's through lxml (and both right)."""
    hn_body = 'Yes<p>see <a href="https://x.org/?a=1&amp;b=2" rel="nofollow">this</a> &gt; that'
    assert bodies._simple_text(bodies._paragraphs(hn_body)) == "Yes\n\nsee this > that"
    markdown = "<p>One</p><ul><li>two</li></ul><pre><code>  x = 1\n</code></pre>"
    assert bodies._is_plain(markdown) and bodies._simple_text(markdown) is None
    assert bodies.texts([hn_body, markdown]) == ["Yes\n\nsee this > that",
                                                 "One\n\ntwo\n\n  x = 1"]
    assert not bodies._is_plain("<script>x</script>")
    code = "Try<p><pre><code>  if a &lt; b:\n      pass\n</code></pre>then"
    assert bodies._simple_text(bodies._paragraphs(code)) == "Try\n\n  if a < b:\n      pass\n\nthen"
    assert bodies.texts([code]) == bodies.soup_texts([code])


def test_every_reddit_corpus_page(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.redditpages import corpus_kind, corpus_readers

    readers = corpus_readers()
    seen = 0
    for path in sorted(corpus_dir("reddit").glob("*.*")):
        kind = corpus_kind(path.name, readers)
        if kind is None:
            continue
        page = path.read_text(encoding="utf-8")
        seen += assert_same_records(lambda r=readers[kind], p=page: r(p),  # type: ignore[misc]
                                    monkeypatch)
    assert seen >= 12


def test_whitespace_collapses_as_a_browser_shows_it() -> None:
    """Every run of ASCII whitespace is one space, and nothing else is touched (&nbsp;,
    other Unicode spaces); the ends lose their spaces."""
    import re

    runs = re.compile(r"[ \t\n\r\f\v]{2,}|[\t\n\r\f\v]")  # the rule, spelt out
    # Every character str.split() splits at is an ASCII one of the rule or a known other.
    for code in range(0x110000):
        ch = chr(code)
        if ch.isspace():
            assert ch in " \t\n\r\f\v" or bodies._OTHER_SPACES.match(ch), hex(code)
    rng = random.Random(5)
    pieces = [" ", "  ", "\t", "\n", "\r\n", "\f", "\v", "\xa0", "\u2003", "\x85", "\x1c", "\u3000",
              "a", "é", "."]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert bodies._collapse(text) == runs.sub(" ", text).strip(" "), repr(text)


def _old_reading(fragment: str) -> str | None:
    """How a body read without a parse before ``_quick_text``: paragraph marks of _PARA."""
    return bodies._simple_text(bodies._md_paragraphs(fragment) or bodies._paragraphs(fragment))


def test_quick_text_reads_as_the_paragraph_marks_did() -> None:
    """``_quick_text`` (NUL for a paragraph, the body kept narrow) gives the text the
    _PARA reading gives wherever it gives one, and gives one for HN's bodies."""
    rng = random.Random(25)
    read = 0
    for pieces in (_HN, _ODD, _MD, _INLINE):
        for _ in range(4000):
            f = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))
            quick = bodies._quick_text(f)
            if quick is not None:
                read += 1
                assert quick == _old_reading(f), repr(f)
    assert read > 2000
    hn_body = 'It&#x27;s<p>see <a href="https://x.org/?a=1&amp;b=2" rel="nofollow">this</a>'
    assert bodies._quick_text(hn_body) == "It's\n\nsee this"
    for refused in ("<p>a</p>", "a<p>b&#57344;", "a<p>&#xE000;", "a\ue000<p>b", "a\x00"):
        assert bodies._quick_text(refused) is None, refused


def test_quick_text_on_every_corpus_body(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every body of the HN and Lobsters corpus pages, as the parsers hand them over."""
    seen: list[str] = []

    def grab(fragments: list[str]) -> list[str]:
        seen.extend(fragments)
        return bodies.soup_texts(fragments)

    monkeypatch.setattr(bodies, "texts", grab)
    monkeypatch.setattr(body_text, "texts", grab)  # HN item pages' bodies go through it
    for path in _hn_pages():
        _outcome(_hn_parse(path))
    for path in sorted(corpus_dir("lobsters").glob("story-*")):
        page = path.read_text(encoding="utf-8")
        suffix = ".json" if path.suffix == ".json" else ""
        _outcome(lambda page=page, suffix=suffix: lobsters.parse_thread(  # type: ignore[misc]
            page, url=f"https://lobste.rs/s/x{suffix}", fetched_at=hnpages.FETCHED_AT))
    assert len(seen) > 1000
    quick = 0
    for f in seen:
        got = bodies._quick_text(f)
        if got is not None:
            quick += 1
            assert got == _old_reading(f), f
    assert quick > len(seen) // 2
