"""The verify step: deterministic, always run, claim by claim, whatever composed them.

For each claim: its citation must be a report the composer was given; its quote is
located in that report (up to punctuation and case), or in another report of the prompt
(the citation is then corrected), or, where the composer gave no quote, the sentence of
the cited report that best supports it is chosen; the figures, names, quotations and
speaker it states must stand in that sentence or the one before it (``checks``). A claim
that fails is dropped alone, with its reason; what the user is shown of a report is
always an exact span of its stored text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from retrieval.answer.attribution import Attribution
from retrieval.answer.collection import Collection
from retrieval.answer.draft import Draft, DraftClaim
from retrieval.answer.report import Region
from retrieval.answer.verify import checks
from retrieval.answer.verify.locate import locate
from retrieval.answer.windows import Window
from retrieval.index.spans import Span, complete_clause
from retrieval.language.names import key_words
from retrieval.language.numbers import numbers_in, value_key
from retrieval.language.terms import term_set
from retrieval.answer.types import Dropped, Verification

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifiedClaim:
    statement: str
    window: Window
    span: Span  # the supporting words: an exact span of the report
    said_by: str | None  # who in the report makes it
    figures: tuple[str, ...]  # the statement's figures, as written


@dataclass(frozen=True)
class Verified:
    draft: Draft
    claims: tuple[VerifiedClaim, ...]
    verification: Verification

    @property
    def refused(self) -> bool:
        return not self.claims


class Verify:
    def __init__(self, collection: Collection, attribution: Attribution) -> None:
        self.collection = collection
        self.attribution = attribution

    def run(self, draft: Draft) -> Verified:
        windows = {w.n: w for w in draft.reading.windows}
        kept: list[VerifiedClaim] = []
        dropped: list[Dropped] = []
        removed: list[int] = []
        corrected: list[tuple[int, int]] = []
        unlocated = 0
        seen: set[tuple[str, tuple[int, ...]]] = set()
        for claim in draft.claims:
            key = (" ".join(claim.statement.lower().split()), claim.reports)  # copies of a story say it twice
            if key in seen:
                dropped.append(Dropped(claim.statement, "repeats an earlier claim"))
                continue
            seen.add(key)
            cited = [n for n in claim.reports if n in windows]
            removed += [n for n in claim.reports if n not in windows]
            placed = self._place(claim, cited, windows)
            if placed is None:
                reason = "cites no report it was given" if not cited else "its quote is in none of the reports"
                dropped.append(Dropped(claim.statement, reason))
                continue
            window, span, how = placed
            if how == "corrected":
                corrected.append((claim.reports[0] if claim.reports else 0, window.n))
            elif how == "chosen" and claim.quote:
                unlocated += 1
            result = self._check(claim, window, span, draft)
            if isinstance(result, str):
                dropped.append(Dropped(claim.statement, result))
                continue
            kept.append(result)
        verification = Verification(tuple(dropped), tuple(dict.fromkeys(removed)), tuple(corrected), unlocated)
        if dropped or removed or corrected:
            log.info("verification dropped %s, removed markers %s, corrected %s", [(d.text[:60], d.reason) for d in dropped], removed, corrected)
        return Verified(draft, tuple(kept), verification)

    def _place(self, claim: DraftClaim, cited: list[int], windows: dict[int, Window]) -> tuple[Window, Span, str] | None:
        """The report and the words a claim rests on: the composer's span; its quote,
        located in the cited report or else in another one it was given; or the best
        supporting sentence of the cited report (or the report a copied sentence of prose
        comes from)."""
        if claim.span is not None and cited:
            window = windows[cited[0]]
            if window.report.text[claim.span.start : claim.span.end] == claim.span.text:
                return window, claim.span, "given"
        if claim.quote:
            for n in cited:
                found = locate(claim.quote, windows[n].report.text, windows[n].ranges)
                if found is not None:
                    return windows[n], found, "located"
            for window in windows.values():
                if window.n in cited:
                    continue
                found = locate(claim.quote, window.report.text, window.ranges)
                if found is not None:
                    return window, found, "corrected"
        if not claim.quote:
            # A sentence of prose copied from a report other than the one it cites.
            words = checks.claim_words(claim.statement)
            if not any(locate(words, windows[n].report.text, windows[n].ranges) for n in cited):
                for window in windows.values():
                    found = None if window.n in cited else locate(words, window.report.text, window.ranges)
                    if found is not None:
                        return window, found, "corrected"
        for n in cited:
            span = best_support(windows[n], claim.statement)
            if span is not None:
                return windows[n], span, "chosen"
        return None

    def _sources(self, support: checks.Support, found) -> list:
        """Who else may be credited with the quote: another source its sentence quotes; and
        where nobody in it makes the claim, one named in the sentence before or after
        ("... killing 32 people. A medical source gave the toll.")."""
        if found is not None:
            return self.attribution.speakers_in(support.view, support.sentence)
        after = support.view.after(support.sentence.end)
        return self.attribution.speakers_in(support.view, Region(support.before.start, after.end))

    def _check(self, claim: DraftClaim, window: Window, span: Span, draft: Draft) -> VerifiedClaim | str:
        support = checks.support_for(window, span)
        found = self.attribution.speaker(support.view, span.start, span.end)
        claimed = [claim.said_by] if claim.said_by else self.attribution.claimed_in(claim.statement)
        if claim.said_by:  # the statement's own "According to X" is a claim too
            claimed += [c for c in self.attribution.claimed_in(claim.statement) if c not in claimed]
        reason = (
            checks.figures(claim.statement, support)
            or checks.names(claim.statement, support, self.collection, claimed)
            or checks.quotations(claim.statement, support, locate)
            or checks.speaker(claimed, claim.statement, support, found, self._sources(support, found))
            or checks.overlap(claim.statement, support)
        )
        if reason:
            return reason
        said_by = found.shown if found is not None else next(
            (c for c in claimed if checks.name_supported(c, support.text, support.report_text)), None
        )
        figures = tuple(n.text for n in numbers_in(claim.statement) if n.is_figure)
        return VerifiedClaim(claim.statement, window, span, said_by, figures)


def best_support(window: Window, statement: str) -> Span | None:
    """The span of the window that shares most with a statement (figures count double,
    names and words once), grown to the end of its clause; two neighbouring spans
    together when the statement's figures need both."""
    report = window.report
    text = report.text
    wanted_figures = {value_key(n.value) for n in numbers_in(statement) if n.value is not None}
    wanted_words = set(key_words(statement)) | set(term_set(statement))
    indices = window.span_indices().tolist()
    if not indices:
        return None

    def score(start: int, end: int) -> tuple[int, float]:
        words = text[start:end]
        figures = {value_key(n.value) for n in numbers_in(words) if n.value is not None}
        shared = wanted_words & (set(key_words(words)) | set(term_set(words)))
        covered = len(wanted_figures & figures)
        return covered, 2.0 * covered + len(shared) - 0.002 * (end - start)

    singles = [(int(report.spans[index][0]), int(report.spans[index][1])) for index in indices]
    start, end = max(singles, key=lambda c: score(*c)[1])
    # Two neighbouring spans together only where the statement's figures need both.
    pairs = [
        (int(report.spans[index][0]), int(report.spans[index + 1][1]))
        for i, index in enumerate(indices[:-1])
        if indices[i + 1] == index + 1
    ]
    if pairs and wanted_figures:
        pair = max(pairs, key=lambda c: score(*c))
        if score(*pair)[0] > score(start, end)[0]:
            start, end = pair
    return complete_clause(text, Span(start, end, text[start:end]))

