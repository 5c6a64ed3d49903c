"""Claims verified one by one: the words of a faithful model pass in the forms real
models write them (acronyms, possessives, outlet names from the headers, curly
quotations, "Yes:" openers, quotes with restored punctuation), and each kind of lie
fails alone: a changed figure that stands elsewhere in the report, an outlet credited
with a claim it only carried, an invented quotation. A citation to a report that does
not hold the quote is corrected. The step is run on drafts built by hand over a small
collection indexed for real."""

from __future__ import annotations

import json

import pytest

from retrieval.answer.draft import Draft, DraftClaim
from retrieval.engine import Engine
from tests.conftest import build_settings

REPORTS = [
    {
        "id": "outage",
        "title": "Acme Cloud storage outage",
        "source_site": "Acme Cloud status page",
        "published": "2024-03-02",
        "text": (
            "The storage outage began at 10:00 UTC on 1 March and lasted about 6 hours, Acme Cloud said. "
            "Ten engineers were paged during the night. The company apologised to its customers."
        ),
    },
    {
        "id": "wedding",
        "title": "Suicide bomber strikes wedding in Ostra",
        "source_site": "AFP",
        "published": "2024-05-03",
        "text": (
            "A suicide bomber struck a wedding in Ostra on Monday, killing 32 people, a medical source said. "
            "The Islamic State group said in a statement that 40 people had been killed. "
            "The Syrian Observatory for Human Rights gave a lower toll of 31 people killed. "
            "Hezbollahs al-Manar TV said two members of the group were among the dead. "
            "Doctors said 15 of the wounded were in critical condition. "
            "Activists said the bomber had arrived on a motorcycle from Hasaka."
        ),
    },
    {
        "id": "appeal",
        "title": "Rights group condemns Ostra bombing",
        "source_site": "Harbor Gazette",
        "published": "2024-05-04",
        "text": (
            "Amnesty International called the Ostra bombing a war crime. "
            "Such attacks can never be justified said Samah Hadid of Amnesty International."
        ),
    },
]
QUESTION = "What happened in the Ostra wedding bombing and the Acme Cloud storage outage?"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify")
    documents = root / "documents"
    documents.mkdir()
    (documents / "reports.jsonl").write_text("".join(json.dumps(r) + "\n" for r in REPORTS), encoding="utf-8")
    engine = Engine(build_settings(root / "data", documents, top_k=3))
    engine.ingest()
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def reading(engine):
    found = engine.retrieve(QUESTION)
    assert {w.doc_id for w in found.windows} == {"outage", "wedding", "appeal"}
    return found


def n(reading, doc_id: str) -> int:
    return next(w.n for w in reading.windows if w.doc_id == doc_id)


def verify(engine, reading, *claims: DraftClaim):
    return engine.pipeline.verify.run(Draft(reading, claims, "llm"))


def kept(engine, reading, claim: DraftClaim) -> bool:
    verified = verify(engine, reading, claim)
    return bool(verified.claims) and not verified.verification.dropped


def test_a_faithful_claim_passes_and_shows_the_stored_span(engine, reading):
    claim = DraftClaim(
        "The outage lasted about 6 hours, Acme Cloud said.", (n(reading, "outage"),),
        "The storage outage began at 10:00 UTC on 1 March, and lasted about 6 hours, Acme Cloud said.",  # a restored comma
    )
    verified = verify(engine, reading, claim)
    [shown] = verified.claims
    stored = engine.index.catalog.reports.report_text("outage")
    assert stored[shown.span.start : shown.span.end] == shown.span.text
    assert "lasted about 6 hours" in shown.span.text


def test_a_figure_changed_to_one_that_stands_elsewhere_in_the_report_fails(engine, reading):
    quote = "The storage outage began at 10:00 UTC on 1 March and lasted about 6 hours, Acme Cloud said."
    lie = DraftClaim("The outage lasted about 10 hours, Acme Cloud said.", (n(reading, "outage"),), quote)
    verified = verify(engine, reading, lie)
    assert not verified.claims
    assert "10" in verified.verification.dropped[0].reason


