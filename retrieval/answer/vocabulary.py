"""What the indexed collection says about a word, for the answer step.

No list of this collection's places, countries or peoples is written into the engine:
whether a capitalised word is a name, a place, a people's adjective ("Norlandian") or so
common across the collection that naming it says nothing new, is read from the word
statistics the index keeps (``retrieval.index.words``) and its term frequencies. A
collection about another country gets the same behaviour from its own reports.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable

from retrieval.index.words import word_key
from retrieval.language import terms

# A word is a place when at least this share of its capitalised occurrences follow a
# preposition of place ("in Kessel", "near Ostra"): persons and organisations rarely do.
PLACE_SHARE = 0.2
MIN_PLACE_EVIDENCE = 3
# A name in more than this share of the collection's passages tells no answer apart;
# a collection of fewer passages than this is too small to say.
COMMON_SHARE = 0.25
MIN_PASSAGES_FOR_COMMON = 200
# Endings that make a people's adjective of a place name: Norland-ian, Iraq-i, Leban-ese.
_DEMONYM_ENDINGS = ("ians", "ian", "ans", "an", "ns", "n", "is", "i", "ese", "ish")
_CACHE_LIMIT = 50_000

WordCounts = Callable[[Iterable[str]], dict[str, tuple[int, int, int, int]]]
TermShare = Callable[[set[str]], dict[str, float]]


class Vocabulary:
    def __init__(self, word_counts: WordCounts, term_share: TermShare, passages: Callable[[], int] = lambda: 0) -> None:
        """word_counts: (lower, capital, initial, placed) occurrences per word key;
        term_share: the share of passages each stemmed term occurs in; passages: how
        many passages the collection has."""
        self._word_counts = word_counts
        self._term_share = term_share
        self._passages = passages
        self._counts: dict[str, tuple[int, int, int, int] | None] = {}
        self._lock = threading.Lock()

    def counts(self, words: Iterable[str]) -> dict[str, tuple[int, int, int, int] | None]:
        keys = {word_key(w) for w in words}
        with self._lock:
            missing = [k for k in keys if k not in self._counts]
        if missing:
            found = self._word_counts(missing)
            with self._lock:
                if len(self._counts) > _CACHE_LIMIT:
                    self._counts.clear()
                for key in missing:
                    self._counts[key] = found.get(key)
        with self._lock:
            return {k: self._counts.get(k) for k in keys}

    def _of(self, word: str) -> tuple[int, int, int, int] | None:
        return self.counts([word])[word_key(word)]

    def is_name(self, word: str) -> bool:
        """A capitalised word is a name when the collection writes it capitalised inside
        sentences at least as often as in lower case; a word it has never seen counts as
        a name (it must then be found where it is claimed). "About", "First", "Later"
        opening a sentence are ordinary words."""
        counts = self._of(word)
        if counts is None:
            return True
        lower, capital, _, _ = counts
        return capital >= lower

    def is_place(self, word: str) -> bool:
        counts = self._of(word)
        if counts is None:
            return False
        _, capital, _, placed = counts
        return placed >= MIN_PLACE_EVIDENCE and placed >= PLACE_SHARE * capital

    def is_demonym(self, word: str) -> bool:
        """"Norlandian", "Iraqis", "Lebanese": an adjective made from a place the collection
        names, by English morphology."""
        lower = word.lower()
        for ending in _DEMONYM_ENDINGS:
            if lower.endswith(ending) and len(lower) - len(ending) >= 3:
                stem = lower[: -len(ending)]
                for candidate in (stem, stem + "a", stem + "on", stem + "y"):
                    if candidate != lower and self.is_place(candidate):
                        return True
        return False

    def is_common(self, word: str) -> bool:
        """Whether a word is in so many passages that it tells no report apart
        (the country a collection is about)."""
        if self._passages() < MIN_PASSAGES_FOR_COMMON:
            return False
        stems = terms(word)
        if not stems:
            return True
        share = self._term_share(set(stems))
        return all(share.get(s, 0.0) > COMMON_SHARE for s in stems)

    def describes(self, word: str) -> bool:
        """Words that describe rather than name: a people's adjective, or a name the whole
        collection shares."""
        return self.is_demonym(word) or self.is_common(word)


def share_from_idf(idf: Callable[[set[str]], dict[str, float]]) -> TermShare:
    """The passage share of terms, recovered from the BM25 index's inverse frequencies
    (idf = ln(1 + (N - n + 0.5) / (n + 0.5)))."""

    def share(stems: set[str]) -> dict[str, float]:
        out = {}
        for stem, weight in idf(stems).items():
            ratio = math.exp(weight) - 1  # (N - n + 0.5) / (n + 0.5)
            out[stem] = 1.0 / (1.0 + ratio)  # ~ n / N
        return out

    return share
