"""The reports table: each indexed report's stored text, content hash, origin file and
citation metadata, and what is read of them (listings, filters, texts)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import numpy as np

from retrieval.index.catalog.database import Database
from retrieval.index.entities import Entity


@dataclass(frozen=True)
class ReportInfo:
    """What ``sources`` lists about an indexed report."""

    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    passages: int
    copy_of: str | None = None  # the report this one is a syndicated copy of

    def to_json(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "url": self.url,
            "passages": self.passages,
            "copy_of": self.copy_of,
        }


class UnknownReportError(LookupError):
    """A report id the index does not hold."""

    def __init__(self, doc_ids: list[str]) -> None:
        self.doc_ids = doc_ids
        listed = ", ".join(repr(d) for d in doc_ids)
        super().__init__(
            f"no report with id {listed} in the index" if len(doc_ids) == 1 else f"no reports with ids {listed} in the index"
        )

    def __str__(self) -> str:  # LookupError would quote the message like a KeyError key
        return self.args[0]


@dataclass(frozen=True)
class ReportDetail:
    """One indexed report as ``show`` prints it: metadata, where it came from, its copies
    and its full stored text."""

    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    origin: str  # the file it was read from
    copy_of: str | None  # the report this one is a syndicated copy of
    copies: list[str]  # the reports filed as copies of this one
    passages: int
    metadata: dict
    indexed_at: str
    text: str

    def to_json(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "url": self.url,
            "origin": self.origin,
            "copy_of": self.copy_of,
            "copies": self.copies,
            "passages": self.passages,
            "metadata": self.metadata,
            "indexed_at": self.indexed_at,
            "text": self.text,
        }


@dataclass(frozen=True)
class StoredReport:
    """A report as the answer step reads it: text, metadata and its quotable spans."""

    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    text: str
    copy_of: str | None
    spans: np.ndarray  # (n, 2) int32 start/end offsets into text
    vectors: np.ndarray | None  # (n, d) float32, or None when the embedder gives none
    passages: list[tuple[int, int, int]]  # (position, start, end) of every passage
    entities: tuple[Entity, ...] = ()  # recognised at ingest, in text order


@dataclass(frozen=True)
class ReportRecord:
    """Everything a batch writes about one report."""

    doc_id: str
    content_hash: str
    origin: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    metadata: dict
    text: str
    passages: list[tuple[str, int, int, int, str, str, bool]]  # chunk_id, position, start, end, text, content_key, searchable
    spans: np.ndarray
    span_vectors: np.ndarray | None
    words: dict[str, tuple[int, int, int]]
    entities: list[Entity]
    band_keys: list[int]
    copy_of: str | None

    @classmethod
    def of(cls, report, **indexed) -> ReportRecord:
        """A report's record: its text and metadata, and what indexing made of it (none
        given: a report kept before it is indexed, with no passages)."""
        unindexed = dict(
            passages=[], spans=np.zeros((0, 2), dtype=np.int32), span_vectors=None, words={}, entities=[], band_keys=[], copy_of=None
        )
        return cls(
            doc_id=report.doc_id,
            content_hash=report.content_hash,
            origin=report.origin,
            title=report.title,
            source=report.source,
            published=report.published,
            url=report.url,
            metadata=report.metadata,
            text=report.text,
            **{**unindexed, **indexed},
        )


class ReportStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def write(self, db: sqlite3.Connection, record: ReportRecord) -> None:
        db.execute(
            "INSERT OR REPLACE INTO reports (doc_id, content_hash, origin, title, source, published,"
            " url, metadata, text, copy_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.doc_id,
                record.content_hash,
                record.origin,
                record.title,
                record.source,
                record.published,
                record.url,
                json.dumps(record.metadata, ensure_ascii=False, default=str),
                record.text,
                record.copy_of,
            ),
        )

    def remove(self, db: sqlite3.Connection, doc_id: str) -> None:
        # Its copies stay one group: the first of them becomes the report the others copy.
        copies = [r[0] for r in db.execute("SELECT doc_id FROM reports WHERE copy_of = ? ORDER BY doc_id", (doc_id,))]
        if copies:
            db.execute("UPDATE reports SET copy_of = NULL WHERE doc_id = ?", (copies[0],))
            db.execute("UPDATE reports SET copy_of = ? WHERE copy_of = ?", (copies[0], doc_id))
        db.execute("DELETE FROM reports WHERE doc_id = ?", (doc_id,))

    def text(self, db: sqlite3.Connection, doc_id: str) -> str | None:
        row = db.execute("SELECT text FROM reports WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def set_origins(self, origins: dict[str, str]) -> None:
        with self.database.transaction() as db:
            db.executemany("UPDATE reports SET origin = ? WHERE doc_id = ?", [(o, d) for d, o in origins.items()])

    def fingerprints(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (content hash, origin file) for every indexed report."""
        rows = self.database.connection().execute("SELECT doc_id, content_hash, origin FROM reports")
        return {doc_id: (h, origin) for doc_id, h, origin in rows}

    def held(self, doc_ids: list[str]) -> dict[str, tuple[str, str]]:
        """doc_id -> (content hash, origin file) of those of doc_ids the index holds."""
        rows = self.database.select_in("SELECT doc_id, content_hash, origin FROM reports WHERE doc_id IN ({marks})", doc_ids)
        return {doc_id: (h, origin) for doc_id, h, origin in rows}

    def detail(self, doc_id: str) -> ReportDetail | None:
        db = self.database.connection()
        row = db.execute(
            "SELECT doc_id, title, source, published, url, origin, copy_of,"
            " (SELECT COUNT(*) FROM passages p WHERE p.doc_id = r.doc_id), metadata, indexed_at, text"
            " FROM reports r WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        if row is None:
            return None
        *head, passages, metadata, indexed_at, text = row
        copies = [r[0] for r in db.execute("SELECT doc_id FROM reports WHERE copy_of = ? ORDER BY doc_id", (doc_id,))]
        return ReportDetail(*head, copies, passages, json.loads(metadata), indexed_at, text)

    def stored_fields(self, doc_ids: list[str]) -> list[dict]:
        """What was read of each report (``documents.Report``'s fields), so a report can be
        indexed again without its file."""
        rows = self.database.select_in(
            "SELECT doc_id, title, text, origin, source, published, url, metadata FROM reports WHERE doc_id IN ({marks})",
            doc_ids,
        )
        fields = ("doc_id", "title", "text", "origin", "source", "published", "url")
        return [{**dict(zip(fields, row[:-1])), "metadata": json.loads(row[-1])} for row in rows]

    def report_text(self, doc_id: str) -> str | None:
        return self.text(self.database.connection(), doc_id)

    def filtered(
        self, source: str | None, published_from: str | None, published_to: str | None, include_undated: bool = False
    ) -> list[str]:
        """The doc ids of the reports that match a source and date range."""
        clauses, args = [], []
        if source:
            clauses.append("source LIKE ?")
            args.append(f"%{source}%")
        undated = " OR published IS NULL" if include_undated else ""
        if published_from:
            clauses.append(f"(published >= ?{undated})")
            args.append(published_from)
        if published_to:
            clauses.append(f"(published <= ?{undated})")
            args.append(published_to)
        where = " AND ".join(clauses) or "1"
        rows = self.database.connection().execute(f"SELECT doc_id FROM reports WHERE {where} ORDER BY doc_id", args)
        return [r[0] for r in rows]

    def listing(self) -> list[ReportInfo]:
        """Every indexed report, newest first."""
        rows = self.database.connection().execute(
            "SELECT r.doc_id, r.title, r.source, r.published, r.url,"
            " (SELECT COUNT(*) FROM passages p WHERE p.doc_id = r.doc_id), r.copy_of"
            " FROM reports r ORDER BY r.published IS NULL, r.published DESC, r.title"
        )
        return [ReportInfo(*row) for row in rows]

    def metadata(self, doc_ids: list[str]) -> dict[str, tuple[str, str | None, str | None, str | None, str, str | None]]:
        """doc_id -> (title, source, published, url, text, copy_of)."""
        rows = self.database.select_in(
            "SELECT doc_id, title, source, published, url, text, copy_of FROM reports WHERE doc_id IN ({marks})", doc_ids
        )
        return {doc_id: tuple(rest) for doc_id, *rest in rows}

    def outlets(self) -> list[str]:
        """Every distinct outlet (``source``) of the indexed reports."""
        rows = self.database.connection().execute("SELECT DISTINCT source FROM reports WHERE source IS NOT NULL ORDER BY source")
        return [r[0] for r in rows]

    def undated(self, doc_ids: list[str] | None = None) -> int:
        """How many reports (of doc_ids, or of all) have no date."""
        if doc_ids is None:
            return self.database.connection().execute("SELECT COUNT(*) FROM reports WHERE published IS NULL").fetchone()[0]
        return sum(1 for _ in self.database.select_in("SELECT 1 FROM reports WHERE published IS NULL AND doc_id IN ({marks})", doc_ids))
