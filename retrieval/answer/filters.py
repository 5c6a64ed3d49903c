"""Filters people type into a question: which reports it may be answered from.

Explicit tokens narrow the search exactly and are taken out of the question:
``source:Reuters`` (or ``source:"Al Arabiya"``), ``since:2016-10-01``, ``until:2016-10-31``.
Dates written in the question narrow it by publication date: "in October 2016", "in
2015", "since 1 March", "between 3 and 6 May 2016", "last week" (relative to today).
Reports often come out days after what they tell, so a date in words keeps a margin
after the period and lets undated reports through. The answer says which filter it
applied.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from retrieval.index.search import SearchFilter
from retrieval.language import MONTH_PATTERN, MONTHS

LATE_REPORT_DAYS = 7  # a report of an event may be published this long after it
_TOKEN = re.compile(r"\b(source|since|until):(\"[^\"]+\"|'[^']+'|\S+)", re.I)
_MONTH_YEAR = re.compile(rf"\b(?:in|during|throughout)\s+(?:early\s+|late\s+|mid-?)?({MONTH_PATTERN})\s+((?:19|20)\d\d)\b", re.I)
_YEAR = re.compile(r"\b(?:in|during|throughout)\s+((?:19|20)\d\d)\b(?!\s*-)", re.I)
_SINCE = re.compile(rf"\bsince\s+(\d{{1,2}}\s+(?:{MONTH_PATTERN})(?:\s+(?:19|20)\d\d)?|(?:{MONTH_PATTERN})\s+\d{{1,2}}(?:,?\s+(?:19|20)\d\d)?)\b", re.I)
_BETWEEN = re.compile(
    rf"\bbetween\s+(\d{{1,2}})(?:\s+({MONTH_PATTERN}))?\s+and\s+(\d{{1,2}})\s+({MONTH_PATTERN})\s+((?:19|20)\d\d)\b", re.I
)
_RELATIVE = re.compile(r"\b(last|past|this)\s+(week|month|year)\b|\bin the (?:last|past)\s+(\d+)\s+days\b", re.I)


@dataclass(frozen=True)
class QuestionFilter:
    """A question with its filter tokens taken out, the filter it asks for, and how to say it."""

    question: str
    where: SearchFilter | None
    description: str | None  # "reports from Reuters published 2016-10-01 to 2016-10-31"


def _iso(text: str) -> str | None:
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _month_number(name: str) -> int:
    return next(i for i, m in enumerate(MONTHS, start=1) if m.lower() == name.lower())


def _parse_day(expression: str, today: datetime.date) -> datetime.date | None:
    import dateparser

    found = dateparser.parse(
        expression,
        languages=["en"],
        settings={"PREFER_DATES_FROM": "past", "RELATIVE_BASE": datetime.datetime.combine(today, datetime.time())},
    )
    return found.date() if found else None


def read_filters(question: str, today: datetime.date | None = None) -> QuestionFilter:
    """The filter a question carries, and the question without its tokens."""
    today = today or datetime.date.today()
    source = since = until = None
    explicit = False
    for kind, value in _TOKEN.findall(question):
        value = value.strip("\"'")
        explicit = True
        if kind.lower() == "source":
            source = value
        elif kind.lower() == "since":
            since = _iso(value) or since
        else:
            until = _iso(value) or until
    text = " ".join(_TOKEN.sub(" ", question).split())
    described_dates = since or until
    if not described_dates:
        since, until = _dates_in_words(text, today)
    if not (source or since or until):
        return QuestionFilter(text, None, None)
    # A date in words keeps undated reports and those published a little later.
    in_words = bool((since or until) and not described_dates)
    if in_words and until and until < today.isoformat():
        until = (datetime.date.fromisoformat(until) + datetime.timedelta(days=LATE_REPORT_DAYS)).isoformat()
    where = SearchFilter(source=source, published_from=since, published_to=until, include_undated=in_words)
    description = describe_filter(where) + (" (or undated)" if in_words else "")
    return QuestionFilter(text if explicit else question, where, description)


def describe_filter(where: SearchFilter) -> str:
    """"reports from Reuters published 2016-10-01 to 2016-10-31"."""
    parts = []
    if where.source:
        parts.append(f"from {where.source}")
    if where.published_from and where.published_to:
        parts.append(f"published {where.published_from} to {where.published_to}")
    elif where.published_from:
        parts.append(f"published since {where.published_from}")
    elif where.published_to:
        parts.append(f"published until {where.published_to}")
    return "reports " + " ".join(parts)


def _dates_in_words(text: str, today: datetime.date) -> tuple[str | None, str | None]:
    match = _BETWEEN.search(text)
    if match:
        first_day, first_month, last_day, month, year = match.groups()
        start = datetime.date(int(year), _month_number(first_month or month), int(first_day))
        end = datetime.date(int(year), _month_number(month), int(last_day))
        return start.isoformat(), end.isoformat()
    match = _MONTH_YEAR.search(text)
    if match:
        month, year = _month_number(match.group(1)), int(match.group(2))
        last = calendar.monthrange(year, month)[1]
        return datetime.date(year, month, 1).isoformat(), datetime.date(year, month, last).isoformat()
    match = _SINCE.search(text)
    if match:
        day = _parse_day(match.group(1), today)
        return (day.isoformat() if day else None), None
    match = _RELATIVE.search(text)
    if match:
        which, unit, days = match.groups()
        span = {"week": 7, "month": 31, "year": 366}.get((unit or "").lower(), int(days or 0))
        return (today - datetime.timedelta(days=span)).isoformat(), today.isoformat()
    match = _YEAR.search(text)
    if match:
        year = int(match.group(1))
        return f"{year}-01-01", f"{year}-12-31"
    return None, None
