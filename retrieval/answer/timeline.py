"""When an event happened: the date its sentence gives ("on 12 March", "March 12, 2016",
"on Tuesday", "yesterday", read by ``language.dates`` against the report's publication
date), or else the report's date, and which of the two it is."""

from __future__ import annotations

from retrieval.language.dates import day, dates_in


def date_of(sentence: str, published: str | None) -> tuple[str | None, str]:
    """(ISO date, "text" or "report") of an event told in sentence by a report
    published on that date."""
    base = day(published)
    for mention in dates_in(sentence, base.start if base else None):
        if mention.dates.year_known and mention.dates.days == 1:
            return mention.dates.start.isoformat(), "text"
    return (published[:10] if published else None), "report"
