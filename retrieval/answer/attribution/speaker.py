"""Who a report credits with a claim, as the attribution step reports it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Speaker:
    name: str  # as the report writes it
    start: int
    end: int
    anonymous: bool = False  # named by role ("a medical source")
    role: str | None = None  # "head of the Syrian Observatory for Human Rights", "a monitor"
    person: bool = False
    organisation: bool = False
    cue: int = -1  # where the verb or phrase that credits them is ("said", "according to")

    @property
    def shown(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name

