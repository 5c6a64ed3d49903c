"""The catalog's SQLite file: one connection per thread, transactions, the schema and its
version, and the meta table (settings the index was built with, its generation)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A table that only adds to the schema (rebuilding, removed) needs no new version: an
# index of this version gains it when it is opened. Version 7: named entities per report,
# and the words table without its "placed" count (an older index is rebuilt in place).
SCHEMA_VERSION = "7"
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
-- capitalised at a sentence start.
CREATE TABLE IF NOT EXISTS words (
    word TEXT PRIMARY KEY,
    lower INTEGER NOT NULL DEFAULT 0,
    capital INTEGER NOT NULL DEFAULT 0,
    initial INTEGER NOT NULL DEFAULT 0
);
-- The named entities of each report (int32 start, end, label index rows), and how often
-- the collection gives each name (its key, ``retrieval.language.names.key``) each label.
CREATE TABLE IF NOT EXISTS entities (
    doc_id TEXT PRIMARY KEY REFERENCES reports(doc_id) ON DELETE CASCADE,
    rows BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS names (
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (name, label)
);
-- Near-duplicate detection: the LSH band keys of each report's MinHash signature.
CREATE TABLE IF NOT EXISTS bands (
    key INTEGER NOT NULL,
    doc_id TEXT NOT NULL REFERENCES reports(doc_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS bands_by_key ON bands(key);
CREATE INDEX IF NOT EXISTS bands_by_doc ON bands(doc_id);
-- The reports a rebuild has yet to re-index, so an interrupted one resumes where it
-- stopped. Writing a report (INSERT OR REPLACE deletes the old row) or removing it
-- takes it off the list through the cascade.
CREATE TABLE IF NOT EXISTS rebuilding (doc_id TEXT PRIMARY KEY REFERENCES reports(doc_id) ON DELETE CASCADE);
-- Reports taken out with `incident-bot remove`, with their file as it was then: ingest
-- leaves them out until they are edited in their file.
CREATE TABLE IF NOT EXISTS removed (
    doc_id TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    size INTEGER,
    mtime_ns INTEGER
);
"""


class IndexMismatchError(RuntimeError):
    """The index was built differently (another embedder, an older version); mixing
    would give nonsense, so it must be rebuilt."""


class SchemaMismatchError(IndexMismatchError):
    """The index was built by an older version of incident-bot."""


class Database:
    """The catalog file, shared by every store of the catalog."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        db = self.connection()
        version = self.schema_version(db)
        if version is not None and version != SCHEMA_VERSION:
            # Closed now, not when collected: a connection closed late deletes the
            # journal file by its name, which by then may be an upgraded catalog's.
            self.close()
            raise SchemaMismatchError(
                f"the index in {path.parent} was built by an older version of incident-bot; "
                "run `incident-bot ingest --rebuild` to re-index"
            )
        db.executescript(SCHEMA)
        if version is None:
            self.set_meta("schema", SCHEMA_VERSION)

    @staticmethod
    def schema_version(db: sqlite3.Connection) -> str | None:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "meta" not in tables:
            return None
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is not None:
            return row[0]
        return "1" if "reports" in tables else None

    @staticmethod
    def discard(path: Path) -> None:
        """Remove a catalog file and its journal (what an upgrade killed half-way left)."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def connection(self) -> sqlite3.Connection:
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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        db = self.connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def select_in(self, sql: str, values: list) -> Iterator[tuple]:
        """Rows of sql, whose one "{marks}" stands for values, asked in chunks that stay
        under SQLite's limit on query parameters."""
        db = self.connection()
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
        row = self.connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped by every change, so readers know when to reload derived indexes."""
        return int(self.get_meta("generation") or 0)

    @staticmethod
    def bump(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
