"""Notes on the figures of a count answer: whether it rests on one outlet, or whether the
cited reports disagree."""

from __future__ import annotations

import re

from retrieval.answer.types import Answer
from retrieval.answer.verify import numbers_in

FIGURES_DIFFER = "The cited reports give different figures; each is shown with its source."
ONE_SOURCE = "This figure comes from one report ({source}); other reports may count differently."
_ASKS_FIGURE = re.compile(r"\bhow (?:many|much)\b|\btoll\b|\bnumber of\b", re.I)


def figure_notes(answer: Answer, question: str) -> list[str]:
    """Say when a figure rests on one outlet, or when the cited reports disagree."""
    if not _ASKS_FIGURE.search(question):
        return []
    figures = {c.doc_id: numbers_in(c.quote) for c in answer.citations}
    figures = {doc: found for doc, found in figures.items() if found}
    outlets = {c.source for c in answer.citations if c.doc_id in figures}
    if len(figures) >= 2 and len({frozenset(f) for f in figures.values()}) > 1:
        return [FIGURES_DIFFER]
    if len(figures) == 1 and len(outlets) == 1:
        return [ONE_SOURCE.format(source=next(iter(outlets)) or "one report")]
    return []
