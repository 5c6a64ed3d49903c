"""The BM25 index over the same passages as the vector store, with tantivy.

tantivy is a segment-based search engine: adding or deleting a report writes a small
new segment and merges segments in the background, so an update costs the same however
large the collection is, and a commit is atomic (an ingest killed mid-way leaves the
last commit). Readers in any process reload when the catalog's generation moves. Terms
come from ``retrieval.language.terms.term_analyzer``, the analyzer the answer step uses too.
"""

from __future__ import annotations

import logging
import math
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

import tantivy

from retrieval.index.catalog import Catalog
from retrieval.language.terms import term_analyzer, terms

log = logging.getLogger(__name__)

ANALYZER = "incident_terms"
WRITER_HEAP_BYTES = 64_000_000
LAYOUT = "tantivy-1"  # what the folder holds; another layout is rebuilt from the catalog


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("doc_id", stored=False, tokenizer_name="raw")
    builder.add_text_field("body", stored=False, tokenizer_name=ANALYZER)
    return builder.build()


class LexicalIndex:
    def __init__(self, folder: Path, catalog: Catalog) -> None:
        self.folder = folder
        self.catalog = catalog
        self._schema = _schema()
        self._lock = threading.Lock()  # guards the reader and the writer
        self._writer: tantivy.IndexWriter | None = None
        self._generation = -1
        self._index = self._open()

    def _open(self) -> tantivy.Index:
        marker = self.folder / "LAYOUT"
        fresh = not (marker.is_file() and marker.read_text() == LAYOUT)
        if fresh:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
        index = tantivy.Index(self._schema, path=str(self.folder), reuse=True)
        index.register_tokenizer(ANALYZER, term_analyzer())
        if fresh:
            marker.write_text(LAYOUT)
            if self.catalog.passages.chunk_ids():
                self._rebuild(index)
        return index

    def _rebuild(self, index: tantivy.Index) -> None:
        """Fill an empty index from the catalog (after an upgrade, or if the folder was lost)."""
        log.info("building the BM25 index from the catalog")
        writer = index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        for chunk_id, doc_id, title, text in self.catalog.passages.everything():
            writer.add_document(tantivy.Document(chunk_id=chunk_id, doc_id=doc_id, body=f"{title}\n{text}"))
        writer.commit()
        writer.wait_merging_threads()

    # writing (one ingest at a time holds the writer) ---------------------------------

    def begin(self) -> None:
        with self._lock:
            if self._writer is None:
                self._writer = self._index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)

    def add(self, passages: Iterable[tuple[str, str, str]]) -> None:
        """Add (chunk_id, doc_id, title + text) documents; visible after commit."""
        for chunk_id, doc_id, body in passages:
            self._writer.add_document(tantivy.Document(chunk_id=chunk_id, doc_id=doc_id, body=body))

    def delete(self, chunk_ids: Iterable[str]) -> None:
        for chunk_id in chunk_ids:
            self._writer.delete_documents_by_term("chunk_id", chunk_id)

    def commit(self) -> None:
        self._writer.commit()

    def end(self) -> None:
        """Release the writer; background merges finish first."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.wait_merging_threads()

    def clear(self) -> None:
        self._writer.delete_all_documents()
        self._writer.commit()

    # reading -----------------------------------------------------------------------

    def _searcher(self) -> tantivy.Searcher:
        generation = self.catalog.generation
        if generation != self._generation:
            self._index.reload()
            self._generation = generation
        return self._index.searcher()

    def search(self, query: str, k: int, allowed_docs: list[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) best first; only passages sharing a term with the query."""
        words = list(dict.fromkeys(terms(query)))
        if not words or (allowed_docs is not None and not allowed_docs):
            return []
        text = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "body", w)) for w in words]
        )
        if allowed_docs is not None:
            only = tantivy.Query.const_score_query(tantivy.Query.term_set_query(self._schema, "doc_id", allowed_docs), 0.0)
            text = tantivy.Query.boolean_query([(tantivy.Occur.Must, text), (tantivy.Occur.Must, only)])
        searcher = self._searcher()
        result = searcher.search(text, limit=max(1, k))
        return [(searcher.doc(address)["chunk_id"][0], float(score)) for score, address in result.hits if score > 0]

    def idf(self, stems: set[str]) -> dict[str, float]:
        """Inverse passage frequency of each (stemmed) term; unseen terms weigh most."""
        searcher = self._searcher()
        n = max(1, searcher.num_docs)
        weights = {}
        for stem in stems:
            # Deleted passages still count in doc_freq until segments merge, while num_docs
            # leaves them out: a term can seem in more passages than there are.
            frequency = min(searcher.doc_freq("body", stem), n)
            weights[stem] = math.log(1 + (n - frequency + 0.5) / (frequency + 0.5))
        return weights

    def count(self) -> int:
        return self._searcher().num_docs
