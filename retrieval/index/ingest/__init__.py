"""Ingest: bring the index in line with files, incrementally.

Ingest streams: files are read one at a time (a .jsonl collection line by line), the
smallest first, and reports are written in small batches. For each batch the new
passage ids are recorded as pending, written to Chroma and BM25, and then the catalog
commits the whole batch in one transaction; the versions it replaced are deleted from
the stores afterwards. Searches only return passages the catalog knows, so an ingest
killed at any moment keeps every batch it finished and leaves every other report as it
was, and the next run sweeps what the killed one left pending and carries on.

Work is skipped wherever it can be: a file whose size and modification time are as last
read is not read again, a report whose content hash is unchanged is not rewritten, and a
passage whose text was embedded before (an edit elsewhere in its report, a repeated
passage, a copy with the same headline) takes its vectors from the embedding cache
(``embedding_cache``).

A rebuild re-indexes every report the index holds, in place and batch by batch like any
ingest: each from its file read again, wherever it was ingested from, or, when that file
is gone or no longer holds it, from the text and metadata the catalog stored. It never
drops a report, and the catalog lists what it has yet to do, so a rebuild stopped half-way
leaves every report indexed and the next one finishes the job.

``remove`` takes reports out and remembers them, so an ingest leaves each out until it
is edited in its file.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.index.catalog import Removal, ReportDetail, UnknownReportError
from retrieval.index.documents import find_files
from retrieval.index.ingest.run import REPORTS_PER_BATCH, Progress, _delete_from_stores, _in_scope, _Run
from retrieval.index.ingest.summary import IngestSummary

if TYPE_CHECKING:
    from retrieval.index.report_index import ReportIndex

__all__ = ["REPORTS_PER_BATCH", "Ingest", "IngestBusyError", "IngestSummary", "Progress", "hold_index_lock"]

log = logging.getLogger(__name__)


class IngestBusyError(RuntimeError):
    """Another ingest is running on this index."""


@contextmanager
def hold_index_lock(path: Path) -> Iterator[None]:
    """The lock file that lets one process at a time change an index (ingest, rebuild,
    remove, upgrade); IngestBusyError at once if another holds it."""
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise IngestBusyError("another process is ingesting into this index") from e
        yield


class Ingest:
    """One ingest at a time on an index, across threads (the bot's /reload) and processes."""

    def __init__(self, index: ReportIndex) -> None:
        self.index = index
        self.catalog = index.catalog
        self.settings = index.settings
        self._lock_path = index.folder / "ingest.lock"
        self._thread_lock = threading.Lock()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if not self._thread_lock.acquire(blocking=False):
            raise IngestBusyError("an ingest is already running")
        try:
            with hold_index_lock(self._lock_path):
                yield
        finally:
            self._thread_lock.release()

    def ingest(
        self, paths: list[Path] | None = None, *, rebuild: bool = False, progress: Progress | None = None
    ) -> IngestSummary:
        """Bring the index in line with the files under paths (default: the documents
        folder). Reports from files that fail to load are left as they were. Ctrl-C (or
        any exception) stops it after the batch in progress is discarded; every batch
        before it stays indexed.

        rebuild: also re-index every report the index holds, wherever it came from (see
        the module's docstring); no report is removed."""
        started = time.perf_counter()
        paths = [Path(p) for p in (paths or [self.settings.documents_dir])]
        summary = IngestSummary(rebuild=rebuild)
        with self._exclusive():
            try:
                self._sweep()
                _Run(self.index, paths, summary, progress, rebuild).execute()
            except KeyboardInterrupt:
                summary.interrupted = True
                log.warning("ingest interrupted; every finished batch is kept")
            finally:
                self.index.lexical.end()
        summary.seconds = time.perf_counter() - started
        log.info("ingest: %s", summary.line())
        return summary

    def remove(self, doc_ids: list[str]) -> list[ReportDetail]:
        """Take reports out of the catalog, the vectors and BM25, and remember each with
        its file as it is now, so ingest leaves it out until it is edited in its file.
        An id the index does not hold raises UnknownReportError before anything changes."""
        doc_ids = list(dict.fromkeys(doc_ids))
        with self._exclusive():
            held = self.catalog.reports.held(doc_ids)
            unknown = [d for d in doc_ids if d not in held]
            if unknown:
                raise UnknownReportError(unknown)
            details = [self.catalog.reports.detail(d) for d in doc_ids]
            keep_out = {}
            for doc_id, (content_hash, origin) in held.items():
                try:
                    stat = Path(origin).stat()
                    size, mtime_ns = stat.st_size, stat.st_mtime_ns
                except OSError:
                    size = mtime_ns = None
                keep_out[doc_id] = Removal(origin, content_hash, size, mtime_ns)
            try:
                self._sweep()
                old_keys = self.catalog.passages.content_keys(self.catalog.passages.chunk_ids_of(doc_ids))
                _delete_from_stores(self.index, self.catalog.remove_reports(doc_ids, keep_out))
                self.catalog.embeddings.prune(old_keys)
            finally:
                self.index.lexical.end()
        log.info("removed %d reports: %s", len(doc_ids), ", ".join(doc_ids))
        return details

    def _sweep(self) -> None:
        """Delete what an interrupted ingest wrote to the stores but never committed,
        and what it committed away but never deleted."""
        pending = self.catalog.pending.all()
        if not pending:
            return
        orphans = sorted(set(pending) - self.catalog.passages.known(pending))
        if orphans:
            log.info("removing %d passages left by an interrupted ingest", len(orphans))
            self.index.vectors.delete(orphans)
            self.index.lexical.begin()
            self.index.lexical.delete(orphans)
            self.index.lexical.commit()
        self.catalog.pending.settle(pending)

    def is_stale(self, paths: list[Path] | None = None) -> bool:
        """Whether the files differ from what was last read (cheap: sizes and times)."""
        paths = [Path(p) for p in (paths or [self.settings.documents_dir])]
        seen = self.catalog.files.seen()
        found, _ = find_files(paths)
        keys = set()
        for path, _root in found:
            stat = path.stat()
            key = str(path.resolve())
            keys.add(key)
            if seen.get(key) != (stat.st_size, stat.st_mtime_ns):
                return True
        origins = {origin for _, origin in self.catalog.reports.fingerprints().values()}
        return any(_in_scope(origin, paths) and origin not in keys for origin in origins)
