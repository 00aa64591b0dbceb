"""Where an export goes: checked paths, and files that appear whole or not at all.

An export is written to a temporary file beside its target and moved into place only
once complete, so a failure halfway (a full disk, bad SQL found on the millionth
row, Ctrl-C) never leaves a truncated file that looks like a finished export.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from archive.errors import ArchiveError


class ExportError(ArchiveError):
    """An export that cannot be done as asked: bad path, format, missing extra."""


def check_output_path(path: str | Path, *, force: bool = False) -> Path:
    """``path`` if an export may be written there, else an :class:`ExportError`.

    Refused: a directory, a path whose parent folder does not exist, a device, pipe or
    socket, any path under /dev or /proc, and an existing file unless ``force``.
    """
    target = Path(path)
    if _is_special(target):
        raise ExportError(
            f"{target} is a device or process file, not a place for a file; to write to "
            "stdout, give -o - or leave out -o"
        )
    try:
        if target.is_dir():
            raise ExportError(f"{target} is a directory; give a file name")
        parent = target.parent
        if not parent.is_dir():
            raise ExportError(f"cannot write {target}: folder {parent} does not exist")
        exists = target.exists() or target.is_symlink()
        # The export is renamed over its target: --force on /dev/stdout or a named
        # pipe would replace the device or pipe itself with a plain file.
        if target.exists() and not target.is_file():
            raise ExportError(
                f"{target} is not a regular file; to write to a pipe or device, leave out "
                "-o and redirect stdout"
            )
    except OSError as e:  # e.g. a name longer than the file system allows
        raise _cannot_write(target, e) from e
    if exists and _is_database(target):
        raise ExportError(
            f"{target} is an SQLite database (an archive?) or one of its -wal/-shm files; "
            "an export never writes over one, even with --force"
        )
    if exists and not force:
        raise ExportError(f"{target} already exists; use --force to overwrite it")
    return target


_SQLITE_HEADER = b"SQLite format 3\x00"


def _is_database(target: Path) -> bool:
    # `export --db a.db -o a.db --force` once replaced the archive it read with JSON.
    # No export is ever meant to take a database's place, whichever archive it is.
    files = [target]
    for suffix in ("-wal", "-shm", "-journal"):
        if target.name.endswith(suffix):
            files.append(target.with_name(target.name[: -len(suffix)]))
    for path in files:
        try:
            with open(path, "rb") as f:
                if f.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER:
                    return True
        except OSError:
            continue  # unreadable or absent: the write itself will say
    return False


def _is_special(target: Path) -> bool:
    # Judged by the name, not by what it resolves to: /dev/stderr is a link to
    # whatever fd 2 is at the moment (a terminal, a pipe, a user's log file), and an
    # export renamed over it would replace the link itself.
    parts = Path(os.path.abspath(target)).parts
    return len(parts) > 2 and parts[1] in ("dev", "proc")


def _cannot_write(target: Path, e: OSError) -> ExportError:
    return ExportError(f"cannot write {target}: {e.strerror or e}")


@contextlib.contextmanager
def atomic_output(path: str | Path, *, force: bool = False) -> Iterator[IO[str]]:
    """A text file (UTF-8, ``\\n``) that becomes ``path`` when the block ends cleanly.

    On an exception inside the block the temporary file is removed and ``path`` is
    left as it was (absent, or the old file).
    """
    target = check_output_path(path, force=force)
    with (
        _temporary_beside(target, force=force) as fd,
        open(fd, "w", encoding="utf-8", newline="\n") as out,
    ):
        yield out
        out.flush()
        os.fsync(out.fileno())


@contextlib.contextmanager
def atomic_binary_output(path: str | Path, *, force: bool = False) -> Iterator[IO[bytes]]:
    """The binary twin of :func:`atomic_output` (Parquet)."""
    target = check_output_path(path, force=force)
    with _temporary_beside(target, force=force) as fd, open(fd, "wb") as out:
        yield out
        out.flush()
        os.fsync(out.fileno())


@contextlib.contextmanager
def _temporary_beside(target: Path, *, force: bool) -> Iterator[int]:
    # Same folder, so the final move is a rename within one file system (atomic).
    import secrets  # here: it imports hmac and hashlib, for every command otherwise

    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask decide the mode, as for any new file;
    # tempfile's 0o600 would leave every export readable by its owner only.
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:  # a read-only folder, or a name too long once suffixed
        raise _cannot_write(target, e) from e
    try:
        yield fd  # the caller's open() owns and closes it
        _move_into_place(tmp, target, force=force)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        # A full disk or a failed rename is the user's to fix: one line, no traceback.
        if isinstance(e, OSError):
            raise _cannot_write(target, e) from e
        raise


def _move_into_place(tmp: Path, target: Path, *, force: bool) -> None:
    if force:
        os.replace(tmp, target)
        return
    # A hard link fails if the target appeared while the export ran (another process),
    # where os.replace would silently overwrite it.
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise ExportError(f"{target} already exists; use --force to overwrite it") from None
    except OSError:
        # Some file systems have no hard links; check once more and replace.
        if target.exists():
            raise ExportError(f"{target} already exists; use --force to overwrite it") from None
        os.replace(tmp, target)
        return
    tmp.unlink()


def write_text(path: str | Path, text: str, *, force: bool = False) -> None:
    """Write a finished document (one thread) to ``path`` atomically."""
    with atomic_output(path, force=force) as out:
        out.write(text)
