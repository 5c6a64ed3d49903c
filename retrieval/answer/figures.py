"""Figures by source: what each report about an incident says a count, toll, amount or
duration was, who in the report says it, and when the report was published.

Analysts ask a bot over many outlets how a toll changed across reports: a state agency, a
monitor and a wire agency give different figures, and the watchdog's own count rises
over days. An answer to a figure question therefore lists every report about the same
incident that states the figure (one line each, cited and quoted), ordered by report
date, with a one-line summary ("12 to 40 dead across 4 reports, 3-6 May 2016; the
watchdog's count rose from 12 to 35"). Figures are shown as the reports write them:
never added up or averaged. Copies of one wire story count once.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from text_to_num import alpha2digit

from retrieval.answer.question import Question
from retrieval.answer.types import Answer
from retrieval.language import FIGURE_QUALIFIER_PATTERN, NUMBER_WORD_PATTERN, YEAR

FIGURES_DIFFER = "The cited reports give different figures; each is shown with its source."
ONE_SOURCE = "This figure comes from one report ({source}); other reports may count differently."
_ASKS_FIGURE = re.compile(r"\bhow (?:many|much|long)\b|\btoll\b|\bnumber of\b|\bfigures?\b|\bcasualt", re.I)
# A figure as reports write it: an optional qualifier, the number, and what it counts.
_FIGURE = re.compile(
    rf"(?:(?:{FIGURE_QUALIFIER_PATTERN})\s+)?"
    rf"(?<![\w.,])(?:\d[\d,.]*|{NUMBER_WORD_PATTERN}(?:[\s\-](?:{NUMBER_WORD_PATTERN}))*|dozens|hundreds|scores)"
    r"(?:\s+(?:thousand|million|billion))?(?![\w,])(?:\s+[a-z][\w\-]*){0,2}",
    re.I,
)
INCIDENT_DAYS = 10  # reports of one incident are published within this many days of each other
# A figure question reads this many times TOP_K reports (their hit passages first, within
# the same token budget): every outlet's figure is the answer.
FIGURE_REPORTS_FACTOR = 2
# Words that end what a figure counts: "17 people | were killed", "40 people | had".
_FUNCTION_WORDS = frozenset(
    "a an the and or but of in on at to by for from with as were was is are be been being had has have "
    "who which that including among after before during when while".split()
)


@dataclass
class Figure:
    """One report's figure for what was asked."""

    n: int  # the citation that quotes it
    figure: str  # as the report writes it: "at least 9 people"
    value: float  # its number, for ordering the summary (never added up)
    who: str | None  # who in the report gives it
    outlet: str | None
    published: str | None
    also_published_by: list[str]

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "figure": self.figure,
            "who": self.who,
            "outlet": self.outlet,
            "published": self.published,
            "also_published_by": self.also_published_by,
        }


def asks_for_figures(question: Question) -> bool:
    """A count, toll, amount or duration of an incident."""
    want = question.want
    return (want.count or want.money or want.duration) and bool(_ASKS_FIGURE.search(question.text))


def _value(number: str) -> float | None:
    digits = alpha2digit(number, "en", threshold=0)
    match = re.search(r"\d[\d,]*(?:\.\d+)?", digits)
    if match is None:
        return None
    value = float(match.group(0).replace(",", ""))
    for scale, factor in (("thousand", 1e3), ("million", 1e6), ("billion", 1e9)):
        if scale in number.lower():
            value *= factor
    return value


_TOLL = re.compile(r"\btolls?\b|\bcasualt\w*|\bnumber of (?:dead|deaths|victims)\b", re.I)


