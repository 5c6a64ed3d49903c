"""What an answer is, as every renderer reads it: the verified claims, the citations they
rest on, and for figure questions and timelines the rows made of those claims."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
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
    attributed_to: str | None = None  # who in the report makes the quoted claim
    also_published_by: tuple[str, ...] = ()  # outlets of syndicated copies

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
            "also_published_by": list(self.also_published_by),
        }


@dataclass(frozen=True)
class Claim:
    """One verified statement of an answer: what it says, the figures it gives, who in
    the report makes it, the report [n] and the exact span of it that supports it."""

    text: str
    n: int
    doc_id: str
    quote: str  # text[start:end] of the report
    start: int
    end: int
    said_by: str | None
    figures: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "figures": list(self.figures),
            "said_by": self.said_by,
            "n": self.n,
            "doc_id": self.doc_id,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class Figure:
    """One report's figure for what was asked, as figures by source list it."""

    n: int  # the citation that quotes it
    figure: str  # as the report writes it: "at least 9 people"
    value: float | None  # its number, for ordering the summary (never added up)
    who: str | None  # who in the report gives it (None: the report credits nobody)
    outlet: str | None
    published: str | None
    also_published_by: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "figure": self.figure,
            "who": self.who,
            "outlet": self.outlet,
            "published": self.published,
            "also_published_by": list(self.also_published_by),
        }


@dataclass(frozen=True)
class Event:
    """One dated event of a timeline."""

    n: int  # the citation of the report it comes from
    date: str | None  # ISO date
    dated_by: str  # "text" (the sentence gives the date) or "report" (its publication date)
    text: str  # the sentence, verbatim

    def to_json(self) -> dict:
        return {"n": self.n, "date": self.date, "dated_by": self.dated_by, "text": self.text}


@dataclass(frozen=True)
class Dropped:
    """A claim verification removed, and why."""

    text: str
    reason: str


@dataclass(frozen=True)
class Verification:
    dropped: tuple[Dropped, ...] = ()
    removed_markers: tuple[int, ...] = ()  # citations to reports the composer was not given
    corrected_citations: tuple[tuple[int, int], ...] = ()  # (cited, the report that holds the quote)
    unlocated_quotes: int = 0  # model quotes not found verbatim (the stored span is shown instead)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str  # exactly as asked
    text: str  # the claims with [n] markers, one per line, or the refusal
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # closest passages when refused
    verification: Verification = field(default_factory=Verification)
    notes: list[str] = field(default_factory=list)
    composer: str = "extractive"
    retrieval_query: str | None = None  # differs from question for follow-ups
    filters: str | None = None  # which reports the question was narrowed to, said in words
    filter: dict | None = None  # the same as data: source, since, until, reports left, undated
    summary: str | None = None  # for figures by source: "From 12 to 40 people across 4 sources, ..."
    figures: list[Figure] = field(default_factory=list)  # ordered by report date
    events: list[Event] = field(default_factory=list)  # in date order

    @property
    def by_source(self) -> bool:
        """Whether the answer is shown as figures by source: two figures or more (one
        figure reads better as the sentence that gives it)."""
        return len(self.figures) > 1

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "claims": [c.to_json() for c in self.claims],
            "related": [c.to_json() for c in self.related],
            "verification": self.verification.to_json(),
            "notes": self.notes,
            "composer": self.composer,
            "retrieval_query": self.retrieval_query,
            "filters": self.filters,
            "filter": self.filter,
            "summary": self.summary,
            "figures": [f.to_json() for f in self.figures],
            "events": [e.to_json() for e in self.events],
        }
