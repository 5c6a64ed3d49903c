"""The files table: every file as ingest last read it (size, modification time), so an
unchanged file is not read again."""

from __future__ import annotations

from collections.abc import Iterable

from retrieval.index.catalog.database import Database


class FileStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def record(self, files: dict[str, tuple[int, int]], forget: Iterable[str] = ()) -> None:
        """Remember files as read (path -> size, mtime) and forget others."""
        with self.database.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns) VALUES (?, ?, ?)",
                [(p, size, mtime) for p, (size, mtime) in files.items()],
            )
            db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in forget])

    def seen(self) -> dict[str, tuple[int, int]]:
        return {p: (s, m) for p, s, m in self.database.connection().execute("SELECT path, size, mtime_ns FROM files")}
