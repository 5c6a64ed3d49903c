"""The report index: ingest files incrementally, then search them densely, lexically or
both. It ties the catalog (truth), the Chroma vectors and the BM25 index together.

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
passage, a copy with the same headline) takes its vectors from the embedding cache.
"""

from __future__ import annotations

import bisect
import fcntl
import hashlib
import logging
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.index import duplicates
from retrieval.index.catalog import Catalog, IndexMismatchError, ReportRecord, SchemaMismatchError, StoredPassage
from retrieval.index.chunking import Passage, make_splitter, split_report
from retrieval.index.documents import DocumentError, Report, find_files, iter_jsonl, load_file, read_jsonl_fingerprints
from retrieval.index.embeddings import embed_with_parts
from retrieval.index.lexical import LexicalIndex
from retrieval.index.spans import spans_in
from retrieval.index.tokens import count_tokens
from retrieval.index.words import count_words
from retrieval.language import counted
from retrieval.settings import Settings

log = logging.getLogger(__name__)

REPORTS_PER_BATCH = 32
PASSAGES_PER_BATCH = 512  # a batch also ends when it holds this many passages (one long report)
RRF_K = 60  # the constant from Cormack et al.; ranks matter, raw scores do not

Progress = Callable[[int, int], None]  # (reports done, reports expected)
QUEUED, KEPT, SKIPPED = "queued", "kept", "skipped"  # what became of a report read


class IngestBusyError(RuntimeError):
    """Another ingest is running on this index."""


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    passages: int = 0  # passages written by this run
    embedded: int = 0  # of which the model embedded (the rest came from the cache)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def line(self) -> str:
        text = (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged; {counted(self.passages, 'passage')} indexed in {self.seconds:.1f} s"
        )
        if self.errors:
            text += f"; {len(self.errors)} skipped"
        if self.interrupted:
            text += "; interrupted (run ingest again to finish)"
        return text

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "passages": self.passages,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
            "interrupted": self.interrupted,
        }


@dataclass(frozen=True)
class SearchFilter:
    """Optional restriction of a search to one outlet and/or a date range (ISO dates);
    include_undated lets reports without a date through a date range."""

    source: str | None = None
    published_from: str | None = None
    published_to: str | None = None
    include_undated: bool = False

    @property
    def empty(self) -> bool:
        return not (self.source or self.published_from or self.published_to)


