"""Sentences and words of a text, which may have no punctuation at all.

Stored reports: a sentence ends after . ! ? (and any closing quote or bracket) or at a
line break; callers bound what they take from a text without either
(``retrieval.index.spans``), and offsets must stay exact. A model's prose is written
with punctuation and abbreviations ("Dr.", "U.S.", "N. Virginia"): it is split by
sentencex (Wikimedia's segmenter, which knows them), and a citation marker followed by
a capital ends a sentence too ("…”[1] The Observatory said…").
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+|\n+")
WORD = re.compile(r"[\w'’]+")  # a word, apostrophes kept ("MSF's")
TOKEN = re.compile(r"\S+")  # a word with the punctuation around it, as written


def sentences(text: str) -> list[str]:
    """The sentences of text, stripped; a line break always ends one."""
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


_MARKER_THEN_SENTENCE = re.compile(r"(\[\d{1,3}\])[ \t]+(?=[A-Z“\"])")


def prose_sentences(text: str) -> list[str]:
    """The sentences of a model's answer, line by line, stripped."""
    from sentencex import segment

    found = []
    for line in _MARKER_THEN_SENTENCE.sub("\\1\n", text).split("\n"):
        found += [s.strip() for s in segment("en", line) if s.strip()]
    return found


def words(text: str) -> list[str]:
    return WORD.findall(text)
