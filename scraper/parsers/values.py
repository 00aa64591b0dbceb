"""Numbers, ids and links as a page prints them, read so that a bad one cannot crash.

Python's own readers fail on what a damaged or hostile page can hold: ``str.isdigit()``
is true of "²", which ``int()`` rejects; ``int()`` refuses runs of over 4,300 digits;
``urljoin`` raises ValueError on ``http://[oops/``. A parser reads every such value here:
a number that is not one is no number (None), a link that is not a URL is a
ParseError naming it.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scraper.parsers.errors import ParseError

# ASCII digits only (``\d`` and ``isdigit()`` take any script's; ``isdigit()`` of an ASCII
# string takes 0-9 alone), and no more than any count or id HN prints: a longer run is
# damage, not a number. String methods, not a regex: a parse asks this of every row.
_MAX_DIGITS = 18


def number(text: str | None) -> int | None:
    """The non-negative integer ``text`` spells in ASCII digits (surrounding space
    allowed), else None."""
    if text is None:
        return None
    text = text.strip()
    return int(text) if is_id(text) else None


def signed(text: str | None) -> int | None:
    """The integer ``text`` spells in ASCII digits after an optional minus sign (surrounding
    space allowed), of :func:`number`'s length at most, else None."""
    if text is None:
        return None
    text = text.strip()
    if text.startswith("-"):
        magnitude = text[1:]
        return -int(magnitude) if is_id(magnitude) else None
    return int(text) if is_id(text) else None


def is_id(text: str | None) -> bool:
    """Whether ``text`` is an HN item id: ASCII digits, of a sane length."""
    return (text is not None and 0 < len(text) <= _MAX_DIGITS and text.isascii()
            and text.isdigit())


def join_url(base: str, href: str, *, site: str, what: str) -> str:
    """``href`` made absolute against the page's URL ``base``; ParseError if either is
    not a URL (an unclosed IPv6 bracket, ...)."""
    try:
        urlsplit(base)
        link = urlsplit(href)
        if link.scheme and link.netloc:
            # Already absolute: as the page gives it. urljoin rebuilds it only when the
            # base has the same scheme, and then drops an empty fragment ("...#"), so a
            # page read under another base (a local stand-in) would give another URL.
            return href
        return urljoin(base, href)
    except ValueError as exc:
        try:
            urlsplit(base)
        except ValueError:
            raise ParseError(site, base, f"the page's URL is not a valid URL ({exc})") from exc
        raise ParseError(site, base, f"{what} {href[:80]!r} is not a valid URL ({exc})") from exc
