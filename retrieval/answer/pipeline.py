"""The answer step as a pipeline of small, stateless steps, each taking a dataclass and
returning one (in the manner of Haystack components):

    Asked ─ QuestionReader ─ Question ─ Retrieve ─ Retrieved ─ Windows ─ Reading
          ─ Compose ─ Draft ─ Verify ─ Verified ─ Shape ─ Answer

and its two branches, explicit here rather than hidden in a step:
- nothing the model said survived verification: the extractive composer answers from
  the same reading, and the answer says so;
- a date in words found nothing: the search runs again without the dates, and the
  answer says the reports are from other dates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from retrieval.answer.compose import Compose
from retrieval.answer.compose.extractive import ExtractiveComposer
from retrieval.answer.filters import widened
from retrieval.answer.question import Question
from retrieval.answer.reader import Asked, QuestionReader
from retrieval.answer.retrieve import Retrieve
from retrieval.answer.shape import Shape
from retrieval.answer.types import Answer
from retrieval.answer.verify import Verified, Verify
from retrieval.answer.windows import Reading, Windows

log = logging.getLogger(__name__)

Progress = Callable[[str], None]  # what the pipeline is doing, in words ("Reading 8 reports…")
SUMMARY_REJECTED = "The model's answer did not pass verification against the reports; these are the matching passages."
OTHER_DATES = "No {filters} answers this; these reports are from other dates."


def _quiet(_: str) -> None:
    pass


def without_dates(question: Question) -> Question:
    """The question asked again of reports published at any date: its filter without the
    dates. The dates still pin the incident: a report filed later must name them."""
    return replace(question, filters=widened(question.filters))


class AnswerPipeline:
    def __init__(
        self,
        reader: QuestionReader,
        retrieve: Retrieve,
        windows: Windows,
        compose: Compose,
        extractive: ExtractiveComposer,
        verify: Verify,
        shape: Shape,
        collection_size: Callable[[], int],
    ) -> None:
        self.reader = reader
        self.retrieve = retrieve
        self.windows = windows
        self.compose = compose
        self.extractive = extractive
        self.verify = verify
        self.shape = shape
        self.collection_size = collection_size

    def read(self, asked: Asked) -> Question:
        return self.reader.run(asked)

    def reading(self, question: Question) -> Reading:
        return self.windows.run(self.retrieve.run(question))

    def run(self, asked: Asked, progress: Progress | None = None) -> Answer:
        progress = progress or _quiet
        started = time.perf_counter()
        question = self.read(asked)
        answer = self._answer(question, progress)
        if answer.refused and question.filters.from_words:
            wider = self._answer(without_dates(question), progress)
            if not wider.refused:
                wider.notes.insert(0, OTHER_DATES.format(filters=question.filters.description))
                answer = wider
        log.info(
            "answered in %.0f ms: refused=%s citations=%s composer=%s",
            (time.perf_counter() - started) * 1000,
            answer.refused,
            [c.doc_id for c in answer.citations],
            answer.composer,
        )
        return answer

    def _answer(self, question: Question, progress: Progress) -> Answer:
        progress(f"Searching {self._searched(question)}…")
        reading = self.reading(question)
        progress(f"Reading {len(reading.windows)} {'report' if len(reading.windows) == 1 else 'reports'}…")
        draft = self.compose.run(reading)
        if draft.claims:
            progress(f"Checking {len(draft.claims)} {'claim' if len(draft.claims) == 1 else 'claims'}…")
        verified = self.verify.run(draft)
        if verified.refused and draft.composer == "llm" and not draft.declined:
            verified = self._extractive_instead(reading, verified)
        return self.shape.run(verified)

    def _extractive_instead(self, reading: Reading, rejected: Verified) -> Verified:
        """Nothing the model said survived: the reports may still answer, so the
        extractive composer tries, and its answer says why it is shown."""
        fallback = self.verify.run(self.extractive.run(reading))
        if fallback.refused:
            return rejected
        draft = replace(fallback.draft, notes=(*rejected.draft.notes, SUMMARY_REJECTED))
        verification = replace(fallback.verification, dropped=rejected.verification.dropped + fallback.verification.dropped)
        return Verified(draft, fallback.claims, verification)

    def _searched(self, question: Question) -> str:
        if question.filters.empty:
            count = self.collection_size()
            return f"{count} {'report' if count == 1 else 'reports'}"
        return question.filters.description or "the reports"
