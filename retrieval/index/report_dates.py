"""A report's date, as an ISO date (YYYY-MM-DD): from the usual spellings of a date in a
collection's field or a file's properties (``normalise_date``), or failing that, from a
dateline opening its text ("ALEPPO 14 June 2016", ``dateline_date``).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any


def normalise_date(value: Any) -> str | None:
    """An ISO date (YYYY-MM-DD) from the usual spellings, or None."""
    if value in (None, ""):
        return None
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        return "-".join(match.groups())
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%B %d, %Y", "%d %B %Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    return _parse_whole_date(text)


def _parse_whole_date(text: str) -> str | None:
    """text as a date with a day, a month and a year ("Wed Feb 3 2016"), by dateparser;
    None when text is anything more or less than that."""
    import dateparser

    # Day first where numbers alone are ambiguous ("06-01-2016"), as most outlets write it.
    found = dateparser.parse(
        text, languages=["en"], settings={"REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": "DMY"}
    )
    return found.strftime("%Y-%m-%d") if found else None


# A dateline opens a report: a date, maybe after the place in capitals ("ALEPPO 14 June
# 2016", "Wed Feb 3 2016", "2016-10-31"). Candidates end with a year; dateparser decides.
_DATELINE = re.compile(
    r"(?:[A-Z][A-Z'’.\-]+(?:[ ,]+[A-Z][A-Z'’.\-]+)*\s*[,:\-–—]?\s+)?"
    r"(?P<date>\d{4}-\d\d-\d\d|[^\n]{0,32}?\b(?:19|20)\d\d)(?P<after>\D|$)"
)
DATELINE_LINES = 2  # the first line, or the one after a title line
# A date that a sentence opens with ("On 5 December 2007, the service failed", "On June
# 3rd at 09:14 UTC we deployed") dates an event, not the report.
_SENTENCE_DATE = re.compile(r"(?:on|in|by|since|from|until|as of|at)\b", re.IGNORECASE)


def dateline_date(text: str) -> str | None:
    """The ISO date of a dateline opening the text (its first line, or the line after a
    title), or None."""
    lines = [line for line in text.split("\n", 2 * DATELINE_LINES) if line.strip()][:DATELINE_LINES]
    for line in lines:
        match = _DATELINE.match(line.strip())
        if match and match.group("after") != "," and not _SENTENCE_DATE.match(match.group("date")):
            found = _parse_whole_date(match.group("date"))
            if found:
                return found
    return None
