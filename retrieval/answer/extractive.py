"""The extractive composer (the offline default, and the fallback when an LLM fails):
it picks the spans of the retrieved passages that answer the question and cites them,
or refuses when no span is relevant enough. A LangChain Runnable wraps it in the engine;
its output is the same ``Draft`` the LLM composer produces.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from retrieval.answer.attribution import attribute, attribution_tail, names_source, sources_at
from retrieval.answer.question import focus_terms, name_near_focus, novel_name, offers, wanted
from retrieval.answer.spans import Span, has_furniture, include_leading_name, spans_in, trim_fragment_start
from retrieval.answer.types import Draft
from retrieval.index.report_index import Hit
from retrieval.language import MONTHS, NUMBER_WORDS, YEAR, tokenize


# Tuned on benchmarks/eval/questions.jsonl and questions-2.jsonl (README "Benchmarks";
# test.jsonl is held out): the best span's score (term coverage and embedding
# similarity, times the answer-type factors below) must reach MIN_SCORE, and its report
# must contain this share of the question's names, numbers and dates, or the composer
# refuses.
MIN_SCORE = 0.45
MIN_ANCHOR_COVERAGE = 0.75
SIMILARITY_WEIGHT = 0.7  # span score: this much embedding similarity, the rest term coverage
TYPE_MISS = 0.75  # a span with nothing of the wanted kind (no number for "how many") scores this much
TYPE_HIT = 1.1  # and one with it (a number for "how many") this much
FURNITURE = 0.85  # and one with page furniture inside (a wire credit and dateline mid-span) this much
# A name next to the noun a "which" question asks about ("minister Yaacoub al-Ammar"), or
# a new name as the source of a "who said" claim, scores this much more.
FOCUS_BONUS = 1.35
SECOND_SPAN_RATIO = 0.8  # a second span is quoted when it scores this close to the best
MAX_SPANS = 2
MAX_MERGED_CHARS = 400  # two sentences of one passage quoted as one span, at most this long

# Words that shape a question but are not what it is about (stemmed, as BM25 sees them).
QUESTION_TERMS = set(
    tokenize(
        [
            "how many much what which who whom whose when where why did does do was were is are "
            "report reports reported say said says according number total people tell told "
            "happen happened cause caused give gave name named"
        ]
    )[0]
)
_ASKS_SOURCE = re.compile(
    r"\b(?:who|which\s+(?:[\w\-]+\s+){0,3}?(?:group|monitor|agency|organi[sz]ation|official|spokes\w+|ministry|outlet|media))\b.*\b(?:said|says|say|reported|reports|report|told|claimed|claims|announced|confirmed|stated|described|called|accused|denied|blamed|warned|condemned|estimated|gave)\b"
    r"|\baccording to whom\b|\bwhat (?:is|was) the source\b",
    re.I,
)


@dataclass
class ScoredSpan:
    """A candidate quote from passage n, and what the composer found in it."""

    n: int
    span: Span
    score: float
    has_asked_quantity: bool = True  # a "how many X" question: the span gives a number of X
    anchor_coverage: float = 1.0  # share of the question's names and dates its report contains
    offers_answer: bool = True  # holds an answer of the kind asked (answer_types.offers)
    offers_strict: bool = True  # ... of a kind that must be there (a count for "how many")
    similarity: float = 0.0
    sources: list[str] = field(default_factory=list)  # who the span says makes its claim


_COUNTED = re.compile(r"\bhow many\s+(?:of\s+the\s+|more\s+)?(?P<noun>(?:[A-Za-z\-]+\s+){0,2}?[A-Za-z\-]+?)(?=\s+(?:were|was|are|is|did|do|does|have|has|had|died|killed|wounded|held|who|that|among|inside)\b|\?|$)", re.I)
_NUMBER_TOKEN = re.compile(r"^(?:\d[\d,.]*|" + "|".join(NUMBER_WORDS) + r"|dozens?|hundreds?|thousands?|several|scores?)$", re.I)


# A window that ends inside an attribution ("... according to the Syrian state news")
# is cut back before it; attribution_tail then quotes the whole attribution.
_DANGLING = re.compile(r"(?:\s+according\s+to(?:\s+\S+){0,6}|\s+(?:according|to|said|of|the|and|by|in|at|on))+$")


def _merged_length(a: Span, b: Span) -> int:
    return max(a.end, b.end) - min(a.start, b.start)


def _same_claim(a: str, b: str) -> bool:
    """Reports repeat their lead sentence; do not quote the same words twice from one."""
    words_a, words_b = set(a.lower().split()), set(b.lower().split())
    return len(words_a & words_b) > 0.5 * min(len(words_a), len(words_b))


# Words a count of people may be given in; a question's "youngsters" is the report's "children".
PEOPLE = set(tokenize(["people persons civilians individuals victims folks"])[0])
CHILDREN = set(tokenize(["children child kids youngsters minors boys girls infants babies pupils students"])[0])
KILLED = set(tokenize(["killed dead died deaths lives martyrs bodies"])[0])
WOUNDED = set(tokenize(["wounded injured hurt injuries casualties"])[0])


def noun_group(stem: str) -> set[str]:
    for group in (PEOPLE, CHILDREN, KILLED, WOUNDED):
        if stem in group:
            return group
    return {stem}


def _shares_prefix(anchor: str, tokens: set[str]) -> bool:
    """"qatari" ~ "qatar", "europ" ~ "european": stems of one name in other word forms."""
    if anchor in tokens:
        return True
    if len(anchor) < 5 or anchor.isdigit():
        return False
    return any(t[:5] == anchor[:5] for t in tokens)


DIRECTIONS = set(tokenize(["eastern western northern southern northeastern northwestern southeastern southwestern"])[0])
MONTH_STEMS = set(tokenize([" ".join(MONTHS)])[0])
COUNT_SYNONYM_SIMILARITY = 0.6  # "paramedics" ~ "ambulance crew" 0.64; "cars" ~ "people" 0.50
MONTH_MISSING = 0.5  # a report that never names the asked month covers at most this share of anchors
LEXICAL_TYPE_MISS = 0.6  # before the rerank: a span with nothing of the wanted kind
_ANCHOR_SKIP = {"according", "how", "what", "which", "who", "when", "where", "why", "did", "does", "was", "were", "is", "the", "in", "on", "a", "an"}


def anchor_terms(question: str) -> set[str]:
    """The words that pin a question to one incident: names, numbers, dates. A report
    missing one of them is about something else, however similar it reads."""
    # "Qatari-run" pins "Qatari", not "run"; "Aleppo's" is "Aleppo".
    words = [part for w in re.findall(r"[\w']+(?:-[\w']+)*", question) for part in re.sub(r"'s$", "", w).split("-")]
    picked = [
        w
        for i, w in enumerate(words)
        if len(w) > 1
        and w.lower() not in _ANCHOR_SKIP
        and (w[0].isdigit() or (w[0].isupper() and (i > 0 or w[1:].isupper())))
    ]
    return set(tokenize([" ".join(picked)])[0]) - QUESTION_TERMS if picked else set()


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


def counted_noun(question: str) -> str | None:
    """"How many children were killed" -> the stem of "children"."""
    phrase = counted_phrase(question)
    if not phrase:
        return None
    stems = tokenize([phrase.split()[-1]])[0]
    return stems[0] if stems else None


def counted_terms(question: str, noun: str) -> set[str]:
    """The words a count must stand next to. People are counted by what happened to them
    ("five others wounded" answers "how many folks were wounded"); anything else by its
    own name ("six teachers")."""
    group = noun_group(noun)
    if any(group is people for people in (PEOPLE, KILLED, WOUNDED)):
        asked = set(tokenize([question])[0])
        if asked & WOUNDED:  # "18 civilians killed" does not say how many were wounded
            return WOUNDED
        return group | KILLED | PEOPLE
    return group


def counted_phrase(question: str) -> str | None:
    """"How many teaching staff died" -> "teaching staff"."""
    match = _COUNTED.search(question)
    return match.group("noun") if match else None


_OF_THEM = {"of", "them", "whom", "were", "other", "others", "more", "than", "at", "least", "the"}


def numbered_phrases(text: str) -> list[str]:
    """What the numbers of text count: "two of them ambulance crew" -> "ambulance crew",
    "6 Lebanese martyrs" -> "Lebanese martyrs"."""
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
    things only by a number written just before them ("five cars", not "six others
    injured in a car bomb"). A year counts nothing."""
    people = bool(terms & (PEOPLE | CHILDREN | KILLED | WOUNDED))
    raw = [w.strip(",.") for w in re.findall(r"[\w\-,.]+", text)]
    for i, word in enumerate(raw):
        if _NUMBER_TOKEN.match(word) and not YEAR.fullmatch(word):
            window = " ".join(raw[max(0, i - 2) : i + 6] if people else raw[i + 1 : i + 4])
            if terms & set(tokenize([window])[0]):
                return True
    return False


