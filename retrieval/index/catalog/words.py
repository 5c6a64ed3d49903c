"""The words table: how the collection writes each word (lower-case, capitalised inside a
sentence, at a sentence start), updated as reports come and go
(``retrieval.index.words`` counts them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from retrieval.index.catalog.database import Database
from retrieval.index.words import count_words

WordCounts = tuple[int, int, int]


class WordStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, db: sqlite3.Connection, words: dict[str, WordCounts], sign: int = 1) -> None:
        db.executemany(
            "INSERT INTO words (word, lower, capital, initial) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(word) DO UPDATE SET lower = lower + excluded.lower, capital = capital + excluded.capital,"
            " initial = initial + excluded.initial",
            [(w, *(sign * c for c in counts)) for w, counts in words.items()],
        )

    def forget(self, db: sqlite3.Connection, old_text: str | None) -> None:
        """Take a report's words out of the statistics before it is replaced or removed."""
        if old_text is not None:
            self.add(db, count_words(old_text), sign=-1)

    def counts(self, words: Iterable[str]) -> dict[str, WordCounts]:
        """word (lower-cased) -> (lower, capital, initial) counts in the collection."""
        rows = self.database.select_in(
            "SELECT word, lower, capital, initial FROM words WHERE word IN ({marks})", list(dict.fromkeys(words))
        )
        return {word: tuple(counts) for word, *counts in rows}
