"""The text of a body in HN's own narrow markup, read without a parse (``bodies``' fast
path): text, ``<i>``, ``<code>``, links with a plain quoted href, the entities HN
escapes with, ``<pre><code>`` blocks; and the whitespace rule every reading shares.
tests/test_bodies_fast.py holds it to BeautifulSoup's reading.
"""

from __future__ import annotations

import re

# A run of spaces (every other ASCII whitespace made a space first: ``_squeezed``).
_RUNS = re.compile("  +")
# What str.split() takes for whitespace beyond the ASCII runs a browser collapses.
_OTHER_SPACES = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_PARA = "\ue000"  # a private-use character, used only where the body cannot contain it


# The bodies HN serves: text, <i>, <code>, links with a quoted plain href, and the five
# entities it escapes with; <p> already turned into _PARA. Such a body reads as its text
# with the tags cut out and the entities decoded, with no parse at all. libxml2 keeps
# every character of such text as it is but NUL (made U+FFFD); lone surrogates it refuses.
# (Before ~2014 HN spelt "&", "<", ">" and '"' as numeric references: "&#38;".)
# Reddit's Markdown writes an empty paragraph as "&#x200B;" (a zero-width space, which
# no reading takes for whitespace): one such post sent all of its thread's bodies
# through lxml.
_HN_ENTITY = r"&(?:amp|lt|gt|quot|\#x27|\#39|\#x2F|\#38|\#60|\#62|\#34|\#x200B);"
# Two searches, not one alternation: each starts with a fixed character, which the
# regex engine finds by a fast scan; "[<&]" it tests at every character (2x slower).
# HN's rel="nofollow", Lobsters' rel="ugc": any rel of plain words.
# Unrolled (a run of plain characters, then an entity and a run, ...): the same links,
# with no alternation tried at each character of the URL (the search was 2.6x slower
# on Lobsters' descriptions, most of whose characters are in links).
_HREF = rf"""a href="[^"<>&\x00-\x1f]*(?:{_HN_ENTITY}[^"<>&\x00-\x1f]*)*"(?: rel="[a-z ]*")?"""
# Beside HN's own tags, every inline one bare of attributes (Reddit's Markdown writes
# <em>, <strong>, <del>, <sup>): libxml2 keeps their text and the blanks between them as
# served (lxml keeps blank text), so the text is the tags cut out, as for HN's.
_INLINE_TAGS = ("a|abbr|b|big|cite|code|del|dfn|em|font|i|ins|kbd|mark|q|s|samp|small|span|"
                "strike|strong|sub|sup|tt|u|var")
_NOT_SIMPLE_TAG = re.compile(rf"""<(?!(?:/?(?:{_INLINE_TAGS})|{_HREF})>)""")
_NOT_SIMPLE_ENTITY = re.compile(rf"""&(?!{_HN_ENTITY[1:]})""")


def _not_simple(fragment: str, para: str = _PARA) -> bool:
    """Whether ``fragment`` holds a tag or entity outside HN's narrow markup, a NUL, or
    a lone surrogate (which libxml2 refuses). With ``para`` a NUL, a NUL is the mark of
    a paragraph, which the caller put there in a body it found without one."""
    if ("<" in fragment and _NOT_SIMPLE_TAG.search(fragment) is not None) or (
            "&" in fragment and _NOT_SIMPLE_ENTITY.search(fragment) is not None) or (
            para != "\x00" and "\x00" in fragment):
        return True
    if fragment.isascii():
        return False
    try:  # one C pass; the regex "[\ud800-\udfff]" was 3x slower
        fragment.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
_SIMPLE_TAG = re.compile(r"<[^>]*>")
# Every spelling HN escapes with, decoded in one pass. What the pass writes is never
# read again, so "&amp;lt;" is the text "&lt;" and "&#38;amp;" the text "&amp;", as a
# browser reads them; nine replace() passes and a last one for "&" scanned each body
# ten times (2012-14 bodies, numeric references, were ~4% of their page's parse).
_ENTITY_CHARS = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&#x27;": "'", "&#39;": "'",
                 "&#x2F;": "/", "&#60;": "<", "&#62;": ">", "&#34;": '"',
                 "&amp;": "&", "&#38;": "&", "&#x200B;": "\u200b"}
# Split at the entities, which land at the odd places, rather than a sub() that calls
# back into Python for each (2012-14 bodies hold one every ~100 characters).
_ENTITY = re.compile("(&(?:lt|gt|quot|amp|#x27|#39|#x2F|#38|#60|#62|#34|#x200B);)")
_entity_char = _ENTITY_CHARS.__getitem__


