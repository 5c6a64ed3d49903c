"""Report windows: retrieve small, read big.

Search ranks 128-token passages because they are precise, but the answer is often in
the next one. What the composers (extractive or LLM) read is, for each of the best
reports in rank order, a window of that report: its hit passages grown to whole
sentences together with their neighbours, merged where they touch, or the whole report
when it is short. One window per report, numbered [1]..[n]; syndicated copies of a story
share one window (the best-ranked copy) that lists where else it was published. A token
budget (CONTEXT_TOKENS, counted with tiktoken) bounds all windows together: every
report first gets its hit passages, then windows grow in rank order while the budget
lasts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from retrieval.answer.question import Intent, Question
from retrieval.answer.retrieve import FilterEffect, Retrieved
from retrieval.index.catalog import Catalog, StoredReport
from retrieval.index.search import Hit
from retrieval.index.tokens import count_tokens

GAP = " … "  # between two pieces of one report in a window
HEADER_TOKENS = 24  # what a window's title, outlet and date line costs in a prompt
# A figure question reads this many times TOP_K reports (their hit passages first, within
# the same token budget), each copy of a story apart: every outlet's figure is the answer,
# and a republished copy may update one.
FIGURE_REPORTS_FACTOR = 2


@dataclass(frozen=True)
class Copy:
    """Another outlet's copy of a window's story."""

    doc_id: str
    source: str | None
    published: str | None


@dataclass
class Window:
    """The part of one report a composer reads, as ranges of its stored text."""

    n: int
    report: StoredReport
    ranges: list[tuple[int, int]]  # disjoint, in text order
    best_rank: int  # rank of the report's best hit (1-based)
    hit_positions: list[int]  # passages of the report the search found, best first
    group: str  # the report its group of syndicated copies is filed under (itself if none)
    copies: list[Copy] = field(default_factory=list)  # other copies of the same story

    @property
    def doc_id(self) -> str:
        return self.report.doc_id

    @property
    def text(self) -> str:
        """The window as a composer reads it: its pieces, joined with an ellipsis."""
        return GAP.join(self.report.text[a:b] for a, b in self.ranges)

    def span_indices(self) -> np.ndarray:
        """Indices of the report's quotable spans that lie inside the window."""
        spans = self.report.spans
        if not len(spans):
            return np.zeros(0, dtype=np.int64)
        inside = np.zeros(len(spans), dtype=bool)
        for a, b in self.ranges:
            inside |= (spans[:, 0] >= a) & (spans[:, 1] <= b)
        return np.flatnonzero(inside)

    def tokens(self) -> int:
        return HEADER_TOKENS + count_tokens(self.text)


RRF_K = 60


def rank_reports(hits: list[Hit], reports: dict[str, StoredReport], question_vector: np.ndarray | None) -> list[str]:
    """The reports of the hits, best first: reciprocal rank fusion of the rank of each
    report's best passage and the rank of its best sentence by similarity to the
    question. A 128-token passage mixes several facts; one sentence matches a precise
    question better ("Up to 48 people including 17 children have been killed in civilian
    areas of ... western Kessel" among passages about other tolls), so a report whose
    passages rank low still comes in when one of its sentences is the closest."""
    passage_rank: dict[str, int] = {}
    for rank, hit in enumerate(hits, start=1):
        passage_rank.setdefault(hit.passage.doc_id, rank)
    fused = {d: 1.0 / (RRF_K + r) for d, r in passage_rank.items()}
    if question_vector is not None:
        best = {
            d: float((reports[d].vectors @ question_vector).max())
            for d in passage_rank
            if d in reports and reports[d].vectors is not None and len(reports[d].vectors)
        }
        for rank, d in enumerate(sorted(best, key=best.get, reverse=True), start=1):
            fused[d] += 1.0 / (RRF_K + rank)
    return sorted(fused, key=lambda d: (-fused[d], passage_rank[d]))


