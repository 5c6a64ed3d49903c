"""The extractive composer (the offline default, and the fallback when an LLM fails): it
picks the sentences of the report windows that answer the question and makes each a
claim, quoted verbatim with who in the report makes it, or declines.

Candidates are the quotable spans of every window (sentences, or bounded windows of
words where a report has no punctuation). Each is scored by the question's terms
(weighted by their rarity in the collection) and by similarity to the question, using
span vectors computed at ingest, so answering embeds nothing but the question. The
answer-type check (``kinds``) then adjusts the score: a span that holds nothing of the
kind asked (no figure of the counted thing for "how many") is unlikely to answer.
Declining is a scored choice, as the "no answer" candidate of an extractive reader: no
span scores high enough, or the best one's report lacks the names and dates that pin
the incident, or none holds the kind of answer that must be there.

A figure question gets one claim from every report about the same incident (its place
and date, ``incident``) that gives a figure of the counted thing; a timeline one dated
claim per event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from retrieval.answer.attribution import Attribution
from retrieval.answer.collection import Collection
from retrieval.answer.compose.anchors import anchor_coverage
from retrieval.answer.draft import Draft, DraftClaim
from retrieval.answer.incident import DAYS_AFTER, DAYS_BEFORE, IncidentScope, Scope
from retrieval.answer.kinds import KindCheck, counted_figures, identifiers
from retrieval.answer.question import STRICT_KINDS, Intent, Kind, Question
from retrieval.answer.report import Region, ReportView
from retrieval.answer.windows import Reading, Window
from retrieval.index.spans import (
    Span,
    complete_clause,
    has_furniture,
    include_figure_qualifier,
    is_headline,
    include_leading_name,
    skip_furniture,
    trim_fragment_start,
)
from retrieval.language import phrases
from retrieval.language.en.harm import CUMULATIVE
from retrieval.language.names import written_in
from retrieval.language.terms import term_set

# Chosen on the studied sets together (docs/benchmarks.md says which; the held-out sets
# were never used to set them): the best span's score (embedding similarity and term
# coverage, times the answer-type factors below) must reach MIN_SCORE, and its report
# must contain this share of the question's names, numbers and dates, or the composer
# declines.
MIN_SCORE = 0.5
MIN_ANCHOR_COVERAGE = 0.6
SIMILARITY_WEIGHT = 0.7  # span score: this much embedding similarity, the rest term coverage
TYPE_MISS = 0.75  # a span with nothing of the wanted kind scores this much
TYPE_HIT = 1.1  # and one with it this much
FURNITURE = 0.85  # and one with page furniture inside (a credit and dateline mid-span) this much
HEADLINE = 0.85  # and a headline (title case) this much
# A name next to the noun a "which" question asks about ("minister Omar al-Fenn"), or
# a new name as the source of a "who said" claim, scores this much more.
FOCUS_BONUS = 1.35
SECOND_SPAN_RATIO = 0.8  # a second span is quoted when it scores this close to the best
MAX_SPANS = 2
# A figure question quotes each report about the incident whose best figure-giving span
# scores this close to the best one, up to MAX_FIGURES reports.
FIGURE_SCORE_RATIO = 0.6
MAX_FIGURES = 12
# A report gives a second or third figure when someone else gives it ("IS said 40 had
# been killed"; "the Observatory gave a lower toll of 31").
FIGURES_PER_REPORT = 3
SECOND_FIGURE_RATIO = 0.8  # and scores this close to the report's first
# A timeline quotes the events scoring this close to the best, up to MAX_EVENTS, at most
# EVENTS_PER_REPORT from one report.
EVENT_SCORE_RATIO = 0.7
TIMELINE_MIN_SCORE = 0.35
MAX_EVENTS = 8
EVENTS_PER_REPORT = 3
MAX_MERGED_CHARS = 400  # two sentences of one report close together are quoted as one span
ATTRIBUTED = 24  # the best spans whose sources are read (a "who said" question needs them)
TYPED = 60  # the best spans checked for the kind of answer asked
FOCUS_REACH = 6  # words between the noun a "which" question asks about and the name that answers
TAIL_WORDS = 8  # an attribution right after a quote ("... according to SOHR") is quoted with it


@dataclass
class Candidate:
    """A quotable span of window n, and what the composer found in it."""

    n: int
    span: Span
    score: float
    anchor_coverage: float
    offered: frozenset[Kind]
    offers_strict: bool
    similarity: float


@lru_cache(maxsize=512)
def _span_terms(doc_id: str, content: int, text: str, offsets: tuple[tuple[int, int], ...]) -> tuple[frozenset[str], ...]:
    return tuple(term_set(text[a:b]) for a, b in offsets)


def _figures_given(question: Question, text: str) -> set[float]:
    """The values of the figures text gives of what the question counts."""
    return {n.value for n in counted_figures(text, question)}


def _another_figure(question: Question, candidate: Candidate, figures: set[float], same: list[Candidate]) -> bool:
    """Whether a candidate gives its report a second or third figure: scoring close to the
    report's first, apart from the spans quoted, and a figure they do not give."""
    if candidate.score < SECOND_FIGURE_RATIO * max(c.score for c in same):
        return False
    given = {v for c in same for v in _figures_given(question, c.span.text)}
    overlapping = any(c.span.start < candidate.span.end and candidate.span.start < c.span.end for c in same)
    return not (len(same) >= FIGURES_PER_REPORT or overlapping or figures <= given)


