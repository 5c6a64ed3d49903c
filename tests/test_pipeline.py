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