def build_windows(
    hits: list[Hit],
    reports: dict[str, StoredReport],
    ranking: list[str],
    roots: dict[str, str],
    copies: dict[str, list[Copy]],
    max_reports: int,
    budget_tokens: int,
    fold_copies: bool = True,
) -> list[Window]:
    """Windows for the best max_reports reports (in ranking order), one per group of
    syndicated copies unless fold_copies is off (copies may carry updated figures), within
    budget_tokens; hits are the ranked passages.

    roots maps each report to the report its copy group is filed under; copies lists
    each root's members (for "also published by")."""
    positions: dict[str, list[int]] = {}
    best_rank: dict[str, int] = {}
    for rank, hit in enumerate(hits, start=1):
        positions.setdefault(hit.passage.doc_id, []).append(hit.passage.position)
        best_rank.setdefault(hit.passage.doc_id, rank)
    # A group of syndicated copies is read once, at the rank of its best copy, from its
    # longest copy found: a trimmed rerun holds less of the story than the original.
    members: dict[str, list[str]] = {}
    for doc_id in ranking:
        if doc_id in reports:
            members.setdefault(roots.get(doc_id, doc_id) if fold_copies else doc_id, []).append(doc_id)
    order: list[str] = []
    for doc_id in ranking:
        group = roots.get(doc_id, doc_id) if fold_copies else doc_id
        if group not in members:
            continue  # a copy of a story already in a window
        order.append(max(members.pop(group), key=lambda d: len(reports[d].text)))
        if len(order) >= max_reports:
            break

    windows = []
    for n, doc_id in enumerate(order, start=1):
        report = reports[doc_id]
        group = roots.get(doc_id, doc_id)
        others = [c for c in copies.get(group, []) if c.doc_id != doc_id] if fold_copies else []
        core = _ranges(report, positions[doc_id], neighbours=0)
        windows.append(Window(n, report, core, best_rank[doc_id], positions[doc_id], group, others))

    used = sum(w.tokens() for w in windows)
    while windows and used > budget_tokens and len(windows) > 1:
        used -= windows.pop().tokens()  # the cores alone do not fit: drop the lowest-ranked reports
    for window in windows:  # grow in rank order: neighbours first, then the whole report
        for grown in (_ranges(window.report, window.hit_positions, neighbours=1), [(0, len(window.report.text))]):
            before = window.tokens()
            previous, window.ranges = window.ranges, grown
            extra = window.tokens() - before
            if used + extra > budget_tokens:
                window.ranges = previous
                break
            used += extra
    return windows


def _ranges(report: StoredReport, hit_positions: list[int], neighbours: int) -> list[tuple[int, int]]:
    """The character ranges of the hit passages and their neighbours, merged where they
    touch and grown to whole sentences (the report's quotable spans)."""
    by_position = {position: (start, end) for position, start, end in report.passages}
    wanted = sorted(
        {p + d for p in hit_positions for d in range(-neighbours, neighbours + 1) if p + d in by_position}
    )
    merged: list[list[int]] = []
    for position in wanted:
        start, end = by_position[position]
        start, end = _whole_sentences(report, start, end)
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _whole_sentences(report: StoredReport, start: int, end: int) -> tuple[int, int]:
    """A range grown to the spans it cuts into, so no sentence is read in half."""
    spans = report.spans
    if not len(spans):
        return start, end
    cut = (spans[:, 0] < end) & (spans[:, 1] > start)
    if not cut.any():
        return start, end
    return min(start, int(spans[cut, 0].min())), max(end, int(spans[cut, 1].max()))


@dataclass(frozen=True)
class Reading:
    """A question and the report windows a composer reads for it, numbered [1]..[n]."""

    question: Question
    windows: tuple[Window, ...]
    question_vector: np.ndarray | None
    effect: FilterEffect | None = None

    def window(self, n: int) -> Window | None:
        return next((w for w in self.windows if w.n == n), None)


class Windows:
    """The third step: the best reports of the search, a window of each, within the
    token budget; a figure question reads twice as many, copies apart."""

    def __init__(self, catalog: Catalog, top_k: int, budget_tokens: int) -> None:
        self.catalog = catalog
        self.top_k = top_k
        self.budget_tokens = budget_tokens

    def run(self, retrieved: Retrieved) -> Reading:
        question = retrieved.question
        figures = question.intent is Intent.FIGURES
        windows = self.windows(
            list(retrieved.hits),
            retrieved.question_vector,
            fold_copies=not figures,
            reports=FIGURE_REPORTS_FACTOR * self.top_k if figures else self.top_k,
        )
        return Reading(question, tuple(windows), retrieved.question_vector, retrieved.effect)

    def windows(self, hits: list[Hit], question_vector=None, fold_copies: bool = True, reports: int | None = None) -> list[Window]:
        doc_ids = list(dict.fromkeys(h.passage.doc_id for h in hits))
        if not doc_ids:
            return []
        roots = self.catalog.copies.roots(doc_ids)
        groups = self.catalog.copies.groups(sorted(set(roots.values())))
        copies = {root: [Copy(*member) for member in members] for root, members in groups.items()}
        stored = self.catalog.stored_reports(doc_ids)
        ranking = rank_reports(hits, stored, question_vector)
        return build_windows(hits, stored, ranking, roots, copies, reports or self.top_k, self.budget_tokens, fold_copies)
