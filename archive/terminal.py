"""Text from the archive made safe to print on a terminal.

Comment bodies and author names are other people's bytes. An escape sequence in one
(ESC [2J clears the screen, OSC 0 sets the window title, OSC 52 writes the clipboard)
would be obeyed by the reader's terminal, and a carriage return or a bidi override can
make a line show something other than what it holds. Every such character is printed
as a visible escape (``\\x1b``, ``\\u202e``) instead, so the text stays readable and
nothing in it acts. Line feeds and tabs are layout and pass through.
"""

from __future__ import annotations

import io
import re
from typing import IO

# C0 controls but \t and \n, DEL, the C1 controls (8-bit CSI/OSC), and the Unicode
# format characters that reorder or hide text: bidi embeddings, overrides and
# isolates, the line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """``text`` with every character that a terminal would act on shown as an escape."""
    return _UNSAFE.sub(_visible, text)


def safe_line(text: str) -> str:
    """Like :func:`safe`, for a one-line field (a name, a title): line feeds and tabs
    are escaped too, so one field cannot start a line of its own."""
    return safe(text).replace("\n", "\\n").replace("\t", "\\t")


class SafeWriter(io.TextIOBase):
    """A text stream that passes everything written through :func:`safe` to ``out``:
    for output that streams to a terminal in pieces (an export of many comments)."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._out.write(safe(text))
        return len(text)

    def flush(self) -> None:
        self._out.flush()
