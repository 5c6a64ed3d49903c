"""The extractive composer (the offline default, and the fallback when an LLM fails):
it picks the sentences of the report windows that answer the question and cites them,
or refuses when none is relevant enough. A LangChain Runnable wraps it in the engine;
its output is the same ``Draft`` the LLM composer produces.

Candidates are the quotable spans of every window (sentences, or bounded windows of
words where a report has no punctuation). Each is scored by the question's terms
(weighted by their rarity in the collection) and by similarity to the question, using
span vectors computed at ingest, so answering embeds nothing but the question. Then
the answer-type checks of ``question.py`` adjust the score: a span that holds nothing of
the kind asked (no number for "how many") is unlikely to answer. Refusing is a choice
with a threshold: no span scores high enough, or the best one's report lacks the names
and dates that pin the incident.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from retrieval.answer.attribution import Attribution
from retrieval.answer.figures import asks_for_figures, figure_in, same_incident
from retrieval.answer.timeline import asks_for_timeline, date_of
from retrieval.answer.question import (
    CHILDREN,
    KILLED,
    PEOPLE,
    WOUNDED,
    Question,
    counts_the_wounded,
    name_near_focus,
    novel_name,
    offers,
)
from retrieval.answer.types import Draft
from retrieval.answer.vocabulary import Vocabulary
from retrieval.answer.windows import Window
from retrieval.index.spans import (
    Span,
    complete_clause,
    has_furniture,
    include_figure_qualifier,
    include_leading_name,
    skip_furniture,
    trim_fragment_start,
)
from retrieval.language import MONTHS, NUMBER_WORDS, YEAR, tokenize


# Chosen on the studied sets (questions, questions-2, near-misses, dev-3; the test sets
# are held out, docs/benchmarks.md): the best span's score (embedding similarity and
# term coverage, times the answer-type factors below) must reach MIN_SCORE, and its
# report must contain this share of the question's names, numbers and dates, or the
# composer refuses.
MIN_SCORE = 0.5
MIN_ANCHOR_COVERAGE = 0.8
SIMILARITY_WEIGHT = 0.7  # span score: this much embedding similarity, the rest term coverage
TYPE_MISS = 0.75  # a span with nothing of the wanted kind (no number for "how many") scores this much
TYPE_HIT = 1.1  # and one with it (a number for "how many") this much
FURNITURE = 0.85  # and one with page furniture inside (a wire credit and dateline mid-span) this much
# A name next to the noun a "which" question asks about ("minister Omar al-Fenn"), or
# a new name as the source of a "who said" claim, scores this much more.
FOCUS_BONUS = 1.35
SECOND_SPAN_RATIO = 0.8  # a second span is quoted when it scores this close to the best
MAX_SPANS = 2
# A figure question quotes each report about the incident whose best figure-bearing span
# scores this close to the best one, up to MAX_FIGURES reports.
FIGURE_SCORE_RATIO = 0.6
MAX_FIGURES = 12
# A timeline quotes the events scoring this close to the best, up to MAX_EVENTS, at most
# EVENTS_PER_REPORT from one report.
EVENT_SCORE_RATIO = 0.7
TIMELINE_MIN_SCORE = 0.4
MAX_EVENTS = 8
EVENTS_PER_REPORT = 3
MAX_MERGED_CHARS = 400  # two sentences of one passage quoted as one span, at most this long

@dataclass
class ScoredSpan:
    """A candidate quote from window n, and what the composer found in it."""

    n: int
    span: Span
    score: float
    has_asked_quantity: bool = True  # a "how many X" question: the span gives a number of X
    anchor_coverage: float = 1.0  # share of the question's names and dates its report contains
    offers_answer: bool = True  # holds an answer of the kind asked (answer_types.offers)
    offers_strict: bool = True  # ... of a kind that must be there (a count for "how many")
    similarity: float = 0.0
    sources: list[str] = field(default_factory=list)  # who the span says makes its claim


_NUMBER_TOKEN = re.compile(r"^(?:\d[\d,.]*|" + "|".join(NUMBER_WORDS) + r"|dozens?|hundreds?|thousands?|several|scores?)$", re.I)


# A window that ends inside an attribution ("... according to the state news")
# is cut back before it; attribution_tail then quotes the whole attribution.
_DANGLING = re.compile(r"(?:\s+according\s+to(?:\s+\S+){0,6}|\s+(?:according|to|said|of|the|and|by|in|at|on))+$")


def _merged_length(a: Span, b: Span) -> int:
    return max(a.end, b.end) - min(a.start, b.start)


def _same_claim(a: str, b: str) -> bool:
    """Reports repeat their lead sentence; do not quote the same words twice from one."""
    words_a, words_b = set(a.lower().split()), set(b.lower().split())
    return len(words_a & words_b) > 0.5 * min(len(words_a), len(words_b))


def _shares_prefix(anchor: str, tokens: set[str]) -> bool:
    """"qatari" ~ "qatar", "europ" ~ "european": stems of one name in other word forms."""
    if anchor in tokens:
        return True
    if len(anchor) < 5 or anchor.isdigit():
        return False
    return any(t[:5] == anchor[:5] for t in tokens)


COUNT_SYNONYM_SIMILARITY = 0.6  # "paramedics" ~ "ambulance crew" 0.64; "cars" ~ "people" 0.50
MONTH_MISSING = 0.5  # a report that never names the asked month covers at most this share of anchors
def dateline(published: str | None) -> str:
    """"2016-02-15" -> "15 February 2016": a question's "in February 2016" may be the
    report's publication date rather than words of its text."""
    try:
        return datetime.date.fromisoformat((published or "")[:10]).strftime("%d %B %Y")
    except ValueError:
        return ""


