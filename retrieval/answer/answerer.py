"""Answer policy: from the retrieved passages to a verified ``Answer``.

compose: with an LLM configured, prompt | chat model, falling back to the extractive
composer when the model fails or times out; otherwise the extractive composer.
verify: the draft is checked against the passages it cites; when nothing the model wrote
survives, the extractive composer gets its turn before the answer becomes a refusal.
Each step takes a dataclass and returns one.
"""

from __future__ import annotations

import concurrent.futures
import logging
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from retrieval.answer.extractive import ExtractiveComposer
from retrieval.answer.figures import figure_notes
from retrieval.answer.llm import condense_chain, llm_composer
from retrieval.answer.types import Answer, Citation, Draft
from retrieval.answer.verify import best_quote, citation_for, cross_check_attributions, looks_like_refusal, verify
from retrieval.index.report_index import Hit

log = logging.getLogger(__name__)

REFUSAL = "The reports I have don't answer that."
RELATED_SHOWN = 3
SUMMARY_UNAVAILABLE = "The summary is unavailable right now (the language model did not answer); these are the matching passages."
SUMMARY_REJECTED = "The model's summary did not pass verification against the reports; these are the matching passages."


@dataclass(frozen=True)
class Retrieved:
    """A question and what the search found for it."""

    question: str  # as asked
    query: str  # what was searched: a follow-up made standalone
    hits: list[Hit]
    documents: dict[str, str]  # doc_id -> stored text of every report a hit comes from

    @property
    def focus(self) -> str | None:
        """A follow-up searches with the whole thread but answers what its latest question asks."""
        return self.question if self.query != self.question else None


@dataclass(frozen=True)
class Composed:
    """A draft answer and how it was made."""

    retrieved: Retrieved
    draft: Draft
    composer: str  # "llm" or "extractive"
    notes: list[str] = field(default_factory=list)


class Answerer:
    def __init__(self, extractive: ExtractiveComposer, chat_model: BaseChatModel | None, timeout_seconds: float) -> None:
        self.extractive = extractive
        self.chat_model = chat_model
        self.timeout_seconds = timeout_seconds
        if chat_model is not None:
            self._llm_composer = llm_composer(chat_model)
            self._condense = condense_chain(chat_model)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="llm")

    def retrieval_query(self, question: str, previous: list[str]) -> str:
        """The question to search with: follow-ups are made standalone."""
        if not previous:
            return question
        if self.chat_model is not None:
            try:
                future = self._pool.submit(
                    self._condense.invoke, {"history": "\n".join(previous[-3:]), "question": question}
                )
                condensed = future.result(timeout=self.timeout_seconds).strip()
                if condensed:
                    return condensed
            except Exception:
                log.warning("could not condense the follow-up with the LLM; combining questions", exc_info=True)
        return " ".join([*previous[-2:], question])

    def _extractive_draft(self, retrieved: Retrieved) -> Draft:
        return self.extractive.compose(retrieved.query, retrieved.hits, retrieved.documents, focus=retrieved.focus)

    def compose(self, retrieved: Retrieved) -> Composed:
        if self.chat_model is None or not retrieved.hits:
            return Composed(retrieved, self._extractive_draft(retrieved), "extractive")
        inputs = {"question": retrieved.query, "hits": retrieved.hits}
        try:
            future = self._pool.submit(self._llm_composer.invoke, inputs)
            return Composed(retrieved, future.result(timeout=self.timeout_seconds), "llm")
        except Exception as e:  # provider down, bad key, timeout: answer anyway
            log.warning("LLM composer failed (%s: %s); answering extractively", type(e).__name__, e)
            return Composed(retrieved, self._extractive_draft(retrieved), "extractive", [SUMMARY_UNAVAILABLE])

    def verify(self, composed: Composed) -> Answer:
        retrieved = composed.retrieved
        hits, documents = retrieved.hits, retrieved.documents
        composer, notes = composed.composer, list(composed.notes)
        text, citations, verification = verify(composed.draft, hits, documents)
        refused = not citations or not text or looks_like_refusal(composed.draft.text)
        if refused and composer == "llm" and not looks_like_refusal(composed.draft.text):
            # The model answered but nothing it said survived verification: the passages
            # may still answer, so let the extractive composer try before refusing.
            fallback_text, fallback_citations, _ = verify(self._extractive_draft(retrieved), hits, documents)
            if fallback_citations:
                text, citations, refused = fallback_text, fallback_citations, False
                composer, notes = "extractive", [*notes, SUMMARY_REJECTED]
        if not refused and composer == "llm":
            cross_check_attributions(text, citations, documents, verification)
        answer = Answer(
            question=retrieved.question,
            text=text,
            refused=refused,
            citations=citations,
            verification=verification,
            notes=notes,
            composer=composer,
            retrieval_query=retrieved.query if retrieved.query != retrieved.question else None,
        )
        if refused:
            answer.text = REFUSAL
            answer.citations = []
            answer.related = related_passages(hits, documents, retrieved.query)
        else:
            answer.notes += figure_notes(answer, retrieved.question)
        if verification.dropped or verification.removed_markers or verification.attribution_disagreements:
            log.info(
                "verification removed markers %s, dropped %s, attribution disagreements %s",
                verification.removed_markers,
                [(d.text[:80], d.reason) for d in verification.dropped],
                verification.attribution_disagreements,
            )
        return answer

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def related_passages(hits: list[Hit], documents: dict[str, str], query: str) -> list[Citation]:
    """The closest passage of each of the first few reports, shown with a refusal."""
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
