"""Quotable spans: sentence-sized pieces of a report's stored text, with offsets.

Reports may have no punctuation at all (the seed), so a "sentence" is text up to a
sentence end *or* a bounded window of words, whichever is shorter. Every span is
``text[start:end]`` of the stored report, so it can be shown as a verbatim quote.
The regular expressions here read page furniture and clause ends in texts whose
punctuation may be stripped, where no parser helps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.language.en.calendar import MONTH_ABBREVIATIONS, MONTHS, WEEKDAYS
from retrieval.language.en.harm import KILLED, WOUNDED
from retrieval.language.en.lex_attrs import like_num
from retrieval.language.en.speech import SPEECH_VERBS
from retrieval.language.en.stop_words import STOP_WORDS
from retrieval.language.numbers import numbers_in
from retrieval.language.sentences import SENTENCE_END, TOKEN

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


_MONTH = rf"(?:{'|'.join(sorted({m[:3] for m in MONTHS} | set(MONTH_ABBREVIATIONS)))})[a-z]*\.?"
_WEEKDAY = rf"(?:{'|'.join(d[:3] for d in WEEKDAYS)})[a-z]*"
_FULL_DATE = (
    rf"(?:\d{{1,2}}\s+{_MONTH}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?)\s+\d{{4}}|\d\d[-.]\d\d[-.]\d{{4}}"
)
# Page furniture that news sites put before the lead: datelines ("Date of publication
# 3 October 2016", "Wed Feb 3 2016", "Tuesday 26 April 2016 21:41") and credits ("(TRT
# World and Agencies)"). It shares the question's words without answering it, so a
# quote starts after it (a dateline is kept when the date is asked).
_DATELINE = re.compile(
    r"(?:(?:Date of publication|Published(?: on)?|Posted(?: on)?|Last updated(?: at)?|Updated)\s+)?"
    rf"(?:{_WEEKDAY}\.?,?\s+)?(?:{_FULL_DATE})(?:\s+\d{{1,2}}:?\d\d(?:\s*UTC(?:[+-]\d+)?)?)?\s+"
)
_CREDIT = re.compile(r"\([A-Z][^()]{0,40}\)\s+")
_TAGS = re.compile(r"Tags\s+")
TAGS_MAX_WORDS = 15

# Page furniture inside a span: a credit and a full dateline in the middle of the text
# ("... Kessel AFP Friday 3 Jun 2016 UN says ..."), share buttons and short links. Such a
# span runs headlines of other stories together and is a poor quote.
_FURNITURE_INSIDE = re.compile(
    rf"\b(?!(?:On|In|At|By|Since|From|Until|Before|After|Of)\b)(?!{_WEEKDAY}\b)[A-Z][\w]*\s+(?:{_WEEKDAY}\s+)?\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\b"
    r"|\bGet short URL\b|\bPrint Tweet\b|\bpic\.twitter\.com|\bhttps?\w*\.\w+|\bRelated\s+(?:Articles|Stories)\b"
)


def has_furniture(text: str) -> bool:
    return bool(_FURNITURE_INSIDE.search(text))


HEADLINE_SHARE = 0.7


def is_headline(text: str) -> bool:
    """Whether text is written in title case ("Varno Car bomb Kills Four"): a headline,
    which restates a story rather than quoting who says what in it."""
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= HEADLINE_SHARE * len(words)


def _skip_tags(text: str, start: int, end: int) -> int:
    """A tag list ("Tags Norland Kessel Car Bomb The attack ...") ends where the lead
    begins: a capitalised function word or number followed by a lower-case word."""
    match = _TAGS.match(text, start, end)
    if not match:
        return start
    words = list(TOKEN.finditer(text, match.end(), end))
    for i, word in enumerate(words[: TAGS_MAX_WORDS + 1]):
        following = words[i + 1].group(0) if i + 1 < len(words) else ""
        opener = word.group(0).lower() in STOP_WORDS or like_num(word.group(0))
        if i and opener and (following[:1].islower() or following[:1].isdigit()):
            return word.start()
    return start


def skip_furniture(text: str, start: int, end: int, keep_dateline: bool = False) -> int:
    """Where the quotable text starts once a tag list, dateline or credit is skipped."""
    tags_end = _skip_tags(text, start, end)
    if tags_end < end:
        start = tags_end
    for furniture in (_CREDIT,) if keep_dateline else (_DATELINE, _CREDIT):
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


def include_leading_name(text: str, span: Span, max_words: int = 3) -> Span:
    """A window that opens inside a name ("Without Borders said") starts at the name
    ("Engineers Without Borders said")."""
    words = span.text.split()
    opens_on_speaker = any(
        w[:1].isupper() and i + 1 < len(words) and words[i + 1].lower().strip(",.;:") in SPEECH_VERBS
        for i, w in enumerate(words[:3])
    ) and all(w[:1].isupper() for w in words[: next(i for i, w in enumerate(words) if w.lower().strip(",.;:") in SPEECH_VERBS)])
    if not opens_on_speaker:
        return span
    start = span.start
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


def include_figure_qualifier(text: str, span: Span) -> Span:
    """A window that opens on a figure ("48 people ...") starts at the qualifier that
    bounds it ("Up to 48 people ..."): quoting the number without it changes the claim."""
    line_start = text.rfind("\n", 0, span.start) + 1
    lead = max(line_start, span.start - 20)
    for number in numbers_in(text[lead : span.end]):
        if number.qualifier and lead + number.start < span.start <= lead + number.end - len(number.text.split()[-1]):
            start = lead + number.start
            return Span(start, span.end, text[start : span.end])
    return span


def trim_fragment_start(text: str, span: Span, max_words: int = 4) -> Span:
    """A window cut from unpunctuated text often opens mid-sentence ("and civilians On
    30 October ..."), or on the year of a dateline ("... 27 Oct | 2016 At least three");
    start at the first capitalised word if one comes early."""
    words = list(TOKEN.finditer(text, span.start, span.end))
    if words and re.fullmatch(r"(?:19|20)\d\d", words[0].group(0)) and len(words) > 1:
        before = text[max(0, span.start - 12) : span.start].split()
        if before and re.fullmatch(_MONTH, before[-1], re.IGNORECASE):
            return Span(words[1].start(), span.end, text[words[1].start() : span.end])
    if not words or not words[0].group(0)[:1].islower():
        return span
    for match in words[1 : max_words + 1]:
        if match.group(0)[:1].isupper():
            return Span(match.start(), span.end, text[match.start() : span.end])
    return span


# A quote that stops just before what completes its clause ("wounded" | "40 others") takes
# the rest of the clause with it, up to this many words: a clause is open after a
# function word or a word of harm ("killed", "wounded").
CLAUSE_REACH = 8
_CLAUSE_OPEN = STOP_WORDS | frozenset(KILLED) | frozenset(WOUNDED)


def _is_figure_word(word: str) -> bool:
    word = word.strip(",.;:\"()")
    return like_num(word) and not re.fullmatch(r"(?:19|20)\d\d", word)


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
        if last.lower().strip(",;:") in _CLAUSE_OPEN or _is_figure_word(word) or _is_figure_word(last):
            end, last, taken = match.end(), word, taken + 1
            continue
        break
    return span if end == span.end else Span(span.start, end, text[span.start : end])
