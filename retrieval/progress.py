"""What the engine is doing while it answers, as short messages for whoever waits
("Searching 985 reports…", "Reading 8 reports…", "Checking 5 claims…").

``StageProgress`` is a LangChain callback handler: it watches the engine's chain start
its named steps (retrieve, compose, verify) and calls ``progress`` with a message for
each. It only counts; it never passes on text a composer wrote, which is unverified.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler

CITATION_MARKER = re.compile(r"\[\d+\]")


class StageProgress(BaseCallbackHandler):
    """Calls progress("Searching N reports…") and so on as the chain's steps start."""

    def __init__(self, progress: Callable[[str], None], reports: int) -> None:
        self.progress = progress
        self.reports = reports

    def on_chain_start(self, serialized: dict[str, Any] | None, inputs: Any, **kwargs: Any) -> None:
        message = self._message(kwargs.get("name"), inputs)
        if message:
            self.progress(message)

    def _message(self, step: str | None, inputs: Any) -> str | None:
        if step == "retrieve":
            return f"Searching {_count(self.reports, 'report')}…"
        if step == "compose" and inputs.windows:  # inputs: the Retrieved windows
            return f"Reading {_count(len(inputs.windows), 'report')}…"
        if step == "verify":  # inputs: the Composed draft; each [n] marks a cited claim
            claims = len(CITATION_MARKER.findall(inputs.draft.text))
            return f"Checking {_count(claims, 'claim')}…" if claims else None
        return None


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
