"""The engine: one object that indexes reports and answers questions about them.

The answer chain is LangChain Runnables: retrieve -> compose -> verify. With an LLM
configured, compose is prompt | chat model, and falls back to the extractive composer
when the model fails or times out. Rendering (Telegram HTML, JSON, terminal text) is
the caller's job.
"""

from __future__ import annotations

import concurrent.futures
import logging
import re
import time
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda

from retrieval.answers import Answer
from retrieval.catalog import ReportInfo
from retrieval.compose import ExtractiveComposer, condense_chain, llm_composer, make_chat_model
from retrieval.embeddings import embedder_id, make_embeddings
from retrieval.index import Hit, IngestSummary, ReportIndex, SearchFilter
from retrieval.retriever import HybridRetriever
from retrieval.settings import Settings
from retrieval.attribution import claimed_sources
from retrieval.verify import MARKER, Draft, best_quote, citation_for, looks_like_refusal, numbers_in, verify

log = logging.getLogger(__name__)

REFUSAL = "The reports I have don't answer that."
RELATED_SHOWN = 3
SUMMARY_UNAVAILABLE = "The summary is unavailable right now (the language model did not answer); these are the matching passages."
FIGURES_DIFFER = "The cited reports give different figures; each is shown with its source."
ONE_SOURCE = "This figure comes from one report ({source}); other reports may count differently."
SUMMARY_REJECTED = "The model's summary did not pass verification against the reports; these are the matching passages."


def cross_check_attributions(text: str, citations: list, documents: dict[str, str], verification) -> None:
    """The model names who makes each claim; we find it in the report ourselves. Where we
    found nobody and the model's source is in the cited report, take it; where the two
    differ, keep ours and record the disagreement."""
    for citation in citations:
        marker = f"[{citation.n}]"
        said = [
            name
            for sentence in text.split("\n")
            if marker in sentence
            for name in claimed_sources(MARKER.sub("", sentence))
        ]
        if not said:
            continue
        theirs = said[0]
        if citation.attributed_to is None and theirs in documents[citation.doc_id]:
            citation.attributed_to = theirs
        elif citation.attributed_to and not _same_source(theirs, citation.attributed_to):
            verification.attribution_disagreements.append(
                {"n": citation.n, "model": theirs, "report": citation.attributed_to}
            )


def _same_source(a: str, b: str) -> bool:
    a, b = a.casefold(), b.casefold()
    return a in b or b in a


def figure_notes(answer: Answer, question: str) -> list[str]:
    """Say when a figure rests on one outlet, or when the cited reports disagree."""
    if not re.search(r"\bhow (?:many|much)\b|\btoll\b|\bnumber of\b", question, re.I):
        return []
    figures = {c.doc_id: numbers_in(c.quote) for c in answer.citations}
    figures = {doc: found for doc, found in figures.items() if found}
    outlets = {c.source for c in answer.citations if c.doc_id in figures}
    if len(figures) >= 2 and len({frozenset(f) for f in figures.values()}) > 1:
        return [FIGURES_DIFFER]
    if len(figures) == 1 and len(outlets) == 1:
        return [ONE_SOURCE.format(source=next(iter(outlets)) or "one report")]
    return []


