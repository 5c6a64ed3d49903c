"""The passages table: the chunks the vector store and the BM25 index hold, with their
offsets in the report's text and the content key of their embedding."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from retrieval.index.catalog.database import Database


@dataclass(frozen=True)
class StoredPassage:
    """A passage with its report's citation metadata."""

    chunk_id: str
    doc_id: str
    position: int
    start: int
    end: int
    text: str
    title: str
    source: str | None
    published: str | None
    url: str | None


class PassageStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def searchable_of(self, db: sqlite3.Connection, doc_id: str) -> list[str]:
        return [r[0] for r in db.execute("SELECT chunk_id FROM passages WHERE doc_id = ? AND searchable", (doc_id,))]

    def replace(self, db: sqlite3.Connection, doc_id: str, passages: list[tuple[str, int, int, int, str, str, bool]]) -> None:
        db.execute("DELETE FROM passages WHERE doc_id = ?", (doc_id,))
        db.executemany(
            "INSERT INTO passages (chunk_id, doc_id, position, start, end, text, content_key, searchable)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(c, doc_id, pos, s, e, t, k, int(f)) for c, pos, s, e, t, k, f in passages],
        )

    def chunk_ids_of(self, doc_ids: list[str]) -> list[str]:
        return [r[0] for r in self.database.select_in("SELECT chunk_id FROM passages WHERE doc_id IN ({marks})", doc_ids)]

    def chunk_ids(self) -> set[str]:
        """The passages the vector store and the BM25 index hold."""
        return {r[0] for r in self.database.connection().execute("SELECT chunk_id FROM passages WHERE searchable")}

    def known(self, chunk_ids: list[str]) -> set[str]:
        rows = self.database.select_in("SELECT chunk_id FROM passages WHERE searchable AND chunk_id IN ({marks})", chunk_ids)
        return {r[0] for r in rows}

    def content_keys(self, chunk_ids: list[str]) -> list[str]:
        return [r[0] for r in self.database.select_in("SELECT content_key FROM passages WHERE chunk_id IN ({marks})", chunk_ids)]

    def everything(self) -> Iterator[tuple[str, str, str, str]]:
        """(chunk_id, doc_id, report title, passage text) in a stable order, for rebuilding BM25."""
        yield from self.database.connection().execute(
            "SELECT p.chunk_id, p.doc_id, r.title, p.text FROM passages p JOIN reports r USING (doc_id)"
            " WHERE p.searchable ORDER BY p.doc_id, p.position"
        )

    def get(self, chunk_ids: list[str]) -> dict[str, StoredPassage]:
        rows = self.database.select_in(
            "SELECT p.chunk_id, p.doc_id, p.position, p.start, p.end, p.text,"
            " r.title, r.source, r.published, r.url"
            " FROM passages p JOIN reports r USING (doc_id) WHERE p.chunk_id IN ({marks})",
            chunk_ids,
        )
        return {row[0]: StoredPassage(*row) for row in rows}

    def positions(self, doc_ids: list[str]) -> dict[str, list[tuple[int, int, int]]]:
        """doc_id -> (position, start, end) of every passage, in order."""
        found: dict[str, list[tuple[int, int, int]]] = {d: [] for d in doc_ids}
        for doc_id, position, start, end in self.database.select_in(
            "SELECT doc_id, position, start, end FROM passages WHERE doc_id IN ({marks}) ORDER BY doc_id, position",
            doc_ids,
        ):
            found[doc_id].append((position, start, end))
        return found
