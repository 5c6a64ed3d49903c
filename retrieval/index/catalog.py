"""The catalog: a SQLite file that is the source of truth for what is indexed.

It holds every report's stored text, content hash and metadata, and every passage's
span. The vector store and the BM25 index are derived from it: a passage counts as
indexed only once its report's catalog transaction has committed, so an ingest that
dies half-way leaves the previous version of each report answering.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from retrieval.index.chunking import Passage
from retrieval.index.documents import Report

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
    doc_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    origin TEXT NOT NULL,
    title TEXT NOT NULL,
    source TEXT,
    published TEXT,
    url TEXT,
    metadata TEXT NOT NULL,
    text TEXT NOT NULL,
    indexed_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS passages (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES reports(doc_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_by_doc ON passages(doc_id, position);
"""


@dataclass(frozen=True)
class ReportInfo:
    """What ``sources`` lists about an indexed report."""

    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    passages: int

    def to_json(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "url": self.url,
            "passages": self.passages,
        }


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


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._connection().executescript(SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread: the bot answers in worker threads while /reload writes.
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # meta -----------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped by every change, so readers know when to reload derived indexes."""
        return int(self.get_meta("generation") or 0)

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # writes ----------------------------------------------------------------

    def replace_report(self, report: Report, passages: list[Passage]) -> list[str]:
        """Store a report and its passages in one transaction; returns the chunk ids
        of the version it replaced."""
        with self._transaction() as db:
            old = [r[0] for r in db.execute("SELECT chunk_id FROM passages WHERE doc_id = ?", (report.doc_id,))]
            db.execute("DELETE FROM passages WHERE doc_id = ?", (report.doc_id,))
            db.execute(
                "INSERT OR REPLACE INTO reports (doc_id, content_hash, origin, title, source, published,"
                " url, metadata, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.doc_id,
                    report.content_hash,
                    report.origin,
                    report.title,
                    report.source,
                    report.published,
                    report.url,
                    json.dumps(report.metadata, ensure_ascii=False, default=str),
                    report.text,
                ),
            )
            db.executemany(
                "INSERT INTO passages (chunk_id, doc_id, position, start, end, text) VALUES (?, ?, ?, ?, ?, ?)",
                [(p.chunk_id, p.doc_id, p.position, p.start, p.end, p.text) for p in passages],
            )
            self._bump(db)
        return [c for c in old if c not in {p.chunk_id for p in passages}]

    def remove_reports(self, doc_ids: Iterable[str]) -> list[str]:
        """Drop reports; returns their chunk ids."""
        doc_ids = list(doc_ids)
        removed: list[str] = []
        with self._transaction() as db:
            for doc_id in doc_ids:
                removed += [r[0] for r in db.execute("SELECT chunk_id FROM passages WHERE doc_id = ?", (doc_id,))]
                db.execute("DELETE FROM reports WHERE doc_id = ?", (doc_id,))
            if doc_ids:
                self._bump(db)
        return removed

    def set_origins(self, origins: dict[str, str]) -> None:
        with self._transaction() as db:
            db.executemany("UPDATE reports SET origin = ? WHERE doc_id = ?", [(o, d) for d, o in origins.items()])

    # reads -----------------------------------------------------------------

    def fingerprints(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (content hash, origin file) for every indexed report."""
        rows = self._connection().execute("SELECT doc_id, content_hash, origin FROM reports")
        return {doc_id: (h, origin) for doc_id, h, origin in rows}

    def all_passages(self) -> list[tuple[str, str, str]]:
        """(chunk_id, report title, passage text) in a stable order, for the BM25 index."""
        return self._connection().execute(
            "SELECT p.chunk_id, r.title, p.text FROM passages p JOIN reports r USING (doc_id)"
            " ORDER BY p.doc_id, p.position"
        ).fetchall()

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._connection().execute("SELECT chunk_id FROM passages")}

    def passages(self, chunk_ids: list[str]) -> dict[str, StoredPassage]:
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self._connection().execute(
            "SELECT p.chunk_id, p.doc_id, p.position, p.start, p.end, p.text,"
            " r.title, r.source, r.published, r.url"
            f" FROM passages p JOIN reports r USING (doc_id) WHERE p.chunk_id IN ({marks})",
            chunk_ids,
        )
        return {row[0]: StoredPassage(*row) for row in rows}

    def filtered(
        self, source: str | None, published_from: str | None, published_to: str | None
    ) -> tuple[list[str], set[str]]:
        """(doc ids, chunk ids) of the reports that match a source and date range."""
        clauses, args = [], []
        if source:
            clauses.append("r.source LIKE ?")
            args.append(f"%{source}%")
        if published_from:
            clauses.append("r.published >= ?")
            args.append(published_from)
        if published_to:
            clauses.append("r.published <= ?")
            args.append(published_to)
        where = " AND ".join(clauses) or "1"
        rows = self._connection().execute(
            f"SELECT r.doc_id, p.chunk_id FROM passages p JOIN reports r USING (doc_id) WHERE {where}", args
        ).fetchall()
        return sorted({r[0] for r in rows}), {r[1] for r in rows}

    def report_text(self, doc_id: str) -> str | None:
        row = self._connection().execute("SELECT text FROM reports WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def reports(self) -> list[ReportInfo]:
        rows = self._connection().execute(
            "SELECT r.doc_id, r.title, r.source, r.published, r.url, COUNT(p.chunk_id)"
            " FROM reports r LEFT JOIN passages p USING (doc_id)"
            " GROUP BY r.doc_id ORDER BY r.published IS NULL, r.published DESC, r.title"
        )
        return [ReportInfo(*row) for row in rows]

    def counts(self) -> dict:
        db = self._connection()
        reports, first, last = db.execute("SELECT COUNT(*), MIN(published), MAX(published) FROM reports").fetchone()
        passages = db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        sources = db.execute("SELECT COUNT(DISTINCT source) FROM reports").fetchone()[0]
        return {
            "reports": reports,
            "passages": passages,
            "sources": sources,
            "first_published": first,
            "last_published": last,
        }
