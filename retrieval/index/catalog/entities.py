"""The entities and names tables: each report's named entities (recognised at ingest,
``retrieval.index.entities``) and, per name, how often the collection gives it each
label, so a question's "Tall Tawil" is known for a place and "SOHR" for an organisation
by one indexed lookup."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable

import numpy as np

from retrieval.index.catalog.database import Database
from retrieval.index.entities import Entity, pack, unpack
from retrieval.language.en.places import PLACE_PREPOSITIONS
from retrieval.language.names import key, runs

_ARTICLES = ("the ", "a ", "an ")


def name_key(text: str) -> str:
    """The key a name is counted under: "the Syrian Observatory's" -> "syrian observatory"."""
    keyed = key(text)
    for article in _ARTICLES:
        if keyed.startswith(article):
            keyed = keyed[len(article) :]
    return keyed


# The pseudo-label of a name written right after a preposition of place ("in Aleppo"):
# the recogniser's labels of place names are unsure where a text has lost its
# punctuation, and how a collection writes a name tells places apart too.
PLACED = "PLACED"


def _label_counts(text: str, entities: list[Entity]) -> Counter:
    counts: Counter = Counter()
    for e in entities:
        name = name_key(text[e.start : e.end])
        if name:
            counts[(name, e.label)] += 1
    for start, _, run in runs(text):
        before = text[max(0, start - 12) : start].split()
        if before and before[-1].lower() in PLACE_PREPOSITIONS:
            name = name_key(run)
            if name:
                counts[(name, PLACED)] += 1
    return counts


class EntityStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def write(self, db: sqlite3.Connection, doc_id: str, text: str, entities: list[Entity]) -> None:
        db.execute("INSERT OR REPLACE INTO entities (doc_id, rows) VALUES (?, ?)", (doc_id, pack(entities).tobytes()))
        self._add(db, _label_counts(text, entities), sign=1)

    def forget(self, db: sqlite3.Connection, doc_id: str, old_text: str | None) -> None:
        """Take a report's names out of the statistics before it is replaced or removed."""
        row = db.execute("SELECT rows FROM entities WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None or old_text is None:
            return
        self._add(db, _label_counts(old_text, unpack(np.frombuffer(row[0], dtype=np.int32).reshape(-1, 3))), sign=-1)

    @staticmethod
    def _add(db: sqlite3.Connection, counts: Counter, sign: int) -> None:
        db.executemany(
            "INSERT INTO names (name, label, count) VALUES (?, ?, ?)"
            " ON CONFLICT(name, label) DO UPDATE SET count = count + excluded.count",
            [(name, label, sign * n) for (name, label), n in counts.items()],
        )

    def of(self, doc_ids: list[str]) -> dict[str, list[Entity]]:
        rows = self.database.select_in("SELECT doc_id, rows FROM entities WHERE doc_id IN ({marks})", doc_ids)
        return {doc_id: unpack(np.frombuffer(blob, dtype=np.int32).reshape(-1, 3)) for doc_id, blob in rows}

    def labels(self, names: Iterable[str]) -> dict[str, dict[str, int]]:
        """name key -> {label: how many times the collection gives it}."""
        found: dict[str, dict[str, int]] = {}
        rows = self.database.select_in(
            "SELECT name, label, count FROM names WHERE count > 0 AND name IN ({marks})", list(dict.fromkeys(names))
        )
        for name, label, count in rows:
            found.setdefault(name, {})[label] = count
        return found