# HN's code block: its text, escaped, with no tag inside (HN writes none there).
_CODE_BLOCK = re.compile(r"<pre><code>([^<]*)</code></pre>")
# Where a code block stood in the text read in one pass: a character the narrow reading
# keeps, strips from no paragraph's edge and takes for no whitespace.
_CODE_MARK = "\x01"


def _simple_text(fragment: str, para: str = _PARA) -> str | None:
    """The text of a body in HN's own narrow markup, or None for any other body.
    ``para``: the character that marks its paragraphs (see ``_not_simple``)."""
    if "<pre><code>" in fragment:
        return _with_code_blocks(fragment, para)
    return _inline_text(fragment, para)


def _inline_text(fragment: str, para: str = _PARA) -> str | None:
    """``_simple_text`` of a body with no code block."""
    if _not_simple(fragment, para):
        return None
    flat = _decoded(_SIMPLE_TAG.sub("", fragment) if "<" in fragment else fragment)
    if para not in flat:
        return _collapse(flat)
    # The runs collapsed: a mark is no whitespace, so no run crosses one, and what is
    # left at a paragraph's edges is one space, stripped below.
    flat = _squeezed(flat)
    return "\n\n".join([b for piece in flat.split(para) if (b := piece.strip(" "))])


def _decoded(flat: str) -> str:
    if "&" not in flat:
        return flat
    parts = _ENTITY.split(flat)
    parts[1::2] = map(_entity_char, parts[1::2])
    return "".join(parts)


def _with_code_blocks(fragment: str, para: str = _PARA) -> str | None:
    """``_simple_text`` of a body with code blocks: a block's text is kept as served
    (decoded) and breaks the text around it, as ``_joined_blocks`` reads a ``<pre>``."""
    if "\r" in fragment:
        return None  # libxml2 makes CR LF one LF, which only a <pre> would show
    if _CODE_MARK in fragment:
        return _with_code_blocks_apart(fragment, para)
    # The text around the blocks read in one pass, each block a paragraph of its own
    # holding a mark, put back after: each piece read apart was a pass of every check
    # (a body of four blocks cost 3x its text read whole). No run of whitespace crosses
    # a paragraph mark, so each paragraph reads as it did in its own piece.
    parts = _CODE_BLOCK.split(fragment)
    codes: list[str] = []
    marked = f"{para}{_CODE_MARK}{para}"
    for k in range(1, len(parts), 2):
        code = parts[k]
        if para in code or _not_simple(code, para):
            return None
        code = _decoded(code).strip("\n").rstrip()
        if code:
            codes.append(code)
            parts[k] = marked
        else:
            parts[k] = para  # no text, but the break
    around = _inline_text("".join(parts), para)
    if around is None or not codes:
        return around
    pieces = around.split(_CODE_MARK)
    out = [pieces[0]]
    for code, piece in zip(codes, pieces[1:], strict=True):
        out += (code, piece)
    return "".join(out)


def _with_code_blocks_apart(fragment: str, para: str = _PARA) -> str | None:
    """``_with_code_blocks`` of a body that holds the code mark itself: each piece read
    apart."""
    parts: list[str] = []
    last = 0
    for m in (*_CODE_BLOCK.finditer(fragment), None):
        around = _inline_text(fragment[last:m.start() if m is not None else len(fragment)],
                              para)
        if around is None:
            return None
        if around:
            parts.append(around)
        if m is None:
            break
        code = m.group(1)
        if para in code or _not_simple(code, para):
            return None
        code = _decoded(code).strip("\n").rstrip()
        if code:
            parts.append(code)
        last = m.end()
    return "\n\n".join(parts)


def _collapse(text: str) -> str:
    return _squeezed(text).strip(" ")


def _squeezed(text: str) -> str:
    """Every run of the ASCII whitespace a browser collapses (``[ \t\n\r\f\v]+``) made
    one space, the edges left as they are. Each of those characters is made a space (a
    scan in C each, most bodies hold none but the newline) and then each run of spaces
    one space by a regex whose literal prefix sre finds fast: a regex of the whole rule
    tests its class at every character (24 us on a 1.4 KB profile), and " ".join(split()),
    taken before where no other Unicode space stood, needed that test (a class tried
    at every character of non-ASCII text) and built a string a word (17 -> ~6 us)."""
    if "\n" in text:
        text = text.replace("\n", " ")
    if "\t" in text:
        text = text.replace("\t", " ")
    if "\r" in text:
        text = text.replace("\r", " ")
    if "\f" in text:
        text = text.replace("\f", " ")
    if "\v" in text:
        text = text.replace("\v", " ")
    return _RUNS.sub(" ", text) if "  " in text else text

