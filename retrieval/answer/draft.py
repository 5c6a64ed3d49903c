"""What a composer returns: claims, each citing the report [n] it rests on, before
verification has looked at them."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.answer.windows import Reading
from retrieval.index.spans import Span


@dataclass(frozen=True)
class DraftClaim:
    statement: str  # as the composer wrote it, without [n] markers
    reports: tuple[int, ...]  # the window numbers it cites
    quote: str | None = None  # the words of the report it rests on, as the composer copied them
    span: Span | None = None  # where they are in the report (the extractive composer knows)
    said_by: str | None = None  # who in the report makes it, as the composer says


@dataclass(frozen=True)
class Draft:
    reading: Reading
    claims: tuple[DraftClaim, ...]
    composer: str  # "extractive" or "llm"
    notes: tuple[str, ...] = ()
    declined: bool = False  # the composer says the reports do not answer
