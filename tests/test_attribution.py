"""Who in a report makes a claim: properties of the attribution step over a small
collection indexed for real (entities recognised at ingest), in the forms news reports
use: "according to X", "X said", "said X", a titled speaker, "he told AFP", a source
named by its role, a role the report names later, and a claim an outlet only carries."""

from __future__ import annotations

import json

import pytest

from retrieval.answer.report import ReportView
from retrieval.engine import Engine
from tests.conftest import build_settings

REPORTS = [
    {
        "id": "wedding",
        "title": "Suicide bomber strikes wedding in Ostra",
        "source_site": "Agence France-Presse (afp.com)",
        "published": "2024-05-03",
        "text": (
            "A suicide bomber struck a wedding in Ostra on Monday killing 32 people a medical source said. "
            "The Islamic State group said in a statement that 40 people had been killed. "
            "The Syrian Observatory for Human Rights gave a lower toll of 31 people killed. "
            "Rami Abdel Rahman head of the Observatory told AFP the hall was packed. "
            "He said at least 22 of the dead were civilians."
        ),
    },
    {
        "id": "market",
        "title": "Air strikes hit market in Ostra",
        "source_site": "Harbor Gazette",
        "published": "2024-05-10",
        "text": (
            "Air strikes on a market in Ostra killed 12 civilians on Friday a monitoring group said. "
            "The Syrian Observatory for Human Rights said the toll could rise. "
            "Shelling also hit villages near Ostra and in Kessel on Saturday. "
            "Four people were killed in Kessel."
        ),
    },
    {
        "id": "bridge",
        "title": "Bridge collapses in Kessel",
        "source_site": "Kessel Tribune",
        "published": "2024-06-01",
        "text": (
            "The Kessel river bridge collapsed during rush hour. At least 12 people were killed according to the "
            "city fire service. Divers searched the river in Kessel through the night and residents in Kessel "
            "gathered on the embankment."
        ),
    },
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("attribution")
    documents = root / "documents"
    documents.mkdir()
    (documents / "reports.jsonl").write_text("".join(json.dumps(r) + "\n" for r in REPORTS), encoding="utf-8")
    engine = Engine(build_settings(root / "data", documents))
    engine.ingest()
    yield engine
    engine.close()


def speaker_of(engine: Engine, doc_id: str, quote: str) -> str | None:
    report = engine.index.catalog.stored_reports([doc_id])[doc_id]
    start = report.text.index(quote)
    found = engine.pipeline.verify.attribution.speaker(ReportView(report), start, start + len(quote))
    return found.shown if found else None


def test_a_source_named_by_its_role_is_the_speaker_as_the_report_names_it(engine):
    assert speaker_of(engine, "wedding", "killing 32 people") == "a medical source"


def test_a_claim_an_outlet_carries_is_the_claimants_not_the_outlets(engine):
    who = speaker_of(engine, "wedding", "40 people had been killed")
    assert who is not None and "Islamic State" in who
    assert "Agence France-Presse" not in who and "AFP" not in who


def test_a_speaker_before_the_verb_across_a_description(engine):
    assert speaker_of(engine, "wedding", "a lower toll of 31 people killed") == "Syrian Observatory for Human Rights"


def test_he_said_is_the_person_named_before_with_the_title_given_there(engine):
    who = speaker_of(engine, "wedding", "at least 22 of the dead were civilians")
    assert who is not None and who.startswith("Rami Abdel Rahman")


def test_a_role_the_report_names_next_is_that_organisation(engine):
    who = speaker_of(engine, "market", "killed 12 civilians on Friday")
    assert who is not None and who.startswith("Syrian Observatory for Human Rights")
    assert "monitoring group" in who  # as the report first called it


def test_according_to_takes_the_whole_name_after_it(engine):
    assert speaker_of(engine, "bridge", "At least 12 people were killed") == "the city fire service"


def test_a_place_is_never_a_speaker_and_a_claim_without_one_has_none(engine):
    assert speaker_of(engine, "market", "Four people were killed in Kessel") is None
    assert speaker_of(engine, "bridge", "The Kessel river bridge collapsed during rush hour") is None


def test_who_a_models_sentence_credits():
    from retrieval.answer.attribution import Attribution

    claimed = Attribution.claimed_in(None, "According to the Syrian Observatory for Human Rights, 31 people died.")  # type: ignore[arg-type]
    assert claimed == ["Syrian Observatory for Human Rights"]
    assert Attribution.claimed_in(None, "SANA reported that 12 were killed.") == ["SANA"]  # type: ignore[arg-type]


def test_where_a_speaker_is_is_not_who_speaks():
    from retrieval.answer.attribution import Attribution

    claimed_in = lambda text: Attribution.claimed_in(None, text)  # type: ignore[arg-type]  # noqa: E731
    assert claimed_in("A doctor in Douma said 12 were killed.") == []
    assert claimed_in("The head of its health programme in Turkey described the attack as a war crime.") == []
    assert claimed_in("Rescuers near Idlib City reported 9 dead, the Syrian Civil Defence said.") == ["Syrian Civil Defence"]
    assert claimed_in("Turkey said 20 militants were killed.") == ["Turkey"]  # a state may speak
