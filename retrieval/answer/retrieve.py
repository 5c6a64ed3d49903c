"""The second step: the question's search, hybrid (dense and BM25 fused), within the
reports its filter lets through, and what that filter left."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.answer.question import Question
from retrieval.index.report_index import ReportIndex
from retrieval.index.search import Hit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FilterEffect:
    """What a filter did: how many reports it left, and the undated reports it kept (a
    date in words) or dropped (an explicit date)."""

    reports_left: int
    undated_kept: int
    undated_dropped: int


@dataclass(frozen=True)
class Retrieved:
    question: Question
    hits: tuple[Hit, ...]
    question_vector: np.ndarray | None  # the search's embedding of the question
    effect: FilterEffect | None  # None: no filter


class Retrieve:
    def __init__(self, index: ReportIndex, embeddings: Embeddings, candidates: int) -> None:
        self.index = index
        self.embeddings = embeddings
        self.candidates = candidates

    def run(self, question: Question) -> Retrieved:
        where = question.filters.where
        effect = None
        if where is not None and not where.empty:
            allowed = self.index.search.allowed_docs(where) or []
            reports = self.index.catalog.reports
            dated_range = bool(where.published_from or where.published_to)
            effect = FilterEffect(
                reports_left=len(allowed),
                undated_kept=reports.undated(allowed) if dated_range and where.include_undated else 0,
                undated_dropped=(
                    reports.undated(reports.filtered(where.source, None, None) if where.source else None)
                    if dated_range and not where.include_undated
                    else 0
                ),
            )
            if not allowed:
                return Retrieved(question, (), None, effect)
        hits = self.index.hybrid(question.search, self.candidates, where)
        return Retrieved(question, tuple(hits), self._vector(question.search), effect)

    def _vector(self, query: str) -> np.ndarray | None:
        try:  # the search embedded the same query a moment ago: embed_query is cached
            return np.asarray(self.embeddings.embed_query(query), dtype=np.float32)
        except Exception:  # a hosted embedder that is down: rank by terms alone
            log.warning("could not embed the question; ranking spans by their terms only", exc_info=True)
            return None
