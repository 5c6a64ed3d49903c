"""Finding the phrases of a data table in text: whole words, case ignored, longest first."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=256)
def _compiled(phrases: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])", re.IGNORECASE)


def find(phrases: Iterable[str], text: str) -> re.Match | None:
    """The first of phrases in text."""
    return _compiled(tuple(phrases)).search(text)


def find_all(phrases: Iterable[str], text: str) -> list[re.Match]:
    return list(_compiled(tuple(phrases)).finditer(text))


def has(phrases: Iterable[str], text: str) -> bool:
    return find(phrases, text) is not None
