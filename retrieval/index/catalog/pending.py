"""The pending table: ids written to (or about to be deleted from) the vector store or the
BM25 index whose catalog state is not settled yet, so an ingest killed at any moment
leaves nothing behind that the next one cannot sweep."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from retrieval.index.catalog.database import Database


class PendingStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def mark(self, chunk_ids: Iterable[str]) -> None:
        with self.database.transaction() as db:
            self.add(db, chunk_ids)

    @staticmethod
    def add(db: sqlite3.Connection, chunk_ids: Iterable[str]) -> None:
        db.executemany("INSERT OR IGNORE INTO pending (chunk_id) VALUES (?)", [(c,) for c in chunk_ids])

    @staticmethod
    def drop(db: sqlite3.Connection, chunk_ids: Iterable[str]) -> None:
        db.executemany("DELETE FROM pending WHERE chunk_id = ?", [(c,) for c in chunk_ids])

    def settle(self, chunk_ids: Iterable[str]) -> None:
        with self.database.transaction() as db:
            self.drop(db, chunk_ids)

    def all(self) -> list[str]:
        return [r[0] for r in self.database.connection().execute("SELECT chunk_id FROM pending")]
