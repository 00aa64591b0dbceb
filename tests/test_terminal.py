"""Text from the archive printed on a terminal: nothing in it acts."""

from __future__ import annotations

import pytest

from archive.terminal import safe, safe_line


@pytest.mark.parametrize("raw, shown", [
    ("\x1b[2Jcleared", "\\x1b[2Jcleared"),                 # CSI: clear screen
    ("\x1b]0;owned\x07title", "\\x1b]0;owned\\x07title"),  # OSC: set title, BEL
    ("\x9b31mred", "\\x9b31mred"),                         # 8-bit CSI
    ("fake\rreal", "fake\\x0dreal"),                         # CR overwrites the line
    ("a\u202egnp.exe", "a\\u202egnp.exe"),                 # right-to-left override
    ("del\x7f", "del\\x7f"),
])
def test_controls_are_shown_not_obeyed(raw: str, shown: str) -> None:
    assert safe(raw) == shown


def test_layout_and_ordinary_text_pass_through() -> None:
    text = "line one\n\tindented — café, 日本語, emoji 🎉"
    assert safe(text) == text


def test_one_line_fields_escape_line_breaks_too() -> None:
    assert safe_line("pg\nroot$ \x1b[1m") == "pg\\nroot$ \\x1b[1m"
