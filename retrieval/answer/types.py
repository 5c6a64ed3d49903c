"""What an answer is: the draft every composer produces, and the verified answer every
renderer reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from retrieval.answer.spans import Span


@dataclass
class Draft:
    """A composer's output: text with [n] markers (n = position in the retrieved list)
    and, from the extractive composer, the exact span each marker quotes."""

    text: str
    quotes: dict[int, Span] = field(default_factory=dict)
    attributions: dict[int, str] = field(default_factory=dict)  # who, as the report spells it


@dataclass
class Citation:
    """One numbered source of an answer, with a verbatim quote from the stored report."""

    n: int
    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    quote: str  # an exact span of the report's stored text: text[start:end]
    start: int
    end: int
    attributed_to: str | None = None

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "url": self.url,
            "quote": self.quote,
            "attributed_to": self.attributed_to,
        }


@dataclass
class Dropped:
    """Something verification removed from a draft, and why."""

    text: str
    reason: str


@dataclass
class Verification:
    removed_markers: list[int] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    unsupported_quotes: int = 0  # quotes that were not exact spans (always fixed, never shown)
    # Where the model named another source than the one we found in the report.
    attribution_disagreements: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    text: str  # answer sentences with [n] markers, or the refusal
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # closest passages when refused
    verification: Verification = field(default_factory=Verification)
    notes: list[str] = field(default_factory=list)  # e.g. "the summary is unavailable"
    composer: str = "extractive"
    retrieval_query: str | None = None  # differs from question for follow-ups

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "related": [c.to_json() for c in self.related],
            "verification": self.verification.to_json(),
            "notes": self.notes,
            "composer": self.composer,
            "retrieval_query": self.retrieval_query,
        }
