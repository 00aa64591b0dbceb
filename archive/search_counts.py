"""What the archive's full-text index counts, read for the kept bands
(:mod:`archive.search_index`): the rows holding a term, each row's tf and dl, the
totals bm25 reads, and the tokens of any text as the index makes them (a private
FTS5 table of the same tokenizer)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Container, Iterable, Sequence
from typing import TypeVar

from archive.search_band import Point, decode_varints

TOKENIZE = "porter unicode61"  # comments_fts's (archive/schema.py)
T = TypeVar("T")
Text = tuple[int, str | None, str | None]  # rowid, text, author: a row of comments_fts


def term_points(conn: sqlite3.Connection, term: str, rowids: Sequence[int]) -> list[Point]:
    """(rowid, tf, dl) of those of these comments that hold ``term`` now."""
    if not rowids:
        return []
    tf = Tokens.get().counts(term, row_texts(conn, rowids))
    dl = row_lengths(conn, list(tf))
    return [(doc, n, dl[doc]) for doc, n in tf.items()]


def chunks(values: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def row_texts(conn: sqlite3.Connection, rowids: Sequence[int]) -> list[Text]:
    out: list[Text] = []
    for chunk in chunks(rowids):
        marks = ",".join("?" * len(chunk))
        out += conn.execute(
            f"SELECT rowid, text, author FROM comments WHERE rowid IN ({marks})", chunk
        ).fetchall()
    return out


def row_lengths(conn: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in chunks(rowids):
        marks = ",".join("?" * len(chunk))
        for doc, sz in conn.execute(
            f"SELECT id, sz FROM comments_fts_docsize WHERE id IN ({marks})", chunk
        ):
            out[doc] = sum(decode_varints(sz))
    return out


def totals(conn: sqlite3.Connection) -> tuple[int, int]:
    """(rows, tokens in every column) of ``comments_fts``, as bm25 reads them: FTS5's
    averages record (``%_data`` id 1: the row count, then each column's tokens)."""
    row = conn.execute("SELECT block FROM comments_fts_data WHERE id = 1").fetchone()
    values = decode_varints(row[0]) if row else []
    return (values[0] if values else 0), sum(values[1:])  # an empty index: an empty record


def term_docs(conn: sqlite3.Connection, term: str, word: str) -> int:
    """The rows of ``comments_fts`` that hold ``term``, counted by FTS5 itself: through
    fts5vocab where the connection may make one (a temp table), else by a count of the
    matches (twice as long: every match goes through the VM)."""
    try:
        vocab(conn, "row")
    except sqlite3.DatabaseError:  # a read-only connection (query_only, the sandbox)
        return conn.execute("SELECT count(*) FROM comments_fts WHERE comments_fts MATCH ?",
                            ('"' + word + '"',)).fetchone()[0]  # fmt: skip
    row = conn.execute("SELECT doc FROM temp.linkthread_row WHERE term = ?", (term,)).fetchone()
    return row[0] if row else 0


def vocab(conn: sqlite3.Connection, kind: str) -> str:
    """The name of an fts5vocab table of ``kind`` (row, instance) over comments_fts."""
    name = f"temp.linkthread_{kind}"
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {name}"
                 f" USING fts5vocab(main, comments_fts, {kind})")  # fmt: skip
    return name


class Tokens:
    """An FTS5 table of comments_fts's tokenizer in a private in-memory database: the
    tokens of a text exactly as the archive's index makes them. One per thread
    (Datasette searches from several)."""

    _local = threading.local()

    @classmethod
    def get(cls) -> Tokens:
        one = getattr(cls._local, "tokens", None)
        if one is None:
            one = cls._local.tokens = cls()
        return one

    # Pages (4 KiB) the private database may keep between calls; past them (a fold of
    # many comments) it is made anew, as an in-memory database never gives pages back.
    KEEP_PAGES = 2_000

    def __init__(self) -> None:
        self.conn = self._connect()

    @staticmethod
    def _connect() -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:")
        # Contentless: only the index is read, and 'delete-all' empties it at once, where
        # a DELETE leaves delete markers that every later fts5vocab scan walks (after
        # 300,000 rows, 0.6 ms a small call became 20 ms).
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(text, author, content='',"
                     f" tokenize='{TOKENIZE}')")  # fmt: skip
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, instance)")
        conn.execute("CREATE VIRTUAL TABLE r USING fts5vocab(t, row)")
        return conn

    def tokens(self, text: str) -> list[str]:
        return [t for t, in self._run([(1, text, None)], "SELECT DISTINCT term FROM v")]

    def counts(self, term: str, rows: Iterable[Text]) -> dict[int, int]:
        return dict(self._run(rows, "SELECT doc, count(*) FROM v WHERE term = ? GROUP BY doc",
                              (term,)))  # fmt: skip

    def docs(self, rows: Iterable[Text]) -> dict[str, int]:
        """How many of these rows hold each term."""
        return dict(self._run(rows, "SELECT term, doc FROM r"))

    def terms_of(self, rows: Iterable[Text]) -> dict[int, list[str]]:
        """The distinct terms of each row."""
        out: dict[int, list[str]] = {}
        for doc, term in self._run(rows, "SELECT DISTINCT doc, term FROM v"):
            out.setdefault(doc, []).append(term)
        return out

    def points(self, rows: Iterable[Text], terms: Container[str]) -> dict[str, list[Point]]:
        """(rowid, tf, dl) of each row for each of ``terms`` it holds; dl as the
        archive's index counts it (the same tokenizer over the same two columns)."""
        found: dict[str, list[tuple[int, int]]] = {}

        def read(conn: sqlite3.Connection) -> dict[int, int]:
            for term, doc, n in conn.execute(
                    "SELECT term, doc, count(*) FROM v GROUP BY term, doc"):  # fmt: skip
                if term in terms:
                    found.setdefault(term, []).append((doc, n))
            return {doc: sum(decode_varints(sz)) for doc, sz in conn.execute(
                "SELECT id, sz FROM t_docsize")}  # fmt: skip
        dl = self._with(rows, read)
        return {t: [(doc, n, dl[doc]) for doc, n in pairs] for t, pairs in found.items()}

    def _with(self, rows: Iterable[Text], read: Callable[[sqlite3.Connection], T]) -> T:
        conn = self.conn
        try:
            with conn:
                conn.executemany("INSERT INTO t (rowid, text, author) VALUES (?, ?, ?)", rows)
                try:
                    return read(conn)
                finally:
                    conn.execute("INSERT INTO t (t) VALUES ('delete-all')")
        finally:
            if conn.execute("PRAGMA page_count").fetchone()[0] > self.KEEP_PAGES:
                conn.close()
                self.conn = self._connect()

    def _run(self, rows: Iterable[Text], sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
        return self._with(rows, lambda conn: conn.execute(sql, params).fetchall())