def describe_filter(where: SearchFilter) -> str:
    """"reports from Reuters published 2016-10-01 to 2016-10-31"."""
    parts = []
    if where.source:
        parts.append(f"from {where.source}")
    if where.published_from and where.published_to:
        parts.append(f"published {where.published_from} to {where.published_to}")
    elif where.published_from:
        parts.append(f"published since {where.published_from}")
    elif where.published_to:
        parts.append(f"published until {where.published_to}")
    return "reports " + " ".join(parts)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with how each retriever ranked it (1-based; None: not found)."""

    passage: StoredPassage
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class _Source:
    """A file found under the ingested paths."""

    path: Path
    root: Path | None
    size: int
    mtime_ns: int
    unchanged: bool  # as last read: not read again
    key: str = field(init=False)  # the resolved path, as the catalog records a report's origin

    def __post_init__(self) -> None:
        self.key = str(self.path.resolve())


@dataclass
class _Prepared:
    """A report split and ready to be embedded."""

    report: Report
    passages: list[Passage]
    spans: np.ndarray  # (n, 2) quotable spans of the report


class ReportIndex:
    def __init__(self, settings: Settings, embeddings: Embeddings, embedder_id: str, rebuild: bool = False) -> None:
        """rebuild: the next ingest re-indexes everything, so an index built by another
        embedder or an older version may be replaced rather than refused."""
        self.settings = settings
        self.embeddings = embeddings
        self.embedder_id = embedder_id
        self._replace = rebuild
        folder = settings.index_dir
        folder.mkdir(parents=True, exist_ok=True)
        catalog_path = folder / "catalog.sqlite3"
        try:
            self.catalog = Catalog(catalog_path)
        except SchemaMismatchError:
            if not rebuild:
                raise
            log.warning("replacing an index built by an older version of incident-bot")
            Catalog.discard(catalog_path)
            shutil.rmtree(folder / "bm25", ignore_errors=True)
            self.catalog = Catalog(catalog_path)
        self._check_embedder()
        self._check_chunking()
        self.lexical = LexicalIndex(folder / "bm25", self.catalog)
        self._vectors = None  # a VectorStore once connected
        self._vectors_lock = threading.Lock()
        self._lock_path = folder / "ingest.lock"
        self._thread_lock = threading.Lock()

    @property
    def vectors(self):
        """The Chroma collection (a ``VectorStore``), connected on first use: a no-change
        ingest never imports or opens Chroma."""
        with self._vectors_lock:
            if self._vectors is None:
                from retrieval.index.vector_store import VectorStore, connect

                client = connect(self.settings.chroma_url, self.settings.index_dir / "chroma")
                self._vectors = VectorStore(client, self.embeddings, self.embedder_id, replace=self._replace)
            return self._vectors

    def _check_embedder(self) -> None:
        built = self.catalog.get_meta("embedder")
        if built is None or self._replace:
            return
        if built != self.embedder_id:
            raise IndexMismatchError(
                f"the index was built with embedder {built!r} but {self.embedder_id!r} is configured; "
                "set EMBEDDINGS back, or run `incident-bot ingest --rebuild` to re-index with the new one"
            )

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

    def ingest(
        self, paths: list[Path] | None = None, *, rebuild: bool = False, progress: Progress | None = None
    ) -> IngestSummary:
        """Bring the index in line with the files under paths (default: the documents
        folder). Reports from files that fail to load are left as they were. Ctrl-C (or
        any exception) stops it after the batch in progress is discarded; every batch
        before it stays indexed."""
        started = time.perf_counter()
        paths = [Path(p) for p in (paths or [self.settings.documents_dir])]
        summary = IngestSummary()
        with self._exclusive():
            if rebuild:
                self._clear()
            self._sweep()
            run = _IngestRun(self, paths, summary, progress)
            try:
                run.execute()
            except KeyboardInterrupt:
                summary.interrupted = True
                log.warning("ingest interrupted; every finished batch is kept")
            finally:
                self.lexical.end()
        summary.seconds = time.perf_counter() - started
        log.info("ingest: %s", summary.line())
        return summary

    def _sweep(self) -> None:
        """Delete what an interrupted ingest wrote to the stores but never committed,
        and what it committed away but never deleted."""
        pending = self.catalog.pending()
        if not pending:
            return
        orphans = sorted(set(pending) - self.catalog.known_chunks(pending))
        if orphans:
            log.info("removing %d passages left by an interrupted ingest", len(orphans))
            self.vectors.delete(orphans)
            self.lexical.begin()
            self.lexical.delete(orphans)
            self.lexical.commit()
        self.catalog.settle_pending(pending)

    def _clear(self) -> None:
        everything = list(self.catalog.fingerprints())
        removed = self.catalog.remove_reports(everything)
        self.vectors.delete(sorted(self.vectors.ids()))
        self.lexical.begin()
        self.lexical.clear()
        self.catalog.settle_pending(removed)
        self.catalog.record_files({}, forget=list(self.catalog.files()))
        self.catalog.set_meta("chunking", f"{self.settings.chunk_tokens}/{self.settings.chunk_overlap_tokens}")
        self.catalog.set_meta("embedder", self.embedder_id)

    def is_stale(self, paths: list[Path] | None = None) -> bool:
        """Whether the files differ from what was last read (cheap: sizes and times)."""
        paths = [Path(p) for p in (paths or [self.settings.documents_dir])]
        seen = self.catalog.files()
        found, _ = find_files(paths)
        keys = set()
        for path, _root in found:
            stat = path.stat()
            key = str(path.resolve())
            keys.add(key)
            if seen.get(key) != (stat.st_size, stat.st_mtime_ns):
                return True
        origins = {origin for _, origin in self.catalog.fingerprints().values()}
        return any(_in_scope(origin, paths) and origin not in keys for origin in origins)

    # search ----------------------------------------------------------------

    def _allowed_docs(self, where: SearchFilter | None) -> list[str] | None:
        if where is None or where.empty:
            return None
        return self.catalog.filtered(where.source, where.published_from, where.published_to, where.include_undated)

    def dense(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        found = self.vectors.search(query, k, self._allowed_docs(where))
        return self._hydrate(found, dense=True)

    def bm25(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        return self._hydrate(self.lexical.search(query, k, self._allowed_docs(where)), dense=False)

    def hybrid(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        """Dense and BM25 candidates fused by reciprocal rank fusion."""
        docs = self._allowed_docs(where)
        n = max(k, self.settings.candidates_per_retriever)
        dense = self.vectors.search(query, n, docs)
        lexical = self.lexical.search(query, n, docs)
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
                    Hit(stored[cid], score, dense_rank=rank if dense else None, lexical_rank=None if dense else rank)
                )
        return hits


class _IngestRun:
    """One ingest: which files to read, which reports changed, and writing them in batches."""

    def __init__(self, index: ReportIndex, paths: list[Path], summary: IngestSummary, progress: Progress | None) -> None:
        self.index = index
        self.catalog = index.catalog
        self.settings = index.settings
        self.paths = paths
        self.summary = summary
        self.progress = progress
        self.known = self.catalog.fingerprints()
        self.found: set[str] = set()  # doc ids present in the files (or kept because their file failed)
        self.claimed: dict[str, str] = {}  # doc id -> the file it was read from in this run
        self.failed: set[str] = set()  # files that could not be read: their reports are kept
        self.partial: set[str] = set()  # collections read without some oversized reports
        self.read_ok: dict[str, tuple[int, int]] = {}
        self.moved: dict[str, str] = {}
        self.batch: list[_Prepared] = []
        self.batch_passages = 0
        self.done = 0
        self.expected = 0
        self._splitter = None

    def execute(self) -> None:
        sources = self._scan()
        by_origin: dict[str, list[str]] = defaultdict(list)
        for doc_id, (_, origin) in self.known.items():
            by_origin[origin].append(doc_id)
        plan = []
        for source in sorted(sources, key=lambda s: s.size):
            if source.unchanged:
                ids = by_origin.get(source.key, [])
                self.found.update(ids)
                self.summary.unchanged += len(ids)
                continue
            plan.append(source)
        # A collection's changed reports are counted before anything is written, so
        # progress can show how much is left; other files hold one report each.
        fingerprints = {}
        for source in plan:
            if source.path.suffix.lower() == ".jsonl":
                skipped: list[str] = []
                try:
                    fingerprints[source.key] = read_jsonl_fingerprints(
                        source.path, self.settings.max_document_bytes, skipped
                    )
                except DocumentError as e:
                    self._fail(source, str(e))
                    continue
                if skipped:  # oversized reports: the rest of the collection is indexed
                    self.summary.errors += skipped
                    self.partial.add(source.key)
                self.expected += sum(self.known.get(d, ("",))[0] != h for d, h in fingerprints[source.key].items())
            else:
                self.expected += 1
        if self.expected:
            self._report_progress()
        for source in plan:
            if source.key in self.failed:
                continue
            if source.key in fingerprints:
                self._read_collection(source, fingerprints[source.key])
            else:
                self._read_file(source)
        self._flush()
        self._finish()

    def _scan(self) -> list[_Source]:
        found, refused = find_files(self.paths)
        self.summary.errors += refused
        for message in refused:
            log.warning("skipped: %s", message)
        seen = self.catalog.files()
        origins = {origin for _, origin in self.known.values()}
        sources = []
        for path, root in found:
            stat = path.stat()
            source = _Source(path, root, stat.st_size, stat.st_mtime_ns, unchanged=False)
            source.unchanged = source.key in origins and seen.get(source.key) == (stat.st_size, stat.st_mtime_ns)
            sources.append(source)
        return sources

    def _fail(self, source: _Source, message: str) -> None:
        self.summary.errors.append(message)
        self.failed.add(source.key)
        log.warning("skipped: %s", message)

    def _read_file(self, source: _Source) -> None:
        try:
            reports = load_file(source.path, source.root, self.settings.max_document_bytes)
        except DocumentError as e:
            self._fail(source, str(e))
            return
        outcomes = [self._consider(source, report) for report in reports]
        if SKIPPED not in outcomes:
            self.read_ok[source.key] = (source.size, source.mtime_ns)
        if QUEUED not in outcomes:
            self.done += 1  # nothing of it to write: it counts as done now
            self._report_progress()

    def _read_collection(self, source: _Source, fingerprints: dict[str, str]) -> None:
        changed = {d for d, h in fingerprints.items() if self.known.get(d, ("",))[0] != h}
        clean = True
        for doc_id in fingerprints.keys() - changed:
            clean &= self._claim(source, doc_id)
        if changed:
            try:
                for report in iter_jsonl(source.path, self.settings.max_document_bytes, []):
                    if report.doc_id in changed:
                        clean &= self._consider(source, report) != SKIPPED
            except DocumentError as e:  # the file changed while it was read
                self._fail(source, str(e))
                return
        if clean and source.key not in self.partial:
            self.read_ok[source.key] = (source.size, source.mtime_ns)

    def _claim(self, source: _Source, doc_id: str) -> bool:
        """Count an unchanged report of a file as present; False if another file has it."""
        other = self.claimed.get(doc_id)
        if other is not None and other != source.key:
            self.summary.errors.append(f"{source.path.name}: report id {doc_id!r} is also in {other}")
            return False
        self.claimed[doc_id] = source.key
        self.found.add(doc_id)
        known = self.known.get(doc_id)
        if known is not None and known[1] != source.key:
            self.moved[doc_id] = source.key
        self.summary.unchanged += 1
        return True

    def _consider(self, source: _Source, report: Report) -> str:
        """Queue a report that is new or changed: QUEUED, KEPT (unchanged) or SKIPPED."""
        if self.known.get(report.doc_id, ("",))[0] == report.content_hash:
            return KEPT if self._claim(source, report.doc_id) else SKIPPED
        other = self.claimed.get(report.doc_id)
        if other is not None and other != source.key:
            self.summary.errors.append(f"{source.path.name}: report id {report.doc_id!r} is also in {other}")
            return SKIPPED
        self.claimed[report.doc_id] = source.key
        self.found.add(report.doc_id)  # a report that cannot be indexed keeps its old version
        tokens = count_tokens(report.text)
        if tokens > self.settings.max_report_tokens:
            self.summary.errors.append(
                f"{source.path.name}: report {report.doc_id!r} has {tokens} tokens, over the "
                f"{self.settings.max_report_tokens} limit (MAX_REPORT_TOKENS); skipped"
            )
            return SKIPPED
        if self._splitter is None:
            self._splitter = make_splitter(self.settings.chunk_tokens, self.settings.chunk_overlap_tokens)
        passages = split_report(report, self._splitter)
        spans = np.asarray([(s.start, s.end) for s in spans_in(report.text, keep_dateline=True)], dtype=np.int32)
        self.batch.append(_Prepared(report, passages, spans.reshape(-1, 2)))
        self.batch_passages += len(passages)
        if len(self.batch) >= REPORTS_PER_BATCH or self.batch_passages >= PASSAGES_PER_BATCH:
            self._flush()
        return QUEUED

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.expected)

    # writing a batch ----------------------------------------------------------------

    def _flush(self) -> None:
        batch, self.batch, self.batch_passages = self.batch, [], 0
        if not batch:
            return
        index, catalog = self.index, self.catalog
        if catalog.get_meta("embedder") is None:
            catalog.set_meta("embedder", index.embedder_id)
        vectors = _BatchVectors(index, batch)
        # A passage repeating an earlier one of its report word for word (a log line
        # thousands of times) is held once by the stores: the copies would only crowd
        # out every other report from the search.
        searchable, passage_vectors = set(), []
        for prepared in batch:
            seen_keys = set()
            for p, key, vector in zip(prepared.passages, vectors.keys_of(prepared), vectors.vectors_of(prepared)):
                if key not in seen_keys:
                    seen_keys.add(key)
                    searchable.add(p.chunk_id)
                    passage_vectors.append(vector)
        records = []
        for prepared, span_vectors in zip(batch, vectors.span_vectors):
            report = prepared.report
            fingerprint = duplicates.fingerprint(report.text)
            records.append(
                ReportRecord(
                    doc_id=report.doc_id,
                    content_hash=report.content_hash,
                    origin=report.origin,
                    title=report.title,
                    source=report.source,
                    published=report.published,
                    url=report.url,
                    metadata=report.metadata,
                    text=report.text,
                    passages=[
                        (p.chunk_id, p.position, p.start, p.end, p.text, key, p.chunk_id in searchable)
                        for p, key in zip(prepared.passages, vectors.keys_of(prepared))
                    ],
                    spans=prepared.spans,
                    span_vectors=span_vectors,
                    words=count_words(report.text),
                    band_keys=fingerprint.band_keys,
                    copy_of=self._copy_of(report, fingerprint, records),
                )
            )
        old_keys = catalog.content_keys(catalog.chunk_ids_of([prepared.report.doc_id for prepared in batch]))
        reports = {prepared.report.doc_id: prepared.report for prepared in batch}
        passages = [p for prepared in batch for p in prepared.passages if p.chunk_id in searchable]
        catalog.mark_pending([p.chunk_id for p in passages])
        index.vectors.add(passages, passage_vectors, reports)
        index.lexical.begin()
        index.lexical.add((p.chunk_id, p.doc_id, f"{reports[p.doc_id].title}\n{p.text}") for p in passages)
        index.lexical.commit()
        stale = catalog.write_batch(records)
        self._delete_from_stores(stale)
        catalog.prune_embeddings(old_keys)
        for prepared in batch:
            doc_id = prepared.report.doc_id
            (self.summary.updated if doc_id in self.known else self.summary.added).append(doc_id)
        self.summary.passages += sum(len(prepared.passages) for prepared in batch)
        self.summary.embedded += vectors.embedded
        self.done += len(batch)
        self._report_progress()

    def _copy_of(self, report: Report, fingerprint: duplicates.Fingerprint, earlier: list[ReportRecord]) -> str | None:
        """The report this one is a syndicated copy of (the root of its group), if any."""
        keys = set(fingerprint.band_keys)
        texts = {r.doc_id: (r.text, r.copy_of or r.doc_id) for r in earlier if keys & set(r.band_keys)}
        candidates = [d for d in self.catalog.band_neighbours(fingerprint.band_keys, report.doc_id) if d not in texts]
        roots = self.catalog.copy_roots(candidates)
        for doc_id in candidates:
            root = roots.get(doc_id, doc_id)
            if root == report.doc_id:
                continue  # its own copies, from before it changed
            texts[doc_id] = (self.catalog.report_text(doc_id) or "", root)
        for doc_id in sorted(texts):
            text, root = texts[doc_id]
            if doc_id != report.doc_id and root != report.doc_id and duplicates.is_copy(report.text, text):
                return root
        return None

    def _delete_from_stores(self, chunk_ids: list[str]) -> None:
        if not chunk_ids:
            return
        self.index.vectors.delete(chunk_ids)
        self.index.lexical.begin()
        self.index.lexical.delete(chunk_ids)
        self.index.lexical.commit()
        self.catalog.settle_pending(chunk_ids)

    def _finish(self) -> None:
        catalog = self.catalog
        if self.moved:
            catalog.set_origins(self.moved)
        gone = [
            doc_id
            for doc_id, (_, origin) in self.known.items()
            # a file that failed, or a collection with reports it could not read, keeps its
            # reports: a damaged file must not empty the index
            if doc_id not in self.found
            and origin not in self.failed
            and origin not in self.partial
            and _in_scope(origin, self.paths)
        ]
        if gone:
            old_keys = catalog.content_keys(catalog.chunk_ids_of(gone))
            self._delete_from_stores(catalog.remove_reports(gone))
            catalog.prune_embeddings(old_keys)
            self.summary.removed = sorted(gone)
        catalog.record_files(
            self.read_ok,
            forget=[p for p in catalog.files() if _in_scope(p, self.paths) and (p in self.failed or not Path(p).exists())],
        )


def _content_key(embedder_id: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_id}\0{text}".encode("utf-8")).hexdigest()[:32]


class _BatchVectors:
    """The vectors of a batch: each passage's (for Chroma) and each quotable span's (for
    the answer step), from the embedding cache where the same text was embedded before,
    else from one model run per distinct text.

    A span's vector is pooled from the token states of a passage that holds it whole;
    a span across two passages averages its pooled parts from each."""

    def __init__(self, index: ReportIndex, batch: list[_Prepared]) -> None:
        title_of = {p.report.doc_id: p.report.title for p in batch}
        self._keys: dict[str, list[str]] = {}
        needs: dict[str, set[tuple[int, int]]] = {}  # content key -> parts (offsets in the embedded text)
        embedded_text: dict[str, str] = {}
        assignments = []
        for prepared in batch:
            keys, texts, offsets = [], [], []
            for p in prepared.passages:
                text = f"{title_of[p.doc_id]}\n{p.text}"
                key = _content_key(index.embedder_id, text)
                keys.append(key)
                embedded_text[key] = text
                needs.setdefault(key, set())
                offsets.append(len(title_of[p.doc_id]) + 1 - p.start)  # report offset -> embedded text offset
            self._keys[prepared.report.doc_id] = keys
            plan = _assign(prepared.spans, prepared.passages)
            for pieces in plan:
                for passage_index, start, end in pieces:
                    shift = offsets[passage_index]
                    needs[keys[passage_index]].add((start + shift, end + shift))
            assignments.append((keys, offsets, plan))
        cached = index.catalog.cached_embeddings(list(needs))
        usable = {
            k: v for k, v in cached.items() if needs[k] <= {tuple(map(int, row)) for row in v[1]}
        }
        missing = [k for k in needs if k not in usable]
        self.embedded = len(missing)
        if missing:
            parts = [sorted(needs[k]) for k in missing]
            vectors, part_vectors = embed_with_parts(index.embeddings, [embedded_text[k] for k in missing], parts)
            fresh = {
                k: (vectors[i], np.asarray(parts[i], dtype=np.int32).reshape(-1, 2), part_vectors[i])
                for i, k in enumerate(missing)
            }
            index.catalog.cache_embeddings(fresh)
            usable.update(fresh)
        lookup = {
            k: (v, {tuple(map(int, row)): pv[i] for i, row in enumerate(parts)}) for k, (v, parts, pv) in usable.items()
        }
        self._vector_of = {k: lookup[k][0].tolist() for k in lookup}
        self.passage_vectors = [self._vector_of[k] for p in batch for k in self._keys[p.report.doc_id]]
        self.span_vectors = []
        for keys, offsets, plan in assignments:
            rows = []
            for pieces in plan:
                parts = []
                for passage_index, start, end in pieces:
                    shift = offsets[passage_index]
                    parts.append((end - start, lookup[keys[passage_index]][1][(start + shift, end + shift)]))
                vector = sum(weight * v for weight, v in parts)
                rows.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
            dims = len(self.passage_vectors[0]) if self.passage_vectors else 0
            self.span_vectors.append(np.asarray(rows, dtype=np.float32).reshape(len(plan), dims) if plan else np.zeros((0, dims), np.float32))

    def keys_of(self, prepared: _Prepared) -> list[str]:
        return self._keys[prepared.report.doc_id]

    def vectors_of(self, prepared: _Prepared) -> list[list[float]]:
        return [self._vector_of[k] for k in self._keys[prepared.report.doc_id]]


def _assign(spans: np.ndarray, passages: list[Passage]) -> list[list[tuple[int, int, int]]]:
    """For each span, the (passage index, start, end) pieces its vector is pooled from:
    the passage that holds it whole with the most room around it, or else the part of it
    inside each passage it touches. Passages are in text order, so only the few that
    begin before a span ends can hold it."""
    starts = [p.start for p in passages]
    plan = []
    for start, end in spans.tolist():
        last = bisect.bisect_left(starts, end)  # passages[last:] begin at or after the span's end
        touching = [i for i in range(max(0, last - 8), last) if passages[i].end > start]
        whole = [(min(start - passages[i].start, passages[i].end - end), i) for i in touching
                 if passages[i].start <= start and end <= passages[i].end]
        if whole:
            plan.append([(max(whole)[1], start, end)])
        elif touching:
            plan.append([(i, max(start, passages[i].start), min(end, passages[i].end)) for i in touching])
        else:  # white space between passages only; cannot happen for a span of words
            plan.append([(0, passages[0].start, passages[0].end)])
    return plan


def _in_scope(origin: str, paths: list[Path]) -> bool:
    origin_path = Path(origin)
    return any(origin_path == s or s in origin_path.parents for s in (p.resolve() for p in paths))
