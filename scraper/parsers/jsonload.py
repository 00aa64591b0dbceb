"""``json.loads``'s value, decoded by orjson wherever orjson's value is provably the same.

orjson agrees with ``json.loads`` on every valid text but these:

* an integer outside 64 bits, which orjson gives as a float: such a number has 19 digits
  or more (-9223372036854775809 has 19), so a text with a number of 19 digits is read by
  ``json.loads`` (:func:`_long_number`);
* ``NaN``, ``Infinity``, a number past the double range (``1e400``), a lone surrogate
  (escaped or in the str), a BOM: orjson refuses them, and any text orjson refuses is read
  by ``json.loads``, which gives its own value or its own error (message, ``pos``,
  ``lineno``, ``colno``, which the callers' ParseError and TruncatedPage quote);
* nesting: ``json.loads`` raises RecursionError past the frames left under the recursion
  limit (~995 levels from a shallow stack), orjson refuses past 1024 levels.
  - A text ``json.loads`` cannot read for its depth (past 1024 levels, or a number of 19
    digits in one deeper than it goes) is :class:`TooDeep` here, a JSONDecodeError, not
    its RecursionError, which no reader catches (a saved page or a dump line nested so
    was a crash of the import).
  - A text nested between the two decodes here where ``json.loads`` raised, on purpose:
    ``json.loads``'s limit is not one of the text but of the caller's stack (the same
    text decodes or not with the depth of the call and ``sys.getrecursionlimit()``), so
    there is no fixed depth to mirror; the texts between are valid JSON, and their
    readers take them (a Reddit answer of a 199-comment chain, ~1,000 levels, reads as
    199 comments where it was a ParseError; a Lobsters body that deep is a ParseError
    where it was a RecursionError); and bounding the nesting first, by counting the
    openers, cost more than orjson saves on a Lobsters story page.

A str of characters past Latin-1 is encoded to UTF-8 by orjson (and the UTF-8 kept by
the str), a third of its time on a Lobsters story page; an ASCII str is read in place.
``tests/test_jsonload.py`` holds :func:`loads` to ``json.loads`` (types, float bits, key
order, errors) over every JSON file of the corpus and generated hostile texts.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
# A number of 19 digits: after what may come before a JSON value (or the text's start),
# a sign, then the digits. A run of digits inside a string (a URL's id) is not one.
_LONG_NUMBER = re.compile(rb"(?<![^:,\[ \t\n\r])-?[0-9]{19}")


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``: the same value (types, float bits, key order) or error."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as refused:
        return _exact(text, refused)
    # orjson accepted it, so a str holds no lone surrogate and its UTF-8 is kept: a copy.
    if _long_number(text.encode() if isinstance(text, str) else text):
        return _exact(text, None)
    return value


class TooDeep(json.JSONDecodeError):
    """A text nested deeper than ``json.loads`` goes: a JSONDecodeError (a ValueError, as
    every reader of a page expects), not its RecursionError."""


def _exact(text: str | bytes, refused: orjson.JSONDecodeError | None) -> Any:
    """``json.loads(text)``, or :class:`TooDeep` where it raised RecursionError: at where
    orjson refused it (past 1,024 levels), else at the start."""
    try:
        return json.loads(text)
    except RecursionError:
        doc = text if isinstance(text, str) else text.decode("utf-8", "replace")
        raise TooDeep("nested too deep to decode (over ~1,000 levels)", doc,
                      refused.pos if refused is not None else 0) from None


def _long_number(data: bytes) -> bool:
    """Whether ``data`` holds a JSON number of 19 digits or more. 19 bytes in a row hold
    four multiples of 4, so every fourth byte is read first (a page's ISO times, which
    fill every sixth, never give four digits in a row of them), and the bytes around are
    searched only where four in a row are digits."""
    sample = data[::4].translate(_DIGITS_AS_ZERO)
    at = sample.find(b"0000")
    while at >= 0:
        start = 4 * at
        if data[start:start + 13].isdigit() and \
                _LONG_NUMBER.search(data, max(0, start - 24), start + 40):
            return True
        at = sample.find(b"0000", at + 1)
    return False
