"""The spans table: each report's quotable spans (int32 start/end offsets into its text)
and their vectors (float16), which the answer step scores without embedding anything."""

from __future__ import annotations

import sqlite3

import numpy as np

from retrieval.index.catalog.database import Database


class SpanStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def write(self, db: sqlite3.Connection, doc_id: str, spans: np.ndarray, vectors: np.ndarray | None) -> None:
        db.execute(
            "INSERT OR REPLACE INTO spans (doc_id, offsets, vectors) VALUES (?, ?, ?)",
            (
                doc_id,
                spans.astype(np.int32).tobytes(),
                None if vectors is None else vectors.astype(np.float16).tobytes(),
            ),
        )

    def of(self, doc_ids: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """doc_id -> (spans (n, 2), vectors (n, d) or None)."""
        found = {}
        for doc_id, offsets, vectors in self.database.select_in(
            "SELECT doc_id, offsets, vectors FROM spans WHERE doc_id IN ({marks})", doc_ids
        ):
            spans = np.frombuffer(offsets or b"", dtype=np.int32).reshape(-1, 2)
            matrix = None
            if vectors:
                matrix = np.frombuffer(vectors, dtype=np.float16).astype(np.float32).reshape(len(spans), -1)
            found[doc_id] = (spans, matrix)
        return found
