"""The data directory and the files in it are the owner's alone (0700 and 0600).

The SQLite database holds every tenant's data and password hashes; the directory also keeps the
development signing secret and the demo login. SQLite creates its file with the process's umask
(usually 0644, readable by every local user) and gives its WAL and shared-memory files the
database file's mode, so the database file is created 0600 before SQLite opens it, and files an
older version left readable are tightened at every start.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) if missing; the directory itself ends up 0700."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)


def create_private_file(path: Path) -> None:
    """Create an empty 0600 file at ``path`` unless one exists (SQLite accepts an empty file)."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _tighten(path, FILE_MODE)


def protect_sqlite_files(database: Path) -> None:
    """Tighten the database file and its WAL, shared-memory and journal files to 0600."""
    for path in (database, *(Path(f"{database}{suffix}") for suffix in SQLITE_COMPANIONS)):
        _tighten(path, FILE_MODE)


def protect_data_dir(data_dir: Path) -> None:
    """Tighten the data directory and every regular file directly in it."""
    if not data_dir.is_dir():
        return
    _tighten(data_dir, DIR_MODE)
    for entry in data_dir.iterdir():
        if entry.is_file() and not entry.is_symlink():
            _tighten(entry, FILE_MODE)


def protect_stored_files(data_dir: Path, database: Path | None) -> None:
    """Tighten the data directory, its files and the SQLite database wherever it lives."""
    protect_data_dir(data_dir)
    if database is not None:
        protect_sqlite_files(database)


def _tighten(path: Path, allowed: int) -> None:
    # Only ever removes permissions, and leaves alone what this user does not own (a shared
    # directory set up by an administrator) rather than failing to start.
    with contextlib.suppress(FileNotFoundError, PermissionError):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & ~allowed:
            path.chmod(mode & allowed)
