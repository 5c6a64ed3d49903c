"""The catalog: a SQLite file that is the source of truth for what is indexed.

One store per table, sharing one connection per thread (``database.Database``): the
reports with their stored texts and metadata, their passages, their quotable spans with
vectors, their named entities, the files ingest has read, the embedding cache, the
collection's word and name statistics, the groups of syndicated copies, the pending
ids, the reports a rebuild has yet to re-index and those taken out with ``remove``. The
vector store and
the BM25 index are derived from it: a passage counts as indexed only once its batch's
catalog transaction has committed. Ids written to those stores before that are recorded
as pending first, so whatever a killed ingest left behind is swept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from retrieval.index.catalog.copies import CopyStore
from retrieval.index.catalog.database import Database, IndexMismatchError, SchemaMismatchError
from retrieval.index.catalog.embeddings import EmbeddingStore
from retrieval.index.catalog.entities import EntityStore
from retrieval.index.catalog.files import FileStore
from retrieval.index.catalog.passages import PassageStore, StoredPassage
from retrieval.index.catalog.pending import PendingStore
from retrieval.index.catalog.rebuilding import RebuildStore
from retrieval.index.catalog.removed import Removal, RemovedStore
from retrieval.index.catalog.reports import (
    ReportDetail,
    ReportInfo,
    ReportRecord,
    ReportStore,
    StoredReport,
    UnknownReportError,
)
from retrieval.index.catalog.spans import SpanStore
from retrieval.index.catalog.words import WordStore

__all__ = [
    "Catalog",
    "CatalogCounts",
    "IndexMismatchError",
    "Removal",
    "ReportDetail",
    "ReportInfo",
    "ReportRecord",
    "SchemaMismatchError",
    "StoredPassage",
    "StoredReport",
    "UnknownReportError",
]


CACHED_REPORTS = 256  # stored reports kept read for the answer step


@dataclass(frozen=True)
class CatalogCounts:
    reports: int
    passages: int
    sources: int  # distinct outlets
    first_published: str | None
    last_published: str | None
    copies: int  # reports filed as a syndicated copy of another

    def to_json(self) -> dict:
        return asdict(self)


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.database = Database(path)
        self.reports = ReportStore(self.database)
        self.passages = PassageStore(self.database)
        self.spans = SpanStore(self.database)
        self.files = FileStore(self.database)
        self.embeddings = EmbeddingStore(self.database)
        self.words = WordStore(self.database)
        self.entities = EntityStore(self.database)
        self.copies = CopyStore(self.database)
        self.pending = PendingStore(self.database)
        self.rebuilding = RebuildStore(self.database)
        self._cached: OrderedDict[str, StoredReport] = OrderedDict()
        self._cached_generation = -1
        self._cache_lock = threading.Lock()
        self.removed = RemovedStore(self.database)

    def get_meta(self, key: str) -> str | None:
        return self.database.get_meta(key)

    def set_meta(self, key: str, value: str) -> None:
        self.database.set_meta(key, value)

    @property
    def generation(self) -> int:
        return self.database.generation

    def close(self) -> None:
        self.database.close()

    # writes that span tables -------------------------------------------------------

    def write_batch(self, records: list[ReportRecord]) -> list[str]:
        """Store a batch of reports (new or changed) in one transaction; returns the chunk
        ids of the versions they replaced, which are left pending until deleted from the
        derived stores."""
        stale: list[str] = []
        with self.database.transaction() as db:
            for record in records:
                new_ids = {p[0] for p in record.passages if p[6]}
                stale += [c for c in self.passages.searchable_of(db, record.doc_id) if c not in new_ids]
                old_text = self.reports.text(db, record.doc_id)
                self.words.forget(db, old_text)
                self.entities.forget(db, record.doc_id, old_text)
                self.reports.write(db, record)
                self.passages.replace(db, record.doc_id, record.passages)
                self.spans.write(db, record.doc_id, record.spans, record.span_vectors)
                self.words.add(db, record.words)
                self.entities.write(db, record.doc_id, record.text, record.entities)
                self.copies.replace_bands(db, record.doc_id, record.band_keys)
            self.removed.drop(db, [r.doc_id for r in records])  # indexed again: no longer kept out
            self.pending.drop(db, [p[0] for r in records for p in r.passages if p[6]])
            self.pending.add(db, stale)
            self.database.bump(db)
        return stale

    def remove_reports(self, doc_ids: Iterable[str], keep_out: dict[str, Removal] | None = None) -> list[str]:
        """Drop reports; returns their chunk ids (left pending until deleted from the stores).
        keep_out: the removals to remember, so ingest leaves those reports out."""
        doc_ids = list(doc_ids)
        removed: list[str] = []
        with self.database.transaction() as db:
            for doc_id in doc_ids:
                removed += self.passages.searchable_of(db, doc_id)
                old_text = self.reports.text(db, doc_id)
                self.words.forget(db, old_text)
                self.entities.forget(db, doc_id, old_text)
                self.reports.remove(db, doc_id)
            self.pending.add(db, removed)
            if keep_out:
                self.removed.record(db, keep_out)
            if doc_ids:
                self.database.bump(db)
        return removed

    def start_rebuild(self, settings_key: str) -> int:
        """Mark every report for re-indexing, unless a rebuild for the same settings
        (embedder, chunking) was interrupted: that one is resumed. Returns how many
        reports are left to re-index."""
        with self.database.transaction() as db:
            resumable = self.get_meta("rebuild") in (None, settings_key)  # None: marked by an upgrade
            if not (resumable and self.rebuilding.count()):
                self.rebuilding.clear(db)
                self.rebuilding.mark_all(db)
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild', ?)", (settings_key,))
        return self.rebuilding.count()

    def finish_rebuild(self, built_with: dict[str, str]) -> None:
        """The rebuild is done: record the settings the index is now built with."""
        with self.database.transaction() as db:
            self.rebuilding.clear(db)
            db.execute("DELETE FROM meta WHERE key = 'rebuild'")
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(built_with.items()))

    # reads that span tables -------------------------------------------------------

    def stored_reports(self, doc_ids: list[str]) -> dict[str, StoredReport]:
        """Reports with their quotable spans, span vectors and entities, for the answer
        step; the same reports come back question after question, so they are kept
        (until the catalog changes)."""
        if not doc_ids:
            return {}
        generation = self.database.generation
        with self._cache_lock:
            if generation != self._cached_generation:
                self._cached.clear()
                self._cached_generation = generation
            found = {d: self._cached[d] for d in doc_ids if d in self._cached}
            for d in found:
                self._cached.move_to_end(d)
        missing = [d for d in doc_ids if d not in found]
        if missing:
            loaded = self._load_reports(missing)
            with self._cache_lock:
                for d, report in loaded.items():
                    self._cached[d] = report
                while len(self._cached) > CACHED_REPORTS:
                    self._cached.popitem(last=False)
            found.update(loaded)
        return found

    def _load_reports(self, doc_ids: list[str]) -> dict[str, StoredReport]:
        passages = self.passages.positions(doc_ids)
        spans = self.spans.of(doc_ids)
        entities = self.entities.of(doc_ids)
        found = {}
        for doc_id, (title, source, published, url, text, copy_of) in self.reports.metadata(doc_ids).items():
            offsets, vectors = spans.get(doc_id, (np.zeros((0, 2), dtype=np.int32), None))
            found[doc_id] = StoredReport(
                doc_id, title, source, published, url, text, copy_of, offsets, vectors, passages[doc_id],
                tuple(entities.get(doc_id, ())),
            )
        return found

    def counts(self) -> CatalogCounts:
        db = self.database.connection()
        reports, first, last, copies, sources = db.execute(
            "SELECT COUNT(*), MIN(published), MAX(published), COUNT(copy_of), COUNT(DISTINCT source) FROM reports"
        ).fetchone()
        passages = db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]
        return CatalogCounts(reports, passages, sources, first, last, copies)
