"""The rebuilding table: the reports a rebuild has yet to re-index. A rebuild marks every
report when it starts; each one written again leaves the list, so a rebuild stopped
half-way (Ctrl-C, a crash) is resumed by the next one instead of starting over."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from retrieval.index.catalog.database import Database


class RebuildStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def mark_all(db: sqlite3.Connection) -> None:
        db.execute("INSERT OR IGNORE INTO rebuilding (doc_id) SELECT doc_id FROM reports")

    @staticmethod
    def mark(db: sqlite3.Connection, doc_ids: Iterable[str]) -> None:
        db.executemany("INSERT OR IGNORE INTO rebuilding (doc_id) VALUES (?)", [(d,) for d in doc_ids])

    @staticmethod
    def clear(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM rebuilding")

    def left(self) -> set[str]:
        return {r[0] for r in self.database.connection().execute("SELECT doc_id FROM rebuilding")}

    def count(self) -> int:
        return self.database.connection().execute("SELECT COUNT(*) FROM rebuilding").fetchone()[0]