class ExtractiveComposer:
    """Answers with verbatim spans of the passages, or refuses."""

    RERANKED = 16  # spans compared with the question by embedding, after a lexical cut

    def __init__(self, term_weights: Callable[[set[str]], dict[str, float]], embeddings=None) -> None:
        """term_weights: the inverse passage frequency of stemmed terms in the collection;
        embeddings: a model with ``embed_matrix`` to compare spans with the question."""
        self.term_weights = term_weights
        self.embeddings = embeddings

    def _weights(self, question: str) -> dict[str, float]:
        return self.term_weights(set(tokenize([question])[0]) - QUESTION_TERMS)

    def score(
        self, question: str, hits: list[Hit], documents: dict[str, str], focus: str | None = None
    ) -> list[ScoredSpan]:
        """Spans best first. question holds the words to look for (a follow-up joined with
        the questions before it); focus, the latest question, says what kind of answer is
        wanted (a count of what, a date, a name)."""
        weights = self._weights(question)
        total = sum(weights.values())
        if not total:
            return []
        asked = question
        question = focus or question
        wants_source = bool(_ASKS_SOURCE.search(question))
        want = wanted(question)
        noun = counted_noun(question)
        counted = counted_terms(question, noun) if noun else set()
        counts_people = noun is not None and any(noun in group for group in (PEOPLE, KILLED, WOUNDED))
        anchors = anchor_terms(asked)
        # A count for "eastern Aleppo" must not come from a quote about "western Aleppo".
        directions = set(tokenize([question])[0]) & DIRECTIONS if noun else set()
        months = set(tokenize([asked])[0]) & MONTH_STEMS
        scored = []
        for n, hit in enumerate(hits, start=1):
            doc_id = hit.passage.doc_id
            tokens_of_report = report_terms(hit.passage.title, hit.passage.published, documents[doc_id])
            anchor_coverage = (
                sum(_shares_prefix(a, tokens_of_report) for a in anchors) / len(anchors) if anchors else 1.0
            )
            if months - tokens_of_report:  # "in April 2016" asked of a report that never says April
                anchor_coverage = min(anchor_coverage, MONTH_MISSING)
            # A count the report gives for something else is not an answer: if the report
            # speaks of the counted thing, the quote must give a number of it; a report
            # that never names it cannot say how many there were.
            counted_named = noun is None or counts_people or bool(counted & tokens_of_report)
            spans = spans_in(documents[doc_id], hit.passage.start, hit.passage.end, keep_dateline=want.date)
            for span, span_tokens in zip(spans, tokenize([s.text for s in spans])):
                coverage = sum(w for t, w in weights.items() if t in span_tokens) / total
                score = coverage
                offered = offers(span.text, question, want)
                if not offered:
                    score *= LEXICAL_TYPE_MISS
                if wants_source and not names_source(documents[doc_id], span.start, span.end):
                    score *= 0.6
                quantity = noun is None or (counted_named and states_quantity(span.text, counted))
                if directions:
                    # The count must be for the part of town asked about, not the one
                    # named right after the quote ("... in civilian areas of western Aleppo").
                    around = set(tokenize([documents[doc_id][span.start : span.end + 80]])[0]) & DIRECTIONS
                    if not directions <= set(span_tokens) or around - directions:
                        quantity = False
                if not quantity:
                    score *= 0.8
                score += 0.02 / n  # earlier-ranked passages win ties
                scored.append(ScoredSpan(n, span, score, quantity, anchor_coverage, offered))
        scored.sort(key=lambda s: s.score, reverse=True)
        top = scored[: self.RERANKED]
        for s in top:
            s.sources = sources_at(documents[hits[s.n - 1].passage.doc_id], s.span.start, s.span.end)
        if self.embeddings is not None and top:
            # The retriever embedded the same query a moment ago: embed_query is cached.
            question_vector = np.asarray(self.embeddings.embed_query(asked), dtype=np.float32)
            vectors = self.embeddings.embed_matrix([s.span.text for s in top])
            for s, similarity in zip(top, vectors @ question_vector):
                s.similarity = float(similarity)
                s.score = SIMILARITY_WEIGHT * s.similarity + (1 - SIMILARITY_WEIGHT) * s.score
        if noun and not counts_people and not directions and self.embeddings is not None:
            self._count_synonyms(question, top)
        focus_nouns = focus_terms(question)
        for s in top:
            s.offers_strict = offers(s.span.text, question, want, strict_only=True)
            if has_furniture(s.span.text):
                s.score *= FURNITURE
            if not s.offers_answer:
                s.score *= TYPE_MISS
            elif name_near_focus(s.span.text, question, focus_nouns):
                s.score *= FOCUS_BONUS
            elif want.any:
                s.score *= TYPE_HIT
            if wants_source:  # "who said ...": the quote must say who, and not just repeat the question's names
                if any(novel_name(name, question) for name in s.sources):
                    s.score *= FOCUS_BONUS
                elif not s.sources:
                    s.score *= TYPE_MISS
        top.sort(key=lambda s: s.score, reverse=True)
        return top

    def _count_synonyms(self, question: str, top: list[ScoredSpan]) -> None:
        """A report may count the asked thing in other words ("paramedics": "two of them
        ambulance crew"; "teaching staff": "six teachers"). A number of something that
        means the same by embedding is a number of the asked thing; "people" for "cars"
        is not."""
        phrase = counted_phrase(question)
        missing = [(s, numbered_phrases(s.span.text)) for s in top if not s.has_asked_quantity]
        missing = [(s, phrases) for s, phrases in missing if phrases]
        if not phrase or not missing:
            return
        flat = [p for _, phrases in missing for p in phrases]
        vectors = self.embeddings.embed_matrix([phrase, *flat])
        similarity = iter(vectors[1:] @ vectors[0])
        for s, phrases in missing:
            if max(float(next(similarity)) for _ in phrases) >= COUNT_SYNONYM_SIMILARITY:
                s.has_asked_quantity = True

    def relevant(self, scored: list[ScoredSpan]) -> list[ScoredSpan]:
        return [
            s
            for s in scored
            if s.score >= MIN_SCORE
            and s.anchor_coverage >= MIN_ANCHOR_COVERAGE
            and s.has_asked_quantity
            and s.offers_strict
        ]

    def compose(self, question: str, hits: list[Hit], documents: dict[str, str], focus: str | None = None) -> Draft:
        relevant = self.relevant(self.score(question, hits, documents, focus))
        if not relevant:
            return Draft(text="")
        chosen = [relevant[0]]
        for candidate in relevant[1:]:
            if len(chosen) >= MAX_SPANS or candidate.score < SECOND_SPAN_RATIO * chosen[0].score:
                break
            overlaps = any(
                hits[c.n - 1].passage.doc_id == hits[candidate.n - 1].passage.doc_id
                and c.span.start < candidate.span.end
                and candidate.span.start < c.span.end
                for c in chosen
            )
            # Another report stating the event with its own figure is worth showing; the
            # same words again (a repeated lead, or one wire story in two outlets) are not.
            repeats = any(
                c.span.text.casefold() == candidate.span.text.casefold()
                or (
                    hits[c.n - 1].passage.doc_id == hits[candidate.n - 1].passage.doc_id
                    and _same_claim(c.span.text, candidate.span.text)
                )
                for c in chosen
            )
            if overlaps or repeats:
                continue
            # A second sentence of the same passage close by is quoted with the first,
            # as one span: a citation number carries one quote.
            near = next((c for c in chosen if c.n == candidate.n and _merged_length(c.span, candidate.span) <= MAX_MERGED_CHARS), None)
            if near is not None:
                document = documents[hits[near.n - 1].passage.doc_id]
                start, end = min(near.span.start, candidate.span.start), max(near.span.end, candidate.span.end)
                near.span = Span(start, end, document[start:end])
            else:
                chosen.append(candidate)
        lines, quotes, attributions = [], {}, {}
        for choice in chosen:
            if choice.n in quotes:  # one quote per passage number
                continue
            document = documents[hits[choice.n - 1].passage.doc_id]
            choice.span = include_leading_name(document, trim_fragment_start(document, choice.span))
            dangling = _DANGLING.search(choice.span.text)
            if dangling and dangling.start() > 0:  # "... since the offensive began according"
                end = choice.span.start + dangling.start()
                choice.span = Span(choice.span.start, end, document[choice.span.start : end])
            tail = attribution_tail(document, choice.span.end)
            if tail is not None:  # quote the attribution with the claim
                choice.span = Span(choice.span.start, tail, document[choice.span.start : tail])
            who = attribute(document, choice.span.start, choice.span.end)
            lead = ""
            # Name the source when the quote leaves it out: said right after the quote,
            # or given in full before a quote that calls them by surname ("Khalil said").
            surname_only = (
                bool(who)
                and re.search(rf"\b{re.escape(who.split()[-1])}\b", choice.span.text)
                and any(w not in choice.span.text for w in who.split()[:-1] if not w.endswith("."))
            )
            if who and tail is None and who not in choice.span.text and (
                who in document[choice.span.end : choice.span.end + 200] or surname_only
            ):
                lead = f"According to {who}: "
                attributions[choice.n] = who
            if any(choice.span.text.casefold() == q.text.casefold() for q in quotes.values()):
                continue  # trimming made it the same words as a quote already chosen
            # One line per quote: a merged quote may span a paragraph break.
            lines.append(f"{lead}{' '.join(choice.span.text.split())} [{choice.n}]")
            quotes[choice.n] = choice.span
        return Draft(text="\n".join(lines), quotes=quotes, attributions=attributions)
