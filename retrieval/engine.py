"""The engine: wires the report index (``retrieval.index``) to the answer step
(``retrieval.answer``) as one LangChain chain, retrieve | compose | verify.

Rendering (Telegram HTML, JSON, terminal text) is the caller's job.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from retrieval.answer.answerer import Answerer, Retrieved
from retrieval.answer.extractive import ExtractiveComposer
from retrieval.answer.llm import make_chat_model
from retrieval.answer.types import Answer
from retrieval.index.catalog import ReportInfo
from retrieval.index.embeddings import embedder_id, make_embeddings
from retrieval.index.report_index import IngestSummary, ReportIndex, SearchFilter
from retrieval.index.retriever import HybridRetriever
from retrieval.settings import Settings, provide_seeds

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, settings: Settings, chat_model: BaseChatModel | None = None, rebuild: bool = False) -> None:
        """chat_model overrides the model named by settings.llm (tests pass fakes);
        rebuild lets ``ingest(rebuild=True)`` replace an index built by another embedder."""
        self.settings = settings
        embeddings = make_embeddings(settings.embeddings)
        self.index = ReportIndex(settings, embeddings, embedder_id(settings.embeddings, embeddings), rebuild=rebuild)
        self.retriever = HybridRetriever(index=self.index, k=settings.top_k)
        if chat_model is None and settings.llm != "extractive":
            chat_model = make_chat_model(
                settings.llm,
                settings.llm_base_url,
                settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
                settings.llm_timeout_seconds,
            )
        self.chat_model = chat_model
        extractive = ExtractiveComposer(
            self.index.lexical.idf, embeddings if hasattr(embeddings, "embed_matrix") else None
        )
        self.answerer = Answerer(extractive, chat_model, settings.llm_timeout_seconds)
        self.chain = self._build_chain()

    # documents ----------------------------------------------------------------

    def ingest(self, paths: list[Path] | None = None, *, rebuild: bool = False, progress=None) -> IngestSummary:
        """Index files and folders; by default the documents folder (a fresh install's
        default folder is first filled with the seed documents)."""
        if not paths:
            provide_seeds(self.settings.documents_dir)
        return self.index.ingest(paths, rebuild=rebuild, progress=progress)

    def is_stale(self) -> bool:
        return self.index.is_stale()

    def reports(self) -> list[ReportInfo]:
        return self.index.catalog.reports()

    def stats(self) -> dict:
        return self.index.catalog.counts()

    # answers ------------------------------------------------------------------

    def _build_chain(self) -> Runnable:
        retrieve = RunnableLambda(self._retrieve, name="retrieve")
        compose = RunnableLambda(self.answerer.compose, name="compose")
        verify = RunnableLambda(self.answerer.verify, name="verify")
        return retrieve | compose | verify

    def _retrieve(self, request: dict) -> Retrieved:
        query = self.answerer.retrieval_query(request["question"], request["previous"])
        retriever = self.retriever
        if request["where"] is not None:
            retriever = HybridRetriever(index=self.index, k=self.settings.top_k, where=request["where"])
        hits = retriever.hits(query)
        documents = {doc_id: self.index.catalog.report_text(doc_id) or "" for doc_id in {h.passage.doc_id for h in hits}}
        return Retrieved(request["question"], query, hits, documents)

    def ask(self, question: str, previous: list[str] | None = None, where: SearchFilter | None = None) -> Answer:
        """Answer one question; previous holds earlier questions of a follow-up thread."""
        started = time.perf_counter()
        answer = self.chain.invoke({"question": question.strip(), "previous": previous or [], "where": where})
        log.info(
            "answered in %.0f ms: refused=%s citations=%s composer=%s",
            (time.perf_counter() - started) * 1000,
            answer.refused,
            [c.doc_id for c in answer.citations],
            answer.composer,
        )
        return answer

    def close(self) -> None:
        self.answerer.close()
        self.index.catalog.close()
