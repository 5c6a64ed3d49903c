"""Quotable spans: sentence-sized pieces of a report's stored text, with offsets.

Reports may have no punctuation at all (the seed), so a "sentence" is text up to a
sentence end *or* a bounded window of words, whichever is shorter. Every span is
``text[start:end]`` of the stored report, so it can be shown as a verbatim quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.language import (
    FIGURE_QUALIFIER_PATTERN,
    MONTH_PREFIX_PATTERN,
    NUMBER_WORD_PATTERN,
    SENTENCE_END,
    SPEECH_VERBS,
    TOKEN,
    WEEKDAY_PREFIX_PATTERN,
    YEAR,
)

MAX_WORDS = 40  # longer sentences are cut into windows of WINDOW_WORDS
WINDOW_WORDS = 24
WINDOW_STEP = 6
MIN_WORDS = 4



@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces, cursor = [], start
    for match in SENTENCE_END.finditer(text, start, end):
        pieces.append((cursor, match.start()))
        cursor = match.end()
    pieces.append((cursor, end))
    return [(a, b) for a, b in pieces if b > a]


# Page furniture that news sites put before the lead: datelines ("Date of publication
# 3 October 2016", "Wed Feb 3 2016", "Tuesday 26 April 2016 21:41"), tag lists ("Tags
# Norland Kessel Ostra Rebels Car Bomb") and credits ("(TRT World and Agencies)"). It shares the question's words without
# answering it, so a quote starts after it (a dateline is kept when the date is asked).
_DATELINE = re.compile(
    r"(?:(?:Date of publication|Published(?: on)?|Posted(?: on)?|Last updated(?: at)?|Updated)\s+)?"
    rf"(?:{WEEKDAY_PREFIX_PATTERN}\.?,?\s+)?"
    rf"(?:(?:\d{{1,2}}\s+{MONTH_PREFIX_PATTERN}|{MONTH_PREFIX_PATTERN}\s+\d{{1,2}}(?:st|nd|rd|th)?,?)\s+\d{{4}}|\d\d[-.]\d\d[-.]\d{{4}})"
    r"(?:\s+\d{1,2}:?\d\d(?:\s*UTC(?:[+-]\d+)?)?)?\s+"
)
_CREDIT = re.compile(r"\((?:[^()]{0,40}?\b(?:Agencies|Photo|Reuters|[A-Z]{2,}))\)\s+")  # "(TRT World and Agencies)"
_TAGS = re.compile(
    r"Tags\s+(?:\S+\s+){1,15}?(?=(?:A|An|The|At least|In|On|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten)\s+[a-z\d])"
)


# Page furniture inside a span: a wire credit with its dateline in the middle of the text
# ("... Kessel AFP Friday 3 Jun 2016 UN says ..."), share buttons and short links. Such a
# span runs headlines of other stories together and is a poor quote.
_FURNITURE_INSIDE = re.compile(
    rf"\b(?:[A-Z]{{2,}}|Reuters|Xinhua|Sputnik)\s+(?:{WEEKDAY_PREFIX_PATTERN}\s+)?\d{{1,2}}\s+{MONTH_PREFIX_PATTERN}\s+\d{{4}}\b"
    r"|\bGet short URL\b|\bPrint Tweet\b|\bpic\.twitter\.com|\bhttps?\w*\.\w+|\bRelated\s+(?:Articles|Stories)\b"
)


def has_furniture(text: str) -> bool:
    return bool(_FURNITURE_INSIDE.search(text))


def skip_furniture(text: str, start: int, end: int, keep_dateline: bool = False) -> int:
    """Where the quotable text starts once a tag list or dateline is skipped."""
    for furniture in (_TAGS, _CREDIT) if keep_dateline else (_TAGS, _DATELINE, _CREDIT):
        match = furniture.match(text, start, end)
        if match and match.end() < end:
            start = match.end()
    return start


def spans_in(text: str, start: int = 0, end: int | None = None, keep_dateline: bool = False) -> list[Span]:
    """Candidate quotes inside text[start:end] (a passage of a report)."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for a, b in _pieces(text, start, end):
        a = skip_furniture(text, a, b, keep_dateline)
        words = [(m.start(), m.end()) for m in TOKEN.finditer(text, a, b)]
        if len(words) < MIN_WORDS:
            if words:
                spans.append(Span(words[0][0], words[-1][1], text[words[0][0] : words[-1][1]]))
            continue
        if len(words) <= MAX_WORDS:
            spans.append(Span(words[0][0], words[-1][1], text[words[0][0] : words[-1][1]]))
            continue
        for i in range(0, len(words) - WINDOW_WORDS + WINDOW_STEP, WINDOW_STEP):
            window = words[i : i + WINDOW_WORDS]
            spans.append(Span(window[0][0], window[-1][1], text[window[0][0] : window[-1][1]]))
    return spans


