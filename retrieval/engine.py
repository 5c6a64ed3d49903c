"""The engine: wires the report index (``retrieval.index``) to the answer step
(``retrieval.answer``) as one LangChain chain, retrieve | compose | verify.

Rendering (Telegram HTML, JSON, terminal text) is the caller's job.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from retrieval.index.catalog import ReportInfo
from retrieval.index.embeddings import embedder_id, make_embeddings
from retrieval.index.report_index import IngestSummary, ReportIndex, SearchFilter, describe_filter
from retrieval.settings import Settings, provide_seeds

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from retrieval.answer.answerer import Answerer, Retrieved
    from retrieval.answer.types import Answer

log = logging.getLogger(__name__)



class Engine:
    def __init__(self, settings: Settings, chat_model: BaseChatModel | None = None, rebuild: bool = False) -> None:
        """chat_model overrides the model named by settings.llm (tests pass fakes);
        rebuild lets ``ingest(rebuild=True)`` replace an index built by another embedder.
        The answer step is built on the first question: indexing never loads it."""
        self.settings = settings
        self.embeddings = make_embeddings(settings.embeddings)
        self.index = ReportIndex(
            settings, self.embeddings, embedder_id(settings.embeddings, self.embeddings), rebuild=rebuild
        )
        self._chat_model = chat_model
        self._answerer: Answerer | None = None
        self._chain: Runnable | None = None
        self._build_lock = threading.Lock()

    @property
    def chat_model(self) -> BaseChatModel | None:
        return self.answerer.chat_model

    @property
    def answerer(self) -> Answerer:
        with self._build_lock:
            if self._answerer is None:
                self._answerer = self._build_answerer()
            return self._answerer

    def _build_answerer(self) -> Answerer:
        from retrieval.answer.answerer import Answerer
        from retrieval.answer.extractive import ExtractiveComposer
        from retrieval.answer.llm import make_chat_model
        from retrieval.answer.verify import Verifier
        from retrieval.answer.vocabulary import Vocabulary, share_from_idf

        settings, chat_model = self.settings, self._chat_model
        if chat_model is None and settings.llm != "extractive":
            chat_model = make_chat_model(
                settings.llm,
                settings.llm_base_url,
                settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
                settings.llm_timeout_seconds,
            )
        vocabulary = Vocabulary(
            self.index.catalog.word_counts, share_from_idf(self.index.lexical.idf), self.index.lexical.count
        )
        embed_phrases = getattr(self.embeddings, "embed_matrix", None)
        extractive = ExtractiveComposer(self.index.lexical.idf, vocabulary, embed_phrases)
        verifier = Verifier(vocabulary, extractive.attribution)
        return Answerer(extractive, verifier, chat_model, settings.llm_timeout_seconds)

    # documents ----------------------------------------------------------------

    def ingest(self, paths: list[Path] | None = None, *, rebuild: bool = False, progress=None) -> IngestSummary:
        """Index files and folders; by default the documents folder (a fresh install's
        default folder is first filled with the seed documents)."""
        if not paths:
            provide_seeds(self.settings.documents_dir)
        return self.index.ingest(paths, rebuild=rebuild, progress=progress)

    def is_stale(self) -> bool:
        return self.index.is_stale()

    def reports(self, where: SearchFilter | None = None) -> list[ReportInfo]:
        """The indexed reports, newest first; with where, only those it lets through."""
        reports = self.index.catalog.reports()
        if where is None or where.empty:
            return reports
        allowed = set(self.index.catalog.filtered(where.source, where.published_from, where.published_to, where.include_undated))
        return [r for r in reports if r.doc_id in allowed]

    def reports_matching(self, text: str) -> tuple[list[ReportInfo], str | None]:
        """The reports a filter typed as text lets through ("source:Reuters since:2016-10-01",
        "in October 2016"), and the filter said in words (None: no filter, every report)."""
        from retrieval.answer.filters import read_filters

        asked = read_filters(text)
        return self.reports(asked.where), asked.description

    def stats(self) -> dict:
        return self.index.catalog.counts()

    # answers ------------------------------------------------------------------

    @property
    def chain(self) -> Runnable:
        """retrieve | compose | verify, as LangChain Runnables."""
        if self._chain is None:
            from langchain_core.runnables import RunnableLambda

            retrieve = RunnableLambda(self._retrieve, name="retrieve")
            compose = RunnableLambda(self.answerer.compose, name="compose")
            verify = RunnableLambda(self.answerer.verify, name="verify")
            self._chain = retrieve | compose | verify
        return self._chain

    def retriever(self, where: SearchFilter | None = None):
        """Hybrid search as a LangChain retriever."""
        from retrieval.index.retriever import HybridRetriever

        return HybridRetriever(index=self.index, k=self.settings.top_k, where=where)

    def _retrieve(self, request: dict) -> Retrieved:
        query = self.answerer.retrieval_query(request["question"], request["previous"])
        return self.retrieve(request["question"], request["where"], search=query)

    def retrieve(self, question: str, where: SearchFilter | None = None, search: str | None = None) -> Retrieved:
        """The question read, and the report windows a composer would read for it."""
        from retrieval.answer.answerer import Retrieved
        from retrieval.answer.question import read_question

        from retrieval.answer.figures import FIGURE_REPORTS_FACTOR, asks_for_figures

        search = search or question
        read = read_question(question, search)
        hits = self.index.hybrid(search, self.settings.candidates_per_retriever, where)
        vector = self._query_vector(search)
        if asks_for_figures(read):
            # Every outlet's figure is the answer, and a republished copy may update one.
            windows = self.windows(hits, vector, fold_copies=False, reports=FIGURE_REPORTS_FACTOR * self.settings.top_k)
        else:
            windows = self.windows(hits, vector)
        return Retrieved(read, windows, vector)

    def windows(self, hits: list, question_vector=None, fold_copies: bool = True, reports: int | None = None) -> list:
        """The report windows the composer reads for ranked passages (``answer.windows``)."""
        from retrieval.answer.windows import Copy, build_windows, rank_reports

        catalog = self.index.catalog
        doc_ids = list(dict.fromkeys(h.passage.doc_id for h in hits))
        roots = catalog.copy_roots(doc_ids)
        groups = catalog.copies_of(sorted(set(roots.values())))
        copies = {root: [Copy(*member) for member in members] for root, members in groups.items()}
        stored = catalog.stored_reports(doc_ids)
        ranking = rank_reports(hits, stored, question_vector)
        return build_windows(
            hits, stored, ranking, roots, copies, reports or self.settings.top_k, self.settings.context_tokens, fold_copies
        )

    def _query_vector(self, query: str):
        import numpy as np

        try:  # the search embedded the same query a moment ago: embed_query is cached
            return np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        except Exception:  # a hosted embedder that is down: rank by terms alone
            log.warning("could not embed the question; ranking spans by their terms only", exc_info=True)
            return None

    def ask(
        self,
        question: str,
        previous: list[str] | None = None,
        where: SearchFilter | None = None,
        *,
        progress: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer one question; previous holds earlier questions of a follow-up thread;
        where (the command line's --source/--since/--until) overrides filters the
        question carries ("source:Reuters", "in October 2016"); progress, if given, is
        called with what is being done ("Searching 985 reports…", "Reading 8 reports…")."""
        from retrieval.answer.filters import read_filters
        from retrieval.progress import StageProgress

        started = time.perf_counter()
        asked = read_filters(question.strip())
        applied = where if where is not None and not where.empty else asked.where
        config = {"callbacks": [StageProgress(progress, self.stats()["reports"])]} if progress else None
        answer = self.chain.invoke({"question": asked.question, "previous": previous or [], "where": applied}, config)
        if applied is not None and not applied.empty:
            answer.filters = describe_filter(applied) if applied is where else asked.description
            answer.notes.insert(0, f"Searched {answer.filters}.")
            if answer.refused and applied.include_undated:
                # A date in words, and no report of that period answers: reports are often
                # dated by when they were filed or annotated, not by the event. Look further,
                # and say so.
                wider = self.chain.invoke({"question": asked.question, "previous": previous or [], "where": None}, config)
                if not wider.refused:
                    wider.notes.insert(0, f"No {answer.filters} answers this; these reports are from other dates.")
                    answer = wider
        log.info(
            "answered in %.0f ms: refused=%s citations=%s composer=%s",
            (time.perf_counter() - started) * 1000,
            answer.refused,
            [c.doc_id for c in answer.citations],
            answer.composer,
        )
        return answer

    def close(self) -> None:
        if self._answerer is not None:
            self._answerer.close()
        self.index.catalog.close()
