"""Blanks between Markdown's paragraphs, as the reading without a parse takes them: ASCII
ones only, as libxml2's; any other space there is text of the body."""

from __future__ import annotations

from scraper.parsers import bodies


def test_a_no_break_space_between_paragraphs_is_text() -> None:
    """Markdown's paragraphs with a no-break space (or another non-ASCII space) beside
    them: that space is text, which one parse of the page's bodies joins to the
    paragraph before it, so such a body is left to the parse (it was read as a blank
    between blocks, a text of its own)."""
    for f in ("<p>b<i>y</i></p> \xa0", "<p>b</p>\u2003<p>c</p>",
              '<div class="md"><p>b</p>\xa0</div>', "a<p>b</p>\xa0",
              "<blockquote><p>q</p>\xa0</blockquote>"):
        assert bodies._md_paragraphs(f) is None, f
        assert bodies.texts([f]) == bodies.soup_texts([f]), f
