"""The compose step: report windows in, a draft of claims out, from the LLM when one is
configured and answers, else from the extractive composer."""

from __future__ import annotations

import logging

from retrieval.answer.compose.extractive import ExtractiveComposer
from retrieval.answer.compose.llm import LLMComposer
from retrieval.answer.draft import Draft
from retrieval.answer.windows import Reading

log = logging.getLogger(__name__)

SUMMARY_UNAVAILABLE = "The summary is unavailable right now (the language model did not answer); these are the matching passages."


class Compose:
    def __init__(self, extractive: ExtractiveComposer, llm: LLMComposer | None = None) -> None:
        self.extractive = extractive
        self.llm = llm

    def run(self, reading: Reading) -> Draft:
        if self.llm is None or not reading.windows:
            return self.extractive.run(reading)
        try:
            return self.llm.run(reading)
        except Exception as e:  # provider down, bad key, timeout: answer anyway
            log.warning("the language model failed (%s: %s); answering extractively", type(e).__name__, e)
            draft = self.extractive.run(reading)
            return Draft(draft.reading, draft.claims, draft.composer, (*draft.notes, SUMMARY_UNAVAILABLE), draft.declined)
