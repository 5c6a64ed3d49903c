"""How a collection writes its words, counted at ingest.

Whether a capitalised word is a name is a property of the language, and the indexed
reports are the best evidence of it at hand: "About" opening a sentence is an ordinary
word because the reports write "about" in lower case far more often; "Tellin" is a
name because they never do. The counts are kept per lower-cased word and updated as
reports come and go, so asking costs one indexed lookup.
"""

from __future__ import annotations

import re
from collections import Counter

from retrieval.language.sentences import SENTENCE_END

# Words written in a sentence, letters first ("MSF's", "al-Bab", "COVID-19").
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_OPENERS = frozenset('.!?:"“')  # after these a capital opens a sentence or a quotation
_HEADLINE_SHARE = 0.7  # a line with this share of capitalised words is a headline


def word_key(word: str) -> str:
    """The form a word is counted under: lower-case, without a possessive ("MSF's",
    "Norland's" -> "msf", "norland"); texts stripped of apostrophes write "Norlands"."""
    word = word.lower().replace("’", "'")
    return word[:-2] if word.endswith("'s") else word.rstrip("'")


def count_words(text: str) -> dict[str, tuple[int, int, int]]:
    """word key -> (lower-case, capitalised inside a sentence, capitalised at a sentence
    start) occurrences in text. Headline-like lines (mostly capitalised words) are not
    counted: their capitals mark a title."""
    lower, capital, initial = Counter(), Counter(), Counter()
    for line in text.split("\n"):
        words = [(m.start(), m.group(0)) for m in _WORD.finditer(line)]
        long_words = [w for _, w in words if len(w) > 3]
        if len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) >= _HEADLINE_SHARE * len(long_words):
            continue
        starts = {0} | {m.end() for m in SENTENCE_END.finditer(line)}
        for at, word in words:
            key = word_key(word)
            if word[0].islower():
                lower[key] += 1
            elif at in starts or line[max(0, at - 4) : at].rstrip()[-1:] in _OPENERS:
                initial[key] += 1
            else:
                capital[key] += 1
    keys = set(lower) | set(capital) | set(initial)
    return {k: (lower[k], capital[k], initial[k]) for k in keys}
