"""What the indexed collection says about words and names, for the answer step.

No list of one collection's places, outlets or peoples is written into the engine:
whether a name is a place, a person or an organisation is what the entity recogniser
called it across the collection at ingest (``catalog.entities``), and whether a
capitalised word is a name at all is how the collection writes it (``catalog.words``).
A collection about another country gets the same behaviour from its own reports.
Lookups are cached until the catalog changes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable

from retrieval.index.catalog import Catalog
from retrieval.index.catalog.entities import PLACED, name_key
from retrieval.index.entities import DATES, PLACES, SPEAKERS
from retrieval.index.lexical import LexicalIndex
from retrieval.index.words import word_key

# A name is of a kind when at least this share of the labels the collection gave it are
# of that kind, and it was labelled at least MIN_EVIDENCE times. A name is a place also
# when at least PLACED_SHARE of its mentions follow a preposition of place ("in
# Aleppo"), at least MIN_PLACED times: the recogniser often calls a town a people
# ("Aleppo" NORP) where punctuation is stripped.
KIND_SHARE = 0.5
MIN_EVIDENCE = 1
PLACED_SHARE = 0.2
MIN_PLACED = 2
_CACHE_LIMIT = 50_000


class Collection:
    def __init__(self, catalog: Catalog, lexical: LexicalIndex) -> None:
        self.catalog = catalog
        self.lexical = lexical
        self._lock = threading.Lock()
        self._generation = -1
        self._labels: dict[str, dict[str, int]] = {}
        self._words: dict[str, tuple[int, int, int] | None] = {}
        self._outlets: list[str] | None = None

    def _fresh(self) -> None:
        generation = self.catalog.generation
        with self._lock:
            if generation != self._generation or len(self._labels) + len(self._words) > _CACHE_LIMIT:
                self._generation = generation
                self._labels, self._words, self._outlets = {}, {}, None

    # names -----------------------------------------------------------------------

    def labels(self, names: Iterable[str]) -> dict[str, dict[str, int]]:
        """name key -> {entity label: count} across the collection (empty if never labelled)."""
        self._fresh()
        keys = {name_key(n) for n in names}
        with self._lock:
            missing = [k for k in keys if k not in self._labels]
        if missing:
            found = self.catalog.entities.labels(missing)
            with self._lock:
                for k in missing:
                    self._labels[k] = found.get(k, {})
        with self._lock:
            return {k: self._labels[k] for k in keys}

    def _share(self, name: str, labels: frozenset[str]) -> float | None:
        counts = self.labels([name])[name_key(name)]
        total = sum(c for label, c in counts.items() if label != PLACED)
        if total < MIN_EVIDENCE:
            return None
        return sum(c for label, c in counts.items() if label in labels) / total

    def is_place(self, name: str) -> bool:
        counts = self.labels([name])[name_key(name)]
        placed = counts.get(PLACED, 0)
        labelled = sum(c for label, c in counts.items() if label != PLACED)
        acronym = name.replace(".", "").isupper()  # "IS", "SANA": organisations, whatever follows "in"
        if placed >= MIN_PLACED and placed >= PLACED_SHARE * max(placed, labelled) and not (acronym and not labelled):
            return True
        share = self._share(name, PLACES)
        return share is not None and share >= KIND_SHARE

    def is_speaker(self, name: str) -> bool:
        """A person, an organisation, or a people named as a group ("Kurdish forces")."""
        if self.is_place(name):
            return False
        share = self._share(name, SPEAKERS)
        return share is not None and share >= KIND_SHARE

    def is_date(self, name: str) -> bool:
        share = self._share(name, DATES)
        return share is not None and share >= KIND_SHARE

    def is_known_name(self, name: str) -> bool:
        return any(label != PLACED for label in self.labels([name])[name_key(name)])

    # words -----------------------------------------------------------------------

    def word_counts(self, words: Iterable[str]) -> dict[str, tuple[int, int, int] | None]:
        self._fresh()
        keys = {word_key(w) for w in words}
        with self._lock:
            missing = [k for k in keys if k not in self._words]
        if missing:
            found = self.catalog.words.counts(missing)
            with self._lock:
                for k in missing:
                    self._words[k] = found.get(k)
        with self._lock:
            return {k: self._words.get(k) for k in keys}

    def is_name_word(self, word: str) -> bool:
        """A capitalised word is a name when the collection writes it capitalised inside
        sentences at least as often as in lower case; a word it has never seen counts as
        a name (it must then be found where it is claimed). "About", "First", "Share"
        opening a sentence are ordinary words."""
        counts = self.word_counts([word])[word_key(word)]
        if counts is None:
            return True
        lower, capital, _ = counts
        return capital >= lower

    # terms and outlets -------------------------------------------------------------

    def term_weights(self, stems: set[str]) -> dict[str, float]:
        """The inverse passage frequency of stemmed terms (BM25's idf)."""
        return self.lexical.idf(stems)

    def term_share(self, stems: set[str]) -> dict[str, float]:
        """The share of passages each term is in, recovered from BM25's idf
        (idf = ln(1 + (N - n + 0.5) / (n + 0.5)))."""
        return {stem: 1.0 / math.exp(weight) for stem, weight in self.term_weights(stems).items()}

    def passages(self) -> int:
        return self.lexical.count()

    def outlets(self) -> list[str]:
        """The outlets the collection's reports come from, as stored."""
        self._fresh()
        with self._lock:
            if self._outlets is not None:
                return self._outlets
        found = self.catalog.reports.outlets()
        with self._lock:
            self._outlets = found
        return found