def _most_reported(question: Question, candidates: list[Candidate], views: dict[int, ReportView]) -> Candidate:
    """The span whose incident most reports are about: the best span of the best-scored
    week of reports. A later report that recalls an incident in passing ("the town hit
    by a suspected gas attack in April") may score best, while the reports of the
    incident itself cluster in its week. A question that gives its dates pins them."""
    if question.incident.dates is not None or views[candidates[0].n].published is None:
        return candidates[0]  # the question's dates, or an undated report's own, pin the incident
    best_of: dict[int, Candidate] = {}
    for c in candidates:
        best_of.setdefault(c.n, c)
    dated = [(views[n].published, c) for n, c in best_of.items() if views[n].published is not None]
    if not dated:
        return candidates[0]

    def support(day) -> float:
        return sum(c.score for other, c in dated if -DAYS_BEFORE <= other.start.toordinal() - day.start.toordinal() <= DAYS_AFTER)

    week = max(dated, key=lambda d: (support(d[0]), d[1].score))[0]
    in_week = [c for c in candidates if (published := views[c.n].published) is not None
               and -DAYS_BEFORE <= published.start.toordinal() - week.start.toordinal() <= DAYS_AFTER]
    return in_week[0] if in_week else candidates[0]


def _same_claim(a: str, b: str) -> bool:
    """Reports repeat their lead sentence; do not quote the same words twice from one."""
    words_a, words_b = set(a.lower().split()), set(b.lower().split())
    return len(words_a & words_b) > 0.5 * min(len(words_a), len(words_b))


