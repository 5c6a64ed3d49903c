"""Hybrid search as a LangChain retriever, so it plugs into any LangChain chain."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from retrieval.index.report_index import ReportIndex
from retrieval.index.search import Hit, SearchFilter


def hit_to_document(hit: Hit) -> Document:
    p = hit.passage
    return Document(
        id=p.chunk_id,
        page_content=p.text,
        metadata={
            "doc_id": p.doc_id,
            "title": p.title,
            "source": p.source,
            "published": p.published,
            "url": p.url,
            "start": p.start,
            "end": p.end,
            "position": p.position,
            "score": hit.score,
            "dense_rank": hit.dense_rank,
            "lexical_rank": hit.lexical_rank,
        },
    )


class HybridRetriever(BaseRetriever):
    """Dense (Chroma) + BM25 passages fused by reciprocal rank fusion."""

    index: Any  # ReportIndex; Any keeps pydantic from inspecting it
    k: int = 6
    where: SearchFilter | None = None

    def hits(self, query: str, k: int | None = None) -> list[Hit]:
        index: ReportIndex = self.index
        return index.hybrid(query, k or self.k, self.where)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        """``retriever.invoke(query, k=3)`` overrides the number of passages."""
        return [hit_to_document(h) for h in self.hits(query, k)]
