"""A link's host as ``urlsplit(link).hostname`` gives it, and a link made absolute as
``urljoin`` makes it, without them where the link is a plain ``http(s)://host/...``:
listings ask it of every row, and ``urlsplit`` with ``hostname`` was ~1 us of a JSON
row's ~4, ``urljoin`` a fifth of a Lobsters HTML row (issue 14).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

_SCHEMES = {"https://": 8, "http://": 7}


def hostname(link: str) -> str | None:
    """``urlsplit(link).hostname``.

    The fast paths take a link of printable ASCII (``urlsplit`` drops tabs and newlines
    and strips leading blanks, and checks non-ASCII hosts): a path from the root
    (``/s/ID``: no host), or a lower-case ``http(s)://`` scheme with a host that holds
    no user (``@``), port (``:``), brackets or zone (``%``, whose case ``hostname``
    keeps), the text up to the first ``/``, ``?`` or ``#``, lower-cased. Anything else
    is ``urlsplit``'s (and its ValueError)."""
    if link.isascii() and link.isprintable():
        if link[:1] == "/" and link[1:2] != "/":
            return None
        start = _SCHEMES.get(link[:8]) or _SCHEMES.get(link[:7])
        if start is not None:
            end = len(link)
            for stop in "/?#":
                at = link.find(stop, start, end)
                if at != -1:
                    end = at
            host = link[start:end]
            if host and "@" not in host and ":" not in host and "[" not in host \
                    and "]" not in host and "%" not in host:
                return host.lower()
    return urlsplit(link).hostname


def domain(link: str) -> str | None:
    """``urlsplit(link).hostname`` without a leading ``www.``, None where there is none."""
    found = hostname(link)
    return found.removeprefix("www.") if found else None


def joined(base: str, href: str) -> str:
    """``urljoin(base, href)`` of an ``https://`` page, without it where ``href`` is a
    plain absolute ``http(s)://host/...`` link: urljoin gives back such a link as it is
    (another scheme), or rebuilt from parts that spell it again (the same scheme). A
    link with ``;``, ``?``, ``#`` or brackets (parts urljoin may drop or refuse), an
    empty host, or other than printable ASCII is urljoin's."""
    if base.startswith("https://") and "[" not in base and (href.startswith("https://")
                                        or href.startswith("http://")) \
            and href.isascii() and href.isprintable() and " " not in href:
        rest = href[8:] if href[4] == "s" else href[7:]
        if rest and rest[0] != "/" and not any(c in href for c in ";?#[]"):
            return href
    return urljoin(base, href)
