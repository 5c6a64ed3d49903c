"""The report index: the catalog (the truth), the Chroma vectors and the BM25 index of
one DATA_DIR opened together, checked against the settings, and the two things done with
them: ingest (``ingest``) and search (``search``)."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

from langchain_core.embeddings import Embeddings

from retrieval.index.catalog import Catalog, IndexMismatchError, ReportDetail, SchemaMismatchError
from retrieval.index.catalog.upgrade import CatalogInUseError, carry_over
from retrieval.index.entities import Recogniser
from retrieval.index.ingest import Ingest, IngestBusyError, IngestSummary, Progress, hold_index_lock
from retrieval.index.lexical import LexicalIndex
from retrieval.index.search import Hit, Search, SearchFilter
from retrieval.settings import Settings

log = logging.getLogger(__name__)


class ReportIndex:
    def __init__(self, settings: Settings, embeddings: Embeddings, embedder_id: str, rebuild: bool = False) -> None:
        """rebuild: the next ingest re-indexes everything, so an index built by another
        embedder or an older version is re-indexed rather than refused; an older
        version's catalog is first carried over (its reports kept, marked for the
        rebuild), under the ingest lock: IngestBusyError while another process ingests."""
        self.settings = settings
        self.embeddings = embeddings
        self.embedder_id = embedder_id
        self._replace = rebuild
        self.folder = settings.index_dir
        self.folder.mkdir(parents=True, exist_ok=True)
        catalog_path = self.folder / "catalog.sqlite3"
        try:
            self.catalog = Catalog(catalog_path)
        except SchemaMismatchError:
            if not rebuild:
                raise
            self._upgrade(catalog_path)
            self.catalog = Catalog(catalog_path)
        self._check_embedder()
        self._check_chunking()
        left = self.catalog.rebuilding.count()
        if left and not rebuild:
            log.warning(
                "an interrupted rebuild left %d reports to re-index; run `incident-bot ingest --rebuild` to finish it", left
            )
        self.lexical = LexicalIndex(self.folder / "bm25", self.catalog)
        self._vectors = None  # a VectorStore once connected
        self._vectors_lock = threading.Lock()
        self.recogniser = Recogniser()  # loads its model on the first batch an ingest writes
        self.search = Search(self.catalog, lambda: self.vectors, self.lexical, settings.candidates_per_retriever)
        self._ingest = Ingest(self)

    def _upgrade(self, catalog_path: Path) -> None:
        """Replace an older version's catalog by a current one holding its reports; the
        BM25 index is rebuilt from it, and the rebuild drops the vectors no report owns."""
        with hold_index_lock(self.folder / "ingest.lock"):
            try:
                carry_over(catalog_path)
            except CatalogInUseError as e:
                raise IngestBusyError(str(e)) from e
            shutil.rmtree(self.folder / "bm25", ignore_errors=True)

    @property
    def vectors(self):
        """The Chroma collection (a ``VectorStore``), connected on first use: a no-change
        ingest never imports or opens Chroma."""
        with self._vectors_lock:
            if self._vectors is None:
                from retrieval.index.vector_store import VectorStore, connect

                client = connect(self.settings.chroma_url, self.folder / "chroma")
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

    def ingest(
        self, paths: list[Path] | None = None, *, rebuild: bool = False, progress: Progress | None = None
    ) -> IngestSummary:
        return self._ingest.ingest(paths, rebuild=rebuild, progress=progress)

    def remove(self, doc_ids: list[str]) -> list[ReportDetail]:
        return self._ingest.remove(doc_ids)

    def is_stale(self, paths: list[Path] | None = None) -> bool:
        return self._ingest.is_stale(paths)

    def dense(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        return self.search.dense(query, k, where)

    def bm25(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        return self.search.bm25(query, k, where)

    def hybrid(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        return self.search.hybrid(query, k, where)
