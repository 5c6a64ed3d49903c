"""What an answer is: the draft every composer produces, and the verified answer every
renderer reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from retrieval.index.spans import Span


@dataclass
class Draft:
    """A composer's output: text with [n] markers (n = position in the retrieved list)
    and, from the extractive composer, the exact span each marker quotes."""

    text: str
    quotes: dict[int, Span] = field(default_factory=dict)
    attributions: dict[int, str] = field(default_factory=dict)  # who, as the report spells it
    events: list[tuple[int, Span]] = field(default_factory=list)  # a timeline's lines: window, exact span
    also_published_by: dict[int, list[str]] = field(default_factory=dict)  # copies folded into a quote


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
    also_published_by: list[str] = field(default_factory=list)  # outlets of syndicated copies

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
            "also_published_by": self.also_published_by,
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
    filters: str | None = None  # which reports the question was narrowed to, said in words
    summary: str | None = None  # for figures by source: "12 to 40 dead across 4 reports, ..."
    figures: list = field(default_factory=list)  # figures.Figure, ordered by report date
    events: list = field(default_factory=list)  # timeline.Event, in date order

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
            "filters": self.filters,
            "summary": self.summary,
            "figures": [f.to_json() for f in self.figures],
            "events": [e.to_json() for e in self.events],
        }
