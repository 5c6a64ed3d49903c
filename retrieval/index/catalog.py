"""The catalog: a SQLite file that is the source of truth for what is indexed.

It holds every report's stored text, content hash and metadata, every passage's span,
the quotable spans of each report with their vectors, the files ingest has read, the
embedding cache, the collection's word statistics and the groups of syndicated copies.
The vector store and the BM25 index are derived from it: a passage counts as indexed only
once its batch's catalog transaction has committed. Ids written to those stores before
that are recorded as pending first, so whatever a killed ingest left behind is swept.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCHEMA_VERSION = "6"
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
    copy_of TEXT,
    indexed_at TEXT NOT NULL DEFAULT (datetime('now'))
);
-- Covering what every ingest reads first (which reports each file holds, and their
-- hashes), so that read does not page through the reports' texts.
CREATE INDEX IF NOT EXISTS reports_by_origin ON reports(origin, doc_id, content_hash);
CREATE INDEX IF NOT EXISTS reports_by_copy ON reports(copy_of);
CREATE TABLE IF NOT EXISTS passages (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES reports(doc_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    content_key TEXT NOT NULL,
    -- 0: the same text as an earlier passage of its report (a log line repeated), which
    -- the stores hold once
    searchable INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS passages_by_doc ON passages(doc_id, position);
CREATE INDEX IF NOT EXISTS passages_by_key ON passages(content_key);
-- The quotable spans of a report (int32 start/end pairs) and their vectors (float16).
CREATE TABLE IF NOT EXISTS spans (
    doc_id TEXT PRIMARY KEY REFERENCES reports(doc_id) ON DELETE CASCADE,
    offsets BLOB NOT NULL,
    vectors BLOB
);
-- Files as last read, so an unchanged file is not read again.
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL);
-- Passage vectors by content: identical passages are embedded once, and an edited report
-- embeds only the passages that changed. parts: int32 offsets inside the passage text of
-- the pieces whose vectors were pooled from the same model run.
CREATE TABLE IF NOT EXISTS embeddings (
    content_key TEXT PRIMARY KEY,
    vector BLOB NOT NULL,
    parts BLOB NOT NULL,
    part_vectors BLOB NOT NULL
);
-- Ids written to the vector store or the BM25 index whose catalog state is not settled.
CREATE TABLE IF NOT EXISTS pending (chunk_id TEXT PRIMARY KEY);
-- How the collection writes each word: lower-case, capitalised inside a sentence,
-- capitalised at a sentence start, capitalised after a preposition of place ("in X").
CREATE TABLE IF NOT EXISTS words (
    word TEXT PRIMARY KEY,
    lower INTEGER NOT NULL DEFAULT 0,
    capital INTEGER NOT NULL DEFAULT 0,
    initial INTEGER NOT NULL DEFAULT 0,
    placed INTEGER NOT NULL DEFAULT 0
);
-- Near-duplicate detection: the LSH band keys of each report's MinHash signature.
CREATE TABLE IF NOT EXISTS bands (
    key INTEGER NOT NULL,
    doc_id TEXT NOT NULL REFERENCES reports(doc_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS bands_by_key ON bands(key);
CREATE INDEX IF NOT EXISTS bands_by_doc ON bands(doc_id);
"""


class IndexMismatchError(RuntimeError):
    """The index was built differently (another embedder, an older version); mixing
    would give nonsense, so it must be rebuilt."""


class SchemaMismatchError(IndexMismatchError):
    """The index was built by an older version of incident-bot."""


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
    words: dict[str, tuple[int, int, int, int]]
    band_keys: list[int]
    copy_of: str | None


