"""The engine: documents in, cited answers out. Works without Telegram.

``retrieval.index`` loads, chunks, embeds and searches reports; ``retrieval.answer``
turns what the search found into a verified, cited answer; ``retrieval.engine`` wires
the two. Callers (the bot, the command line, benchmarks) import from here only.

Names are imported when first used, so ``import retrieval`` stays cheap and does nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_EXPORTS = {
    "Engine": "retrieval.engine",
    "Settings": "retrieval.settings",
    "Answer": "retrieval.answer.types",
    "Citation": "retrieval.answer.types",
    "SearchFilter": "retrieval.index.search",
    "IngestSummary": "retrieval.index.ingest",
    "IngestBusyError": "retrieval.index.ingest",
    "ReportInfo": "retrieval.index.catalog",
    "ReportDetail": "retrieval.index.catalog",
    "UnknownReportError": "retrieval.index.catalog",
    "Report": "retrieval.index.documents",
    "DocumentError": "retrieval.index.documents",
    "SUPPORTED_SUFFIXES": "retrieval.index.documents",
    "load_file": "retrieval.index.documents",
    "human_size": "retrieval.index.documents",
    "IndexMismatchError": "retrieval.index.catalog",
    "counted": "retrieval.language.plural",
    "LLMConfigError": "retrieval.llm_config",
    "check_llm_settings": "retrieval.llm_config",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from retrieval.answer.types import Answer, Citation
    from retrieval.engine import Engine
    from retrieval.index.catalog import IndexMismatchError, ReportDetail, ReportInfo, UnknownReportError
    from retrieval.index.documents import SUPPORTED_SUFFIXES, DocumentError, Report, human_size, load_file
    from retrieval.index.ingest import IngestBusyError, IngestSummary
    from retrieval.index.search import SearchFilter
    from retrieval.language.plural import counted
    from retrieval.llm_config import LLMConfigError, check_llm_settings
    from retrieval.settings import Settings


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'retrieval' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
