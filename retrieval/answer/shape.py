"""The last step: verified claims become the ``Answer`` every renderer reads.

The answer text is the claims, one line each with its [n]; the citations are the reports
they rest on, numbered by first use, each with the exact span of its first claim. A
figure question's claims become figures by source, the way casualty recorders keep them
(the Every Casualty standard: each source's figure as written, with who gives it; ACLED:
the most conservative figure when sources dispute; Airwars: one incident at a time):
only claims about the asked incident count, copies of one story count once, and the
summary gives the range from lowest to highest, the number of independent sources and
the latest figure, never a sum or an average. A timeline's claims become dated events in
order. A refusal shows the closest passages instead.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from retrieval.answer.draft import Draft
from retrieval.answer.incident import IncidentScope, Scope
from retrieval.answer.kinds import counted_figures
from retrieval.answer.question import Intent, Question
from retrieval.answer.report import Region, ReportView
from retrieval.answer.retrieve import FilterEffect
from retrieval.answer.timeline import date_of
from retrieval.answer.types import Answer, Citation, Claim, Dropped, Event, Figure, Verification
from retrieval.answer.verify import Verified, VerifiedClaim, best_support
from retrieval.answer.windows import Reading, Window
from retrieval.language.en.speech import SPEECH_VERBS
from retrieval.language.en.stop_words import STOP_WORDS
from retrieval.language.names import written_in
from retrieval.language.numbers import figures_in, numbers_in

REFUSAL = "The reports I have don't answer that."
NOTHING_LEFT = "No report matches {filters}, so there was nothing to search."
RELATED_SHOWN = 3
OTHER_LANGUAGE = "Your question looks like {language}; the reports are searched in English, so ask in English for better answers."
FIGURES_DIFFER = "The cited reports give different figures; each is shown with its source."
ONE_SOURCE = "This figure comes from one report ({source}); other reports may count differently."


class Shape:
    def __init__(self, incidents: IncidentScope) -> None:
        self.incidents = incidents

    def run(self, verified: Verified) -> Answer:
        draft = verified.draft
        reading = draft.reading
        question = reading.question
        claims = list(verified.claims)
        verification = verified.verification
        if question.intent is Intent.FIGURES and claims:
            claims, verification = self._one_incident(question, claims, verification)
        answer = Answer(
            question=question.asked,
            text=REFUSAL,
            refused=True,
            verification=verification,
            notes=_notes(question, draft),
            composer=draft.composer,
            retrieval_query=question.search if question.is_follow_up else None,
            filters=question.filters.description,
            filter=_filter_data(question, reading.effect),
        )
        if not claims:
            return _refused(answer, reading)
        copies: dict[int, tuple[str, ...]] = {}
        if question.intent is Intent.FIGURES:
            claims.sort(key=lambda c: (c.window.report.published or "9999", c.window.n))
            claims, copies = _one_row_per_story(question, claims)
        numbers = _cite(answer, claims, copies)
        if question.intent is Intent.TIMELINE:
            answer.events = _events(claims, numbers)
        elif question.intent is Intent.FIGURES:
            answer.figures = _figures(question, claims, numbers, copies)
            if len(answer.figures) >= 2:
                answer.summary = _summary(answer.figures, question, self._scope(question, claims))
        if answer.summary is None and question.counted is not None:
            answer.notes += _figure_notes(answer)
        return answer

    def _scope(self, question: Question, claims: list[VerifiedClaim]) -> Scope:
        best = claims[0]
        return self.incidents.scope(question, ReportView(best.window.report), Region(best.span.start, best.span.end))

    def _one_incident(
        self, question: Question, claims: list[VerifiedClaim], verification: Verification
    ) -> tuple[list[VerifiedClaim], Verification]:
        """The claims about the incident of the first (the composer's best) claim; the
        verification, with the others dropped as about another incident."""
        scope = self._scope(question, claims)
        kept, off = [], []
        for claim in claims:
            reason = self.incidents.outside(scope, ReportView(claim.window.report), Region(claim.span.start, claim.span.end))
            if reason is None:
                kept.append(claim)
            else:
                off.append(Dropped(claim.statement, f"about another incident: {reason}"))
        if off:
            verification = replace(verification, dropped=verification.dropped + tuple(off))
        return kept, verification


def _notes(question: Question, draft: Draft) -> list[str]:
    """What the answer says besides its claims: which reports were searched, the
    composer's notes, and that the question is not in English."""
    notes = [*_filter_notes(question, draft.reading.effect), *draft.notes]
    if question.language:
        notes.append(OTHER_LANGUAGE.format(language=question.language))
    return notes


def _refused(answer: Answer, reading: Reading) -> Answer:
    """The refusal, with the closest passages, and why nothing was searched when the
    filters left no report."""
    question = reading.question
    if reading.effect is not None and reading.effect.reports_left == 0:
        answer.notes.insert(0, NOTHING_LEFT.format(filters=question.filters.description))
    answer.related = _related(list(reading.windows), question.search)
    return answer


def _cite(answer: Answer, claims: list[VerifiedClaim], copies: dict[int, tuple[str, ...]]) -> dict[int, int]:
    """The claims as the answer's text and claims, and the reports they rest on as its
    citations, numbered by first use, each with the span of its first claim; returns the
    number of each window's report."""
    numbers: dict[int, int] = {}
    for claim in claims:
        numbers.setdefault(claim.window.n, len(numbers) + 1)
    answer.refused = False
    answer.text = "\n".join(f"{' '.join(c.statement.split())} [{numbers[c.window.n]}]" for c in claims)
    answer.claims = [
        Claim(c.statement, numbers[c.window.n], c.window.doc_id, c.span.text, c.span.start, c.span.end, c.said_by, c.figures)
        for c in claims
    ]
    first: dict[int, VerifiedClaim] = {}
    for claim in claims:
        first.setdefault(claim.window.n, claim)
    answer.citations = [
        _citation(numbers[n], c.window, c.span.text, c.span.start, c.span.end, c.said_by, copies.get(n, ()))
        for n, c in first.items()
    ]
    return numbers


def _citation(
    n: int, window: Window, quote: str, start: int, end: int, said_by: str | None, copies: tuple[str, ...] = ()
) -> Citation:
    r = window.report
    return Citation(
        n=n,
        doc_id=r.doc_id,
        title=r.title,
        source=r.source,
        published=r.published,
        url=r.url,
        quote=quote,
        start=start,
        end=end,
        attributed_to=said_by,
        also_published_by=tuple(dict.fromkeys([*(c.source or c.doc_id for c in window.copies), *copies])),
    )


def _value(question: Question, claim: VerifiedClaim) -> float | None:
    found = counted_figures(claim.span.text, question) if question.counted else list(figures_in(claim.span.text))
    return found[0].value if found else None


def _one_row_per_story(question: Question, claims: list[VerifiedClaim]) -> tuple[list[VerifiedClaim], dict[int, tuple[str, ...]]]:
    """Copies of one wire story giving the same figure count once: the first keeps the
    claim, the others are named as also publishing it."""
    kept: list[VerifiedClaim] = []
    first: dict[tuple[str, float | None, str | None], VerifiedClaim] = {}
    copies: dict[int, tuple[str, ...]] = {}
    for claim in claims:
        key = (claim.window.group, _value(question, claim), claim.said_by)
        original = first.get(key)
        if original is not None and original.window.n != claim.window.n and key[1] is not None:
            outlet = claim.window.report.source or claim.window.doc_id
            copies[original.window.n] = (*copies.get(original.window.n, ()), outlet)
            continue
        first.setdefault(key, claim)
        kept.append(claim)
    return kept, copies


def _related(windows: list[Window], query: str) -> list[Citation]:
    """The closest span of each of the first few windows, shown with a refusal."""
    related = []
    for i, window in enumerate(windows[:RELATED_SHOWN], start=1):
        span = best_support(window, query)
        if span is not None:
            related.append(_citation(i, window, span.text, span.start, span.end, None))
    return related


def _events(claims: list[VerifiedClaim], numbers: dict[int, int]) -> list[Event]:
    events = []
    for claim in claims:
        date, dated_by = date_of(ReportView(claim.window.report), Region(claim.span.start, claim.span.end))
        events.append(Event(numbers[claim.window.n], date, dated_by, claim.span.text))
    return sorted(events, key=lambda e: (e.date or "9999", e.n))


def _figures(
    question: Question, claims: list[VerifiedClaim], numbers: dict[int, int], copies: dict[int, tuple[str, ...]]
) -> list[Figure]:
    """One row per source's figure: what each claim gives for what was asked, as the
    report writes it, with who gives it (a report may carry several sources' figures)."""
    rows: list[Figure] = []
    seen: set[tuple[int, str | None, float | None]] = set()
    for claim in claims:
        found = counted_figures(claim.span.text, question) if question.counted else list(figures_in(claim.span.text))
        if not found:
            continue
        number, window = found[0], claim.window
        key = (window.n, claim.said_by, number.value)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            Figure(
                n=numbers[window.n],
                figure=_figure_text(claim.span.text, number),
                value=number.value,
                who=claim.said_by,
                outlet=window.report.source,
                published=window.report.published,
                also_published_by=tuple(dict.fromkeys([*(c.source or c.doc_id for c in window.copies), *copies.get(window.n, ())])),
            )
        )
    return sorted(rows, key=lambda f: (f.published or "9999", f.n))