_ISO_DATE = re.compile(r"\b(?:19|20)\d\d-[01]\d-[0-3]\d\b")
_DAY_FIRST_DATE = re.compile(r"\b([0-3]?\d)[-./]([01]?\d)[-./]((?:19|20)\d\d)\b")
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b")
_MONTH_ABBREVIATION = re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?")
_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}")


def spelled_out(text: str) -> str:
    """Other spellings of what a report says, for a question's anchors to match: dates
    ("2016-07-24", "16-11-2014" -> "24 July 2016", "16 November 2014"), month
    abbreviations ("Nov" -> "November"), ordinals ("January 15th" -> 15) and dotted
    acronyms ("U.N." -> "UN")."""
    found = {dateline(d) for d in _ISO_DATE.findall(text)}
    found |= {dateline(f"{y}-{int(m):02d}-{int(d):02d}") for d, m, y in _DAY_FIRST_DATE.findall(text)}
    found |= {next(n for n in MONTHS if n.startswith(a[:3])) for a in _MONTH_ABBREVIATION.findall(text)}
    found |= set(_ORDINAL.findall(text))
    found |= {a.replace(".", "") for a in _DOTTED_ACRONYM.findall(text)}
    return " ".join(sorted(found))


@lru_cache(maxsize=256)
def report_terms(title: str, published: str | None, text: str) -> frozenset[str]:
    """The stemmed words of a report, its title and its date in every spelling, for the
    anchors of a question to be looked up in. Cached: the same reports come back for
    question after question (keyed by the text, so an edited report is read anew)."""
    return frozenset(tokenize([f"{title}\n{dateline(published)}\n{spelled_out(text)}\n{text}"])[0])


_OF_THEM = {"of", "them", "whom", "were", "other", "others", "more", "than", "at", "least", "the"}


def numbered_phrases(text: str) -> list[str]:
    """What the numbers of text count: "two of them ambulance crew" -> "ambulance crew",
    "6 volunteer firefighters" -> "volunteer firefighters"."""
    raw = [w.strip(",.;:\"()") for w in text.split()]
    phrases = []
    for i, word in enumerate(raw):
        if _NUMBER_TOKEN.match(word) and not YEAR.fullmatch(word):
            following = raw[i + 1 : i + 6]
            while following and following[0].lower() in _OF_THEM:
                following = following[1:]
            if following:
                phrases.append(" ".join(following[:2]))
    return phrases


def states_quantity(text: str, terms: set[str]) -> bool:
    """Whether text gives a number of the counted thing ("17 children", "eight people
    including"). People are counted loosely ("two killed and five others wounded");
    things only by a number written just before them ("five cars", not "five others
    injured in a car bomb"). A year counts nothing."""
    people = bool(terms & (PEOPLE | CHILDREN | KILLED | WOUNDED))
    deaths = bool(terms & KILLED) and not terms & WOUNDED  # a death toll: the wounded are no answer
    raw = [w.strip(",.") for w in re.findall(r"[\w\-,.]+", text)]
    for i, word in enumerate(raw):
        if _NUMBER_TOKEN.match(word) and not YEAR.fullmatch(word):
            if deaths and counts_the_wounded(raw, i):
                continue
            window = " ".join(raw[max(0, i - 2) : i + 6] if people else raw[i + 1 : i + 4])
            if terms & set(tokenize([window])[0]):
                return True
    return False


