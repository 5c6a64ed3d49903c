"""The answer step as a pipeline of stateless steps: answers made at the same time by
one engine never mix, and the pipeline's branches (a date in words that finds nothing,
a model whose every claim fails) do what they say."""

from __future__ import annotations

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


def test_a_date_in_words_that_finds_nothing_looks_further_and_says_so(engine):
    answer = engine.ask("How many passengers drowned when the Varno ferry sank in March 2019?")
    assert not answer.refused
    assert answer.notes[0].startswith("No reports published 2019-03-01")
