"""Syndicated copies: the LSH band keys of each report's MinHash signature (candidate
copies share one), and which report each copy is filed under (``reports.copy_of``)."""

from __future__ import annotations

import sqlite3

from retrieval.index.catalog.database import Database


class CopyStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def replace_bands(self, db: sqlite3.Connection, doc_id: str, keys: list[int]) -> None:
        db.execute("DELETE FROM bands WHERE doc_id = ?", (doc_id,))
        db.executemany("INSERT INTO bands (key, doc_id) VALUES (?, ?)", [(k, doc_id) for k in keys])

    def band_neighbours(self, keys: list[int], exclude: str) -> list[str]:
        """Reports sharing an LSH band key with a signature (candidate copies)."""
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = self.database.connection().execute(
            f"SELECT DISTINCT doc_id FROM bands WHERE key IN ({marks}) AND doc_id != ?", [*keys, exclude]
        )
        return [r[0] for r in rows]

    def roots(self, doc_ids: list[str]) -> dict[str, str]:
        """doc_id -> the report it is a copy of (itself when it is no copy)."""
        rows = self.database.select_in(
            "SELECT doc_id, COALESCE(copy_of, doc_id) FROM reports WHERE doc_id IN ({marks})", doc_ids
        )
        return dict(rows)

    def groups(self, roots: list[str]) -> dict[str, list[tuple[str, str | None, str | None]]]:
        """root -> (doc_id, source, published) of every report in its group of syndicated
        copies, the root first."""
        if not roots:
            return {}
        marks = ",".join("?" * len(roots))
        groups: dict[str, list[tuple[str, str | None, str | None]]] = {r: [] for r in roots}
        rows = self.database.connection().execute(
            f"SELECT COALESCE(copy_of, doc_id), doc_id, source, published FROM reports"
            f" WHERE doc_id IN ({marks}) OR copy_of IN ({marks}) ORDER BY copy_of IS NOT NULL, published, doc_id",
            [*roots, *roots],
        )
        for root, doc_id, source, published in rows:
            groups[root].append((doc_id, source, published))
        return groups
