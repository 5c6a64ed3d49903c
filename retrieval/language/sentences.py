"""Sentences and words of a text, which may have no punctuation at all.

A sentence ends after . ! ? (and any closing quote or bracket) or at a line break;
callers bound what they take from a text without either (``retrieval.index.spans``).
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+|\n+")
WORD = re.compile(r"[\w'’]+")  # a word, apostrophes kept ("MSF's")
TOKEN = re.compile(r"\S+")  # a word with the punctuation around it, as written


def sentences(text: str) -> list[str]:
    """The sentences of text, stripped; a line break always ends one."""
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def words(text: str) -> list[str]:
    return WORD.findall(text)