def _figure_text(text: str, number) -> str:
    """The figure with what it counts, as written: "at least 22 people", "31 civilians"."""
    noun = []
    for word in text[number.end :].split()[:2]:
        bare = word.strip(",.;:()\"'")
        if not bare.isalpha() or not bare.islower() or bare in STOP_WORDS or bare in SPEECH_VERBS:
            break
        if bare.endswith("ing") or (noun and bare.endswith("ed")):
            break  # "15 civilians including", "60 people wounded": a verb, not what is counted
        noun.append(bare)
        if word != bare:  # punctuation ends what it counts
            break
    return " ".join([number.text, *noun])


def _summary(figures: list[Figure], question: Question, scope: Scope) -> str:
    """"From at least 12 to 35 people across 3 sources (Kessel, 3–6 May 2024); latest:
    35 people (Harbor Gazette, 6 May 2024)". Sources are independent when their outlet
    or who gives the figure differ (copies of one story were made one row already)."""
    valued = [f for f in figures if f.value is not None]
    line = _range_line(figures, valued, question)
    where = _incident_words(figures, question, scope)
    if where:
        line += f" ({'; '.join(where)})"
    dated = [f for f in figures if f.published]
    if dated and valued:
        latest = max(dated, key=lambda f: (f.published, f.n))
        line += f"; latest: {latest.figure} ({latest.who or latest.outlet or 'unknown source'}, {_day(latest.published)})"
    return line