def test_a_figure_in_a_unit_must_be_given_in_that_unit(engine, reading):
    # "Ten engineers" is in the report; "10 hours" is not.
    lie = DraftClaim("Engineers worked for 10 hours.", (n(reading, "outage"),), "Ten engineers were paged during the night.")
    assert not kept(engine, reading, lie)


def test_an_outlet_credited_with_a_claim_it_only_carried_fails(engine, reading):
    quote = "The Islamic State group said in a statement that 40 people had been killed."
    lie = DraftClaim("According to AFP, 40 people were killed.", (n(reading, "wedding"),), quote, said_by="AFP")
    verified = verify(engine, reading, lie)
    assert not verified.claims
    assert "Islamic State" in verified.verification.dropped[0].reason
    honest = DraftClaim("The Islamic State group said 40 people had been killed.", (n(reading, "wedding"),), quote, said_by="Islamic State group")
    assert kept(engine, reading, honest)


def test_an_invented_source_fails(engine, reading):
    quote = "A suicide bomber struck a wedding in Ostra on Monday, killing 32 people, a medical source said."
    lie = DraftClaim("The Levant Monitor said 32 people were killed in Ostra.", (n(reading, "wedding"),), quote)
    assert not kept(engine, reading, lie)


def test_an_acronym_the_report_spells_out_and_a_possessive_pass(engine, reading):
    sohr = DraftClaim(
        "SOHR gave a lower toll of 31 people killed.", (n(reading, "wedding"),),
        "The Syrian Observatory for Human Rights gave a lower toll of 31 people killed.",
    )
    assert kept(engine, reading, sohr)
    possessive = DraftClaim(
        "Hezbollah's al-Manar TV said two members of the group were among the dead.", (n(reading, "wedding"),),
        "Hezbollah's al-Manar TV said two members of the group were among the dead.",
    )
    assert kept(engine, reading, possessive)


def test_the_outlet_of_the_report_header_may_be_named_when_nobody_inside_makes_the_claim(engine, reading):
    claim = DraftClaim(
        "Harbor Gazette reported that Amnesty International called the bombing a war crime.", (n(reading, "appeal"),),
        "Amnesty International called the Ostra bombing a war crime.",
    )
    assert kept(engine, reading, claim)


def test_a_quotation_must_be_the_reports_words(engine, reading):
    quote = "Such attacks can never be justified said Samah Hadid of Amnesty International."
    faithful = DraftClaim("Yes: Samah Hadid said “such attacks can never be justified”.", (n(reading, "appeal"),), quote)
    assert kept(engine, reading, faithful)
    invented = DraftClaim("Samah Hadid said “the attackers are war criminals”.", (n(reading, "appeal"),), quote)
    assert not kept(engine, reading, invented)


def test_a_citation_to_a_report_that_does_not_hold_the_quote_is_corrected(engine, reading):
    quote = "The Syrian Observatory for Human Rights gave a lower toll of 31 people killed."
    claim = DraftClaim("The Syrian Observatory for Human Rights gave a toll of 31 people killed.", (n(reading, "appeal"),), quote)
    verified = verify(engine, reading, claim)
    [shown] = verified.claims
    assert shown.window.doc_id == "wedding"
    assert verified.verification.corrected_citations == ((n(reading, "appeal"), n(reading, "wedding")),)


def test_a_failing_claim_is_dropped_alone(engine, reading):
    good = DraftClaim(
        "A medical source said 32 people were killed.", (n(reading, "wedding"),),
        "A suicide bomber struck a wedding in Ostra on Monday, killing 32 people, a medical source said.",
    )
    bad = DraftClaim("A medical source said 52 people were killed.", (n(reading, "wedding"),), good.quote)
    verified = verify(engine, reading, good, bad)
    assert [c.statement for c in verified.claims] == [good.statement]
    assert [d.text for d in verified.verification.dropped] == [bad.statement]