class Catalog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        db = self._connection()
        version = self._schema_version(db)
        if version is not None and version != SCHEMA_VERSION:
            raise SchemaMismatchError(
                f"the index in {path.parent} was built by an older version of incident-bot; "
                "run `incident-bot ingest --rebuild` to re-index"
            )
        db.executescript(SCHEMA)
        if version is None:
            self.set_meta("schema", SCHEMA_VERSION)

    @staticmethod
    def _schema_version(db: sqlite3.Connection) -> str | None:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            return None
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is not None:
            return row[0]
        return "1" if "reports" in tables else None

    @staticmethod
    def discard(path: Path) -> None:
        """Remove a catalog file (and its journal) so a rebuild starts from nothing."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

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

    def _select_in(self, sql: str, values: list) -> Iterator[tuple]:
        """Rows of sql, whose one "{marks}" stands for values, asked in chunks that stay
        under SQLite's limit on query parameters."""
        db = self._connection()
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            yield from db.execute(sql.format(marks=",".join("?" * len(chunk))), chunk)

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

    def mark_pending(self, chunk_ids: Iterable[str]) -> None:
        """Record ids about to be written to (or deleted from) the derived stores."""
        with self._transaction() as db:
            db.executemany("INSERT OR IGNORE INTO pending (chunk_id) VALUES (?)", [(c,) for c in chunk_ids])

    def settle_pending(self, chunk_ids: Iterable[str]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM pending WHERE chunk_id = ?", [(c,) for c in chunk_ids])

    def pending(self) -> list[str]:
        return [r[0] for r in self._connection().execute("SELECT chunk_id FROM pending")]

    def write_batch(self, records: list[ReportRecord]) -> list[str]:
        """Store a batch of reports (new or changed) in one transaction; returns the chunk
        ids of the versions they replaced, which are left pending until deleted from the
        derived stores."""
        stale: list[str] = []
        with self._transaction() as db:
            for record in records:
                old = [r[0] for r in db.execute("SELECT chunk_id FROM passages WHERE doc_id = ? AND searchable", (record.doc_id,))]
                new_ids = {p[0] for p in record.passages if p[6]}
                stale += [c for c in old if c not in new_ids]
                self._forget_words(db, record.doc_id)
                db.execute("DELETE FROM passages WHERE doc_id = ?", (record.doc_id,))
                db.execute("DELETE FROM bands WHERE doc_id = ?", (record.doc_id,))
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
                db.executemany(
                    "INSERT INTO passages (chunk_id, doc_id, position, start, end, text, content_key, searchable)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(c, record.doc_id, pos, s, e, t, k, int(f)) for c, pos, s, e, t, k, f in record.passages],
                )
                db.execute(
                    "INSERT OR REPLACE INTO spans (doc_id, offsets, vectors) VALUES (?, ?, ?)",
                    (
                        record.doc_id,
                        record.spans.astype(np.int32).tobytes(),
                        None if record.span_vectors is None else record.span_vectors.astype(np.float16).tobytes(),
                    ),
                )
                self._add_words(db, record.words, sign=1)
                db.executemany("INSERT INTO bands (key, doc_id) VALUES (?, ?)", [(k, record.doc_id) for k in record.band_keys])
            db.executemany("DELETE FROM pending WHERE chunk_id = ?", [(p[0],) for r in records for p in r.passages if p[6]])
            db.executemany("INSERT OR IGNORE INTO pending (chunk_id) VALUES (?)", [(c,) for c in stale])
            self._bump(db)
        return stale

    def remove_reports(self, doc_ids: Iterable[str]) -> list[str]:
        """Drop reports; returns their chunk ids (left pending until deleted from the stores)."""
        doc_ids = list(doc_ids)
        removed: list[str] = []
        with self._transaction() as db:
            for doc_id in doc_ids:
                removed += [r[0] for r in db.execute("SELECT chunk_id FROM passages WHERE doc_id = ? AND searchable", (doc_id,))]
                self._forget_words(db, doc_id)
                # Its copies stay one group: the first of them becomes the report the others copy.
                copies = [r[0] for r in db.execute("SELECT doc_id FROM reports WHERE copy_of = ? ORDER BY doc_id", (doc_id,))]
                if copies:
                    db.execute("UPDATE reports SET copy_of = NULL WHERE doc_id = ?", (copies[0],))
                    db.execute("UPDATE reports SET copy_of = ? WHERE copy_of = ?", (copies[0], doc_id))
                db.execute("DELETE FROM reports WHERE doc_id = ?", (doc_id,))
            db.executemany("INSERT OR IGNORE INTO pending (chunk_id) VALUES (?)", [(c,) for c in removed])
            if doc_ids:
                self._bump(db)
        return removed

    def set_origins(self, origins: dict[str, str]) -> None:
        with self._transaction() as db:
            db.executemany("UPDATE reports SET origin = ? WHERE doc_id = ?", [(o, d) for d, o in origins.items()])

    def record_files(self, files: dict[str, tuple[int, int]], forget: Iterable[str] = ()) -> None:
        """Remember files as read (path -> size, mtime) and forget others."""
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO files (path, size, mtime_ns) VALUES (?, ?, ?)",
                [(p, size, mtime) for p, (size, mtime) in files.items()],
            )
            db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in forget])

    def files(self) -> dict[str, tuple[int, int]]:
        return {p: (s, m) for p, s, m in self._connection().execute("SELECT path, size, mtime_ns FROM files")}

    # embedding cache -------------------------------------------------------------

    def cached_embeddings(self, keys: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """content key -> (passage vector, part offsets (k, 2), part vectors (k, d))."""
        found = {}
        rows = self._select_in("SELECT content_key, vector, parts, part_vectors FROM embeddings WHERE content_key IN ({marks})", keys)
        for key, vector, parts, part_vectors in rows:
            v = np.frombuffer(vector, dtype=np.float32)
            found[key] = (
                v,
                np.frombuffer(parts, dtype=np.int32).reshape(-1, 2),
                np.frombuffer(part_vectors, dtype=np.float16).astype(np.float32).reshape(-1, v.shape[0]),
            )
        return found

    def cache_embeddings(self, entries: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO embeddings (content_key, vector, parts, part_vectors) VALUES (?, ?, ?, ?)",
                [
                    (k, v.astype(np.float32).tobytes(), p.astype(np.int32).tobytes(), pv.astype(np.float16).tobytes())
                    for k, (v, p, pv) in entries.items()
                ],
            )

    def prune_embeddings(self, keys: Iterable[str]) -> None:
        """Forget cached vectors no passage uses any more."""
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM embeddings WHERE content_key = ? AND NOT EXISTS"
                " (SELECT 1 FROM passages WHERE content_key = ?)",
                [(k, k) for k in keys],
            )

    def content_keys(self, chunk_ids: list[str]) -> list[str]:
        return [r[0] for r in self._select_in("SELECT content_key FROM passages WHERE chunk_id IN ({marks})", chunk_ids)]

    # word statistics -----------------------------------------------------------

    def _add_words(self, db: sqlite3.Connection, words: dict[str, tuple[int, int, int, int]], sign: int) -> None:
        db.executemany(
            "INSERT INTO words (word, lower, capital, initial, placed) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(word) DO UPDATE SET lower = lower + excluded.lower, capital = capital + excluded.capital,"
            " initial = initial + excluded.initial, placed = placed + excluded.placed",
            [(w, *(sign * c for c in counts)) for w, counts in words.items()],
        )

    def _forget_words(self, db: sqlite3.Connection, doc_id: str) -> None:
        """Take a report's words out of the statistics before it is replaced or removed."""
        from retrieval.index.words import count_words  # the same counting that added them

        row = db.execute("SELECT text FROM reports WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is not None:
            self._add_words(db, count_words(row[0]), sign=-1)

    def word_counts(self, words: Iterable[str]) -> dict[str, tuple[int, int, int, int]]:
        """word (lower-cased) -> (lower, capital, initial, placed) counts in the collection."""
        rows = self._select_in(
            "SELECT word, lower, capital, initial, placed FROM words WHERE word IN ({marks})", list(dict.fromkeys(words))
        )
        return {word: tuple(counts) for word, *counts in rows}

    # near duplicates -------------------------------------------------------------

    def band_neighbours(self, keys: list[int], exclude: str) -> list[str]:
        """Reports sharing an LSH band key with a signature (candidate copies)."""
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = self._connection().execute(
            f"SELECT DISTINCT doc_id FROM bands WHERE key IN ({marks}) AND doc_id != ?", [*keys, exclude]
        )
        return [r[0] for r in rows]

    def copy_roots(self, doc_ids: list[str]) -> dict[str, str]:
        """doc_id -> the report it is a copy of (itself when it is no copy)."""
        if not doc_ids:
            return {}
        marks = ",".join("?" * len(doc_ids))
        rows = self._connection().execute(
            f"SELECT doc_id, COALESCE(copy_of, doc_id) FROM reports WHERE doc_id IN ({marks})", doc_ids
        )
        return dict(rows)

    def copies_of(self, roots: list[str]) -> dict[str, list[tuple[str, str | None, str | None]]]:
        """root -> (doc_id, source, published) of every report in its group of syndicated
        copies, the root first."""
        if not roots:
            return {}
        marks = ",".join("?" * len(roots))
        groups: dict[str, list[tuple[str, str | None, str | None]]] = {r: [] for r in roots}
        rows = self._connection().execute(
            f"SELECT COALESCE(copy_of, doc_id), doc_id, source, published FROM reports"
            f" WHERE doc_id IN ({marks}) OR copy_of IN ({marks}) ORDER BY copy_of IS NOT NULL, published, doc_id",
            [*roots, *roots],
        )
        for root, doc_id, source, published in rows:
            groups[root].append((doc_id, source, published))
        return groups

    # reads -----------------------------------------------------------------

    def fingerprints(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (content hash, origin file) for every indexed report."""
        rows = self._connection().execute("SELECT doc_id, content_hash, origin FROM reports")
        return {doc_id: (h, origin) for doc_id, h, origin in rows}

    def chunk_ids_of(self, doc_ids: list[str]) -> list[str]:
        return [r[0] for r in self._select_in("SELECT chunk_id FROM passages WHERE doc_id IN ({marks})", doc_ids)]

    def chunk_ids(self) -> set[str]:
        """The passages the vector store and the BM25 index hold."""
        return {r[0] for r in self._connection().execute("SELECT chunk_id FROM passages WHERE searchable")}

    def known_chunks(self, chunk_ids: list[str]) -> set[str]:
        if not chunk_ids:
            return set()
        marks = ",".join("?" * len(chunk_ids))
        rows = self._connection().execute(f"SELECT chunk_id FROM passages WHERE searchable AND chunk_id IN ({marks})", chunk_ids)
        return {r[0] for r in rows}

    def all_passages(self) -> Iterator[tuple[str, str, str, str]]:
        """(chunk_id, doc_id, report title, passage text) in a stable order, for rebuilding BM25."""
        yield from self._connection().execute(
            "SELECT p.chunk_id, p.doc_id, r.title, p.text FROM passages p JOIN reports r USING (doc_id)"
            " WHERE p.searchable ORDER BY p.doc_id, p.position"
        )

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
        return [r[0] for r in self._connection().execute(f"SELECT doc_id FROM reports WHERE {where} ORDER BY doc_id", args)]

    def report_text(self, doc_id: str) -> str | None:
        row = self._connection().execute("SELECT text FROM reports WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else None

    def stored_reports(self, doc_ids: list[str]) -> dict[str, StoredReport]:
        """Reports with their quotable spans and span vectors, for the answer step."""
        if not doc_ids:
            return {}
        db = self._connection()
        marks = ",".join("?" * len(doc_ids))
        passages: dict[str, list[tuple[int, int, int]]] = {d: [] for d in doc_ids}
        for doc_id, position, start, end in db.execute(
            f"SELECT doc_id, position, start, end FROM passages WHERE doc_id IN ({marks}) ORDER BY doc_id, position",
            doc_ids,
        ):
            passages[doc_id].append((position, start, end))
        found = {}
        for doc_id, title, source, published, url, text, copy_of, offsets, vectors in db.execute(
            "SELECT r.doc_id, r.title, r.source, r.published, r.url, r.text, r.copy_of, s.offsets, s.vectors"
            f" FROM reports r LEFT JOIN spans s USING (doc_id) WHERE r.doc_id IN ({marks})",
            doc_ids,
        ):
            spans = np.frombuffer(offsets or b"", dtype=np.int32).reshape(-1, 2)
            matrix = None
            if vectors:
                matrix = np.frombuffer(vectors, dtype=np.float16).astype(np.float32).reshape(len(spans), -1)
            found[doc_id] = StoredReport(doc_id, title, source, published, url, text, copy_of, spans, matrix, passages[doc_id])
        return found

    def reports(self) -> list[ReportInfo]:
        """Every indexed report, newest first."""
        rows = self._connection().execute(
            "SELECT r.doc_id, r.title, r.source, r.published, r.url,"
            " (SELECT COUNT(*) FROM passages p WHERE p.doc_id = r.doc_id), r.copy_of"
            " FROM reports r ORDER BY r.published IS NULL, r.published DESC, r.title"
        )
        return [ReportInfo(*row) for row in rows]

    def counts(self) -> dict:
        db = self._connection()
        reports, first, last, copies = db.execute(
            "SELECT COUNT(*), MIN(published), MAX(published), COUNT(copy_of) FROM reports"
        ).fetchone()
        passages = db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        sources = db.execute("SELECT COUNT(DISTINCT source) FROM reports").fetchone()[0]
        return {
            "reports": reports,
            "passages": passages,
            "sources": sources,
            "first_published": first,
            "last_published": last,
            "copies": copies,
        }