def _range_line(figures: list[Figure], valued: list[Figure], question: Question) -> str:
    """The figures' range and how many independent sources give them; never a sum."""
    if not valued:
        return f"{len(figures)} reports give figures"
    low = min(valued, key=lambda f: f.value)
    high = max(valued, key=lambda f: f.value)
    if low.value == high.value:
        return f"{len(figures)} reports give the same figure ({low.figure})"
    independent = len({(f.outlet, f.who) for f in figures})
    noun = question.counted.phrase if question.counted else "reported"
    return f"From {_bare(low).lower()} to {_bare(high).lower()} {noun} across {independent} sources"


def _incident_words(figures: list[Figure], question: Question, scope: Scope) -> list[str]:
    """The incident as the question names it (a place read from the best report may be
    one it only mentions), then the dates of the reports shown."""
    where = []
    if scope.asked and scope.places:
        where.append(", ".join(p for p in scope.places if not any(p != o and written_in(p, o) for o in scope.places)))
    dates = _date_range(figures)
    if dates:
        where.append(dates)
    elif question.incident.dates is not None and scope.describe():
        where = [scope.describe()]
    return where


def _bare(figure: Figure) -> str:
    """The figure without what it counts: "at least 22"."""
    found = numbers_in(figure.figure)
    return found[0].text if found else figure.figure


def _day(published: str | None) -> str:
    try:
        d = datetime.date.fromisoformat((published or "")[:10])
    except ValueError:
        return published or "undated"
    return f"{d.day} {d:%B %Y}"


def _date_range(figures: list[Figure]) -> str:
    days = sorted(d for d in (_parse(f.published) for f in figures) if d)
    if not days:
        return ""
    first, last = days[0], days[-1]
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {first:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


def _parse(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def _figure_notes(answer: Answer) -> list[str]:
    """Say when a figure rests on one outlet, or when the cited reports disagree."""
    values = {c.doc_id: frozenset(n.value for n in figures_in(c.quote) if n.value is not None) for c in answer.citations}
    values = {d: v for d, v in values.items() if v}
    outlets = {c.source for c in answer.citations if c.doc_id in values}
    if len(values) >= 2 and len(set(values.values())) > 1:
        return [FIGURES_DIFFER]
    if len(values) == 1 and len(outlets) == 1:
        return [ONE_SOURCE.format(source=next(iter(outlets)) or "one report")]
    return []


def _filter_notes(question: Question, effect: FilterEffect | None) -> list[str]:
    """"Searched reports from SANA published since 2016-10-01: 12 reports (undated reports left out: 3)"."""
    if question.filters.empty or question.filters.description is None:
        return []
    line = f"Searched {question.filters.description}"
    if effect is not None:
        line += f": {effect.reports_left} {'report' if effect.reports_left == 1 else 'reports'}"
        if effect.undated_kept:
            line += f", {effect.undated_kept} of them undated"
        if effect.undated_dropped:
            line += f"; {effect.undated_dropped} undated {'report' if effect.undated_dropped == 1 else 'reports'} left out"
    return [line + "."]


def _filter_data(question: Question, effect: FilterEffect | None) -> dict | None:
    where = question.filters.where
    if where is None or where.empty:
        return None
    data = {
        "source": where.source,
        "since": where.published_from,
        "until": where.published_to,
        "undated_included": where.include_undated,
        "from_words": question.filters.from_words,
    }
    if effect is not None:
        data |= {"reports": effect.reports_left, "undated_kept": effect.undated_kept, "undated_left_out": effect.undated_dropped}
    return data