def test_a_claim_citing_a_report_it_was_not_given_is_dropped(engine, reading):
    verified = verify(engine, reading, DraftClaim("Twelve people were killed.", (9,)))
    assert not verified.claims and verified.verification.removed_markers == (9,)


def test_an_outlet_may_carry_a_claim_whose_source_the_statement_also_names(engine, reading):
    quote = "The Islamic State group said in a statement that 40 people had been killed."
    carried = DraftClaim("AFP reported, citing the Islamic State group, that 40 people had been killed.", (n(reading, "wedding"),), quote)
    assert kept(engine, reading, carried)
    bullet = DraftClaim("AFP: 40 people killed.", (n(reading, "wedding"),), quote)
    assert not kept(engine, reading, bullet), "the outlet alone, for IS's figure"


def test_a_figure_must_count_what_its_sentence_counts(engine, reading):
    quote = "Doctors said 15 of the wounded were in critical condition."
    wounded_as_dead = DraftClaim("Doctors said 15 people were killed.", (n(reading, "wedding"),), quote)
    assert "counts something else" in verify(engine, reading, wounded_as_dead).verification.dropped[0].reason
    other_group = DraftClaim("A medical source said 32 soldiers were killed.", (n(reading, "wedding"),),
                             "A suicide bomber struck a wedding in Ostra on Monday, killing 32 people, a medical source said.")
    assert not kept(engine, reading, other_group)
    honest = DraftClaim("Doctors said 15 of the wounded were critical.", (n(reading, "wedding"),), quote)
    assert kept(engine, reading, honest)


def test_a_figure_from_the_sentence_before_is_not_the_quoted_sentences(engine, reading):
    quote = "The Syrian Observatory for Human Rights gave a lower toll of 31 people killed."
    moved = DraftClaim("The Syrian Observatory for Human Rights gave a lower toll of 40 people killed.", (n(reading, "wedding"),), quote)
    assert not kept(engine, reading, moved)


def test_sources_named_as_a_sentences_first_word_and_transliterated_places_pass(engine, reading):
    quote = "Activists said the bomber had arrived on a motorcycle from Hasaka."
    claim = DraftClaim("Activists said the bomber came from Hasakeh on a motorcycle.", (n(reading, "wedding"),), quote, said_by="activists")
    assert kept(engine, reading, claim)
    invented = DraftClaim("The Kurdish Red Crescent said the bomber came from Hasaka.", (n(reading, "wedding"),), quote)
    assert not kept(engine, reading, invented)


def test_a_prose_answer_is_split_at_sentences_not_at_abbreviations():
    from retrieval.answer.compose.parse import claims_of

    claims = claims_of(
        "Reports differ:\n- The U.S. Navy said 3 sailors died [1]. Dr. Ahmed said 5 were hurt [2].\n"
        "“Nobody was hurt,” the mayor said.”[3] The council disagreed [1]."
    )
    assert [c.statement for c in claims] == [
        "The U.S. Navy said 3 sailors died.",
        "Dr. Ahmed said 5 were hurt.",
        "“Nobody was hurt,” the mayor said.”",
        "The council disagreed.",
    ]
    assert [c.reports for c in claims] == [(1,), (2,), (3,), (1,)]



def test_a_figure_moved_from_the_next_sentence_into_a_paraphrase_fails(engine, reading):
    """With no quote, the best support may span two sentences; the figure must still be
    the one its own words are said of."""
    moved = DraftClaim("A suicide bomber struck the Ostra wedding on Monday, killing 40 people, a medical source said.", (n(reading, "wedding"),))
    assert not kept(engine, reading, moved)
    honest = DraftClaim("A suicide bomber struck the Ostra wedding on Monday, killing 32 people, a medical source said.", (n(reading, "wedding"),))
    assert kept(engine, reading, honest)


