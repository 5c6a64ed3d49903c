"""The report index: ingest files incrementally, then search them densely, lexically or
both. It ties the catalog (truth), the Chroma vectors and the BM25 index together.

Ingest is incremental and safe to interrupt. A report's new passages are written to
Chroma under new ids first, then the catalog switches to them in one transaction, then
the old vectors are deleted. Searches only return passages the catalog knows, so a
crash at any point leaves the previous version answering; leftovers are swept on the
next ingest.
"""

from __future__ import annotations

import fcntl
import logging
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from langchain_core.embeddings import Embeddings

from retrieval.index.catalog import Catalog, StoredPassage
from retrieval.index.chunking import make_splitter, split_report
from retrieval.index.documents import DocumentError, Report, find_files, load_file
from retrieval.index.lexical import LexicalIndex
from retrieval.settings import Settings
from retrieval.index.vector_store import VectorStore, connect

log = logging.getLogger(__name__)

REPORTS_PER_BATCH = 64
RRF_K = 60  # the constant from Cormack et al.; ranks matter, raw scores do not


class IngestBusyError(RuntimeError):
    """Another ingest is running on this index."""


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    passages: int = 0  # passages written by this run
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def line(self) -> str:
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged; {self.passages} passages indexed in {self.seconds:.1f} s"
        )
        if self.errors:
            text += f"; {len(self.errors)} file(s) skipped"
        return text

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "passages": self.passages,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
        }


