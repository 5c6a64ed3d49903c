"""Figures in text: the one place numbers are read.

A figure is a number as the text writes it, in digits ("17", "1,200", "3.5", "10
million") or in words ("forty-two", "Fifty nine": read by ``text2num``), together with
the qualifier that bounds it ("at least", "up to": part of the figure, since "up to 48"
is not 48) and the word that follows it (what it counts: "people", "hours"). A year
("in 2016"), a date ("2016-10-31"), a clock time ("10:30") or an ordinal ("first")
counts nothing and is marked or skipped as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import text2num

from retrieval.language.en.calendar import is_calendar_word
from retrieval.language.en.lex_attrs import FIGURE_QUALIFIERS, NUMBER_WORDS, ROUGH_COUNTS, SCALES

_WORDS = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_VAGUE = "|".join(sorted((v for v in ROUGH_COUNTS if " " not in v), key=len, reverse=True))
# A number in digits (thousands separators and decimals kept; an ISO date or a clock time
# is one token, so its parts are no figures), a run of number words, or a vague count.
_FIGURE = re.compile(
    rf"(?<![\w.,:/])(?P<digits>\d{{4}}-\d\d-\d\d|\d{{1,2}}:\d\d|\d+(?:,\d{{3}})*(?:\.\d+)?)(?P<ordinal>st|nd|rd|th)?"
    rf"(?:\s+(?P<scale>thousand|million|billion)\b)?(?![\w:])"
    rf"|\b(?P<words>(?:{_WORDS})(?:(?:[\s-]+|\s+and\s+)(?:{_WORDS}))*)\b"
    rf"|\b(?P<vague>{_VAGUE})\b",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(rf"\b(?:{'|'.join(sorted(FIGURE_QUALIFIERS, key=len, reverse=True))})\s+$", re.IGNORECASE)
_NEXT_WORD = re.compile(r"[\s-]*([A-Za-z][\w'’-]*)")


@dataclass(frozen=True)
class Number:
    start: int  # where the figure starts in the text, its qualifier included
    end: int
    text: str  # as written: "at least 22", "Fifty nine", "1,200"
    value: float | None  # None for a rough count ("dozens")
    qualifier: str | None  # "at least", "up to", ...
    kind: str  # "count", "money", "year", "date", "time", "ordinal", "identifier" or "vague"
    unit: str | None  # the word right after it, lower-cased: what it counts ("people", "hours")

    @property
    def is_figure(self) -> bool:
        """A count or amount: what a claim's figures are checked as."""
        return self.kind in ("count", "money", "vague")

    @property
    def bare(self) -> str:
        """The figure without what it counts: "at least 22"."""
        return self.text


def _value(match: re.Match) -> tuple[float | None, str]:
    digits, words = match.group("digits"), match.group("words")
    if digits:
        if "-" in digits:
            return None, "date"
        if ":" in digits:
            return None, "time"
        value = float(digits.replace(",", ""))
        if match.group("ordinal"):
            return value, "ordinal"
        if match.group("scale"):
            return value * SCALES[match.group("scale").lower()], "count"
        if re.fullmatch(r"(?:19|20)\d\d", digits):
            return value, "year"
        return value, "count"
    if words:
        try:
            return float(text2num(" ".join(re.split(r"[\s-]+", words.lower())), "en")), "count"
        except ValueError:  # "hundred thousand million": words that do not make one number
            return None, "vague"
    return None, "vague"


@lru_cache(maxsize=8192)
def numbers_in(text: str) -> tuple[Number, ...]:
    """Every number of text, in order."""
    found = []
    for match in _FIGURE.finditer(text):
        value, kind = _value(match)
        start = match.start()
        before = text[max(0, start - 2) : start]
        if kind == "count" and before[-1:] == "-" and before[:1].isalpha():
            kind = "identifier"  # "F-16", "us-east-1"
        elif kind in ("count", "ordinal") and _beside_month(text, start, match.end()):
            kind = "date"  # "28 October", "October 28th"
        elif kind == "count" and before.strip()[-1:] in ("$", "€", "£"):
            kind, start = "money", text.rindex(before.strip()[-1], 0, start)
        qualifier = _QUALIFIER.search(text, max(0, start - 20), start)
        if qualifier and kind in ("count", "money", "vague"):
            start = qualifier.start()
        unit = _NEXT_WORD.match(text, match.end())
        found.append(
            Number(
                start=start,
                end=match.end(),
                text=text[start : match.end()],
                value=value,
                qualifier=qualifier.group(0).strip().lower() if qualifier and start == qualifier.start() else None,
                kind=kind,
                unit=unit.group(1).lower() if unit else None,
            )
        )
    return tuple(found)


_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.?\s+$")


def _beside_month(text: str, start: int, end: int) -> bool:
    after = _NEXT_WORD.match(text, end)
    before = _WORD_BEFORE.search(text, max(0, start - 12), start)
    return bool((after and is_calendar_word(after.group(1))) or (before and is_calendar_word(before.group(1))))


def figures_in(text: str) -> tuple[Number, ...]:
    """The counts and amounts of text (not its years, dates, times or ordinals)."""
    return tuple(n for n in numbers_in(text) if n.is_figure)


def value_key(value: float) -> str:
    """A figure's value as one string to compare by: 1200.0 -> "1200", 3.5 -> "3.5"."""
    return f"{value:.0f}" if value == int(value) else f"{value:g}"


def figure_values(text: str) -> frozenset[str]:
    """The values of every figure of text (years and dates included: a claim that a year
    or day is so needs its support to say it)."""
    return frozenset(value_key(n.value) for n in numbers_in(text) if n.value is not None)


def number_values(text: str) -> frozenset[str]:
    """Every number text names, as values, the parts of its ISO dates included
    ("2016-07-24" is 2016, 7 and 24; "28th" is 28): what a question's numbers are looked
    up in."""
    found = set()
    for n in numbers_in(text):
        if n.value is not None:
            found.add(value_key(n.value))
        elif n.kind == "date":
            found |= {value_key(float(part)) for part in n.text.split("-") if part.isdigit()}
    return frozenset(found)
