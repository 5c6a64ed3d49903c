"""English vocabulary shared by indexing and answering: calendar words, number words,
what a word and a sentence end are, claim verbs, and the stemmed terms BM25 sees.

Language data lives here, apart from the logic that uses it (as spaCy keeps its
``lex_attrs``), so that every module means the same thing by "a month" or "a number".
"""

from __future__ import annotations

import re
from functools import lru_cache

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
# How reports abbreviate months ("Nov", "Sept"); May has no abbreviation.
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

MONTH_PATTERN = "|".join(MONTHS)
MONTH_ABBREVIATION_PATTERN = "|".join(MONTH_ABBREVIATIONS)
WEEKDAY_PATTERN = "|".join(WEEKDAYS)
# A month or weekday as datelines write them, full or cut short ("Wed Feb 3 2016").
MONTH_PREFIX_PATTERN = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
WEEKDAY_PREFIX_PATTERN = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"

NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50",
    "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100",
}
NUMBER_WORD_PATTERN = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
YEAR = re.compile(r"(?:19|20)\d\d")  # a year is a number but counts nothing
# What a report puts before a figure to bound it: part of the figure ("up to 48" is not 48).
FIGURE_QUALIFIER_PATTERN = (
    "at least|up to|more than|over|nearly|almost|about|around|some|as many as|fewer than|less than"
)

WORD = re.compile(r"[\w']+")  # a word, apostrophes kept ("MSF's")
TOKEN = re.compile(r"\S+")  # a word with the punctuation around it, as written

# Where a sentence ends: after . ! ? (and any closing quote or bracket), or at a line
# break. Texts may have no punctuation at all; callers bound what they take from them.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+|\n+")

# Verbs that attribute a claim to someone ("X said", "according to ... X reported").
SPEECH_VERBS = (
    r"(?:said|says|told|reported|stated|announced|added|confirmed|claimed|reports|wrote|quoted|described|accused|denied|"
    r"blamed|warned|condemned|estimated|reaffirmed|affirmed|stressed|explained|noted|insisted|tweeted|posted|argued|"
    r"asserted|declared|revealed|emphasi[sz]ed)"
)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun as English writes it: "1 report", "2 reports", "0 reports"
    ("1 copy", "3 copies" when given the plural)."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def sentences(text: str) -> list[str]:
    """The sentences of text, stripped; a line break always ends one."""
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


# BM25 terms: words of one character or more ("7 killed" must match "7"), lower-cased,
# English stop words dropped (Lucene's list), Snowball-stemmed. The lexical index
# registers this same analyzer, so the answer step and the index always agree.
TERM_PATTERN = r"\w+"


@lru_cache(maxsize=1)
def term_analyzer():
    """The tantivy analyzer that turns text into BM25 terms."""
    import tantivy

    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TERM_PATTERN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def terms(text: str) -> list[str]:
    """The stemmed BM25 terms of text, in order."""
    return term_analyzer().analyze(text)


def tokenize(texts: list[str]) -> list[list[str]]:
    """The stemmed BM25 terms of each text."""
    analyzer = term_analyzer()
    return [analyzer.analyze(text) for text in texts]
