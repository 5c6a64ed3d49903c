"""The removed table: reports taken out with ``incident-bot remove``, each with its origin
file as it was then (size, modification time) and its content hash, so that ingest
leaves it out until it is edited in its file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.index.catalog.database import Database


@dataclass(frozen=True)
class Removal:
    """A report taken out of the index, and its file as it was then."""

    origin: str
    content_hash: str
    size: int | None  # None: the file was already gone
    mtime_ns: int | None

    def keeps_out(self, origin: str, size: int, mtime_ns: int, content_hash: str) -> bool:
        """Whether the report, read again, stays out: it does until it is edited in its
        file (the file changed and the report's text or metadata with it)."""
        file_unchanged = origin == self.origin and (size, mtime_ns) == (self.size, self.mtime_ns)
        return file_unchanged or content_hash == self.content_hash


class RemovedStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def record(db: sqlite3.Connection, removals: dict[str, Removal]) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO removed (doc_id, origin, content_hash, size, mtime_ns) VALUES (?, ?, ?, ?, ?)",
            [(d, r.origin, r.content_hash, r.size, r.mtime_ns) for d, r in removals.items()],
        )

    @staticmethod
    def drop(db: sqlite3.Connection, doc_ids: Iterable[str]) -> None:
        db.executemany("DELETE FROM removed WHERE doc_id = ?", [(d,) for d in doc_ids])

    def forget(self, doc_ids: Iterable[str]) -> None:
        with self.database.transaction() as db:
            self.drop(db, doc_ids)

    def all(self) -> dict[str, Removal]:
        rows = self.database.connection().execute("SELECT doc_id, origin, content_hash, size, mtime_ns FROM removed")
        return {doc_id: Removal(*rest) for doc_id, *rest in rows}
