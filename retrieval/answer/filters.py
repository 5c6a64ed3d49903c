"""Filters people type into a question: which reports it may be answered from.

Explicit tokens narrow the search exactly and are taken out of the question:
``source:Reuters``, ``source:"Al Arabiya"`` or ``source:Daily Sabah`` (the longest
outlet name of the collection that the words after it begin), ``since:2016-10-01``,
``until:2016-10-31``. A date in words narrows it by publication date ("in October
2016", "in 2015", "since 1 March", "between 3 and 6 May 2016", "last week"); reports
often come out days after what they tell, so such a filter keeps a margin after the
period and lets undated reports through. The answer says which filter it applied.
"""

from __future__ import annotations

import datetime
import re

from retrieval.answer.question import Filters
from retrieval.index.search import SearchFilter
from retrieval.language.dates import DateMention, dates_in
from retrieval.language.en.calendar import SINCE_WORDS, UNTIL_WORDS

LATE_REPORT_DAYS = 7  # a report of an event may be published this long after it
MAX_OUTLET_WORDS = 5
_TOKEN = re.compile(r"\b(source|since|until):(\"[^\"]+\"|'[^']+'|\S+)", re.IGNORECASE)


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


def _iso(text: str) -> str | None:
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _outlet_name(stored: str) -> str:
    """"Daily Sabah (dailysabah.com)" -> "Daily Sabah"."""
    return stored.split(" (")[0].strip()


def _longest_outlet(words: list[str], outlets: list[str]) -> int:
    """How many of words name an outlet of the collection (at least 1)."""
    names = [_outlet_name(o).casefold() for o in outlets]
    for length in range(min(MAX_OUTLET_WORDS, len(words)), 1, -1):
        phrase = " ".join(words[:length]).casefold().strip(",.;:?")
        if any(name == phrase or name.startswith(phrase + " ") for name in names):
            return length
    return 1


def take_tokens(question: str, outlets: list[str]) -> tuple[str, str | None, str | None, str | None]:
    """The question without its filter tokens, and the source, since and until they give."""
    source = since = until = None
    kept: list[str] = []
    cursor = 0
    for match in _TOKEN.finditer(question):
        if match.start() < cursor:
            continue
        kept.append(question[cursor : match.start()])
        kind, value = match.group(1).lower(), match.group(2)
        cursor = match.end()
        if kind == "source":
            if value[:1] in "\"'":
                source = value.strip("\"'")
            else:
                rest = question[match.start(2) :].split()
                length = _longest_outlet(rest, outlets)
                source = " ".join(rest[:length]).strip(",.;:?")
                for word in rest[1:length]:  # the outlet's other words leave the question too
                    cursor = question.index(word, cursor) + len(word)
        elif kind == "since":
            since = _iso(value) or since
        else:
            until = _iso(value) or until
    kept.append(question[cursor:])
    return " ".join("".join(kept).split()), source, since, until


def _dates_in_words(text: str, today: datetime.date) -> tuple[str | None, str | None]:
    """The publication dates a date in words asks for: "in October 2016" the month, "since
    1 March" from that day on, "until 3 May 2016" up to it."""
    for mention in dates_in(text):
        start, end = mention.dates.iso()
        if start is None:
            continue  # "on 30 October": which year is not said
        before = text[: text.find(mention.text)].split()[-1:] if mention.text in text else []
        word = before[0].lower() if before else ""
        if word in SINCE_WORDS:
            return start, None
        if word in UNTIL_WORDS:
            return None, end
        return start, end
    return None, None


def read_filters(
    question: str, outlets: list[str], override: SearchFilter | None = None, today: datetime.date | None = None
) -> tuple[str, Filters]:
    """The question without its filter tokens, and the filter it asks for; override (the
    command line's --source/--since/--until) wins over anything the question says."""
    today = today or datetime.date.today()
    text, source, since, until = take_tokens(question, outlets)
    if override is not None and not override.empty:
        return text, Filters(override, describe_filter(override), from_words=False)
    in_words = False
    if not (since or until):
        since, until = _dates_in_words(text, today)
        in_words = bool(since or until)
    if not (source or since or until):
        return text, Filters()
    if in_words and until and until < today.isoformat():
        until = (datetime.date.fromisoformat(until) + datetime.timedelta(days=LATE_REPORT_DAYS)).isoformat()
    where = SearchFilter(source=source, published_from=since, published_to=until, include_undated=in_words)
    return text, Filters(where, describe_filter(where) + (" (or undated)" if in_words else ""), from_words=in_words)


def widened(filters: Filters) -> Filters:
    """A date in words that found no answer: the same filter without its dates (the
    source, if any, stays)."""
    if filters.where is None or not filters.where.source:
        return Filters()
    where = SearchFilter(source=filters.where.source)
    return Filters(where, describe_filter(where))


__all__ = ["DateMention", "describe_filter", "read_filters", "take_tokens", "widened"]