def figure_in(quote: str, counted_terms: frozenset[str]) -> tuple[str, float] | None:
    """The figure a quote gives for the counted thing, as written, with its value: the
    number a toll is said to stand at ("the death toll ... rose to 21"), else the first
    number standing by a word of the counted thing."""
    from retrieval.answer.question import KILLED, WOUNDED, counts_the_wounded
    from retrieval.language import terms

    deaths = bool(counted_terms & KILLED) and not counted_terms & WOUNDED
    tolls = [m.end() for m in _TOLL.finditer(quote)]
    best, best_rank = None, 0
    for match in _FIGURE.finditer(quote):
        words = match.group(0).split()
        bare = len(_bare(match.group(0)).split())
        while len(words) > bare and words[-1].lower() in _FUNCTION_WORDS:
            words.pop()
        text = " ".join(words)
        if any(YEAR.fullmatch(w) for w in text.split()):
            continue  # "in 2011": a year counts nothing
        after = quote[match.start() :].split()
        if deaths and counts_the_wounded(after, bare - 1):
            continue
        around = quote[max(0, match.start() - 40) : match.end() + 40]
        counted_next = bool(set(terms(" ".join(after[bare : bare + 3]))) & counted_terms)  # "17 children"
        rank = (
            3 * any(0 <= match.start() - t <= 80 for t in tolls)  # "the toll rose to 21" is the figure
            + 2 * counted_next
            + bool(set(terms(around)) & counted_terms)
        )
        if counted_terms and not rank:
            continue
        value = _value(_bare(text))
        if value is not None and rank > best_rank:
            best, best_rank = (text, value), rank
    return best


def figures_of(answer: Answer, question: Question) -> list[Figure]:
    """The figure each citation of an answer gives, ordered by report date."""
    figures = []
    for citation in answer.citations:
        found = figure_in(citation.quote, question.counted_terms)
        if found is None:
            continue
        figures.append(
            Figure(
                n=citation.n,
                figure=found[0],
                value=found[1],
                who=citation.attributed_to,
                outlet=citation.source,
                published=citation.published,
                also_published_by=citation.also_published_by,
            )
        )
    return sorted(figures, key=lambda f: (f.published or "9999", f.n))


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def _date_range(figures: list[Figure]) -> str:
    dates = sorted(d for d in (_date(f.published) for f in figures) if d)
    if not dates:
        return ""
    first, last = dates[0], dates[-1]
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {first:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


def summary_line(figures: list[Figure], question: Question) -> str | None:
    """"12 to 40 dead across 4 reports, 3–6 May 2016; SOHR's count rose from 12 to 35"."""
    if len(figures) < 2:
        return None
    low = min(figures, key=lambda f: f.value)
    high = max(figures, key=lambda f: f.value)
    noun = question.counted_phrase or "reported"
    if low.value == high.value:
        line = f"{len(figures)} reports give the same figure ({low.figure})"
    else:
        line = f"From {_bare(low.figure).lower()} to {_bare(high.figure).lower()} {noun} across {len(figures)} reports"
    dates = _date_range(figures)
    if dates:
        line += f", {dates}"
    for who in dict.fromkeys(f.who for f in figures if f.who):
        own = [f for f in figures if f.who == who]
        if len(own) >= 2 and own[0].value != own[-1].value:
            change = "rose" if own[-1].value > own[0].value else "fell"
            line += f"; {who}'s count {change} from {_bare(own[0].figure)} to {_bare(own[-1].figure)}"
    return line


def _bare(figure: str) -> str:
    """The number of a figure with its qualifier ("at least 9 people" -> "at least 22")."""
    match = re.match(
        rf"(?:(?:{FIGURE_QUALIFIER_PATTERN})\s+)?"
        rf"(?:\d[\d,.]*|(?:{NUMBER_WORD_PATTERN})(?:[\s\-](?:{NUMBER_WORD_PATTERN}))*|dozens|hundreds|scores)"
        r"(?:\s+(?:thousand|million|billion))?",
        figure,
        re.I,
    )
    return match.group(0) if match else figure


def figure_notes(answer: Answer, question: str) -> list[str]:
    """Say when a figure rests on one outlet, or when the cited reports disagree."""
    from retrieval.answer.verify import numbers_in

    if not re.search(r"\bhow (?:many|much)\b|\btoll\b|\bnumber of\b", question, re.I):
        return []
    figures = {c.doc_id: numbers_in(c.quote) for c in answer.citations}
    figures = {doc: found for doc, found in figures.items() if found}
    outlets = {c.source for c in answer.citations if c.doc_id in figures}
    if len(figures) >= 2 and len({frozenset(f) for f in figures.values()}) > 1:
        return [FIGURES_DIFFER]
    if len(figures) == 1 and len(outlets) == 1:
        return [ONE_SOURCE.format(source=next(iter(outlets)) or "one report")]
    return []


def same_incident(published: str | None, reference: str | None) -> bool:
    """Whether a report's date is close enough to the reference report's to be about the
    same incident (undated reports are not ruled out by their date)."""
    first, second = _date(published), _date(reference)
    if first is None or second is None:
        return True
    return abs((first - second).days) <= INCIDENT_DAYS
