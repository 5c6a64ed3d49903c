"""The Chroma collection holding one vector per passage.

Embedded ``PersistentClient`` under ``DATA_DIR`` by default, or a Chroma server when
``CHROMA_URL`` is set. Vectors always come from our embedder (Chroma's built-in default
would download a model), and the collection records which embedder built it so that a
different one is refused rather than mixed in.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

from retrieval.index.catalog import IndexMismatchError
from retrieval.index.chunking import Passage
from retrieval.index.documents import Report

log = logging.getLogger(__name__)

COLLECTION = "incident_reports"
WRITE_BATCH = 256


def connect(chroma_url: str, folder: Path) -> chromadb.api.ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False)
    if not chroma_url:
        folder.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(folder), settings=settings)
    url = urlparse(chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"CHROMA_URL must look like http://host:port, got {chroma_url!r}")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    except Exception as e:
        raise ConnectionError(f"cannot reach the Chroma server at {chroma_url}: {e}; is `chroma run` up?") from e


class VectorStore:
    def __init__(
        self, client: chromadb.api.ClientAPI, embeddings: Embeddings, embedder_id: str, replace: bool = False
    ) -> None:
        """replace: start an empty collection when the existing one was built by another
        embedder (``ingest --rebuild``) instead of refusing."""
        self.embeddings = embeddings
        self.embedder_id = embedder_id
        self.collection = self._open(client)
        built_by = (self.collection.metadata or {}).get("embedder")
        if built_by != embedder_id and replace:
            log.warning("dropping the vectors built by %s to re-index with %s", built_by, embedder_id)
            client.delete_collection(COLLECTION)
            self.collection = self._open(client)
            built_by = embedder_id
        if built_by != embedder_id:
            raise IndexMismatchError(
                f"the index was built with embedder {built_by!r} but {embedder_id!r} is configured; "
                "set EMBEDDINGS back, or run `incident-bot ingest --rebuild` to re-index with the new one"
            )

    def _open(self, client: chromadb.api.ClientAPI):
        return client.get_or_create_collection(
            COLLECTION,
            embedding_function=None,
            metadata={"embedder": self.embedder_id, "hnsw:space": "cosine"},
        )

    def add(self, passages: list[Passage], vectors: list[list[float]], reports: dict[str, Report]) -> None:
        """Store passages with their vectors (embedded by the caller, from its cache)."""
        if not passages:
            return
        for start in range(0, len(passages), WRITE_BATCH):
            batch = passages[start : start + WRITE_BATCH]
            self.collection.upsert(
                ids=[p.chunk_id for p in batch],
                embeddings=vectors[start : start + WRITE_BATCH],
                documents=[p.text for p in batch],
                metadatas=[_metadata(p, reports[p.doc_id]) for p in batch],
            )

    def delete(self, chunk_ids: list[str]) -> None:
        for start in range(0, len(chunk_ids), WRITE_BATCH):
            self.collection.delete(ids=chunk_ids[start : start + WRITE_BATCH])

    def ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def count(self) -> int:
        return self.collection.count()

    def search(self, query: str, k: int, allowed_docs: list[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) best first."""
        if allowed_docs is not None and not allowed_docs:
            return []
        vector = self.embeddings.embed_query(query)
        where = {"doc_id": {"$in": allowed_docs}} if allowed_docs is not None else None
        result = self.collection.query(
            query_embeddings=[vector], n_results=max(1, k), where=where, include=["distances"]
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(result["ids"][0], result["distances"][0])]


def _metadata(passage: Passage, report: Report) -> dict:
    """What a passage carries in Chroma, so the store is readable on its own (Chroma
    rejects None values, so absent fields are left out)."""
    values = {
        "doc_id": passage.doc_id,
        "position": passage.position,
        "start": passage.start,
        "end": passage.end,
        "title": report.title,
        "source": report.source,
        "published": report.published,
        "url": report.url,
    }
    return {k: v for k, v in values.items() if v is not None}
