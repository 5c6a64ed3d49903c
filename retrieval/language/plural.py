"""Counts with their nouns, as English writes them: "1 report", "2 reports"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun: "1 report", "2 reports", "0 reports" ("1 copy", "3 copies"
    when given the plural)."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"
