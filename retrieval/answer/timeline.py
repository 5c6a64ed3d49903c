"""Timelines: "what happened in X between D1 and D2", "timeline of ...", "how did ...
unfold" are answered with dated events from the reports, in order, each cited.

An event's date is taken from its sentence where the sentence gives one ("on 12 March",
"March 12, 2016", "2016-03-12"), with a day named relative to the report ("on Tuesday",
"yesterday") resolved against the report's publication date by dateparser; otherwise
the event carries the report's date, and says so.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import lru_cache

from retrieval.answer.question import Question
from retrieval.language import MONTH_ABBREVIATION_PATTERN, MONTH_PATTERN, WEEKDAY_PATTERN

_ASKS_TIMELINE = re.compile(
    r"\btimeline\b|\bchronolog\w*|\bsequence of events\b|\bhow did\b.*\b(?:unfold|develop|evolve|progress|play out)\b"
    r"|\bwhat happened\b.*\b(?:between|from|since|during|over)\b|\bwhat happened\b.*\b(?:day by day|in the days)\b",
    re.I,
)
_MONTH = rf"(?:{MONTH_PATTERN}|{MONTH_ABBREVIATION_PATTERN})\.?"
_DATE = re.compile(
    rf"\b\d{{4}}-\d\d-\d\d\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+\d{{4}})?\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b(?:on|last|this|early|late)\s+(?:{WEEKDAY_PATTERN})\b|\b(?:{WEEKDAY_PATTERN})\b|\byesterday\b|\btoday\b",
    re.I,
)


def asks_for_timeline(question: Question) -> bool:
    return bool(_ASKS_TIMELINE.search(question.text))


@dataclass
class Event:
    """One dated event of a timeline."""

    n: int  # the citation of the report it comes from
    date: str | None  # ISO date
    dated_by: str  # "text" (the sentence gives the date) or "report" (its publication date)
    text: str  # the sentence, verbatim

    def to_json(self) -> dict:
        return {"n": self.n, "date": self.date, "dated_by": self.dated_by, "text": self.text}


@lru_cache(maxsize=1024)
def _parse(expression: str, base: str | None) -> str | None:
    """An ISO date for a date expression in a report published on base. A weekday is the
    latest such day on or before publication ("on Friday" in a report of Friday 3 May is
    3 May)."""
    import dateparser

    published = None
    try:
        published = datetime.date.fromisoformat((base or "")[:10])
    except ValueError:
        pass
    word = expression.lower().strip()
    if published and word in ("today", "yesterday"):
        return (published - datetime.timedelta(days=word == "yesterday")).isoformat()
    settings = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
    if published:
        settings["RELATIVE_BASE"] = datetime.datetime.combine(published + datetime.timedelta(days=1), datetime.time())
    found = dateparser.parse(re.sub(r"^(?:on|last|this|early|late)\s+", "", expression, flags=re.I), languages=["en"], settings=settings)
    return found.date().isoformat() if found else None


def date_of(sentence: str, published: str | None) -> tuple[str | None, str]:
    """(ISO date, "text" or "report") of an event told in sentence by a report
    published on that date."""
    for match in _DATE.finditer(sentence):
        parsed = _parse(match.group(0), published)
        if parsed:
            return parsed, "text"
    return (published[:10] if published else None), "report"


def order(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.date or "9999", e.n))
