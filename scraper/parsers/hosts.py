"""A link's host as ``urlsplit(link).hostname`` gives it, and a link made absolute as
``urljoin`` makes it, without them where the link is a plain ``http(s)://host/...``:
listings ask it of every row, and ``urlsplit`` with ``hostname`` was ~1 us of a JSON
row's ~4, ``urljoin`` a fifth of a Lobsters HTML row (issue 14).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

_PLAIN_HOST = re.compile(r"https?://([A-Za-z0-9._-]+)(?=[/?#]|\Z)")
# An absolute link urljoin spells again as it is: a host, a path without ";", then a
# query and a fragment, each not empty where its mark is there.
_PLAIN_LINK = re.compile(r"https?://[^ /;?#\[\]]+(?:/[^ ;?#\[\]]*)?(?:\?[^ #\[\]]+)?"
                         r"(?:#[^ \[\]]+)?\Z")


def hostname(link: str) -> str | None:
    """``urlsplit(link).hostname``.

    The fast paths: a path from the root (``/s/ID``) has no host, where no tab or
    newline (which ``urlsplit`` drops) could make its start ``//``; an ``http(s)://``
    link (lower-case scheme) whose host is letters, digits, dots, dashes and
    underscores up to a ``/``, ``?``, ``#`` or the end has that host, lower-cased: no
    user, port, brackets, zone, blanks or non-ASCII, which ``urlsplit`` would read
    apart. Anything else is ``urlsplit``'s (and its ValueError)."""
    if link[:1] == "/":
        if link[1:2] != "/" and "\t" not in link and "\n" not in link and "\r" not in link:
            return None
    else:
        m = _PLAIN_HOST.match(link)
        if m is not None:
            return m.group(1).lower()
    return urlsplit(link).hostname


def domain(link: str) -> str | None:
    """``urlsplit(link).hostname`` without a leading ``www.``, None where there is none."""
    found = hostname(link)
    return found.removeprefix("www.") if found else None


def joined(base: str, href: str) -> str:
    """``urljoin(base, href)`` of an ``https://`` page, without it where ``href`` is a
    plain absolute link (``_PLAIN_LINK``): urljoin gives such a link back as it is
    (another scheme) or rebuilt from parts that spell it again (the same scheme). What
    the rebuild would change or refuse goes to urljoin: ``;`` in the path (params),
    a ``?`` or ``#`` with nothing after it, brackets, blanks, an empty host, other than
    printable ASCII."""
    if base.startswith("https://") and "[" not in base and href.isascii() \
            and href.isprintable() and _PLAIN_LINK.match(href) is not None:
        return href
    return urljoin(base, href)
