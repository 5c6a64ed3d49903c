"""Answer policy: from the report windows a search found to a verified ``Answer``.

compose: with an LLM configured, prompt | chat model, falling back to the extractive
composer when the model fails or times out; otherwise the extractive composer.
verify: the draft is checked against the windows it cites; when nothing the model wrote
survives, the extractive composer gets its turn before the answer becomes a refusal.
Each step takes a dataclass and returns one.
"""

from __future__ import annotations

import concurrent.futures
import logging
from dataclasses import dataclass, field

import numpy as np
from langchain_core.language_models import BaseChatModel

from retrieval.answer.extractive import ExtractiveComposer
from retrieval.answer.figures import asks_for_figures, figure_notes, figures_of, summary_line
from retrieval.answer.timeline import Event, asks_for_timeline, date_of, order
from retrieval.answer.llm import condense_chain, llm_composer
from retrieval.answer.question import Question
from retrieval.answer.types import Answer, Citation, Draft, Verification
from retrieval.answer.verify import Verifier, best_quote, looks_like_refusal
from retrieval.answer.windows import Window

log = logging.getLogger(__name__)

REFUSAL = "The reports I have don't answer that."
RELATED_SHOWN = 3
SUMMARY_UNAVAILABLE = "The summary is unavailable right now (the language model did not answer); these are the matching passages."
SUMMARY_REJECTED = "The model's summary did not pass verification against the reports; these are the matching passages."


@dataclass(frozen=True)
class Retrieved:
    """A question and the report windows the search found for it."""

    question: Question
    windows: list[Window]
    question_vector: np.ndarray | None  # the question's embedding, as the search made it


@dataclass(frozen=True)
class Composed:
    """A draft answer and how it was made."""

    retrieved: Retrieved
    draft: Draft
    composer: str  # "llm" or "extractive"
    notes: list[str] = field(default_factory=list)


class Answerer:
    def __init__(
        self, extractive: ExtractiveComposer, verifier: Verifier, chat_model: BaseChatModel | None, timeout_seconds: float
    ) -> None:
        self.extractive = extractive
        self.verifier = verifier
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
        return self.extractive.compose(retrieved.question, retrieved.windows, retrieved.question_vector)

    def compose(self, retrieved: Retrieved) -> Composed:
        if self.chat_model is None or not retrieved.windows:
            return Composed(retrieved, self._extractive_draft(retrieved), "extractive")
        inputs = {"question": retrieved.question.search, "windows": retrieved.windows}
        try:
            future = self._pool.submit(self._llm_composer.invoke, inputs)
            return Composed(retrieved, future.result(timeout=self.timeout_seconds), "llm")
        except Exception as e:  # provider down, bad key, timeout: answer anyway
            log.warning("LLM composer failed (%s: %s); answering extractively", type(e).__name__, e)
            return Composed(retrieved, self._extractive_draft(retrieved), "extractive", [SUMMARY_UNAVAILABLE])

    def verify(self, composed: Composed) -> Answer:
        retrieved = composed.retrieved
        windows, question = retrieved.windows, retrieved.question
        composer, notes = composed.composer, list(composed.notes)
        declined = looks_like_refusal(composed.draft.text)  # "The reports do not say."
        text, citations, verification = ("", [], Verification()) if declined else self.verifier.verify(composed.draft, windows)
        refused = declined or not citations or not text
        if refused and composer == "llm" and not declined:
            # The model answered but nothing it said survived verification: the reports
            # may still answer, so let the extractive composer try before refusing.
            fallback_text, fallback_citations, _ = self.verifier.verify(self._extractive_draft(retrieved), windows)
            if fallback_citations:
                text, citations, refused = fallback_text, fallback_citations, False
                composer, notes = "extractive", [*notes, SUMMARY_REJECTED]
        if not refused and composer == "llm":
            self.verifier.cross_check_attributions(text, citations, windows, verification)
        answer = Answer(
            question=question.text,
            text=text,
            refused=refused,
            citations=citations,
            verification=verification,
            notes=notes,
            composer=composer,
            retrieval_query=question.search if question.is_follow_up else None,
        )
        if refused:
            answer.text = REFUSAL
            answer.citations = []
            answer.related = self.related_passages(windows, question.search)
        else:
            self._shape(answer, composed.draft if composer == composed.composer else None, question, windows)
        if verification.dropped or verification.removed_markers or verification.attribution_disagreements:
            log.info(
                "verification removed markers %s, dropped %s, attribution disagreements %s",
                verification.removed_markers,
                [(d.text[:80], d.reason) for d in verification.dropped],
                verification.attribution_disagreements,
            )
        return answer

    def _shape(self, answer: Answer, draft: Draft | None, question: Question, windows: list[Window]) -> None:
        """Figures by source and their summary, or a timeline's dated events, from what
        verification kept; or a note on how far a figure can be trusted."""
        if asks_for_timeline(question):
            by_n = {w.n: w for w in windows}
            renumbered = {(c.doc_id): c.n for c in answer.citations}
            for n, span in draft.events if draft is not None else []:
                window = by_n[n]
                if " ".join(span.text.split()) not in answer.text or window.doc_id not in renumbered:
                    continue  # verification took it out
                date, dated_by = date_of(span.text, window.report.published)
                answer.events.append(Event(renumbered[window.doc_id], date, dated_by, span.text))
            answer.events = order(answer.events)
            if not answer.events:  # what a model wrote: each citation's quote is an event
                answer.events = order(
                    [Event(c.n, *date_of(c.quote, c.published), c.quote) for c in answer.citations]
                )
            return
        if asks_for_figures(question):
            figures = figures_of(answer, question)
            if len(figures) >= 2:  # one report's figure is just the answer
                answer.figures = figures
                answer.summary = summary_line(figures, question)
        if answer.summary is None:
            answer.notes += figure_notes(answer, question.text)

    def related_passages(self, windows: list[Window], query: str) -> list[Citation]:
        """The closest span of each of the first few windows, shown with a refusal."""
        return [self.verifier.citation_for(i, w, best_quote(w, query)) for i, w in enumerate(windows[:RELATED_SHOWN], start=1)]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
