"""Whether a report is about what the question names: the share of the question's names,
numbers and dates (its anchors) that a report contains. The extractive composer declines
when the best span's report lacks too many of them.
"""

from __future__ import annotations

from functools import lru_cache

from retrieval.answer.incident import DAYS_AFTER
from retrieval.answer.question import Question
from retrieval.answer.report import ReportView
from retrieval.language.dates import DateRange
from retrieval.language.en.questions import ASKING_WORDS
from retrieval.language.names import acronyms_spelled_out
from retrieval.language.numbers import number_values
from retrieval.language.terms import term_set

DATE_MISSING = 0.5  # a report far from the asked date that never names its month covers at most this share of anchors

_ASKING = term_set(" ".join(ASKING_WORDS))


@lru_cache(maxsize=512)
def _report_anchors(
    doc_id: str, content: int, title: str, published: str | None, text: str
) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The stemmed words, number values and spelled-out acronyms of a report, its title
    and its date, for the names and numbers of a question to be looked up in (keyed by a
    hash of the text: an edited report is read anew)."""
    whole = f"{title}\n{published or ''}\n{text}"
    return term_set(whole), number_values(whole), frozenset(acronyms_spelled_out(whole))


def _shares_prefix(anchor: str, tokens: frozenset[str]) -> bool:
    """"qatari" ~ "qatar", "europ" ~ "european": stems of one name in other word forms."""
    if anchor in tokens:
        return True
    if len(anchor) < 5 or anchor.isdigit():
        return False
    return any(t[:5] == anchor[:5] for t in tokens)


def anchor_coverage(question: Question, view: ReportView) -> float:
    """The share of the question's names, numbers and dates its report contains; a
    report far from the asked date that never names its month covers at most half."""
    report = view.report
    tokens, numbers, acronyms = _report_anchors(report.doc_id, hash(report.text), report.title, report.published, report.text)
    names = question.incident.places + question.incident.names
    found = 0.0
    for name in names:
        found += _name_found(name, tokens, acronyms)
    # Its dates are checked as dates (below, and by the incident's scope): "on Friday"
    # or a dateline says "6 May" in other words.
    asked_numbers = question.incident.numbers - question.incident.date_numbers
    found += len(asked_numbers & numbers)
    total = len(names) + len(asked_numbers)
    coverage = found / total if total else 1.0
    if _far_and_unnamed_month(question, view):
        coverage = min(coverage, DATE_MISSING)
    return coverage


def _name_found(name: str, tokens: frozenset[str], acronyms: frozenset[str]) -> float:
    """How much of a name the report contains: the share of its stems, or all of it."""
    if name.isupper() and name in acronyms:
        return 1  # "SOHR" where the report writes "Syrian Observatory for Human Rights"
    stems = term_set(name) - _ASKING
    if stems:
        return sum(_shares_prefix(s, tokens) for s in stems) / len(stems)
    return 1


def _far_and_unnamed_month(question: Question, view: ReportView) -> bool:
    """Whether the report was published far from the asked date and never names its month."""
    asked = question.incident.dates
    if asked is not None and asked.year_known and view.published is not None and not _near(view.published, asked):
        month = asked.start.strftime("%B").lower()
        return month not in view.report.text.lower()
    return False


def _near(day: DateRange, asked: DateRange) -> bool:
    return day.near(asked, DAYS_AFTER)
