"""JSON integers as the archive can hold them.

A JSON number has any size; SQLite's INTEGER holds 64 bits, and sqlite3 refuses a bigger
Python int with an OverflowError that stops the whole save or import. No site serves a
count that large, but a broken or hostile answer (or dump line) can: such a value is read
as no count, and kept whole in the record's ``extra`` (JSON text holds it) where the
record has one, so nothing of the answer is lost.
"""

from __future__ import annotations

from typing import Any

LOW, HIGH = -(2**63), 2**63 - 1
# The most comments a ``more`` stub may claim, and the deepest a comment may say it is: no
# thread holds 2**31 comments, and a page's stubs' counts, summed into a thread's declared
# size, then stay far inside 64 bits.
COUNT_MAX = 2**31 - 1


def stub_count(value: object) -> int | None:
    """A count of comments or a depth as an answer gives it: a non-negative integer (not a
    bool) up to :data:`COUNT_MAX`, else None (damage: the caller counts for itself)."""
    return value if type(value) is int and 0 <= value <= COUNT_MAX else None


def given_depth(value: object, level: int) -> int:
    """The depth an answer gives a thing, where :func:`stub_count` takes it, else
    ``level``, the depth its nesting says."""
    return value if type(value) is int and 0 <= value <= COUNT_MAX else level


def stored_int(value: object) -> int | None:
    """``value`` where it is an integer (not a bool) that SQLite can hold, else None."""
    if type(value) is int:
        return value if LOW <= value <= HIGH else None
    if isinstance(value, int) and not isinstance(value, bool) and LOW <= value <= HIGH:
        return int(value)
    return None


def beyond(value: object) -> bool:
    """Whether ``value`` is an integer (not a bool) past what SQLite can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and not LOW <= value <= HIGH


def keep_beyond(extra: dict[str, Any] | None, **fields: object) -> dict[str, Any] | None:
    """``extra`` with each of ``fields`` that is :func:`beyond` 64 bits added under its
    name (a new dict where one is added; ``extra`` itself untouched)."""
    kept = {name: value for name, value in fields.items() if beyond(value)}
    if not kept:
        return extra
    return {**(extra or {}), **kept}
