"""The answer step as a pipeline of stateless steps: answers made at the same time by
one engine never mix, and the pipeline's branches (a date in words that finds nothing,
a model whose every claim fails) do what they say."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from retrieval.engine import Engine
from tests.conftest import build_settings
from tests.incident_cluster import FERRY_QUESTION, FIGURES_QUESTION, write_cluster

ROUNDS = 12


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    write_cluster(root / "documents")
    engine = Engine(build_settings(root / "data", root / "documents"))
    engine.ingest()
    yield engine
    engine.close()


def copies_shown(answer) -> set[str]:
    return {o for f in answer.figures for o in f.also_published_by} | {o for c in answer.citations for o in c.also_published_by}


def test_two_figure_questions_answered_at_once_keep_their_own_copies(engine):
    bridge, ferry = engine.ask(FIGURES_QUESTION), engine.ask(FERRY_QUESTION)
    assert copies_shown(bridge) <= {"Valley Radio", "Coastal Daily"} and copies_shown(bridge)
    assert copies_shown(ferry) <= {"Northern Wire", "Island Post"} and copies_shown(ferry)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(engine.ask, [FIGURES_QUESTION, FERRY_QUESTION] * ROUNDS))
    for i, answer in enumerate(answers):
        expected = bridge if i % 2 == 0 else ferry
        assert copies_shown(answer) == copies_shown(expected)
        assert [(f.figure, f.outlet) for f in answer.figures] == [(f.figure, f.outlet) for f in expected.figures]


def test_a_copy_giving_the_same_figure_is_one_row_naming_both_outlets(engine):
    answer = engine.ask(FERRY_QUESTION)
    rows = [(f.figure, f.outlet, f.also_published_by) for f in answer.figures]
    assert len([r for r in rows if r[0].startswith("9 ")]) == 1  # the wire story and its copy
    assert any(r[0].startswith("14 ") and r[1] == "Cape Radio" for r in rows)
    assert answer.summary.startswith("From 9 to 14 passengers")


def test_a_date_in_words_that_finds_nothing_looks_at_reports_filed_later_that_name_it(tmp_path):
    """A postmortem is published months after the outage it tells: a question dated by
    the outage finds nothing published then, looks further, and says so; the date still
    pins the incident, so another month's outage is no answer."""
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "postmortems.jsonl").write_text(
        json.dumps(
            {
                "id": "gamehub",
                "title": "GameHub 73-hour outage",
                "published": "2022-01-20",
                "company": "GameHub",
                "text": "GameHub experienced a 73-hour outage from October 28th to October 31st, 2021, after its "
                "service discovery cluster failed under load. All players were affected.",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    engine = Engine(build_settings(tmp_path / "data", documents))
    engine.ingest()
    answer = engine.ask("How long did the GameHub outage of October 2021 last?")
    assert not answer.refused and "73-hour" in answer.text
    assert answer.notes[0].startswith("No reports published 2021-10-01 to 2021-11-07 (or undated) answers this")
    assert engine.ask("How long did the GameHub outage of March 2019 last?").refused


def test_the_incident_is_the_week_most_reports_are_about(tmp_path):
    """A report months later that recalls the incident in passing may match the question
    best; the figures are still those of the week the incident's own reports cluster in."""
    documents = tmp_path / "documents"
    documents.mkdir()
    reports = [
        ("gas-1", "2024-04-04", "Harbor Gazette", "At least 58 people were killed in a suspected gas attack on the town of Ostrava Nova, the Civil Watch monitor said."),
        ("gas-2", "2024-04-05", "Valley Times", "The toll from the suspected gas attack on Ostrava Nova rose to 72 people, medics said."),
        ("gas-3", "2024-04-05", "North Wire", "Doctors said 86 people died after the gas attack on Ostrava Nova on Tuesday."),
        ("later", "2024-10-08", "Harbor Gazette",
         "Air strikes killed 13 people in Ostrava Nova, the town where people died in a suspected gas attack in April, the Civil Watch monitor said."),
    ]
    (documents / "reports.jsonl").write_text(
        "".join(json.dumps({"id": i, "published": d, "source_site": o, "title": t[:60], "text": t}) + "\n" for i, d, o, t in reports),
        encoding="utf-8",
    )
    engine = Engine(build_settings(tmp_path / "data", documents))
    engine.ingest()
    answer = engine.ask("How many people died in the suspected gas attack on Ostrava Nova?")
    cited = {c.doc_id for c in answer.citations}
    assert "later" not in cited and cited & {"gas-1", "gas-2", "gas-3"}, (answer.text, cited)
    engine.close()
