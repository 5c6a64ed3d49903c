"""One incident at a time: whether a claim is about the incident a question asks about.

Casualty recorders keep figures per incident (Airwars: one incident at a time), and an
incident is a place and a date: another town or another week is another incident. The
incident's places are the question's; its date the question's, or else that of the
report the best answer comes from. A claim is about another incident when its report
never names the place, when its report was published far from the date, or when its own
sentence names only other places than the report's lead does (a report on the Qamishli
bombing that quotes a toll of strikes near Manbij) or a date far from the incident's.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from retrieval.answer.collection import Collection
from retrieval.answer.question import Question
from retrieval.answer.report import Region, ReportView
from retrieval.index.entities import PLACES
from retrieval.language.dates import DateRange, dates_in, read_date
from retrieval.language.en.places import PLACE_PREPOSITIONS
from retrieval.language.names import spelled_in, written_in

# Reports of one incident are published within this many days of it (tolls rise for
# days); a report may be dated a day or two before it (time zones, annotation dates).
DAYS_AFTER = 7
DAYS_BEFORE = 2
PLACE_WORDS_BEFORE = 30  # characters before a place read for its preposition ("in the town of")
MAX_DATES_READ = 20
MAX_DAYS_NAMED = 7  # "28 October", "October 28th to October 31st": days, not a month  # the dates of a report read to see whether it names the incident's


@dataclass(frozen=True)
class Scope:
    places: tuple[str, ...]
    dates: DateRange | None
    asked: bool = True  # the places are the question's, not read from the best report

    def describe(self) -> str:
        parts = []
        if self.places and self.asked:  # "western Aleppo" says "Aleppo" already
            places = [p for p in self.places if not any(p != other and written_in(p, other) for other in self.places)]
            parts.append(", ".join(places))
        if self.dates is not None and self.dates.year_known:
            start, end = self.dates.start, self.dates.end
            whole_month = start.day == 1 and (end + datetime.timedelta(days=1)).day == 1 and (start.year, start.month) == (end.year, end.month)
            if whole_month:
                parts.append(start.strftime("%B %Y"))
            else:
                parts.append(start.strftime("%-d %B %Y") if start == end else f"{start:%-d %B %Y} to {end:%-d %B %Y}")
        return "; ".join(parts)


class IncidentScope:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def scope(self, question: Question, view: ReportView, region: Region) -> Scope:
        """The incident a question asks about: its places and date, the best answer's
        report filling in what the question leaves out."""
        places = question.incident.places
        dates = question.incident.dates
        if dates is None and view.published is not None:
            # The report was published on or after the incident, by up to DAYS_AFTER days.
            published = view.published
            dates = DateRange(published.start - datetime.timedelta(days=DAYS_AFTER), published.end)
        elif dates is None:
            # An undated report (a page saved without its date) names the incident's day
            # in its lead, or else in the first sentence that gives a day and month.
            dates = self._sentence_date(view, view.lead(), None) or self._sentence_date(view, Region(0, len(view.text)), None)
        if not places:
            places = tuple(self._places(view, region)) or tuple(self._places(view, view.lead()))[:1]
        return Scope(tuple(places), dates, asked=bool(question.incident.places))

    def outside(self, scope: Scope, view: ReportView, region: Region) -> str | None:
        """Why the claim at region of a report is about another incident, or None."""
        return (
            _place_unnamed(scope, view)
            or self._published_elsewhen(scope, view)
            or self._other_place(scope, view, region)
            or self._other_date(scope, view, region)
        )

    def _published_elsewhen(self, scope: Scope, view: ReportView) -> str | None:
        """Why a report published far from the incident's dates is about another one, or None."""
        published = view.published
        if scope.dates is not None and published is not None and not _within(published, scope.dates):
            # Postmortems and retrospectives come out long after; they name the date.
            if not self._names_date(view, scope.dates):
                return f"its report is dated {view.report.published}, not near {scope.describe() or 'the incident'}"
        return None

    def _other_place(self, scope: Scope, view: ReportView, region: Region) -> str | None:
        """The place the claim's sentence (or the one before) says it happened in, when that
        is none of the incident's places and its report's lead and title do not name it."""
        sentence = Region(view.before(region.start).start, region.end)
        named = [n for n in self._places(view, sentence, where_it_happened=True) if not _is_country(n)]
        if named and scope.places and not any(written_in(p, n) or written_in(n, p) for p in scope.places for n in named):
            lead = self._places(view, view.lead()) + [view.report.title]
            if not any(written_in(n, " ".join(lead)) for n in named):
                return f"it is about {named[0]}"
        return None

    def _other_date(self, scope: Scope, view: ReportView, region: Region) -> str | None:
        """The day the claim's sentence names, when it is far from the incident's dates."""
        said = self._sentence_date(view, view.sentence(region.start, region.end), view.published)
        if said is not None and scope.dates is not None and not _within(said, scope.dates):
            return f"it is dated {said.start.isoformat() if said.year_known else said.start.strftime('%-d %B')}"
        return None

    @staticmethod
    def _names_date(view: ReportView, dates: DateRange) -> bool:
        """Whether the report names a day within the incident's dates."""
        published = view.published
        for entity in view.entities(Region(0, len(view.text)), frozenset({"DATE"}))[:MAX_DATES_READ]:
            words = view.text[entity.start : entity.end]
            if not any(ch.isdigit() for ch in words):
                continue
            base = published.start if published else None
            found = [read_date(words, base)]
            if found[0] is None:  # "October 28th to October 31st, 2021"
                found = [m.dates for m in dates_in(words, base)]
            if any(f is not None and f.days <= 31 and _within(f, dates) for f in found):
                return True
        return False

    def _places(self, view: ReportView, region: Region, where_it_happened: bool = False) -> list[str]:
        """The places region names; where_it_happened: only those written after a
        preposition of place ("killed in Manbij"), not "the Britain-based monitor" or
        "Russia said"."""
        entities = view.entities(region, PLACES)
        if where_it_happened:
            entities = [e for e in entities if set(view.text[max(0, e.start - PLACE_WORDS_BEFORE) : e.start].lower().split()[-4:]) & PLACE_PREPOSITIONS]
        names = [view.text[e.start : e.end] for e in entities]
        return [n for n in dict.fromkeys(names) if self.collection.is_place(n)]

    @staticmethod
    def _sentence_date(view: ReportView, region: Region, published: DateRange | None) -> DateRange | None:
        """A day the region names with its month ("on 28 October"), read against the
        report's date: weekdays and "yesterday" are within days of it anyway."""
        for entity in view.entities(region, frozenset({"DATE"})):
            words = view.text[entity.start : entity.end]
            if not any(ch.isdigit() for ch in words):
                continue
            found = read_date(words, published.start if published else None)
            if found is not None and found.days <= MAX_DAYS_NAMED:
                return found  # a month alone ("since March", "in August") names no day of an incident
        return None


def _place_unnamed(scope: Scope, view: ReportView) -> str | None:
    """Why a report that never names the incident's places is about another one, or None."""
    whole = f"{view.report.title}\n{view.text}"
    if scope.places and not any(spelled_in(p, whole) for p in scope.places):
        return f"its report never names {scope.places[0]}"
    return None


def _within(day: DateRange, incident: DateRange) -> bool:
    if day.year_known and incident.year_known:
        return incident.start.toordinal() - DAYS_BEFORE <= day.start.toordinal() and day.end.toordinal() <= incident.end.toordinal() + DAYS_AFTER
    return day.near(incident, DAYS_AFTER)


@functools.lru_cache(maxsize=4096)
def _is_country(name: str) -> bool:
    """A country contains the incident's town: "killed in Syria" is no other incident
    than the one in Aleppo (pycountry's ISO 3166 names)."""
    import pycountry

    try:
        pycountry.countries.lookup(name)
    except LookupError:
        return False
    return True
