"""SQLite's printf() and format() in the sandbox, stopped before one call can run for
seconds.

A ``%c`` with a precision repeats its character that many times, and SQLite (3.40)
keeps looping after its value cap is reached: ``printf('%.*c', 2000000000, 'x')`` is
8 s of CPU in one C call, which neither the time limit's interrupt nor the progress
handler reaches, and a format of many such conversions multiplies it. Every repetition
adds at least a byte to the value, so a call whose ``%c`` precisions add up to more
than the value cap could only end over it: such a call is refused as too big before it
runs, and any other is handed to SQLite's own printf (on a private in-memory
connection under the same cap), so what it gives is SQLite's to the byte.

The bounded printf costs about 5 us a call, where SQLite's costs a tenth of that, and
the archive's own views call printf for every comment's sort path (3.6x the time of a
whole-archive read of thread_comments). So it is put in only where a format could be
hostile (:func:`needed`): the user's SQL names printf or format, or a view or trigger
in the file calls one with a format that is not a literal free of ``%c``, as a file
someone else made might.

SQLite's printf gives NULL where its value would pass the cap; here that is the same
"too big" error as every other value past it, not a silent NULL (an empty value is
still NULL, as SQLite gives it).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

# One conversion as SQLite's printf reads it: flags, width (digits or *), precision
# (. then digits or *), a size (l, ll), the type. A width never starts with 0: that
# is the zero-pad flag.
_CONVERSION = re.compile(r"%[-+ #!0,]*(\*|[1-9][0-9]*)?(?:\.(\*|[0-9]*))?(?:ll?)?(.?)", re.S)
# Types that take no argument; any type SQLite does not know (T and S are internal)
# ends the formatting there.
_NO_ARGUMENT = frozenset("%n")
_KNOWN = frozenset("dsgzqQwcouxXfeEGinp%r")


_MENTIONS = re.compile(r"printf|format", re.I)
# A call whose format is a literal, up to its closing quote.
_LITERAL_CALL = re.compile(r"(?:printf|format)\s*\(\s*'((?:[^']|'')*)'", re.I)
_CHAR_REPEAT = re.compile(r"%[^a-zA-Z%]*l{0,2}c")


def needed(sql: str, schema: list[str]) -> bool:
    """Whether a statement ``sql`` may call printf with a format that repeats a
    character, directly or through a view or trigger of ``schema`` (their SQL)."""
    if _MENTIONS.search(sql):
        return True
    for text in schema:
        calls = _MENTIONS.findall(text)
        literals = _LITERAL_CALL.findall(text)
        if len(calls) != len(literals) or any(_CHAR_REPEAT.search(f) for f in literals):
            return True
    return False


def schema_calls(conn: sqlite3.Connection) -> list[str]:
    """The SQL of the views and triggers that mention printf or format."""
    rows = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type IN ('view', 'trigger') AND "
        "(sql LIKE '%printf%' OR sql LIKE '%format%')"
    ).fetchall()
    return [sql for (sql,) in rows if sql]


def _as_int(value: Any) -> int:
    """What sqlite3_value_int64 gives for an argument, cut to a C int as printf does."""
    if isinstance(value, bool | int):
        n = int(value)
    elif isinstance(value, float):
        n = int(value) if value == value and abs(value) < 2**63 else 0
    elif isinstance(value, str | bytes):  # SQLite reads a blob's bytes as text here
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        match = re.match(r"\s*([-+]?[0-9]+)", text)
        n = int(match.group(1)) if match else 0
    else:
        n = 0
    n = max(-(2**63), min(2**63 - 1, n))
    n = (n + 2**31) % 2**32 - 2**31  # (int) of an i64
    return -n if -(2**31) < n < 0 else max(n, 0)


def repeated_bytes(fmt: str, args: tuple[Any, ...]) -> int:
    """How many times printf(fmt, *args) repeats characters for ``%c`` precisions."""
    total = 0
    used = 0

    def take() -> Any:
        nonlocal used
        used += 1
        return args[used - 1] if used <= len(args) else 0

    for match in _CONVERSION.finditer(fmt):
        width, precision, kind = match.groups()
        if kind not in _KNOWN:
            break
        if width == "*":
            take()
        if precision == "*":
            repeat = _as_int(take())
        else:
            repeat = int(precision) & 0x7FFFFFFF if precision else 0
        if kind == "c":
            total += repeat
        if kind not in _NO_ARGUMENT:
            take()
    return total


class BoundPrintf:
    """printf and format on ``conn`` (see the module's doc), until :meth:`remove`."""

    NAMES = ("printf", "format")

    def __init__(self, conn: sqlite3.Connection, max_bytes: int) -> None:
        self.conn = conn
        self.max_bytes = max_bytes
        self._sqlite: sqlite3.Connection | None = None
        for name in self.NAMES:
            conn.create_function(name, -1, self._printf)

    def remove(self) -> None:
        """Bring SQLite's built-ins back, where it can: SQLite refuses to delete a
        function while a statement is unfinished (a result cut at its cap), and then
        the bounded one stays, which gives the same values."""
        removed = True
        for name in self.NAMES:
            try:
                self.conn.create_function(name, -1, None)
            except sqlite3.OperationalError:
                removed = False
        if removed and self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None

    def _too_big(self) -> bytes:
        # A value a byte past the cap, which SQLite refuses as "string or blob too big"
        # as it does any other. An exception raised here would say the same, but where
        # callback tracebacks are on (sqlite3.enable_callback_tracebacks) it also
        # prints one.
        return bytes(self.max_bytes + 1)

    def _printf(self, *args: Any) -> Any:
        if not args or args[0] is None:
            return None
        fmt = args[0]
        if not isinstance(fmt, str):  # SQLite's printf reads any format as text
            fmt = fmt.decode("utf-8", "replace") if isinstance(fmt, bytes) else str(fmt)
        if repeated_bytes(fmt, args[1:]) > self.max_bytes:
            return self._too_big()
        if self._sqlite is None:
            self._sqlite = sqlite3.connect(":memory:")
            self._sqlite.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, self.max_bytes + 1)
        # SQLite's printf gives NULL both for an empty value and for one past the cap;
        # a character before the format tells them apart (NULL: past it).
        marks = ", ?" * (len(args) - 1)
        value = self._sqlite.execute(f"SELECT printf('x' || ?{marks})", args).fetchone()[0]
        if value is None:
            return self._too_big()
        if value == "x":  # empty: NULL or '', as SQLite's printf says
            marks = ", ".join("?" * len(args))
            return self._sqlite.execute(f"SELECT printf({marks})", args).fetchone()[0]
        return value[1:]
