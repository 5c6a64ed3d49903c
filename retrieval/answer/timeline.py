"""When an event happened: a date its sentence gives, as the entity recogniser marked it
at ingest ("on 12 March", "March 12, 2016", "on Tuesday", "yesterday"), read by
``language.dates`` against the report's publication date; or else the report's date, and
which of the two it is."""

from __future__ import annotations

from retrieval.answer.report import Region, ReportView
from retrieval.language.dates import day, read_date

DATE_LABELS = frozenset({"DATE"})


def date_of(view: ReportView, region: Region) -> tuple[str | None, str]:
    """(ISO date, "text" or "report") of an event told in region of a report."""
    published = view.report.published
    base = day(published)
    for entity in view.entities(region, DATE_LABELS):
        found = read_date(view.text[entity.start : entity.end], base.start if base else None)
        if found is not None and found.year_known and found.days == 1:
            return found.start.isoformat(), "text"
    return (published[:10] if published else None), "report"
