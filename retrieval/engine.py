"""The engine: wires the report index (``retrieval.index``) to the answer pipeline
(``retrieval.answer.pipeline``). It decides nothing about answers itself.

Rendering (Telegram HTML, JSON, terminal text) is the caller's job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.index.catalog import ReportDetail, ReportInfo, UnknownReportError
from retrieval.index.embeddings import embedder_id, make_embeddings
from retrieval.index.ingest import IngestSummary
from retrieval.index.report_index import ReportIndex
from retrieval.index.search import SearchFilter
from retrieval.settings import Settings, provide_seeds

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from retrieval.answer.pipeline import AnswerPipeline
    from retrieval.answer.types import Answer
    from retrieval.answer.windows import Reading

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, settings: Settings, chat_model: BaseChatModel | None = None, rebuild: bool = False) -> None:
        """chat_model overrides the model named by settings.llm (tests pass fakes);
        rebuild lets ``ingest(rebuild=True)`` replace an index built by another embedder.
        The answer pipeline is built on the first question: indexing never loads it."""
        self.settings = settings
        self.embeddings = make_embeddings(settings.embeddings)
        self.index = ReportIndex(
            settings, self.embeddings, embedder_id(settings.embeddings, self.embeddings), rebuild=rebuild
        )
        self._chat_model = chat_model
        self._pipeline: AnswerPipeline | None = None
        self._build_lock = threading.Lock()

    @property
    def pipeline(self) -> AnswerPipeline:
        with self._build_lock:
            if self._pipeline is None:
                self._pipeline = self._build_pipeline()
            return self._pipeline

    @property
    def chat_model(self) -> BaseChatModel | None:
        llm = self.pipeline.compose.llm
        return llm.model if llm is not None else None

    def _build_pipeline(self) -> AnswerPipeline:
        from retrieval.answer.attribution import Attribution
        from retrieval.answer.collection import Collection
        from retrieval.answer.compose import Compose
        from retrieval.answer.compose.extractive import ExtractiveComposer
        from retrieval.answer.compose.llm import LLMComposer, make_chat_model
        from retrieval.answer.incident import IncidentScope
        from retrieval.answer.kinds import KindCheck
        from retrieval.answer.pipeline import AnswerPipeline
        from retrieval.answer.reader import QuestionReader
        from retrieval.answer.retrieve import Retrieve
        from retrieval.answer.shape import Shape
        from retrieval.answer.verify import Verify
        from retrieval.answer.windows import Windows

        settings, chat_model = self.settings, self._chat_model
        if chat_model is None and settings.llm != "extractive":
            chat_model = make_chat_model(
                settings.llm,
                settings.llm_base_url,
                settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
                settings.llm_timeout_seconds,
            )
        catalog = self.index.catalog
        collection = Collection(catalog, self.index.lexical)
        attribution = Attribution(collection)
        incidents = IncidentScope(collection)
        extractive = ExtractiveComposer(collection, attribution, KindCheck(collection, attribution), incidents)
        return AnswerPipeline(
            reader=QuestionReader(collection),
            retrieve=Retrieve(self.index, self.embeddings, settings.candidates_per_retriever),
            windows=Windows(catalog, settings.top_k, settings.context_tokens),
            compose=Compose(extractive, LLMComposer(chat_model) if chat_model is not None else None),
            extractive=extractive,
            verify=Verify(collection, attribution),
            shape=Shape(incidents),
            collection_size=lambda: catalog.counts().reports,
        )

    # documents ----------------------------------------------------------------

    def ingest(self, paths: list[Path] | None = None, *, rebuild: bool = False, progress=None) -> IngestSummary:
        """Index files and folders; by default the documents folder (a fresh install's
        default folder is first filled with the seed documents)."""
        if not paths:
            provide_seeds(self.settings.documents_dir)
        return self.index.ingest(paths, rebuild=rebuild, progress=progress)

    def is_stale(self) -> bool:
        return self.index.is_stale()

    def report(self, doc_id: str) -> ReportDetail:
        """One indexed report: its metadata, origin file, copies and full stored text.
        UnknownReportError if the index holds no report with that id."""
        detail = self.index.catalog.reports.detail(doc_id)
        if detail is None:
            raise UnknownReportError([doc_id])
        return detail

    def remove(self, doc_ids: list[str]) -> list[ReportDetail]:
        """Take reports out of the index; a later ingest leaves each out until it is
        edited in its file. UnknownReportError (nothing removed) if an id is not indexed,
        IngestBusyError while an ingest runs."""
        return self.index.remove(doc_ids)

    def reports(self, where: SearchFilter | None = None) -> list[ReportInfo]:
        """The indexed reports, newest first; with where, only those it lets through."""
        reports = self.index.catalog.reports.listing()
        if where is None or where.empty:
            return reports
        allowed = set(self.index.search.allowed_docs(where) or [])
        return [r for r in reports if r.doc_id in allowed]

    def reports_matching(self, text: str) -> tuple[list[ReportInfo], str | None]:
        """The reports a filter typed as text lets through ("source:Reuters since:2016-10-01",
        "in October 2016"), and the filter said in words (None: no filter, every report)."""
        from retrieval.answer.filters import read_filters

        _, filters = read_filters(text, self.index.catalog.reports.outlets())
        return self.reports(filters.where), filters.description

    def stats(self) -> dict:
        """The catalog's counts (``CatalogCounts``) as a dict, as the bot and --json show them."""
        return self.index.catalog.counts().to_json()

    # answers ------------------------------------------------------------------

    def retriever(self, where: SearchFilter | None = None):
        """Hybrid search as a LangChain retriever."""
        from retrieval.index.retriever import HybridRetriever

        return HybridRetriever(index=self.index, k=self.settings.top_k, where=where)

    def retrieve(self, question: str, where: SearchFilter | None = None) -> Reading:
        """The question read, and the report windows a composer would read for it."""
        from retrieval.answer.reader import Asked

        return self.pipeline.reading(self.pipeline.read(Asked(question, where=where)))

    def ask(
        self,
        question: str,
        previous: list[str] | None = None,
        where: SearchFilter | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer one question; previous holds earlier questions of a follow-up thread;
        where (the command line's --source/--since/--until) overrides filters the
        question carries ("source:Reuters", "in October 2016"); progress is told what is
        being done, in words ("Reading 8 reports…")."""
        from retrieval.answer.reader import Asked

        return self.pipeline.run(Asked(question, tuple(previous or ()), where), progress)

    def close(self) -> None:
        self.index.catalog.close()
