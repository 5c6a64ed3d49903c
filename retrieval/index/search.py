"""Search over the indexed passages: dense (Chroma), lexical (BM25) and both fused by
reciprocal rank fusion, optionally restricted to one outlet or a date range. Only
passages the catalog knows are returned, so whatever an interrupted ingest left
uncommitted in a store is never an answer."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.index.catalog import Catalog, StoredPassage
from retrieval.index.lexical import LexicalIndex

RRF_K = 60  # the constant from Cormack et al.; ranks matter, raw scores do not


@dataclass(frozen=True)
class SearchFilter:
    """Optional restriction of a search to one outlet and/or a date range (ISO dates);
    include_undated lets reports without a date through a date range."""

    source: str | None = None
    published_from: str | None = None
    published_to: str | None = None
    include_undated: bool = False

    @property
    def empty(self) -> bool:
        return not (self.source or self.published_from or self.published_to)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with how each retriever ranked it (1-based; None: not found)."""

    passage: StoredPassage
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


class Search:
    def __init__(self, catalog: Catalog, vectors, lexical: LexicalIndex, candidates_per_retriever: int) -> None:
        """vectors: a callable returning the ``VectorStore`` (connected on first use)."""
        self.catalog = catalog
        self._vectors = vectors
        self.lexical = lexical
        self.candidates_per_retriever = candidates_per_retriever

    def allowed_docs(self, where: SearchFilter | None) -> list[str] | None:
        if where is None or where.empty:
            return None
        return self.catalog.reports.filtered(where.source, where.published_from, where.published_to, where.include_undated)

    def dense(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        found = self._vectors().search(query, k, self.allowed_docs(where))
        return self._hydrate(found, dense=True)

    def bm25(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        return self._hydrate(self.lexical.search(query, k, self.allowed_docs(where)), dense=False)

    def hybrid(self, query: str, k: int, where: SearchFilter | None = None) -> list[Hit]:
        """Dense and BM25 candidates fused by reciprocal rank fusion."""
        docs = self.allowed_docs(where)
        n = max(k, self.candidates_per_retriever)
        dense = self._vectors().search(query, n, docs)
        lexical = self.lexical.search(query, n, docs)
        fused: dict[str, float] = {}
        for ranking in (dense, lexical):
            for rank, (chunk_id, _) in enumerate(ranking, start=1):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, start=1)}
        lexical_rank = {cid: r for r, (cid, _) in enumerate(lexical, start=1)}
        best = sorted(fused, key=fused.get, reverse=True)
        stored = self.catalog.passages.get(best[: k * 2])
        hits = [
            Hit(stored[cid], fused[cid], dense_rank.get(cid), lexical_rank.get(cid))
            for cid in best[: k * 2]
            if cid in stored  # uncommitted leftovers of an interrupted ingest are not answers
        ]
        return hits[:k]

    def _hydrate(self, ranked: list[tuple[str, float]], dense: bool) -> list[Hit]:
        stored = self.catalog.passages.get([cid for cid, _ in ranked])
        hits = []
        for rank, (cid, score) in enumerate(ranked, start=1):
            if cid in stored:
                hits.append(
                    Hit(stored[cid], score, dense_rank=rank if dense else None, lexical_rank=None if dense else rank)
                )
        return hits