@dataclass(frozen=True)
class SearchFilter:
    """Optional restriction of a search to one outlet and/or a date range (ISO dates)."""

    source: str | None = None
    published_from: str | None = None
    published_to: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.source or self.published_from or self.published_to)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with how each retriever ranked it (1-based; None: not found)."""

    passage: StoredPassage
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


class ReportIndex:
    def __init__(self, settings: Settings, embeddings: Embeddings, embedder_id: str, rebuild: bool = False) -> None:
        """rebuild: the next ingest re-indexes everything, so an index built by another
        embedder may be replaced rather than refused."""
        self.settings = settings
        folder = settings.index_dir
        folder.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(folder / "catalog.sqlite3")
        self._check_chunking()
        self.vectors = VectorStore(
            connect(settings.chroma_url, folder / "chroma"), embeddings, embedder_id, replace=rebuild
        )
        self.lexical = LexicalIndex(folder / "bm25", self.catalog)
        self._lock_path = folder / "ingest.lock"
        self._thread_lock = threading.Lock()

    def _check_chunking(self) -> None:
        wanted = f"{self.settings.chunk_tokens}/{self.settings.chunk_overlap_tokens}"
        built = self.catalog.get_meta("chunking")
        if built is None:
            self.catalog.set_meta("chunking", wanted)
        elif built != wanted:
            log.warning(
                "the index was chunked %s (tokens/overlap) but %s is configured; "
                "run `incident-bot ingest --rebuild` to re-chunk", built, wanted,
            )

    # ingest ----------------------------------------------------------------

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One ingest at a time, across threads (the bot's /reload) and processes."""
        if not self._thread_lock.acquire(blocking=False):
            raise IngestBusyError("an ingest is already running")
        try:
            with open(self._lock_path, "w") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError as e:
                    raise IngestBusyError("another process is ingesting into this index") from e
                yield
        finally:
            self._thread_lock.release()

    def read(self, paths: list[Path]) -> tuple[dict[str, Report], list[str], set[str]]:
        """Load every report under paths: (reports by id, error messages, files that failed)."""
        reports: dict[str, Report] = {}
        errors: list[str] = []
        failed: set[str] = set()
        for path, root in find_files(paths):
            try:
                loaded = load_file(path, root)
            except DocumentError as e:
                errors.append(str(e))
                failed.add(str(path.resolve()))
                continue
            for report in loaded:
                if report.doc_id in reports and reports[report.doc_id].origin != report.origin:
                    errors.append(f"{path.name}: report id {report.doc_id!r} is also in {reports[report.doc_id].origin}")
                    continue
                reports[report.doc_id] = report
        return reports, errors, failed

    def ingest(
        self,
        paths: list[Path] | None = None,
        *,
        rebuild: bool = False,
        progress: Callable[[int], None] | bool | None = None,
    ) -> IngestSummary:
        """Bring the index in line with the files under paths (default: the documents
        folder). Reports from files that fail to load are left as they were."""
        started = time.perf_counter()
        paths = [Path(p) for p in (paths or [self.settings.documents_dir])]
        with self._exclusive():
            summary = IngestSummary()
            reports, summary.errors, failed = self.read(paths)
            for message in summary.errors:
                log.warning("skipped: %s", message)
            if rebuild:
                self._clear()
            known = self.catalog.fingerprints()
            to_write = [r for r in reports.values() if known.get(r.doc_id, ("",))[0] != r.content_hash]
            summary.unchanged = len(reports) - len(to_write)
            moved = {r.doc_id: r.origin for r in reports.values() if r.doc_id in known and known[r.doc_id][1] != r.origin}
            gone = _gone(known, reports, failed, paths)
            self._sweep_orphans()
            self.lexical.held = True
            try:
                self._write(to_write, known, summary, progress)
                if moved:
                    self.catalog.set_origins(moved)
                if gone:
                    self.vectors.delete(self.catalog.remove_reports(gone))
                    summary.removed = sorted(gone)
            finally:
                self.lexical.held = False
            if summary.changed or rebuild:
                self.lexical.rebuild()
            else:
                self.lexical.ensure_current()
        summary.seconds = time.perf_counter() - started
        log.info("ingest: %s", summary.line())
        return summary

    def _write(self, reports: list[Report], known: dict, summary: IngestSummary, progress) -> None:
        if not reports:
            return
        self.catalog.set_meta("writing", "1")
        splitter = make_splitter(self.settings.chunk_tokens, self.settings.chunk_overlap_tokens)
        bar = None
        if progress is True and sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=len(reports), unit="report", desc="indexing", file=sys.stderr)
        for start in range(0, len(reports), REPORTS_PER_BATCH):
            batch = reports[start : start + REPORTS_PER_BATCH]
            split = {r.doc_id: split_report(r, splitter) for r in batch}
            self.vectors.add([p for ps in split.values() for p in ps], {r.doc_id: r for r in batch})
            stale: list[str] = []
            for report in batch:
                stale += self.catalog.replace_report(report, split[report.doc_id])
                (summary.updated if report.doc_id in known else summary.added).append(report.doc_id)
                summary.passages += len(split[report.doc_id])
            self.vectors.delete(stale)
            if bar is not None:
                bar.update(len(batch))
            elif callable(progress):
                progress(len(batch))
        if bar is not None:
            bar.close()
        self.catalog.set_meta("writing", "0")

    def _sweep_orphans(self) -> None:
        """Delete vectors an interrupted ingest wrote but never committed."""
        if self.catalog.get_meta("writing") != "1":
            return
        orphans = sorted(self.vectors.ids() - self.catalog.chunk_ids())
        if orphans:
            log.info("removing %d passages left by an interrupted ingest", len(orphans))
            self.vectors.delete(orphans)
        self.catalog.set_meta("writing", "0")

    def _clear(self) -> None:
        everything = list(self.catalog.fingerprints())
        self.vectors.delete(self.catalog.remove_reports(everything))
        self.vectors.delete(sorted(self.vectors.ids()))
        self.catalog.set_meta("chunking", f"{self.settings.chunk_tokens}/{self.settings.chunk_overlap_tokens}")

    def is_stale(self, paths: list[Path] | None = None) -> bool:
        """Whether the files differ from what is indexed (cheap: hashes only)."""
        paths = [Path(p) for p in (paths or [self.settings.documents_dir])]
        reports, _, failed = self.read(paths)
        known = self.catalog.fingerprints()
        if any(known.get(r.doc_id, ("",))[0] != r.content_hash for r in reports.values()):
            return True
        return bool(_gone(known, reports, failed, paths))

    # search ----------------------------------------------------------------

    def _allowed(self, where: SearchFilter | None) -> tuple[list[str] | None, set[str] | None]:
        if where is None or where.empty:
            return None, None
        return self.catalog.filtered(where.source, where.published_from, where.published_to)

    def dense(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        docs, _ = self._allowed(where)
        found = self.vectors.search(query, k, docs)
        return self._hydrate([(cid, sim) for cid, sim in found], dense=True)

    def bm25(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        _, chunks = self._allowed(where)
        return self._hydrate(self.lexical.search(query, k, chunks), dense=False)

    def hybrid(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        """Dense and BM25 candidates fused by reciprocal rank fusion."""
        docs, chunks = self._allowed(where)
        n = max(k, self.settings.candidates_per_retriever)
        dense = self.vectors.search(query, n, docs)
        lexical = self.lexical.search(query, n, chunks)
        fused: dict[str, float] = {}
        for ranking in (dense, lexical):
            for rank, (chunk_id, _) in enumerate(ranking, start=1):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, start=1)}
        lexical_rank = {cid: r for r, (cid, _) in enumerate(lexical, start=1)}
        best = sorted(fused, key=fused.get, reverse=True)
        stored = self.catalog.passages(best[: k * 2])
        hits = [
            Hit(stored[cid], fused[cid], dense_rank.get(cid), lexical_rank.get(cid))
            for cid in best[: k * 2]
            if cid in stored  # uncommitted leftovers of an interrupted ingest are not answers
        ]
        return hits[:k]

    def _hydrate(self, ranked: list[tuple[str, float]], dense: bool) -> list[Hit]:
        stored = self.catalog.passages([cid for cid, _ in ranked])
        hits = []
        for rank, (cid, score) in enumerate(ranked, start=1):
            if cid in stored:
                hits.append(
                    Hit(
                        stored[cid],
                        score,
                        dense_rank=rank if dense else None,
                        lexical_rank=None if dense else rank,
                    )
                )
        return hits


def _gone(known: dict[str, tuple[str, str]], found: dict[str, Report], failed: set[str], paths: list[Path]) -> list[str]:
    """Indexed reports that came from files under paths and are no longer there. Reports
    of a file that failed to load are kept: a damaged file must not empty the index."""
    scope = [p.resolve() for p in paths]

    def in_scope(origin: str) -> bool:
        origin_path = Path(origin)
        return any(origin_path == s or s in origin_path.parents for s in scope)

    return [
        doc_id
        for doc_id, (_, origin) in known.items()
        if doc_id not in found and origin not in failed and in_scope(origin)
    ]