@lru_cache(maxsize=512)
def _span_terms(doc_id: str, content: int, text: str, offsets: tuple[tuple[int, int], ...]) -> tuple[frozenset[str], ...]:
    """The stemmed terms of each of a report's spans, kept across questions (keyed by the
    report and a hash of its text, so an edited report is read anew)."""
    return tuple(frozenset(t) for t in tokenize([text[a:b] for a, b in offsets]))


class ExtractiveComposer:
    """Answers with verbatim spans of the report windows, or refuses."""

    ATTRIBUTED = 24  # the best spans whose sources are read (a "who said" question needs them)

    def __init__(
        self,
        term_weights: Callable[[set[str]], dict[str, float]],
        vocabulary: Vocabulary | None = None,
        embed_phrases: Callable[[list[str]], np.ndarray] | None = None,
    ) -> None:
        """term_weights: the inverse passage frequency of stemmed terms in the collection;
        vocabulary: what the collection says about words (names, places); embed_phrases:
        vectors of short phrases, to tell a count given in other words."""
        self.term_weights = term_weights
        self.vocabulary = vocabulary
        self.embed_phrases = embed_phrases
        self.attribution = Attribution(vocabulary.is_place, vocabulary.is_demonym) if vocabulary else Attribution()

    def _describes(self, word: str) -> bool:
        return self.vocabulary is not None and self.vocabulary.describes(word)

    def score(self, question: Question, windows: list[Window], question_vector: np.ndarray | None) -> list[ScoredSpan]:
        """Every span of every window, best first."""
        weights = self.term_weights(set(question.terms))
        total = sum(weights.values())
        if not total:
            return []
        want = question.want
        describes = self._describes if self.vocabulary else None
        scored = []
        for window in windows:
            report = window.report
            text = report.text
            tokens_of_report = report_terms(report.title, report.published, text)
            anchors = question.anchors
            anchor_coverage = sum(_shares_prefix(a, tokens_of_report) for a in anchors) / len(anchors) if anchors else 1.0
            if question.months - tokens_of_report:  # "in April 2016" asked of a report that never says April
                anchor_coverage = min(anchor_coverage, MONTH_MISSING)
            # A count the report gives for something else is not an answer: if the report
            # speaks of the counted thing, the quote must give a number of it; a report
            # that never names it cannot say how many there were.
            counted_named = question.counted_noun is None or question.counts_people or bool(question.counted_terms & tokens_of_report)
            indices = window.span_indices()
            if not len(indices):
                continue
            offsets = tuple(map(tuple, report.spans.tolist()))
            terms_of = _span_terms(report.doc_id, hash(text), text, offsets)
            similarities = (
                report.vectors[indices] @ question_vector
                if report.vectors is not None and question_vector is not None
                else np.zeros(len(indices))
            )
            for index, similarity in zip(indices.tolist(), similarities.tolist()):
                start, end = offsets[index]
                if not want.date:  # a dateline answers no other question
                    start = skip_furniture(text, start, end)
                span = Span(start, end, text[start:end])
                span_terms = terms_of[index]
                coverage = sum(w for t, w in weights.items() if t in span_terms) / total
                score = SIMILARITY_WEIGHT * similarity + (1 - SIMILARITY_WEIGHT) * coverage
                offered = offers(span.text, question.text, want, describes=describes)
                quantity = question.counted_noun is None or (
                    counted_named and states_quantity(span.text, set(question.counted_terms))
                )
                if question.directions and not question.directions & span_terms:
                    score *= 0.8  # a count for "eastern Kessel" must not come from one about "western Kessel"
                score += 0.02 / window.n  # earlier-ranked reports win ties
                scored.append(ScoredSpan(window.n, span, score, quantity, anchor_coverage, offered, similarity=similarity))
        scored.sort(key=lambda s: s.score, reverse=True)
        by_n = {w.n: w for w in windows}
        top = scored[: self.ATTRIBUTED]
        for s in top:
            s.sources = self.attribution.sources_at(by_n[s.n].report.text, s.span.start, s.span.end)
        if question.counted_noun and not question.counts_people and not question.directions and self.embed_phrases:
            self._count_synonyms(question, top)
        for s in scored:
            # What must be there (a number for "how many") is one of the kinds offers_answer
            # looked for: only a span that offers something needs the stricter look.
            if not want.strict:
                s.offers_strict = True
            elif not s.offers_answer:
                s.offers_strict = False
            else:
                s.offers_strict = offers(s.span.text, question.text, want, strict_only=True, describes=describes)
            if has_furniture(s.span.text):
                s.score *= FURNITURE
            if not s.offers_answer:
                s.score *= TYPE_MISS
            elif name_near_focus(s.span.text, question.text, question.focus_nouns, describes=describes):
                s.score *= FOCUS_BONUS
            elif want.any:
                s.score *= TYPE_HIT
        for s in top:
            if question.asks_source:  # "who said ...": the quote must say who, and not just repeat the question's names
                if any(novel_name(name, question.text) for name in s.sources):
                    s.score *= FOCUS_BONUS
                elif not s.sources:
                    s.score *= TYPE_MISS
        scored.sort(key=lambda s: s.score, reverse=True)
        return scored

    def _count_synonyms(self, question: Question, top: list[ScoredSpan]) -> None:
        """A report may count the asked thing in other words ("paramedics": "two of them
        ambulance crew"; "nursing staff": "four nurses"). A number of something that
        means the same by embedding is a number of the asked thing; "people" for "cars"
        is not."""
        phrase = question.counted_phrase
        missing = [(s, numbered_phrases(s.span.text)) for s in top if not s.has_asked_quantity]
        missing = [(s, phrases) for s, phrases in missing if phrases]
        if not phrase or not missing:
            return
        flat = [p for _, phrases in missing for p in phrases]
        vectors = self.embed_phrases([phrase, *flat])
        similarity = iter(vectors[1:] @ vectors[0])
        for s, phrases in missing:
            if max(float(next(similarity)) for _ in phrases) >= COUNT_SYNONYM_SIMILARITY:
                s.has_asked_quantity = True

    def relevant(self, scored: list[ScoredSpan], min_score: float = MIN_SCORE) -> list[ScoredSpan]:
        return [
            s
            for s in scored
            if s.score >= min_score
            and s.anchor_coverage >= MIN_ANCHOR_COVERAGE
            and s.has_asked_quantity
            and s.offers_strict
        ]

    def compose(self, question: Question, windows: list[Window], question_vector: np.ndarray | None) -> Draft:
        scored = self.score(question, windows, question_vector)
        timeline = asks_for_timeline(question)
        # "What happened at X" reads like every sentence about X a little, and like none much.
        relevant = self.relevant(scored, TIMELINE_MIN_SCORE if timeline else MIN_SCORE)
        if not relevant:
            return Draft(text="")
        by_n = {w.n: w for w in windows}
        self._also = {}
        if timeline:
            return self._timeline(scored, relevant, by_n)
        if asks_for_figures(question):
            chosen = self._figure_spans(question, scored, relevant, by_n)
        else:
            chosen = self._best_spans(relevant, by_n)
        return self._draft(chosen, by_n)

    def _timeline(self, scored: list[ScoredSpan], relevant: list[ScoredSpan], by_n: dict[int, Window]) -> Draft:
        """Events of the incident from every report, in date order, one line each."""
        floor = EVENT_SCORE_RATIO * relevant[0].score
        picked: list[tuple[str, ScoredSpan]] = []
        for candidate in scored:
            if candidate.score < floor or len(picked) >= MAX_EVENTS:
                break
            if candidate.anchor_coverage < MIN_ANCHOR_COVERAGE or has_furniture(candidate.span.text):
                continue
            same_report = [s for _, s in picked if s.n == candidate.n]
            if len(same_report) >= EVENTS_PER_REPORT or any(
                _same_claim(s.span.text, candidate.span.text) for _, s in picked
            ):
                continue
            date, _ = date_of(candidate.span.text, by_n[candidate.n].report.published)
            picked.append((date or "9999", candidate))
        picked.sort(key=lambda pair: (pair[0], pair[1].n))
        lines, quotes, events = [], {}, []
        for _, choice in picked:
            document = by_n[choice.n].report.text
            span = complete_clause(document, include_figure_qualifier(document, trim_fragment_start(document, choice.span)))
            lines.append(f"{' '.join(span.text.split())} [{choice.n}]")
            quotes.setdefault(choice.n, span)
            events.append((choice.n, span))
        return Draft(text="\n".join(lines), quotes=quotes, events=events)

    def _best_spans(self, relevant: list[ScoredSpan], by_n: dict[int, Window]) -> list[ScoredSpan]:
        """The best span, and a second one close behind from another report (its own
        figure, or the answer in other words)."""
        chosen = [relevant[0]]
        for candidate in relevant[1:]:
            if len(chosen) >= MAX_SPANS or candidate.score < SECOND_SPAN_RATIO * chosen[0].score:
                break
            overlaps = any(
                c.n == candidate.n and c.span.start < candidate.span.end and candidate.span.start < c.span.end
                for c in chosen
            )
            # Another report stating the event with its own figure is worth showing; the
            # same words again (a repeated lead, or one wire story in two outlets) are not.
            repeats = any(
                c.span.text.casefold() == candidate.span.text.casefold()
                or (c.n == candidate.n and _same_claim(c.span.text, candidate.span.text))
                for c in chosen
            )
            if overlaps or repeats:
                continue
            # A second sentence of the same report close by is quoted with the first,
            # as one span: a citation number carries one quote.
            near = next((c for c in chosen if c.n == candidate.n and _merged_length(c.span, candidate.span) <= MAX_MERGED_CHARS), None)
            if near is not None:
                document = by_n[near.n].report.text
                start, end = min(near.span.start, candidate.span.start), max(near.span.end, candidate.span.end)
                near.span = Span(start, end, document[start:end])
            else:
                chosen.append(candidate)
        return chosen

    def _figure_spans(
        self, question: Question, scored: list[ScoredSpan], relevant: list[ScoredSpan], by_n: dict[int, Window]
    ) -> list[ScoredSpan]:
        """For a figure question, the best figure-giving span of every report about the
        same incident as the best answer (dated within days of it, naming its places);
        copies of one story giving the same figure count once."""
        best = relevant[0]
        reference = by_n[best.n].report.published
        floor = FIGURE_SCORE_RATIO * best.score
        chosen: list[ScoredSpan] = []
        seen: set[tuple[str, float]] = set()
        for candidate in sorted(scored, key=lambda s: s.score, reverse=True):
            if candidate.score < floor or len(chosen) >= MAX_FIGURES:
                break
            window = by_n[candidate.n]
            if any(c.n == candidate.n for c in chosen) or not (
                candidate.has_asked_quantity
                and candidate.offers_strict
                and candidate.anchor_coverage >= MIN_ANCHOR_COVERAGE
                and same_incident(window.report.published, reference)
            ):
                continue
            found = figure_in(candidate.span.text, question.counted_terms)
            if found is None:
                continue
            key = (window.group, found[1])
            if key in seen:  # a copy of a story already quoted, with the same figure
                first = next(c for c in chosen if (by_n[c.n].group, figure_in(c.span.text, question.counted_terms)[1]) == key)
                self._also[first.n].append(window.report.source or window.doc_id)
                continue
            seen.add(key)
            self._also[candidate.n] = []
            chosen.append(candidate)
        return chosen or [best]

    def _draft(self, chosen: list[ScoredSpan], by_n: dict[int, Window]) -> Draft:
        lines, quotes, attributions = [], {}, {}
        for choice in chosen:
            if choice.n in quotes:  # one quote per window number
                continue
            document = by_n[choice.n].report.text
            span = include_leading_name(document, include_figure_qualifier(document, trim_fragment_start(document, choice.span)))
            span = complete_clause(document, span)
            dangling = _DANGLING.search(span.text)
            if dangling and dangling.start() > 0:  # "... since the offensive began according"
                end = span.start + dangling.start()
                span = Span(span.start, end, document[span.start : end])
            tail = self.attribution.attribution_tail(document, span.end)
            if tail is not None:  # quote the attribution with the claim
                span = Span(span.start, tail, document[span.start : tail])
            who = self.attribution.attribute(document, span.start, span.end)
            lead = ""
            # Name the source when the quote leaves it out: said right after the quote,
            # or given in full before a quote that calls them by surname ("Fenn said").
            surname_only = (
                bool(who)
                and re.search(rf"\b{re.escape(who.split()[-1])}\b", span.text)
                and any(w not in span.text for w in who.split()[:-1] if not w.endswith("."))
            )
            if who and tail is None and who not in span.text and (
                who in document[span.end : span.end + 200] or surname_only
            ):
                lead = f"According to {who}: "
                attributions[choice.n] = who
            if any(span.text.casefold() == q.text.casefold() for q in quotes.values()):
                continue  # trimming made it the same words as a quote already chosen
            # One line per quote: a merged quote may span a paragraph break.
            lines.append(f"{lead}{' '.join(span.text.split())} [{choice.n}]")
            quotes[choice.n] = span
        also = {n: outlets for n, outlets in self._also.items() if outlets and n in quotes}
        return Draft(text="\n".join(lines), quotes=quotes, attributions=attributions, also_published_by=also)
