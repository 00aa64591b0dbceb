"""The one error type the archive raises for problems a user can fix.

Its message is a single line meant for a terminal ("no archive at x.db"); the CLI
turns it into ``Error: ...`` with a non-zero exit instead of a traceback.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """A clear, user-facing problem: missing archive, bad SQL, unknown thread."""


class Interrupted(ArchiveError):
    """Ctrl-C stopped the statement; the CLI exits 130 (``archive.sandbox`` raises it)."""
