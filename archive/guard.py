"""The authorizer for a user's SQL: reading is allowed, nothing else.

A read-only open alone is not enough on SQLite 3.40: it still lets ATTACH create files,
VACUUM INTO write anywhere and ``PRAGMA query_only = 0`` lift the guard. Every
statement a user wrote (query, search, export --where) runs with :class:`Guard` as its
authorizer, through :class:`archive.sandbox.Sandbox`.
"""

from __future__ import annotations

import re
import sqlite3

# Pragmas that only read. Those in _PRAGMA_ON_TABLE take a table or index name; the
# rest are allowed only bare, since with an argument most of them set the value.
# data_version is read by FTS5 itself whenever a query touches a full-text index.
_PRAGMA_ON_TABLE = frozenset(
    {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
     "foreign_key_list"}
)  # fmt: skip
_PRAGMA_BARE = frozenset(
    {"data_version", "user_version", "schema_version", "page_count", "page_size",
     "freelist_count", "encoding", "journal_mode", "table_list", "database_list",
     "function_list", "module_list", "pragma_list", "compile_options", "collation_list"}
)  # fmt: skip
# Functions that reach outside the archive (files, shared libraries, tokenizer
# pointers). Python builds SQLite without most of them, but a system library may not.
_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})
_READ_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE})
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master"})
_ROW_WRITES = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE})
_WRITES = {
    sqlite3.SQLITE_INSERT: "INSERT into {a}",
    sqlite3.SQLITE_UPDATE: "UPDATE of {a}",
    sqlite3.SQLITE_DELETE: "DELETE from {a}",
    sqlite3.SQLITE_CREATE_INDEX: "CREATE INDEX {a}",
    sqlite3.SQLITE_CREATE_TABLE: "CREATE TABLE {a}",
    sqlite3.SQLITE_CREATE_TEMP_INDEX: "CREATE TEMP INDEX {a}",
    sqlite3.SQLITE_CREATE_TEMP_TABLE: "CREATE TEMP TABLE {a}",
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TEMP TRIGGER {a}",
    sqlite3.SQLITE_CREATE_TEMP_VIEW: "CREATE TEMP VIEW {a}",
    sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER {a}",
    sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW {a}",
    sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE {a}",
    sqlite3.SQLITE_DROP_INDEX: "DROP INDEX {a}",
    sqlite3.SQLITE_DROP_TABLE: "DROP TABLE {a}",
    sqlite3.SQLITE_DROP_TEMP_INDEX: "DROP INDEX {a}",
    sqlite3.SQLITE_DROP_TEMP_TABLE: "DROP TABLE {a}",
    sqlite3.SQLITE_DROP_TEMP_TRIGGER: "DROP TRIGGER {a}",
    sqlite3.SQLITE_DROP_TEMP_VIEW: "DROP VIEW {a}",
    sqlite3.SQLITE_DROP_TRIGGER: "DROP TRIGGER {a}",
    sqlite3.SQLITE_DROP_VIEW: "DROP VIEW {a}",
    sqlite3.SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE {a}",
    sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE {b}",
    sqlite3.SQLITE_REINDEX: "REINDEX",
    sqlite3.SQLITE_ANALYZE: "ANALYZE {a}",
}
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*|/\*.*?(?:\*/|$))*(\w*)", re.S)


class Guard:
    """The authorizer for one statement; remembers why it refused, for the message."""

    def __init__(self, sql: str, command: str = "query") -> None:
        match = _FIRST_WORD.match(sql)
        self.verb = (match.group(1) if match else "").upper()
        self.who = f"linkthread {command}"
        self.refusal: str | None = None

    def authorize(
        self, action: int, a: str | None, b: str | None, _db: str | None, _src: str | None
    ) -> int:
        reason = self._reason(action, a, b)
        if reason is None:
            return sqlite3.SQLITE_OK
        # The first refusal is the user's statement; later ones are SQLite unwinding.
        self.refusal = self.refusal or reason
        return sqlite3.SQLITE_DENY

    def _reason(self, action: int, a: str | None, b: str | None) -> str | None:
        if action in _READ_ACTIONS:
            return None
        if action == sqlite3.SQLITE_FUNCTION:
            name = (b or "").lower()
            if name not in _DENIED_FUNCTIONS:
                return None
            return (
                f"refused: the function {name}() is not allowed; it reaches outside the "
                f"archive, and {self.who} only reads it"
            )
        if action == sqlite3.SQLITE_PRAGMA:
            return self._pragma(a or "", b)
        if action in _ROW_WRITES and a in _SCHEMA_TABLES:
            # Let the specific question that follows (CREATE TABLE t, DROP VIEW v) be the
            # one refused, for a message that names it. SQLite 3.40 also asks UPDATE of
            # the schema table while a virtual table (FTS5, pragma_*) declares its
            # columns, a statement it then discards. A user's own write to the schema
            # table SQLite refuses by itself ("may not be modified") before asking.
            return None
        if action == sqlite3.SQLITE_ATTACH and self.verb == "VACUUM":
            what = f"VACUUM INTO {a!r}" if a else "VACUUM"
            return (
                f"refused: the query tries to write ({what}); {self.who} is "
                "read-only (linkthread snapshot makes a copy)"
            )
        if action == sqlite3.SQLITE_ATTACH:
            return (
                f"refused: the query tries to attach another database (ATTACH {a!r}); "
                f"{self.who} reads only the archive"
            )
        if action == sqlite3.SQLITE_DETACH:
            return f"refused: the query tries to detach a database (DETACH {a})"
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            what = f"SAVEPOINT {b}" if action == sqlite3.SQLITE_SAVEPOINT else (a or "")
            return (
                f"refused: the query tries to control a transaction ({what}); "
                f"{self.who} runs one read-only statement"
            )
        template = _WRITES.get(action)
        what = template.format(a=a or "", b=b or "").strip() if template else f"action {action}"
        return f"refused: the query tries to write ({what}); {self.who} is read-only"

    def _pragma(self, name: str, arg: str | None) -> str | None:
        name = name.lower()
        if name in _PRAGMA_ON_TABLE or (name in _PRAGMA_BARE and arg is None):
            return None
        shown = f"PRAGMA {name}" + (f" = {arg}" if arg is not None else "")
        return (
            f"refused: {shown} is not allowed; {self.who} allows only pragmas that "
            "read, such as table_info(name), index_list(name) or a bare user_version"
        )
