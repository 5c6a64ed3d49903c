"""The BM25 index over the same passages as the vector store, with bm25s.

bm25s has no incremental update, and rebuilding over ~10k passages takes about a
second, so after an ingest that changed anything the index is rebuilt from the catalog
and swapped in atomically (written to a new folder, then renamed into place). The folder
records the catalog generation it was built from; a stale or missing index is rebuilt.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import tempfile
import threading
from pathlib import Path

import bm25s
import numpy as np

from retrieval.index.catalog import Catalog
from retrieval.language import tokenize

log = logging.getLogger(__name__)


class LexicalIndex:
    def __init__(self, folder: Path, catalog: Catalog) -> None:
        self.folder = folder
        self.catalog = catalog
        self._lock = threading.Lock()  # guards the installed model
        self._build_lock = threading.Lock()  # one load or rebuild at a time
        self.held = False  # set while this process's ingest is writing
        self._model: bm25s.BM25 | None = None
        self._chunk_ids: list[str] = []
        self._positions: dict[str, int] = {}
        self._generation = -1
        self._frequencies: dict[str, int] = {}

    def rebuild(self) -> None:
        """Rebuild from the catalog and replace the saved index atomically."""
        with self._build_lock:
            self._rebuild()

    def _rebuild(self) -> None:
        generation = self.catalog.generation
        rows = self.catalog.all_passages()
        chunk_ids = [r[0] for r in rows]
        model = bm25s.BM25()
        tokens = tokenize([f"{title}\n{text}" for _, title, text in rows]) if rows else []
        if rows:
            model.index(tokens, show_progress=False)
        frequencies: dict[str, int] = {}
        for passage_tokens in tokens:
            for token in set(passage_tokens):
                frequencies[token] = frequencies.get(token, 0) + 1
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(dir=self.folder.parent, prefix=self.folder.name + ".new-"))
        if rows:
            model.save(str(fresh), show_progress=False)
        (fresh / "chunk_ids.json").write_text(
            json.dumps({"generation": generation, "chunk_ids": chunk_ids, "frequencies": frequencies})
        )
        old = Path(tempfile.mkdtemp(dir=self.folder.parent, prefix=self.folder.name + ".old-"))
        if self.folder.exists():
            os.replace(self.folder, old / "index")
        os.replace(fresh, self.folder)
        shutil.rmtree(old, ignore_errors=True)
        self._install(model if rows else None, chunk_ids, generation, frequencies)

    def _install(
        self, model: bm25s.BM25 | None, chunk_ids: list[str], generation: int, frequencies: dict[str, int]
    ) -> None:
        with self._lock:
            self._frequencies = frequencies
            self._model = model
            self._chunk_ids = chunk_ids
            self._positions = {c: i for i, c in enumerate(chunk_ids)}
            self._generation = generation

    def _load(self) -> bool:
        try:
            saved = json.loads((self.folder / "chunk_ids.json").read_text())
        except (OSError, ValueError):
            return False
        if saved.get("generation") != self.catalog.generation:
            return False
        chunk_ids = saved["chunk_ids"]
        model = bm25s.BM25.load(str(self.folder), show_progress=False) if chunk_ids else None
        self._install(model, chunk_ids, saved["generation"], saved.get("frequencies", {}))
        return True

    def ensure_current(self) -> None:
        """Load the saved index, or rebuild it if it lags behind the catalog (another
        process ingested, or an ingest died before saving it). While this process is
        ingesting, searches keep the index they have: the ingest rebuilds once at the end."""
        if self._generation == self.catalog.generation:
            return
        if self.held and self._generation >= 0:
            return
        with self._build_lock:
            if self._generation == self.catalog.generation:
                return
            if not self._load():
                log.info("rebuilding the BM25 index from the catalog")
                self._rebuild()

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) best first; only passages sharing a term with the query."""
        self.ensure_current()
        with self._lock:
            model, chunk_ids, positions = self._model, self._chunk_ids, self._positions
        if model is None or not chunk_ids:
            return []
        tokens = tokenize([query])
        if not tokens or not tokens[0]:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(len(chunk_ids), dtype=np.float32)
            for chunk_id in allowed:
                if chunk_id in positions:
                    mask[positions[chunk_id]] = 1.0
        documents, scores = model.retrieve(
            tokens, k=min(k, len(chunk_ids)), show_progress=False, weight_mask=mask, n_threads=1
        )
        return [(chunk_ids[int(d)], float(s)) for d, s in zip(documents[0], scores[0]) if s > 0]

    def idf(self, tokens: set[str]) -> dict[str, float]:
        """Inverse passage frequency of each (stemmed) token; unseen tokens weigh most."""
        self.ensure_current()  # once per question, not once per word
        n = max(1, len(self._chunk_ids))
        frequencies = self._frequencies
        return {t: math.log(1 + (n - frequencies.get(t, 0) + 0.5) / (frequencies.get(t, 0) + 0.5)) for t in tokens}
