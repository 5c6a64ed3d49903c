"""The embedding cache at work: the vectors of a batch of reports, each passage's (for
Chroma) and each quotable span's (for the answer step), taken from the catalog's cache
where the same text was embedded before, else from one model run per distinct text."""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.index.catalog import Catalog
from retrieval.index.chunking import Passage
from retrieval.index.documents import Report
from retrieval.index.embeddings import embed_with_parts


@dataclass
class Prepared:
    """A report split and ready to be embedded."""

    report: Report
    passages: list[Passage]
    spans: np.ndarray  # (n, 2) quotable spans of the report


def content_key(embedder_id: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_id}\0{text}".encode("utf-8")).hexdigest()[:32]


class BatchVectors:
    """The vectors of a batch: each passage's (for Chroma) and each quotable span's (for
    the answer step), from the embedding cache where the same text was embedded before,
    else from one model run per distinct text.

    A span's vector is pooled from the token states of a passage that holds it whole;
    a span across two passages averages its pooled parts from each."""

    def __init__(self, catalog: Catalog, embeddings: Embeddings, embedder_id: str, batch: list[Prepared]) -> None:
        title_of = {p.report.doc_id: p.report.title for p in batch}
        layouts = [_lay_out(prepared, title_of, embedder_id) for prepared in batch]
        self._keys: dict[str, list[str]] = {prepared.report.doc_id: layout.keys for prepared, layout in zip(batch, layouts)}
        needs, embedded_text = _needs(layouts)
        usable, self.embedded = _cached_or_embedded(catalog, embeddings, needs, embedded_text)
        lookup = {
            k: (v, {tuple(map(int, row)): pv[i] for i, row in enumerate(parts)}) for k, (v, parts, pv) in usable.items()
        }
        self._vector_of = {k: lookup[k][0].tolist() for k in lookup}
        self.passage_vectors = [self._vector_of[k] for p in batch for k in self._keys[p.report.doc_id]]
        dims = len(self.passage_vectors[0]) if self.passage_vectors else 0
        self.span_vectors = [_span_vectors(layout, lookup, dims) for layout in layouts]

    def keys_of(self, prepared: Prepared) -> list[str]:
        return self._keys[prepared.report.doc_id]

    def vectors_of(self, prepared: Prepared) -> list[list[float]]:
        return [self._vector_of[k] for k in self._keys[prepared.report.doc_id]]


@dataclass
class _Layout:
    """A report's passages as embedded (its title, a new line, the passage), each with its
    content key and the shift from an offset in the report to one in its embedded text,
    and for each span the pieces its vector is pooled from (``assign``)."""

    keys: list[str]
    texts: list[str]
    shifts: list[int]
    plan: list[list[tuple[int, int, int]]]

    def parts(self, pieces: list[tuple[int, int, int]]) -> list[tuple[str, tuple[int, int]]]:
        """Each piece of a span as its passage's content key and its offsets in that
        passage's embedded text."""
        return [(self.keys[i], (start + self.shifts[i], end + self.shifts[i])) for i, start, end in pieces]


def _lay_out(prepared: Prepared, title_of: dict[str, str], embedder_id: str) -> _Layout:
    """How a report's passages are embedded, and which pieces of them its spans are pooled from."""
    keys, texts, shifts = [], [], []
    for p in prepared.passages:
        text = f"{title_of[p.doc_id]}\n{p.text}"
        keys.append(content_key(embedder_id, text))
        texts.append(text)
        shifts.append(len(title_of[p.doc_id]) + 1 - p.start)  # report offset -> embedded text offset
    return _Layout(keys, texts, shifts, assign(prepared.spans, prepared.passages))


def _needs(layouts: list[_Layout]) -> tuple[dict[str, set[tuple[int, int]]], dict[str, str]]:
    """content key -> the parts of its embedded text whose vectors the spans need, and
    content key -> that text."""
    needs: dict[str, set[tuple[int, int]]] = {}
    embedded_text: dict[str, str] = {}
    for layout in layouts:
        for key, text in zip(layout.keys, layout.texts):
            embedded_text[key] = text
            needs.setdefault(key, set())
        for pieces in layout.plan:
            for key, part in layout.parts(pieces):
                needs[key].add(part)
    return needs, embedded_text


def _cached_or_embedded(
    catalog: Catalog, embeddings: Embeddings, needs: dict[str, set[tuple[int, int]]], embedded_text: dict[str, str]
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], int]:
    """content key -> (passage vector, part offsets, part vectors) of every text the batch
    needs: from the cache where it holds every part needed, else embedded in one model run
    and cached; and how many texts were embedded."""
    cached = catalog.embeddings.cached(list(needs))
    usable = {
        k: v for k, v in cached.items() if needs[k] <= {tuple(map(int, row)) for row in v[1]}
    }
    missing = [k for k in needs if k not in usable]
    if missing:
        parts = [sorted(needs[k]) for k in missing]
        vectors, part_vectors = embed_with_parts(embeddings, [embedded_text[k] for k in missing], parts)
        fresh = {
            k: (vectors[i], np.asarray(parts[i], dtype=np.int32).reshape(-1, 2), part_vectors[i])
            for i, k in enumerate(missing)
        }
        catalog.embeddings.cache(fresh)
        usable.update(fresh)
    return usable, len(missing)


def _span_vectors(layout: _Layout, lookup: dict[str, tuple[np.ndarray, dict[tuple[int, int], np.ndarray]]], dims: int) -> np.ndarray:
    """The (n, dims) vectors of a report's spans, each the unit-length mean of its pieces'
    pooled vectors, weighted by their lengths."""
    if not layout.plan:
        return np.zeros((0, dims), np.float32)
    rows = []
    for pieces in layout.plan:
        parts = [(end - start, lookup[key][1][(start, end)]) for key, (start, end) in layout.parts(pieces)]
        vector = sum(weight * v for weight, v in parts)
        rows.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
    return np.asarray(rows, dtype=np.float32).reshape(len(layout.plan), dims)


def assign(spans: np.ndarray, passages: list[Passage]) -> list[list[tuple[int, int, int]]]:
    """For each span, the (passage index, start, end) pieces its vector is pooled from:
    the passage that holds it whole with the most room around it, or else the part of it
    inside each passage it touches. Passages are in text order, so only the few that
    begin before a span ends can hold it."""
    starts = [p.start for p in passages]
    plan = []
    for start, end in spans.tolist():
        last = bisect.bisect_left(starts, end)  # passages[last:] begin at or after the span's end
        touching = [i for i in range(max(0, last - 8), last) if passages[i].end > start]
        whole = [(min(start - passages[i].start, passages[i].end - end), i) for i in touching
                 if passages[i].start <= start and end <= passages[i].end]
        if whole:
            plan.append([(max(whole)[1], start, end)])
        elif touching:
            plan.append([(i, max(start, passages[i].start), min(end, passages[i].end)) for i in touching])
        else:  # white space between passages only; cannot happen for a span of words
            plan.append([(0, passages[0].start, passages[0].end)])
    return plan