_SPEAKER_FIRST = re.compile(rf"(?:[A-Z][\w'\-]*\s+){{1,3}}{SPEECH_VERBS}\b")


def include_leading_name(text: str, span: Span, max_words: int = 3) -> Span:
    """A window that opens inside a name ("Without Borders said") starts at the name
    ("Engineers Without Borders said")."""
    start = span.start
    if not _SPEAKER_FIRST.match(span.text):
        return span
    for _ in range(max_words):
        before = text[:start].rstrip(" ")
        if len(before) == len(text[:start]) or not before:
            break  # not separated by a plain space: a line or sentence break
        word_start = before.rfind(" ") + 1
        word = before[word_start:]
        if not word[:1].isupper() or word.endswith((".", "!", "?", ":", '"')):
            break
        start = word_start
    return span if start == span.start else Span(start, span.end, text[start : span.end])


_QUALIFIER_BEFORE = re.compile(rf"(?:^|(?<=\s))(?:{FIGURE_QUALIFIER_PATTERN})[ \t]+$", re.I)
_STARTS_WITH_FIGURE = re.compile(rf"(?:\d|(?:{NUMBER_WORD_PATTERN})\b)", re.I)


def include_figure_qualifier(text: str, span: Span) -> Span:
    """A window that opens on a figure ("48 people ...") starts at the qualifier that
    bounds it ("Up to 48 people ..."): quoting the number without it changes the claim."""
    if not _STARTS_WITH_FIGURE.match(span.text):
        return span
    line_start = text.rfind("\n", 0, span.start) + 1
    before = _QUALIFIER_BEFORE.search(text, max(line_start, span.start - 20), span.start)
    if before is None:
        return span
    return Span(before.start(), span.end, text[before.start() : span.end])


def trim_fragment_start(text: str, span: Span, max_words: int = 4) -> Span:
    """A window cut from unpunctuated text often opens mid-sentence ("and civilians On
    30 October ..."); start at the first capitalised word if one comes early."""
    words = list(TOKEN.finditer(text, span.start, span.end))
    if not words or not words[0].group(0)[:1].islower():
        return span
    for match in words[1 : max_words + 1]:
        if match.group(0)[:1].isupper():
            return Span(match.start(), span.end, text[match.start() : span.end])
    return span


# A quote that stops just before what completes its clause ("wounded" | "40 others") takes
# the rest of the clause with it, up to this many words.
CLAUSE_REACH = 8
_CLAUSE_OPEN = frozenset(
    "a an the and or of to by in at on with from for as than including about nearly almost over some "
    "least more were was is are had has have been killed wounded injured dead died left".split()
)


_FIGURE = re.compile(rf"^(?:\d[\d,.]*|{NUMBER_WORD_PATTERN}|dozens?|hundreds?|thousands?|several|scores?)$", re.I)


def _is_number_word(word: str) -> bool:
    word = word.strip(",.;:\"()")
    return bool(_FIGURE.match(word)) and not YEAR.fullmatch(word)


def complete_clause(text: str, span: Span, reach: int = CLAUSE_REACH) -> Span:
    """A span cut from unpunctuated text may end inside its clause ("killed at least 16
    people and wounded"); extend it to take in the figure or words that finish it, never
    past a sentence end."""
    end = span.end
    last = text[span.start : end].split()[-1] if span.text.split() else ""
    taken = 0
    for match in TOKEN.finditer(text, end):
        if taken >= reach or last[-1:] in ".!?" or "\n" in text[end : match.start()]:
            break
        word = match.group(0)
        if last.lower().strip(",;:") in _CLAUSE_OPEN or _is_number_word(word) or _is_number_word(last):
            end, last, taken = match.end(), word, taken + 1
            continue
        break
    return span if end == span.end else Span(span.start, end, text[span.start : end])