class ExtractiveComposer:
    def __init__(self, collection: Collection, attribution: Attribution, kinds: KindCheck, incidents: IncidentScope) -> None:
        self.collection = collection
        self.attribution = attribution
        self.kinds = kinds
        self.incidents = incidents

    # scoring -------------------------------------------------------------------

    def score(self, reading: Reading) -> list[Candidate]:
        """Every span of every window, best first."""
        question = reading.question
        weights = self.collection.term_weights(set(question.terms))
        total = sum(weights.values())
        if not total:
            return []
        scored: list[Candidate] = []
        for window in reading.windows:
            scored += self._score_window(question, window, reading.question_vector, weights, total)
        scored.sort(key=lambda c: c.score, reverse=True)
        views = {w.n: ReportView(w.report) for w in reading.windows}
        self._weigh_kinds(question, scored, views)
        self._weigh_sources(question, scored[:ATTRIBUTED], views)
        scored.sort(key=lambda c: c.score, reverse=True)
        return scored

    def _weigh_kinds(self, question: Question, scored: list[Candidate], views: dict[int, ReportView]) -> None:
        """Spans holding the kind of answer asked score higher, the others lower; each
        says whether it offers a kind that must be there."""
        strict = question.kinds & STRICT_KINDS
        for rank, c in enumerate(scored):
            # The answer-type check reads entities and attributions: only the spans that
            # could win are read; the rest cannot rise past them without it.
            if question.kinds:
                c.offered = self.kinds.offered(question, views[c.n], Region(c.span.start, c.span.end)) if rank < TYPED else frozenset()
                c.score *= TYPE_HIT if c.offered else TYPE_MISS
            c.offers_strict = not strict or bool(c.offered & strict)

    def _weigh_sources(self, question: Question, best: list[Candidate], views: dict[int, ReportView]) -> None:
        """The best spans scored by whom they name or credit: a new source for a "who said"
        question, a name beside the noun a "which" question asks about, the source the
        question names."""
        if Intent.WHO is question.intent or Kind.SPEAKER in question.kinds:
            for c in best:
                speaker = self.attribution.speaker(views[c.n], c.span.start, c.span.end)
                c.score *= FOCUS_BONUS if speaker is not None and not written_in(speaker.name, question.text) else TYPE_MISS
        elif question.focus:
            for c in best:
                if self._name_near_focus(question, views[c.n], c.span):
                    c.score *= FOCUS_BONUS
        if question.source:  # "according to Amnesty": that source's claims, not others'
            for c in best:
                c.score *= FOCUS_BONUS if self._credits(question.source, views[c.n], c.span) else TYPE_MISS

    def _credits(self, source: str, view: ReportView, span: Span) -> bool:
        """Whether the span's speaker, or its report's outlet, is the source named."""
        speaker = self.attribution.speaker(view, span.start, span.end)
        credited = (speaker.shown if speaker else "") + "\n" + (view.report.source or "")
        return written_in(source, credited)

    def _score_window(self, question: Question, window: Window, vector: np.ndarray | None, weights: dict, total: float) -> list[Candidate]:
        report = window.report
        text = report.text
        indices = window.span_indices()
        if not len(indices):
            return []
        view = ReportView(report)
        anchors_covered = anchor_coverage(question, view)
        offsets = tuple(map(tuple, report.spans.tolist()))
        terms_of = _span_terms(report.doc_id, hash(text), text, offsets)
        similarities = (
            report.vectors[indices] @ vector if report.vectors is not None and vector is not None else np.zeros(len(indices))
        )
        found = []
        wants_date = Kind.DATE in question.kinds
        for index, similarity in zip(indices.tolist(), similarities.tolist()):
            start, end = offsets[index]
            if not wants_date:  # a dateline answers no other question
                start = skip_furniture(text, start, end)
            span = Span(start, end, text[start:end])
            coverage = sum(w for t, w in weights.items() if t in terms_of[index]) / total
            score = SIMILARITY_WEIGHT * similarity + (1 - SIMILARITY_WEIGHT) * coverage
            if has_furniture(span.text):
                score *= FURNITURE
            if is_headline(span.text):
                score *= HEADLINE
            score += 0.02 / window.n  # earlier-ranked reports win ties
            found.append(Candidate(window.n, span, score, anchors_covered, frozenset(), True, similarity))
        return found

    def _name_near_focus(self, question: Question, view: ReportView, span: Span) -> bool:
        """Whether a name the question lacks is written within reach of the noun a "which"
        question asks about ("minister Omar al-Fenn", "the Green Mosque")."""
        words = [(m.start(), m.group(0).lower().strip(",.;:()\"'`")) for m in re.finditer(r"\S+", span.text)]
        if any(w.startswith(f) and w != f for w in identifiers(span.text.lower()) for f in question.focus):
            return True  # an identifier named after the noun asked for: "shard4" for "which shard"
        at = [i for i, (_, w) in enumerate(words) if w in question.focus or w.rstrip("s") in question.focus]
        if not at:
            return False
        for entity in view.entities(Region(span.start, span.end)):
            name = view.text[entity.start : entity.end]
            if written_in(name, question.text):
                continue
            i = next((k for k, (s, _) in enumerate(words) if span.start + s >= entity.start), len(words))
            if any(abs(i - a) <= FOCUS_REACH for a in at):
                return True
        return False

    # composing -----------------------------------------------------------------

    def run(self, reading: Reading) -> Draft:
        question = reading.question
        scored = self.score(reading)
        timeline = question.intent is Intent.TIMELINE
        # "What happened at X" reads like every sentence about X a little, and like none much.
        floor = TIMELINE_MIN_SCORE if timeline else MIN_SCORE
        relevant = [c for c in scored if c.score >= floor and c.anchor_coverage >= MIN_ANCHOR_COVERAGE and c.offers_strict]
        if not relevant:
            return Draft(reading, (), "extractive", declined=True)
        views = {w.n: ReportView(w.report) for w in reading.windows}
        if timeline:
            chosen = self._events(relevant, views)
        elif question.intent is Intent.FIGURES:
            chosen = self._figures(question, relevant, views)
        else:
            chosen = self._best(relevant, views)
        claims = []
        for candidate in chosen:
            claim = self._claim(question, views[candidate.n], candidate)
            if claim is not None and not any(c.reports == claim.reports and (c.span == claim.span or c.statement == claim.statement) for c in claims):
                claims.append(claim)
        return Draft(reading, tuple(claims), "extractive", declined=not claims)

    def _best(self, relevant: list[Candidate], views: dict[int, ReportView]) -> list[Candidate]:
        """The best span, and a second one close behind (another report's figure, or the
        answer in other words); two sentences of one report close together are one."""
        chosen = [relevant[0]]
        for candidate in relevant[1:]:
            if len(chosen) >= MAX_SPANS or candidate.score < SECOND_SPAN_RATIO * chosen[0].score:
                break
            overlaps = any(c.n == candidate.n and c.span.start < candidate.span.end and candidate.span.start < c.span.end for c in chosen)
            repeats = any(
                c.span.text.casefold() == candidate.span.text.casefold() or (c.n == candidate.n and _same_claim(c.span.text, candidate.span.text))
                for c in chosen
            )
            if overlaps or repeats:
                continue
            near = next((c for c in chosen if c.n == candidate.n and max(c.span.end, candidate.span.end) - min(c.span.start, candidate.span.start) <= MAX_MERGED_CHARS), None)
            if near is not None:
                text = views[near.n].text
                start, end = min(near.span.start, candidate.span.start), max(near.span.end, candidate.span.end)
                chosen[chosen.index(near)] = replace(near, span=Span(start, end, text[start:end]))
            else:
                chosen.append(candidate)
        return chosen

    def _figures(self, question: Question, relevant: list[Candidate], views: dict[int, ReportView]) -> list[Candidate]:
        """For a figure question, the best figure-giving span of every report about the
        incident of the best answer; a report about another incident never."""
        floor = FIGURE_SCORE_RATIO * relevant[0].score
        best = _most_reported(question, [c for c in relevant if c.score >= floor], views)
        scope = self.incidents.scope(question, views[best.n], Region(best.span.start, best.span.end))
        chosen: list[Candidate] = []
        speakers: dict[int, list[str | None]] = {}  # per report, who gives the figures quoted from it
        for candidate in relevant:
            if candidate.score < floor or len(chosen) >= MAX_FIGURES:
                break
            view = views[candidate.n]
            figures = _figures_given(question, candidate.span.text) if question.counted else {0.0}
            if not figures or self._not_of_incident(question, scope, view, candidate):
                continue
            same = [c for c in chosen if c.n == candidate.n]
            if same:
                if not _another_figure(question, candidate, figures, same):
                    continue
                name = self._speaker_name(view, candidate)
                if name in speakers[candidate.n]:
                    continue  # the same source's figure again (a repeated lead)
                speakers[candidate.n].append(name)
            else:
                candidate, name = self._first_figure(question, view, candidate, relevant, figures)
                speakers[candidate.n] = [name]
            chosen.append(candidate)
        chosen.sort(key=lambda c: c is not best and c.n != best.n)  # the incident's own report first
        return chosen or [best]

    def _not_of_incident(self, question: Question, scope: Scope, view: ReportView, candidate: Candidate) -> bool:
        """Whether the candidate's figure is not one of the incident's: its claim is about
        another incident, or it is a running total ("since Saturday at least 68 civilians
        have been killed"), which is no figure of one incident, unless the question asks
        for one ("since the offensive began")."""
        if self.incidents.outside(scope, view, Region(candidate.span.start, candidate.span.end)):
            return True
        return phrases.has(CUMULATIVE, candidate.span.text) and not phrases.has(CUMULATIVE, question.text)

    def _speaker_name(self, view: ReportView, candidate: Candidate) -> str | None:
        speaker = self.attribution.speaker(view, candidate.span.start, candidate.span.end)
        return speaker.name if speaker else None

    def _first_figure(
        self, question: Question, view: ReportView, candidate: Candidate, relevant: list[Candidate], figures: set
    ) -> tuple[Candidate, str | None]:
        """The span to quote for a report's first figure, and the name of who gives it."""
        speaker = self.attribution.speaker(view, candidate.span.start, candidate.span.end)
        if speaker is None:  # the same figure said with its source elsewhere in the report
            candidate, speaker = self._credited_instead(question, view, candidate, relevant, figures)
        return candidate, speaker.name if speaker else None

    def _credited_instead(
        self, question: Question, view: ReportView, candidate: Candidate, relevant: list[Candidate], figures: set
    ) -> tuple[Candidate, object]:
        """A report's lead often gives a figure with no source and a later sentence gives
        the same figure with one ("Fifteen civilians were killed ..." / "the Observatory
        said 15 civilians ..."): quote the one that says who gives it."""
        for other in relevant:
            if other.n != candidate.n or other is candidate:
                continue
            if _figures_given(question, other.span.text) & figures:
                speaker = self.attribution.speaker(view, other.span.start, other.span.end)
                if speaker is not None:
                    return other, speaker
        return candidate, None

    def _events(self, relevant: list[Candidate], views: dict[int, ReportView]) -> list[Candidate]:
        """Events of the incident from every report, one line each (shape orders them)."""
        floor = EVENT_SCORE_RATIO * relevant[0].score
        picked: list[Candidate] = []
        for candidate in relevant:
            if candidate.score < floor or len(picked) >= MAX_EVENTS:
                break
            if has_furniture(candidate.span.text):
                continue
            if sum(c.n == candidate.n for c in picked) >= EVENTS_PER_REPORT or any(_same_claim(c.span.text, candidate.span.text) for c in picked):
                continue
            picked.append(candidate)
        return picked

    def _claim(self, question: Question, view: ReportView, candidate: Candidate) -> DraftClaim | None:
        """The candidate as a claim: its quote grown to whole words of its clause, with the
        attribution right after it when there is one, and who makes it."""
        text = view.text
        span = include_leading_name(text, include_figure_qualifier(text, trim_fragment_start(text, candidate.span)))
        span = complete_clause(text, span)
        span = self._without_dangling_attribution(text, span)
        span = self._without_next_sentence(text, span)
        speaker = self.attribution.speaker(view, span.start, span.end)
        if speaker is not None and span.end <= speaker.start and len(text[span.end : speaker.start].split()) <= TAIL_WORDS and "\n" not in text[span.end : speaker.end]:
            span = Span(span.start, speaker.end, text[span.start : speaker.end])  # "... according to SOHR"
        said_by = speaker.shown if speaker is not None else None
        statement = " ".join(span.text.split())
        if speaker is not None and not written_in(speaker.name, span.text):
            statement = f"According to {speaker.shown}: {statement}"
        return DraftClaim(statement, (candidate.n,), span.text, span, said_by)

    def _without_next_sentence(self, text: str, span: Span) -> Span:
        """A window of a text without punctuation may end on the first word of the next
        sentence ("... humanitarian law Armed"): a capitalised word the collection writes
        in lower case, after a lower-case one, is cut off."""
        words = span.text.split()
        if len(words) > 2 and words[-1][:1].isupper() and words[-2][:1].islower() and not self.collection.is_name_word(words[-1]):
            end = span.start + span.text.rstrip().rfind(words[-1])
            end = span.start + len(text[span.start : end].rstrip())
            return Span(span.start, end, text[span.start : end])
        return span

    @staticmethod
    def _without_dangling_attribution(text: str, span: Span) -> Span:
        """A window that ends inside an attribution ("... since the offensive began
        according to the") is cut back before it; the tail is quoted whole if found."""
        match = re.search(r"(?:\s+according\s+to(?:\s+\S+){0,6}|\s+(?:according|to|said|of|the|and|by|in|at|on))+$", span.text)
        if match and match.start() > 0:
            end = span.start + match.start()
            return Span(span.start, end, text[span.start : end])
        return span
