"""The embeddings table: passage vectors by content, so identical passages are embedded
once and an edited report embeds only the passages that changed. Each entry also keeps
the vectors of the pieces (spans) pooled from the same model run."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from retrieval.index.catalog.database import Database


class EmbeddingStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def cached(self, keys: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """content key -> (passage vector, part offsets (k, 2), part vectors (k, d))."""
        found = {}
        rows = self.database.select_in(
            "SELECT content_key, vector, parts, part_vectors FROM embeddings WHERE content_key IN ({marks})", keys
        )
        for key, vector, parts, part_vectors in rows:
            v = np.frombuffer(vector, dtype=np.float32)
            found[key] = (
                v,
                np.frombuffer(parts, dtype=np.int32).reshape(-1, 2),
                np.frombuffer(part_vectors, dtype=np.float16).astype(np.float32).reshape(-1, v.shape[0]),
            )
        return found

    def cache(self, entries: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        with self.database.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO embeddings (content_key, vector, parts, part_vectors) VALUES (?, ?, ?, ?)",
                [
                    (k, v.astype(np.float32).tobytes(), p.astype(np.int32).tobytes(), pv.astype(np.float16).tobytes())
                    for k, (v, p, pv) in entries.items()
                ],
            )

    def prune(self, keys: Iterable[str]) -> None:
        """Forget cached vectors no passage uses any more."""
        with self.database.transaction() as db:
            db.executemany(
                "DELETE FROM embeddings WHERE content_key = ? AND NOT EXISTS"
                " (SELECT 1 FROM passages WHERE content_key = ?)",
                [(k, k) for k in keys],
            )
