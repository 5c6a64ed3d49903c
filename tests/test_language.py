"""The language detectors every step shares: figures, dates and names as texts write
them, punctuation stripped or not. Pure functions, no index."""

from __future__ import annotations

import datetime

import pytest

from retrieval.language.dates import dates_in, read_date
from retrieval.language.names import acronyms_spelled_out, initials, written_in
from retrieval.language.numbers import figure_values, figures_in, number_values, numbers_in


def test_a_figure_keeps_the_qualifier_that_bounds_it_and_what_it_counts():
    [up_to, children] = figures_in("Up to 48 people including 17 children have been killed")
    assert (up_to.text, up_to.value, up_to.qualifier, up_to.unit) == ("Up to 48", 48, "up to", "people")
    assert (children.text, children.value, children.unit) == ("17", 17, "children")


@pytest.mark.parametrize(
    ("text", "value"),
    [("Fifty nine civilians", 59), ("forty-two people", 42), ("1,200 wounded", 1200), ("$4.5 million in losses", 4_500_000)],
)
def test_figures_in_words_digits_and_scales_have_one_value(text, value):
    assert figures_in(text)[0].value == value


def test_years_dates_times_and_ordinals_count_nothing():
    text = "On 28 October 2016 at 10:30, the first of the 2016-10-31 reports"
    assert figures_in(text) == ()
    kinds = {n.text: n.kind for n in numbers_in(text)}
    assert kinds["28"] == "date" and kinds["2016"] == "year" and kinds["10:30"] == "time" and kinds["2016-10-31"] == "date"


def test_part_of_a_number_is_no_figure_of_its_own():
    assert figure_values("Up to 48 people and 1,200 others") >= {"48", "1200"}
    assert not {"4", "8", "200"} & figure_values("Up to 48 people and 1,200 others")


def test_number_values_include_the_parts_of_iso_dates_and_ordinals():
    assert {"2016", "7", "24", "28"} <= number_values("On 2016-07-24, and on October 28th")


def test_a_date_is_read_with_its_extent():
    month = read_date("in October 2016")
    assert (month.start, month.end) == (datetime.date(2016, 10, 1), datetime.date(2016, 10, 31))
    assert read_date("2016").days == 366
    assert read_date("mid-October 2016").start.month == 10


def test_a_day_without_its_year_is_placed_by_the_text_it_is_in():
    assert not read_date("28 October").year_known
    assert read_date("28 October", datetime.date(2016, 11, 2)).start == datetime.date(2016, 10, 28)
    friday = read_date("on Friday", datetime.date(2024, 5, 3))  # a report of Friday 3 May
    assert friday.start == datetime.date(2024, 5, 3)


def test_a_range_of_days_and_a_span_up_to_now_are_one_mention():
    [between] = dates_in("What happened between 3 and 6 May 2024?")
    assert (between.dates.start, between.dates.end) == (datetime.date(2024, 5, 3), datetime.date(2024, 5, 6))
    [past] = dates_in("in the past 3 days", datetime.date(2026, 12, 6))
    assert (past.dates.start, past.dates.end) == (datetime.date(2026, 12, 3), datetime.date(2026, 12, 6))


def test_may_as_a_verb_is_no_date():
    assert dates_in("May I ask how many died?") == []


def test_a_name_is_found_in_any_of_its_written_forms():
    assert written_in("Hezbollah's", "fighters of the Hezbollahs units")
    assert written_in("al-Hamdaniyeh", "in alHamdaniyeh and alAssad")
    assert written_in("Syria", "the Syrias army")
    assert not written_in("Syria", "Syrian forces")


def test_acronyms_are_read_from_the_names_a_text_spells_out():
    assert initials("Syrian Observatory for Human Rights") == "SOHR"
    assert acronyms_spelled_out("the Syrian Observatory for Human Rights said")["SOHR"] == "Syrian Observatory for Human Rights"
