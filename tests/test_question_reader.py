"""Reading a question once: what it asks for, what it counts, whose claims it wants and
which reports it may be answered from. Properties of the reading, over varied wordings;
the place test reads what a small indexed collection calls its names."""

from __future__ import annotations

import datetime

import pytest

from retrieval.answer.filters import read_filters
from retrieval.answer.question import Intent, Kind
from retrieval.answer.reader import Asked, counted_of, focus_of, intent_of, source_of, units_of, wanted_kinds
from retrieval.engine import Engine


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("How many children were killed in western Aleppo?", {Kind.COUNT}),
        ("Casualty figures for the Qamishli truck bomb?", {Kind.COUNT}),
        ("How long was the network partition on October 21, 2018?", {Kind.DURATION}),
        ("For how long were the API and dashboard down?", {Kind.DURATION}),
        ("When did the car bomb at the bridge go off?", {Kind.DATE}),
        ("At what time did the S3 incident begin?", {Kind.TIME_OF_DAY}),
        ("How old were the pupils who died?", {Kind.AGE}),
        ("How much money did the firm lose?", {Kind.MONEY}),
        ("What share of customers were affected?", {Kind.SHARE}),
        ("Why did the apps vanish from the internet?", {Kind.REASON}),
        ("What started the fire in the exchange?", {Kind.REASON}),
        ("Who reported the toxic gas attack?", {Kind.SPEAKER}),
        ("According to whom were 40 people killed?", {Kind.SPEAKER}),
        ("Who analyzed the reference stations?", {Kind.PERSON, Kind.ORGANISATION}),
        ("What was the name of the suicide bomber?", {Kind.PERSON}),
        ("What were the names of the two gunmen?", {Kind.PERSON}),
        ("Which villages did the strikes hit?", {Kind.PLACE}),
        ("Which militias fought in the district?", {Kind.ORGANISATION}),
        ("Which group fired the rockets?", {Kind.ORGANISATION}),
        ("In which neighbourhood did the bomber strike?", {Kind.PLACE}),
        ("Which weapons did the rebels use?", {Kind.NAME}),
        # A who-question that mentions a figure asks for a source, not the figure.
        ("Who gave the death toll of 213 for the gas attack?", {Kind.SPEAKER}),
        ("Did SANA report the attack?", set()),
    ],
)
def test_the_kind_of_answer_a_question_wants(question, kinds):
    assert wanted_kinds(question) == frozenset(kinds)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("How many people were killed in the wedding bombing?", Intent.FIGURES),
        ("What death toll did different outlets give for the market strike?", Intent.FIGURES),
        ("What happened at the bridge between 3 and 6 May 2024?", Intent.TIMELINE),
        ("Give me a timeline of the Kessel floods", Intent.TIMELINE),
        ("Who reported the gas attack?", Intent.WHO),
        ("Why did the service go down?", Intent.WHY),
        ("Which weapons did the rebels use?", Intent.FACT),
    ],
)
def test_the_shape_of_answer_a_question_wants(question, intent):
    assert intent_of(question, wanted_kinds(question)) is intent


def test_a_count_counts_its_noun_and_only_the_harm_asked():
    children = counted_of("How many children were killed in the strike?")
    assert children.phrase == "children" and children.harm == "killed" and "children" in children.terms
    wounded = counted_of("How many people were wounded in the blast?")
    assert wounded.harm == "wounded" and "wound" in wounded.terms and "kill" not in wounded.terms
    staff = counted_of("How many teaching staff died?")
    assert staff.phrase == "teaching staff" and not staff.of_people
    women = counted_of("How many women were among the dead?")
    assert "peopl" not in women.terms  # "48 people" is no count of women


def test_a_figure_asked_in_a_unit_must_be_given_in_it():
    assert units_of("How many hours did the outage last?", frozenset({Kind.DURATION}), None) == {"hours"}
    assert units_of("What was the peak bandwidth in Gbps?", frozenset({Kind.COUNT}), None) == {"gbps"}
    assert units_of("How many people were killed in Aleppo?", frozenset({Kind.COUNT}), None) == frozenset()


def test_the_noun_a_which_question_asks_about():
    assert focus_of("Which opposition minister resigned?") >= {"minister"}
    assert focus_of("What was the name of the groom?") == {"groom"}
    assert focus_of("What were the names of the two suicide bombers?") == {"suicide", "bombers"}


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("What weapons did the rebels use according to Amnesty?", "Amnesty"),
        ("How many were killed according to the Syrian Observatory for Human Rights?", "Syrian Observatory for Human Rights"),
        ("What did SANA report about Qamishli?", "SANA"),
        ("Did Reuters say ten died?", "Reuters"),
        ("Who said ten died?", None),
    ],
)
def test_whose_claims_a_question_asks_for(question, source):
    assert source_of(question) == source


OUTLETS = ["Daily Sabah (dailysabah.com)", "Reuters (reuters.com)", "Al Arabiya (english.alarabiya.net)"]


def test_filter_tokens_leave_the_question_and_a_multi_word_outlet_is_taken_whole():
    text, filters = read_filters("source:Daily Sabah how many died in Tall Tawil?", OUTLETS)
    assert text == "how many died in Tall Tawil?"
    assert filters.where.source == "Daily Sabah"
    text, filters = read_filters('source:"Al Arabiya" since:2016-10-01 who said it?', OUTLETS)
    assert (text, filters.where.source, filters.where.published_from) == ("who said it?", "Al Arabiya", "2016-10-01")
    assert not filters.where.include_undated  # an explicit date is exact


def test_a_date_in_words_narrows_by_publication_with_a_margin_and_keeps_undated_reports():
    today = datetime.date(2026, 12, 6)
    _, filters = read_filters("How many were killed in the Qamishli truck bomb in July 2016?", [], today=today)
    assert (filters.where.published_from, filters.where.published_to) == ("2016-07-01", "2016-08-07")
    assert filters.where.include_undated and filters.from_words
    _, filters = read_filters("Who reported the gas attack on 30 October?", [], today=today)
    assert filters.where is None  # which year is not said: no filter, the date still pins the incident


def test_a_follow_up_is_searched_with_the_questions_before_it(seed_engine: Engine):
    question = seed_engine.pipeline.read(Asked("and who reported it?", ("What toxic gas attack happened on 30 October?",)))
    assert question.text == "and who reported it?"
    assert question.search == "What toxic gas attack happened on 30 October? and who reported it?"
    assert question.is_follow_up


def test_the_questions_places_are_what_the_collection_calls_places_whatever_their_case(corpus_engine: Engine):
    question = corpus_engine.pipeline.read(Asked("how many were killed in idlib last summer?"))
    assert "idlib" in [p.lower() for p in question.incident.places]
    question = corpus_engine.pipeline.read(Asked("What did the Syrian Observatory for Human Rights say about Qamishli?"))
    assert "Qamishli" in question.incident.places
    assert "Syrian Observatory for Human Rights" in question.incident.names
