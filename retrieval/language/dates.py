"""Dates in text: the one place dates are read, with ``dateparser``.

A date is read with its extent: "3 October 2016" is a day, "October 2016" a month,
"2016" a year, "last week" a week, so a question's "in October 2016" covers the whole
month. A date written without its year ("28 October") keeps that fact: it can be
compared with another day of the year, not placed on a calendar. Days named relative to
a text ("on Tuesday", "yesterday") are resolved against the date it was written.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from functools import lru_cache

from retrieval.language.en.calendar import PERIOD_QUALIFIERS, RELATIVE_DAYS, is_calendar_word

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_QUALIFIER = re.compile(
    rf"\b(?:{'|'.join(sorted((q for q in PERIOD_QUALIFIERS), key=len, reverse=True))})[\s-]+(?=[A-Z])", re.IGNORECASE
)
_RELATIVE = re.compile(
    rf"\b(?:{'|'.join(RELATIVE_DAYS)}|(?:last|past|this|previous)\s+(?:\d+\s+)?(?:week|month|year|days?)s?|\d+\s+days?\s+ago)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateRange:
    """A span of days, both ends included. year_known is False for "28 October": only
    its day of the year is known (start and end then carry a placeholder year)."""

    start: datetime.date
    end: datetime.date
    year_known: bool = True

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def near(self, other: DateRange, slack_days: int) -> bool:
        """Whether the two ranges are within slack_days of each other (by day of the
        year when either year is unknown)."""
        if self.year_known and other.year_known:
            return self.start - datetime.timedelta(days=slack_days) <= other.end and other.start <= self.end + datetime.timedelta(days=slack_days)
        a = _day_of_year(self.start), _day_of_year(self.end)
        b = _day_of_year(other.start), _day_of_year(other.end)
        return a[0] - slack_days <= b[1] and b[0] <= a[1] + slack_days

    def iso(self) -> tuple[str | None, str | None]:
        return (self.start.isoformat(), self.end.isoformat()) if self.year_known else (None, None)


def _day_of_year(day: datetime.date) -> int:
    return day.timetuple().tm_yday


def day(value: str | None) -> DateRange | None:
    """A stored ISO date ("2016-10-31", or a longer timestamp) as a one-day range."""
    try:
        found = datetime.date.fromisoformat((value or "")[:10])
    except ValueError:
        return None
    return DateRange(found, found)


def _settings(base: datetime.date | None) -> dict:
    settings = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
    if base is not None:
        # A report of Friday 3 May says "on Friday" of that day: count back from the day after.
        settings["RELATIVE_BASE"] = datetime.datetime.combine(base + datetime.timedelta(days=1), datetime.time())
    return settings


@lru_cache(maxsize=4096)
def read_date(expression: str, base: datetime.date | None = None) -> DateRange | None:
    """The days an expression covers ("3 October 2016", "October 2016", "2016", "last
    week", "on Tuesday"), reading days without a date against base (the day the text
    was written, or today)."""
    from dateparser.date import DateDataParser

    text = _QUALIFIER.sub("", expression).strip()
    text = re.sub(r"^(?:on|in|during|throughout|of|since|from|until|till|by|before|after|the)\s+", "", text, flags=re.IGNORECASE)
    if not text or not (any(ch.isdigit() for ch in text) or _RELATIVE.search(text) or _names_a_month_or_day(text)):
        return None
    data = DateDataParser(languages=["en"], settings=_settings(base or datetime.date.today())).get_date_data(text)
    if data.date_obj is None:
        return None
    found = data.date_obj.date()
    # A day without its year is placed in the year of the text that names it, if known.
    year_known = bool(_YEAR.search(text)) or bool(_RELATIVE.search(text)) or base is not None
    period = data.period
    if period == "year":
        return DateRange(datetime.date(found.year, 1, 1), datetime.date(found.year, 12, 31), year_known)
    if period == "month":
        last = calendar.monthrange(found.year, found.month)[1]
        return DateRange(found.replace(day=1), found.replace(day=last), year_known)
    if period == "week":
        start = found - datetime.timedelta(days=found.weekday())
        return DateRange(start, start + datetime.timedelta(days=6), year_known)
    return DateRange(found, found, year_known)


def _names_a_month_or_day(text: str) -> bool:
    """Calendar words other than "May" alone (a verb as often as a month)."""
    words = re.findall(r"[A-Za-z]+\.?", text)
    return any(is_calendar_word(w) for w in words) and text.strip().lower() != "may"


_SPAN_TO_NOW = re.compile(r"\b(?:in\s+)?(?:the\s+)?(?:last|past|previous)\s+(\d+\s+)?(days?|weeks?|months?|years?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class DateMention:
    text: str  # as written
    dates: DateRange


def dates_in(text: str, base: datetime.date | None = None) -> list[DateMention]:
    """The dates text names, in order, each with its extent ("between 3 and 6 May 2024"
    is one range)."""
    from dateparser.search import search_dates

    today = base or datetime.date.today()
    cleaned = _QUALIFIER.sub("", text)
    mentions: list[DateMention] = []
    # "in the past 3 days", "last week": the days up to today (dateparser reads them as
    # the one day they start on).
    for match in _SPAN_TO_NOW.finditer(cleaned):
        count, unit = int(match.group(1) or 1), match.group(2).lower().rstrip("s")
        days = {"day": 1, "week": 7, "month": 31, "year": 366}[unit] * count
        mentions.append(DateMention(match.group(0), DateRange(today - datetime.timedelta(days=days), today)))
    cleaned = _SPAN_TO_NOW.sub(" ", cleaned)
    found = search_dates(cleaned, languages=["en"], settings=_settings(today)) or []
    cursor = 0
    for raw, _ in found:
        at = cleaned.find(raw, cursor)
        cursor = max(cursor, at + len(raw)) if at >= 0 else cursor
        expression = re.sub(r"^(?:and|to|until|till)\s+", "", raw.strip(), flags=re.IGNORECASE)
        dates = read_date(expression, base)
        if dates is None:
            continue
        # "between 3 and 6 May 2024": the first day shares the month of the second.
        before = (cleaned[max(0, at - 24) : at] if at >= 0 else "") + raw[: len(raw) - len(expression)]
        opener = re.search(r"\b(?:between|from)\s+(\d{1,2})(?:st|nd|rd|th)?\s+(?:and|to|-|–)\s*$", before)
        if opener and dates.days == 1:
            try:
                dates = DateRange(dates.start.replace(day=int(opener.group(1))), dates.end, dates.year_known)
            except ValueError:
                pass
        mentions.append(DateMention(expression, dates))
    return mentions