def test_a_pronoun_is_no_source_a_statement_credits(engine, reading):
    quote = "Doctors said 15 of the wounded were in critical condition."
    claim = DraftClaim("According to doctors: They said 15 of the wounded were in critical condition.", (n(reading, "wedding"),), quote)
    assert kept(engine, reading, claim)


def test_a_count_of_people_is_not_a_count_of_hours(engine, reading):
    quote = "The storage outage began at 10:00 UTC on 1 March and lasted about 6 hours, Acme Cloud said."
    lie = DraftClaim("The storage outage hit 6 people on 1 March, Acme Cloud said.", (n(reading, "outage"),), quote)
    verified = verify(engine, reading, lie)
    assert not verified.claims and "counts something else" in verified.verification.dropped[0].reason


def test_who_reported_a_moved_figure_does_not_hide_it(engine, reading):
    """Words of saying ("AFP reported that") say who gives a figure, not what it counts:
    they do not tie a figure to a neighbouring sentence's "said"."""
    moved = DraftClaim("AFP reported that a suicide bomber struck the Ostra wedding on Monday, killing 40 people.", (n(reading, "wedding"),))
    assert not kept(engine, reading, moved)



def test_a_figure_is_said_of_the_words_of_its_own_sentence(engine, reading):
    """A quote that begins in the sentence before brings that sentence's figure with it;
    the figure is still the one its own sentence gives ("40" is the Islamic State's, the
    Observatory's is 31), whatever words of the next sentence stand near it."""
    quote = "been killed. The Syrian Observatory for Human Rights gave a lower toll of 40 people killed."
    lie = DraftClaim("The Syrian Observatory for Human Rights gave a lower toll of 40 people killed.", (n(reading, "wedding"),), quote)
    verified = verify(engine, reading, lie)
    assert not verified.claims and "40" in verified.verification.dropped[0].reason


def test_a_changed_figure_is_matched_by_the_words_it_is_said_of():
    """Each figure of a statement is matched to the figure of the supporting words said
    of the most of its words; "The New Arab reported" says who gives it, not what it
    counts."""
    from retrieval.answer.kinds import Worded
    from retrieval.answer.verify.checks import _misplaced

    sentence = (
        "Fifteen civilians among them 11 children were killed in a barrel bomb attack on the Bab al-Nayrab "
        "neighbourhood, the monitor said. The group also reported eight civilians including two children were "
        "killed on Thursday in rebel fire."
    )
    for figure, changed in (("Fifteen", False), ("Two", True), ("Eight", True)):
        claim = f"The New Arab reported that {figure} civilians among them 11 children were killed in a barrel bomb attack on Bab al-Nayrab."
        assert bool(_misplaced(claim, Worded(claim), sentence, Worded(sentence))) == changed, figure
    # Two figures of one clause, paraphrased: each is still its own.
    sentence = "A car bomb rocked Masaken Barzeh in Damascus on Tuesday claiming eight and injuring 14 citizens according to Al-Manar."
    claim = "According to Al-Manar, the car bomb in Masaken Barzeh, Damascus, killed eight people and injured 14."
    assert _misplaced(claim, Worded(claim), sentence, Worded(sentence)) == []


def test_two_sentences_a_statement_joins_keep_their_figures():
    """A model may join two sentences of a report into one statement; each figure is
    still matched to its own ("14 of the dead ... the three others")."""
    from retrieval.answer.kinds import Worded
    from retrieval.answer.verify.checks import _misplaced

    sentence = (
        "The Britain-based Syrian Observatory for Human Rights said that 14 of the dead were opposition fighters. "
        "The three others among the dead had not be identified yet."
    )
    joined = "According to the Observatory, 14 of the dead were opposition fighters, while the three others had not yet been identified."
    assert _misplaced(joined, Worded(joined), sentence, Worded(sentence)) == []