class Engine:
    def __init__(self, settings: Settings, chat_model: BaseChatModel | None = None, rebuild: bool = False) -> None:
        """chat_model overrides the model named by settings.llm (tests pass fakes);
        rebuild lets ``ingest(rebuild=True)`` replace an index built by another embedder."""
        self.settings = settings
        embeddings = make_embeddings(settings.embeddings)
        self.index = ReportIndex(settings, embeddings, embedder_id(settings.embeddings, embeddings), rebuild=rebuild)
        self.retriever = HybridRetriever(index=self.index, k=settings.top_k)
        self.extractive = ExtractiveComposer(
            self.index.lexical, embeddings if hasattr(embeddings, "embed_matrix") else None
        )
        self.chat_model = chat_model
        if chat_model is None and settings.llm != "extractive":
            self.chat_model = make_chat_model(
                settings.llm,
                settings.llm_base_url,
                settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
                settings.llm_timeout_seconds,
            )
        if self.chat_model is not None:
            self._llm_composer = llm_composer(self.chat_model)
            self._condense = condense_chain(self.chat_model)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="llm")
        self.chain = self._build_chain()

    # documents ----------------------------------------------------------------

    def ingest(self, paths: list[Path] | None = None, *, rebuild: bool = False, progress=None) -> IngestSummary:
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
        compose = RunnableLambda(self._compose, name="compose")
        check = RunnableLambda(self._verify, name="verify")
        return retrieve | compose | check

    def retrieval_query(self, question: str, previous: list[str]) -> str:
        """The question to search with: follow-ups are made standalone."""
        if not previous:
            return question
        if self.chat_model is not None:
            try:
                future = self._pool.submit(
                    self._condense.invoke,
                    {"history": "\n".join(previous[-3:]), "question": question},
                )
                condensed = future.result(timeout=self.settings.llm_timeout_seconds).strip()
                if condensed:
                    return condensed
            except Exception:
                log.warning("could not condense the follow-up with the LLM; combining questions", exc_info=True)
        return " ".join([*previous[-2:], question])

    def _retrieve(self, state: dict) -> dict:
        query = self.retrieval_query(state["question"], state.get("previous") or [])
        retriever = self.retriever
        if state.get("where") is not None:
            retriever = HybridRetriever(index=self.index, k=self.settings.top_k, where=state["where"])
        hits = retriever.hits(query)
        documents = {doc_id: self.index.catalog.report_text(doc_id) or "" for doc_id in {h.passage.doc_id for h in hits}}
        # A follow-up searches with the whole thread but answers what its latest question asks.
        focus = state["question"] if query != state["question"] else None
        return {**state, "query": query, "focus": focus, "hits": hits, "documents": documents}

    def _compose(self, state: dict) -> dict:
        inputs = {"question": state["query"], "hits": state["hits"], "documents": state["documents"]}
        notes: list[str] = []
        composer = "extractive"
        if self.chat_model is not None and state["hits"]:
            try:
                future = self._pool.submit(self._llm_composer.invoke, inputs)
                draft = future.result(timeout=self.settings.llm_timeout_seconds)
                composer = "llm"
            except Exception as e:  # provider down, bad key, timeout: answer anyway
                log.warning("LLM composer failed (%s: %s); answering extractively", type(e).__name__, e)
                draft = self.extractive.compose(**inputs, focus=state["focus"])
                notes.append(SUMMARY_UNAVAILABLE)
        else:
            draft = self.extractive.compose(**inputs, focus=state["focus"])
        return {**state, "draft": draft, "notes": notes, "composer": composer}

    def _verify(self, state: dict) -> Answer:
        draft: Draft = state["draft"]
        hits: list[Hit] = state["hits"]
        documents: dict[str, str] = state["documents"]
        text, citations, verification = verify(draft, hits, documents)
        refused = not citations or not text or looks_like_refusal(draft.text)
        if refused and state["composer"] == "llm" and not looks_like_refusal(draft.text):
            # The model answered but nothing it said survived verification: the passages
            # may still answer, so let the extractive composer try before refusing.
            fallback = self.extractive.compose(state["query"], hits, documents, focus=state["focus"])
            fallback_text, fallback_citations, _ = verify(fallback, hits, documents)
            if fallback_citations:
                text, citations, refused = fallback_text, fallback_citations, False
                state = {**state, "composer": "extractive", "notes": [*state["notes"], SUMMARY_REJECTED]}
        if not refused and state["composer"] == "llm":
            cross_check_attributions(text, citations, documents, verification)
        answer = Answer(
            question=state["question"],
            text=text,
            refused=refused,
            citations=citations,
            verification=verification,
            notes=state["notes"],
            composer=state["composer"],
            retrieval_query=state["query"] if state["query"] != state["question"] else None,
        )
        if not refused:
            answer.notes += figure_notes(answer, state["question"])
        if refused:
            answer.text = REFUSAL
            answer.citations = []
            answer.related = self._related(hits, documents, state["query"])
        if verification.dropped or verification.removed_markers or verification.attribution_disagreements:
            log.info(
                "verification removed markers %s, dropped %s, attribution disagreements %s",
                verification.removed_markers,
                [(d.text[:80], d.reason) for d in verification.dropped],
                verification.attribution_disagreements,
            )
        return answer

    def _related(self, hits: list[Hit], documents: dict[str, str], query: str) -> list:
        related, seen = [], set()
        for hit in hits:
            if hit.passage.doc_id in seen:
                continue
            seen.add(hit.passage.doc_id)
            document = documents[hit.passage.doc_id]
            related.append(citation_for(len(related) + 1, hit, document, best_quote(document, hit, query)))
            if len(related) >= RELATED_SHOWN:
                break
        return related

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
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.index.catalog.close()
