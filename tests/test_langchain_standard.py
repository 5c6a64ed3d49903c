"""LangChain's standard retriever tests (langchain-tests) run against our hybrid retriever,
so it behaves like any other LangChain retriever (invoke, ainvoke, k)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from langchain_tests.integration_tests import RetrieversIntegrationTests

from retrieval.engine import Engine
from retrieval.index.retriever import HybridRetriever
from retrieval.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def seed_index():
    """The seed, indexed once for the whole module (the suite builds retrievers itself)."""
    folder = Path(tempfile.mkdtemp(prefix="lc-standard-"))
    atexit.register(shutil.rmtree, folder, True)
    shutil.copytree(ROOT / "seeds", folder / "docs")
    engine = Engine(Settings(_env_file=None, data_dir=folder / "data", documents_dir=folder / "docs"))
    engine.ingest()
    return engine.index


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"index": seed_index()}

    @property
    def retriever_query_example(self) -> str:
        return "children killed in western Aleppo"
