"""The SQLite file a store opened, and whether it is still the file at its path.

SQLite keeps writing to a file that was deleted or moved while open: the writes land in an
unlinked inode and vanish at the next restart. The store therefore remembers the file's
identity (device and inode) when it opens it, and refuses to go on once the path names
another file or none.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import quote, urlsplit

from shared.storage.errors import StoreError


def sqlite_path(database_url: str) -> Path | None:
    """The file of an `sqlite:///…` URL; `None` for an in-memory database."""
    path = urlsplit(database_url).path
    if path in ("", "/", "/:memory:"):
        return None
    # sqlite:///relative/path and sqlite:////absolute/path
    return Path(path[1:]) if path.startswith("/") else Path(path)


class SqliteFile:
    """An SQLite database file whose identity was taken when the store opened it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity: tuple[int, int] | None = None

    @property
    def lock_file(self) -> Path:
        """The lock file schema upgrades take, beside the database."""
        return self.path.with_name(self.path.name + ".migrate-lock")

    @property
    def existing_uri(self) -> str:
        """An SQLite URI that opens the file only if it exists (`mode=rw`): a connection
        opened after the file was moved or deleted fails instead of leaving a new empty
        database at the path."""
        return f"file:{quote(str(self.path.resolve()))}?mode=rw"

    def create(self) -> None:
        """Make the directory and an empty database file if there is none yet."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError), open(self.path, "xb"):
            pass  # an empty file is an empty SQLite database

    def remember(self) -> None:
        """Take the file's identity now (once the database is open)."""
        self._identity = self._stat()

    def check(self) -> None:
        """Raise `StoreError` unless the path still names the file that was opened."""
        if self._identity is None:
            return
        try:
            current = self._stat()
        except FileNotFoundError:
            raise StoreError(
                f"the database file {self.path} is gone (deleted or moved) since it was "
                "opened; nothing more is written; restart the service"
            ) from None
        except OSError as error:
            raise StoreError(
                f"the database file {self.path} cannot be examined: {error.strerror or error}"
            ) from None
        if current != self._identity:
            raise StoreError(
                f"the database file {self.path} was replaced by another file since it was "
                "opened; nothing more is written; restart the service"
            )

    def check_writable(self) -> None:
        """Raise `StoreError` when the file, its WAL and shared-memory files or its directory
        can no longer be written (made read-only or immutable, or a file system remounted
        read-only, while the service runs). The connections already open keep their write
        access and SQLite's WAL takes commits until a checkpoint, so no query shows it: only
        a look at the files does."""
        wal, shm = (self.path.with_name(self.path.name + suffix) for suffix in ("-wal", "-shm"))
        for path in (self.path, wal, shm, self.path.parent):
            if path.exists() and not os.access(path, os.W_OK):
                where = "the directory of " if path == self.path.parent else ""
                raise StoreError(
                    f"{where}the database file {self.path} is read-only ({path.name} cannot "
                    "be written); make it writable again"
                )

    def _stat(self) -> tuple[int, int]:
        status = os.stat(self.path)
        return status.st_dev, status.st_ino
