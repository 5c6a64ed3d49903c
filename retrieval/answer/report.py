"""A stored report as the answer step reads it: its sentences (the quotable spans
computed at ingest), the entities recognised in them, and the regions around a quote
that say who made it and what incident it is about."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

from retrieval.index.catalog import StoredReport
from retrieval.index.entities import Entity
from retrieval.language.dates import DateRange, day

LEAD_SENTENCES = 2  # a report's lead: its title and first sentences name its incident
PREVIOUS_CHARS = 300  # where a report has no sentence before a quote, this much text before it


@dataclass(frozen=True)
class Region:
    start: int
    end: int


class ReportView:
    def __init__(self, report: StoredReport) -> None:
        self.report = report
        self.text = report.text

    @cached_property
    def _span_starts(self) -> list[int]:
        return [int(s) for s in self.report.spans[:, 0]] if len(self.report.spans) else []

    @cached_property
    def _entity_starts(self) -> list[int]:
        return [e.start for e in self.report.entities]

    @property
    def published(self) -> DateRange | None:
        return day(self.report.published)

    def sentence(self, start: int, end: int) -> Region:
        """The sentence(s) a quote lies in: the stored spans it overlaps, grown together."""
        spans = self.report.spans
        if not len(spans):
            return Region(start, end)
        hit = (spans[:, 0] < end) & (spans[:, 1] > start)
        if not hit.any():
            return Region(start, end)
        return Region(min(start, int(spans[hit, 0].min())), max(end, int(spans[hit, 1].max())))

    def before(self, start: int) -> Region:
        """The sentence before a position (or the text just before it)."""
        spans = self.report.spans
        ends = spans[:, 1] if len(spans) else []
        earlier = [i for i in range(len(ends)) if int(ends[i]) <= start]
        if earlier:
            i = max(earlier, key=lambda k: int(ends[k]))
            return Region(int(spans[i, 0]), start)
        return Region(max(0, start - PREVIOUS_CHARS), start)

    def after(self, end: int) -> Region:
        """The sentence after a position (or nothing)."""
        spans = self.report.spans
        later = [i for i in range(len(spans)) if int(spans[i, 0]) >= end]
        if later:
            i = min(later, key=lambda k: int(spans[k, 0]))
            return Region(end, int(spans[i, 1]))
        return Region(end, end)

    def lead(self) -> Region:
        spans = self.report.spans
        if not len(spans):
            return Region(0, min(len(self.text), 600))
        return Region(0, int(spans[: LEAD_SENTENCES + 1, 1].max()))

    def entities(self, region: Region, labels: frozenset[str] | None = None) -> list[Entity]:
        found = []
        i = bisect.bisect_left(self._entity_starts, region.start)
        for entity in self.report.entities[i:]:
            if entity.start >= region.end:
                break
            if entity.end <= region.end and (labels is None or entity.label in labels):
                found.append(entity)
        return found

    def words(self, region: Region) -> str:
        return self.text[region.start : region.end]
