"""One ingest run: files scanned, reports read and queued, batches written (the pending
ids recorded, the stores written, the catalog committed, the replaced versions deleted),
and the reports the files no longer hold taken out."""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval.index import duplicates
from retrieval.index.catalog import ReportRecord
from retrieval.index.chunking import make_splitter, split_report
from retrieval.index.documents import DocumentError, Report, find_files, iter_jsonl, load_file, read_jsonl_fingerprints
from retrieval.index.embedding_cache import BatchVectors, Prepared
from retrieval.index.ingest.summary import IngestSummary
from retrieval.index.spans import spans_in
from retrieval.index.tokens import count_tokens
from retrieval.index.words import count_words

if TYPE_CHECKING:
    from retrieval.index.report_index import ReportIndex

log = logging.getLogger(__name__)

REPORTS_PER_BATCH = 32
PASSAGES_PER_BATCH = 512  # a batch also ends when it holds this many passages (one long report)

Progress = Callable[[int, int], None]  # (reports done, reports expected)
QUEUED, KEPT, SKIPPED = "queued", "kept", "skipped"  # what became of a report read


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


class _Run:
    """One ingest: which files to read, which reports changed, and writing them in batches."""

    def __init__(
        self, index: ReportIndex, paths: list[Path], summary: IngestSummary, progress: Progress | None, rebuild: bool
    ) -> None:
        self.index = index
        self.catalog = index.catalog
        self.settings = index.settings
        self.paths = paths
        self.summary = summary
        self.progress = progress
        self.rebuild = rebuild
        self.known = self.catalog.reports.fingerprints()
        self.by_origin: dict[str, list[str]] = defaultdict(list)
        for doc_id, (_, origin) in self.known.items():
            self.by_origin[origin].append(doc_id)
        self.marked: set[str] = set()  # a rebuild: the reports it has yet to re-index
        self.removed = self.catalog.removed.all()  # taken out with `remove`
        self.found: set[str] = set()  # doc ids present in the files (or kept because their file failed)
        self.claimed: dict[str, str] = {}  # doc id -> the file it was read from in this run
        self.failed: set[str] = set()  # files that could not be read: their reports are kept
        self.partial: set[str] = set()  # collections read without some oversized reports
        self.read_ok: dict[str, tuple[int, int]] = {}
        self.moved: dict[str, str] = {}
        self.restoring: set[str] = set()  # a rebuild: reports indexed again from their stored text
        self.batch: list[Prepared] = []
        self.batch_passages = 0
        self.done = 0
        self.expected = 0
        self._splitter = None

    def execute(self) -> None:
        found, refused = find_files(self.paths)  # a path that does not exist: nothing is changed
        if self.rebuild:
            left = self.catalog.start_rebuild(self._settings_key())
            self.marked = self.catalog.rebuilding.left()
            if left < len(self.known):
                log.warning("resuming an interrupted rebuild: %d of %d reports left to re-index", left, len(self.known))
        sources = self._scan(found, refused)
        plan = []
        for source in sorted(sources, key=lambda s: s.size):
            if source.unchanged:
                ids = self.by_origin.get(source.key, [])
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
                self.expected += sum(
                    self._to_write(d, h) and not self._kept_out(source, d, h) for d, h in fingerprints[source.key].items()
                )
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
        if self.rebuild:
            self._restore()
        self._flush()
        self._finish()

    def _settings_key(self) -> str:
        return f"{self.index.embedder_id} {self.settings.chunk_tokens}/{self.settings.chunk_overlap_tokens}"

    def _scan(self, found: list[tuple[Path, Path | None]], refused: list[str]) -> list[_Source]:
        self.summary.errors += refused
        for message in refused:
            log.warning("skipped: %s", message)
        marked_origins = {self.known[d][1] for d in self.marked}
        if self.rebuild:
            # Every report is read again from its file, wherever it was ingested from.
            listed = {str(path.resolve()) for path, _ in found}
            found = found + [(Path(o), None) for o in sorted(marked_origins - listed) if Path(o).is_file()]
        seen = self.catalog.files.seen()
        origins = {origin for _, origin in self.known.values()} | {r.origin for r in self.removed.values()}
        sources = []
        for path, root in found:
            stat = path.stat()
            source = _Source(path, root, stat.st_size, stat.st_mtime_ns, unchanged=False)
            source.unchanged = (
                source.key in origins
                and source.key not in marked_origins
                and seen.get(source.key) == (stat.st_size, stat.st_mtime_ns)
            )
            sources.append(source)
        return sources

    def _to_write(self, doc_id: str, content_hash: str) -> bool:
        """Whether a report read from a file is to be (re)written: new, changed, or left
        for the rebuild to re-index."""
        return doc_id in self.marked or self.known.get(doc_id, ("",))[0] != content_hash

    def _kept_out(self, source: _Source, doc_id: str, content_hash: str) -> bool:
        removal = self.removed.get(doc_id)
        return removal is not None and removal.keeps_out(source.key, source.size, source.mtime_ns, content_hash)

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
        held = self.by_origin.get(source.key, [])
        if self.rebuild and len(reports) == 1 and len(held) == 1 and reports[0].doc_id != held[0]:
            # Read from another folder than the one it was ingested from, which names it
            # differently: a rebuild keeps the id it has.
            reports = [dataclasses.replace(reports[0], doc_id=held[0])]
        outcomes = []
        for report in reports:
            if self._kept_out(source, report.doc_id, report.content_hash):
                self.summary.kept_out.append(report.doc_id)
                outcomes.append(KEPT)
            else:
                outcomes.append(self._consider(source, report))
        if SKIPPED not in outcomes:
            self.read_ok[source.key] = (source.size, source.mtime_ns)
        if QUEUED not in outcomes:
            self.done += 1  # nothing of it to write: it counts as done now
            self._report_progress()

    def _read_collection(self, source: _Source, fingerprints: dict[str, str]) -> None:
        changed = set()
        clean = True
        for doc_id, content_hash in fingerprints.items():
            if self._kept_out(source, doc_id, content_hash):
                self.summary.kept_out.append(doc_id)
            elif self._to_write(doc_id, content_hash):
                changed.add(doc_id)
            else:
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
        if not self._to_write(report.doc_id, report.content_hash):
            return KEPT if self._claim(source, report.doc_id) else SKIPPED
        other = self.claimed.get(report.doc_id)
        if other is not None and other != source.key:
            self.summary.errors.append(f"{source.path.name}: report id {report.doc_id!r} is also in {other}")
            return SKIPPED
        self.claimed[report.doc_id] = source.key
        self.found.add(report.doc_id)  # a report that cannot be indexed keeps its old version
        return self._queue(report, source.path.name)

    def _restore(self) -> None:
        """A rebuild re-indexes each report it found in no file (gone, unreadable, or no
        longer holding it) from the text and metadata the catalog stored."""
        left = sorted(self.marked - self.found)
        if not left:
            return
        self.expected += len(left)
        for start in range(0, len(left), REPORTS_PER_BATCH):
            for fields in self.catalog.reports.stored_fields(left[start : start + REPORTS_PER_BATCH]):
                report = Report(**fields)
                self.restoring.add(report.doc_id)
                if self._queue(report, f"the stored text of {report.doc_id!r}") == SKIPPED:
                    self.done += 1
                    self._report_progress()

    def _queue(self, report: Report, where: str) -> str:
        """Split a report and add it to the batch, writing the batch when it is full:
        QUEUED, or SKIPPED if it is over the token limit."""
        tokens = count_tokens(report.text)
        if tokens > self.settings.max_report_tokens:
            self.summary.errors.append(
                f"{where}: report {report.doc_id!r} has {tokens} tokens, over the "
                f"{self.settings.max_report_tokens} limit (MAX_REPORT_TOKENS); skipped"
            )
            return SKIPPED
        if self._splitter is None:
            self._splitter = make_splitter(self.settings.chunk_tokens, self.settings.chunk_overlap_tokens)
        passages = split_report(report, self._splitter)
        spans = np.asarray([(s.start, s.end) for s in spans_in(report.text, keep_dateline=True)], dtype=np.int32)
        self.batch.append(Prepared(report, passages, spans.reshape(-1, 2)))
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
        vectors = BatchVectors(catalog, index.embeddings, index.embedder_id, batch)
        entities = index.recogniser.entities([prepared.report.text for prepared in batch])
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
        for prepared, span_vectors, found in zip(batch, vectors.span_vectors, entities):
            report = prepared.report
            fingerprint = duplicates.fingerprint(report.text)
            records.append(
                ReportRecord.of(
                    report,
                    passages=[
                        (p.chunk_id, p.position, p.start, p.end, p.text, key, p.chunk_id in searchable)
                        for p, key in zip(prepared.passages, vectors.keys_of(prepared))
                    ],
                    spans=prepared.spans,
                    span_vectors=span_vectors,
                    words=count_words(report.text),
                    entities=found,
                    band_keys=fingerprint.band_keys,
                    copy_of=self._copy_of(report, fingerprint, records),
                )
            )
        old_keys = catalog.passages.content_keys(catalog.passages.chunk_ids_of([prepared.report.doc_id for prepared in batch]))
        reports = {prepared.report.doc_id: prepared.report for prepared in batch}
        passages = [p for prepared in batch for p in prepared.passages if p.chunk_id in searchable]
        catalog.pending.mark([p.chunk_id for p in passages])
        index.vectors.add(passages, passage_vectors, reports)
        index.lexical.begin()
        # A report indexed again with the same text has the same passage ids: its old
        # entries go first (Chroma's upsert replaces them by itself).
        index.lexical.delete(p.chunk_id for p in passages)
        index.lexical.add((p.chunk_id, p.doc_id, f"{reports[p.doc_id].title}\n{p.text}") for p in passages)
        index.lexical.commit()
        stale = catalog.write_batch(records)
        _delete_from_stores(index, stale)
        catalog.embeddings.prune(old_keys)
        for prepared in batch:
            self._count_written(prepared.report)
        self.summary.passages += sum(len(prepared.passages) for prepared in batch)
        self.summary.embedded += vectors.embedded
        self.done += len(batch)
        self._report_progress()

    def _count_written(self, report: Report) -> None:
        doc_id = report.doc_id
        if doc_id in self.restoring:
            self.summary.reindexed.append(doc_id)
            self.summary.restored.append(doc_id)
        elif doc_id not in self.known:
            self.summary.added.append(doc_id)
        elif doc_id in self.marked and self.known[doc_id][0] == report.content_hash:
            self.summary.reindexed.append(doc_id)
        else:
            self.summary.updated.append(doc_id)

    def _copy_of(self, report: Report, fingerprint: duplicates.Fingerprint, earlier: list[ReportRecord]) -> str | None:
        """The report this one is a syndicated copy of (the root of its group), if any."""
        keys = set(fingerprint.band_keys)
        texts = {r.doc_id: (r.text, r.copy_of or r.doc_id) for r in earlier if keys & set(r.band_keys)}
        candidates = [d for d in self.catalog.copies.band_neighbours(fingerprint.band_keys, report.doc_id) if d not in texts]
        roots = self.catalog.copies.roots(candidates)
        for doc_id in candidates:
            root = roots.get(doc_id, doc_id)
            if root == report.doc_id:
                continue  # its own copies, from before it changed
            texts[doc_id] = (self.catalog.reports.report_text(doc_id) or "", root)
        for doc_id in sorted(texts):
            text, root = texts[doc_id]
            if doc_id != report.doc_id and root != report.doc_id and duplicates.is_copy(report.text, text):
                return root
        return None

    def _finish(self) -> None:
        catalog = self.catalog
        if self.moved:
            catalog.reports.set_origins(self.moved)
        if not self.rebuild:  # a rebuild never drops a report: what it found in no file it restored
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
                old_keys = catalog.passages.content_keys(catalog.passages.chunk_ids_of(gone))
                _delete_from_stores(self.index, catalog.remove_reports(gone))
                catalog.embeddings.prune(old_keys)
                self.summary.removed = sorted(gone)
        # A file that no longer holds a report restored from its stored text is read again
        # next time, so a plain ingest of its folder then drops that report as usual.
        restored_from = {self.known[d][1] for d in self.restoring}
        catalog.files.record(
            {path: stat for path, stat in self.read_ok.items() if path not in restored_from},
            forget=[p for p in catalog.files.seen() if _in_scope(p, self.paths) and (p in self.failed or not Path(p).exists())],
        )
        catalog.removed.forget(
            [d for d, r in self.removed.items() if _in_scope(r.origin, self.paths) and not Path(r.origin).exists()]
        )
        if self.rebuild:
            self._complete_rebuild()

    def _complete_rebuild(self) -> None:
        """Record what the index is built with now, and drop the vectors no report owns
        (those of an index built by an older version)."""
        self.catalog.finish_rebuild(
            {
                "embedder": self.index.embedder_id,
                "chunking": f"{self.settings.chunk_tokens}/{self.settings.chunk_overlap_tokens}",
            }
        )
        orphans = sorted(self.index.vectors.ids() - self.catalog.passages.chunk_ids())
        if orphans:
            log.info("removing %d vectors no indexed report owns", len(orphans))
            self.index.vectors.delete(orphans)


def _delete_from_stores(index: ReportIndex, chunk_ids: list[str]) -> None:
    """Delete passages the catalog has let go of (left pending) from Chroma and BM25."""
    if not chunk_ids:
        return
    index.vectors.delete(chunk_ids)
    index.lexical.begin()
    index.lexical.delete(chunk_ids)
    index.lexical.commit()
    index.catalog.pending.settle(chunk_ids)


def _in_scope(origin: str, paths: list[Path]) -> bool:
    origin_path = Path(origin)
    return any(origin_path == s or s in origin_path.parents for s in (p.resolve() for p in paths))
