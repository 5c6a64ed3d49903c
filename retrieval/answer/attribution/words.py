"""A report's text word by word, and what its words can be: part of a name, a word
before a role noun; and a name cut down to its own words.

The text is read word by word, since stored texts may have lost their commas and full
stops; whether a capitalised word is a name is the collection's call (``Collection``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.answer.collection import Collection
from retrieval.answer.report import Region
from retrieval.language.en.calendar import is_calendar_word
from retrieval.language.en.speech import SPEECH_VERBS, TITLES
from retrieval.language.en.stop_words import STOP_WORDS
from retrieval.language.names import JOINERS

DETERMINERS = frozenset({"a", "an", "the"})
_TOKEN = re.compile(r"[\w'’.-]+|[\"“”:;,()]")
_ABBREVIATION = re.compile(r"(?:[A-Za-z]\.)+")


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    word: str  # as written
    plain: str  # lower-case, without punctuation around it

    @property
    def ends_sentence(self) -> bool:
        """"killed." ends a sentence; "U.S." and "Col." do not."""
        return self.word.endswith(".") and not _ABBREVIATION.fullmatch(self.word) and self.plain not in TITLES and len(self.plain) > 1


def tokenize(text: str, region: Region) -> list[Token]:
    return [
        Token(m.start(), m.end(), m.group(0), m.group(0).lower().strip(".'’"))
        for m in _TOKEN.finditer(text, region.start, region.end)
    ]


class Words:
    """What a word of a report can be, by how the collection writes it."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def is_name_word(self, word: str) -> bool:
        bare = word.strip(".'’-")
        if len(bare) >= 2 and bare.isupper() and bare.isalpha():
            return not is_calendar_word(bare)  # "IS", "SANA", "SOHR"
        return bare[:1].isupper() and not is_calendar_word(bare) and self.collection.is_name_word(bare)

    def is_place_or_date(self, name: str) -> bool:
        return self.collection.is_place(name) or self.collection.is_date(name)

    def is_modifier(self, token: Token) -> bool:
        """A word that may stand before a role noun in a source's name ("medical",
        "Britain-based", "Syrian", "SANA"): not a verb of saying, a function word, a
        number, a date or a place."""
        return (
            token.word[:1].isalnum()
            and not token.ends_sentence
            and not token.word[:1].isdigit()
            and token.plain not in SPEECH_VERBS
            and not (token.word.islower() and token.plain in STOP_WORDS)
            and not is_calendar_word(token.plain)
            and not (token.word[:1].isupper() and not token.word.isupper() and self.collection.is_place(token.word))
        )

    def trim(self, name: str, recognised: bool = False) -> str:
        """"the Syrian Observatory of Human Rights Be Sociable Share" -> "Syrian Observatory
        of Human Rights": articles and places before the name go ("Aleppo Amnesty
        International"), and the name ends before a capitalised function word ("Be") or,
        where the recogniser did not mark the name, before a word the collection writes
        in lower case (page furniture run into it)."""
        words = name.strip(" ,.;:'\"()").split()
        while words and self._goes_before_a_name(words):
            words = words[1:]
        kept = self._name_run(words, recognised)
        while kept and kept[-1].lower() in JOINERS:
            kept.pop()
        if not kept or all(w.lower() in JOINERS or w.lower() in STOP_WORDS for w in kept):
            return ""
        return " ".join(kept)

    def _goes_before_a_name(self, words: list[str]) -> bool:
        """An article, or a place written before a name ("Aleppo Amnesty International")."""
        first = words[0]
        return first.lower() in DETERMINERS or (len(words) > 1 and not first.isupper() and self.collection.is_place(first))

    def _name_run(self, words: list[str], recognised: bool) -> list[str]:
        """The words from the first up to where the name ends, without the punctuation
        written after them (an abbreviation keeps its full stops)."""
        kept: list[str] = []
        for word in words:
            if kept and self._ends_name(word, recognised and not _is_acronym(kept[-1])):
                break  # after an acronym ("SANA Chemical weapons ..."), as if unrecognised
            abbreviation = _ABBREVIATION.fullmatch(word)
            kept.append(word if abbreviation else word.rstrip(".,;:"))
            if word.endswith(".") and not abbreviation and word.lower().strip(".") not in TITLES:
                break  # "Peskov. The ..." ends a sentence
        return kept

    def _ends_name(self, word: str, recognised: bool) -> bool:
        """A capitalised function word ("Be"), or, where the recogniser did not mark the
        name, a word the collection writes in lower case."""
        lower = word.lower()
        function_word = lower in STOP_WORDS and lower not in JOINERS and not word.isupper()
        return function_word or (not recognised and lower not in JOINERS and not self.is_name_word(word))


def _is_acronym(word: str) -> bool:
    """"SANA", "SOHR": a recognised name often runs on past one into the next sentence
    where the punctuation is stripped."""
    bare = word.strip(".,;:()")
    return len(bare) > 1 and bare.isupper() and bare.isalpha()
