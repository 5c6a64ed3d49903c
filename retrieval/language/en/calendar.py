"""Calendar words."""

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
# How reports abbreviate months ("Nov", "Sept"); May has no abbreviation.
MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun")
# Words that name a day relative to when a report was written.
RELATIVE_DAYS = ("today", "yesterday", "tonight", "tomorrow", "overnight")
# Words before a month that narrow it ("mid-October", "early July") without changing it.
PERIOD_QUALIFIERS = ("early", "mid", "late", "end of", "beginning of", "start of", "the end of", "the beginning of")
# Words that open or join the ends of a range of dates.
RANGE_OPENERS = ("between", "from")
RANGE_JOINERS = ("and", "to", "until", "till", "-", "–")
SINCE_WORDS = ("since", "after")
UNTIL_WORDS = ("until", "till", "before", "by")

_CALENDAR = {w.lower() for w in (*MONTHS, *MONTH_ABBREVIATIONS, *WEEKDAYS, *WEEKDAY_ABBREVIATIONS)}


def is_calendar_word(word: str) -> bool:
    """A month or a weekday, in full or abbreviated ("Oct.", "Wed")."""
    return word.lower().rstrip(".") in _CALENDAR
