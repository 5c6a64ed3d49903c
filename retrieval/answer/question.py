"""A question read once: what it asks for, what it is about, and which reports it may be
answered from. ``reader.QuestionReader`` makes it at the start of answering; every later
step takes it and none reads the question's words again."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from retrieval.index.search import SearchFilter
from retrieval.language.dates import DateRange


class Intent(Enum):
    """What shape of answer the question wants."""

    FACT = "fact"  # one fact, quoted
    FIGURES = "figures"  # a count, toll or amount: each source's figure
    TIMELINE = "timeline"  # dated events in order
    WHO = "who"  # who said or reported it
    WHY = "why"  # a cause


class Kind(Enum):
    """What kind of thing an answer must hold."""

    COUNT = "count"
    MONEY = "money"
    DURATION = "duration"
    SHARE = "share"
    AGE = "age"
    DATE = "date"
    TIME_OF_DAY = "time of day"
    SPEAKER = "speaker"  # who said, reported or claimed something
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    NAME = "name"  # "which X": a name of X
    REASON = "reason"


# Kinds a span must hold to answer at all: "how many" without a number is no answer.
STRICT_KINDS = frozenset(Kind) - {Kind.NAME}


@dataclass(frozen=True)
class Counted:
    """What a count question counts: "how many children were killed" counts children,
    and only the killed."""

    phrase: str  # "children", "teaching staff"
    terms: frozenset[str]  # stems a number must stand next to, to count it
    of_people: bool  # people are counted loosely ("five others wounded")
    harm: str | None  # "killed" or "wounded": a toll of the dead is not a count of the wounded


@dataclass(frozen=True)
class Incident:
    """What pins the question to one incident."""

    places: tuple[str, ...] = ()  # as the question writes them
    names: tuple[str, ...] = ()  # people, organisations and other names
    dates: DateRange | None = None
    anchors: frozenset[str] = frozenset()  # stems of its names
    numbers: frozenset[str] = frozenset()  # values of its numbers, days and years included
    date_numbers: frozenset[str] = frozenset()  # those of them that are part of its dates


@dataclass(frozen=True)
class Filters:
    """Which reports a question may be answered from, and how to say it."""

    where: SearchFilter | None = None
    description: str | None = None  # "reports from Reuters published 2016-10-01 to 2016-10-31"
    from_words: bool = False  # read from a date in words: undated reports kept, a margin after

    @property
    def empty(self) -> bool:
        return self.where is None or self.where.empty


@dataclass(frozen=True)
class Question:
    asked: str  # exactly as typed
    text: str  # without filter tokens ("source:SANA")
    search: str  # what the reports are searched with (a follow-up joined to the questions before)
    intent: Intent
    kinds: frozenset[Kind]
    terms: frozenset[str]  # stems of its content words, without the words of asking
    incident: Incident
    filters: Filters
    counted: Counted | None = None
    units: frozenset[str] = frozenset()  # what a figure must be given in: "hours", "gbps", "%"
    focus: frozenset[str] = frozenset()  # the noun a "which" question asks about
    responsibility: bool = False  # "which group claimed responsibility": the answer must say so
    source: str | None = None  # "according to Amnesty", "what did SANA report": whose claims are wanted
    language: str | None = None  # the language it is written in, when confidently not English
    words: frozenset[str] = field(default_factory=frozenset)  # every word of the question, keyed as names are

    @property
    def is_follow_up(self) -> bool:
        return self.search != self.text

    @property
    def strict(self) -> bool:
        """Whether an answer must hold something of a kind a span can be checked for."""
        return bool(self.kinds & STRICT_KINDS)
