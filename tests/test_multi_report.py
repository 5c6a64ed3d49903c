"""What the reports disagree on: figures by source, timelines, syndicated copies and the
filters people type, over real files indexed on disk."""

from __future__ import annotations

import json
import subprocess

import pytest

from retrieval.engine import Engine
from tests.conftest import clean_env, cli
from tests.incident_cluster import FIGURES_QUESTION, TIMELINE_QUESTION, write_cluster


@pytest.fixture(scope="module")
def cluster_engine(tmp_path_factory):
    from tests.conftest import build_settings

    root = tmp_path_factory.mktemp("cluster")
    documents = root / "documents"
    write_cluster(documents)
    engine = Engine(build_settings(root / "data", documents))
    engine.ingest()
    yield engine
    engine.close()


def test_a_toll_question_lists_each_reports_figure_with_its_source_and_date(cluster_engine):
    answer = cluster_engine.ask(FIGURES_QUESTION)
    assert not answer.refused
    figures = [(f.figure, f.outlet, f.published) for f in answer.figures]
    assert [published for _, _, published in figures] == sorted(published for _, _, published in figures)
    assert ("At least 12 people", "Kessel Tribune", "2024-05-03") in figures
    assert any("35 people" in f and outlet == "Harbor Gazette" for f, outlet, _ in figures)
    assert any("21" in f for f, _, _ in figures)
    # The ferry fire months before is another incident; the copy of the wire story counts once.
    assert not any("4 people" in f for f, _, _ in figures)
    assert sum("21" in f for f, _, _ in figures) == 1
    assert answer.summary.startswith("From at least 12 to 35 people across 3 sources (3–6 May 2024); latest: 35 people")
    fire_service = [f for f in answer.figures if f.who and "fire service" in f.who]
    assert fire_service and fire_service[0].figure == "At least 12 people"
    for citation in answer.citations:  # every quote is verbatim
        assert cluster_engine.index.catalog.reports.report_text(citation.doc_id)[citation.start : citation.end] == citation.quote


def test_a_timeline_gives_dated_events_in_order_resolving_days_against_the_report(cluster_engine):
    answer = cluster_engine.ask(TIMELINE_QUESTION)
    assert not answer.refused and answer.events
    dates = [e.date for e in answer.events]
    assert dates == sorted(dates)
    collapse = next(e for e in answer.events if "collapsed on Friday evening" in e.text)
    assert (collapse.date, collapse.dated_by) == ("2024-05-03", "text")  # "Friday" of a report of Friday 3 May
    inquiry = next(e for e in answer.events if "inquiry" in e.text.lower())
    assert inquiry.date in {"2024-05-05", "2024-05-06"}


def test_syndicated_copies_are_one_source_and_sources_groups_them(cluster_engine):
    answer = cluster_engine.ask("How many bodies did divers recover from the Kessel river overnight?")
    cited = {c.doc_id for c in answer.citations}
    assert not {"kessel-2", "kessel-3"} <= cited
    copy = next(c for c in answer.citations if c.doc_id in {"kessel-2", "kessel-3"})
    assert copy.also_published_by in (("Coastal Daily",), ("Valley Radio",))
    copies = {r.doc_id: r.copy_of for r in cluster_engine.reports()}
    assert {copies["kessel-2"], copies["kessel-3"]} == {None, "kessel-2"} or {copies["kessel-2"], copies["kessel-3"]} == {None, "kessel-3"}


def test_a_source_token_narrows_the_answer_and_says_so(cluster_engine):
    answer = cluster_engine.ask("source:Harbor how many people were killed in the Kessel bridge collapse?")
    assert not answer.refused
    assert {c.source for c in answer.citations} == {"Harbor Gazette"}
    assert answer.filters == "reports from Harbor"
    assert "Searched reports from Harbor: 1 report." in answer.notes


def test_a_month_in_the_question_keeps_other_months_out(cluster_engine):
    answer = cluster_engine.ask("How many people were killed on the Kessel river in November 2023?")
    assert {c.doc_id for c in answer.citations} == {"kessel-ferry"}
    assert answer.filters.startswith("reports published 2023-11-01 to 2023-12-07")


def test_sources_can_be_filtered_on_the_command_line(tmp_path):
    documents = tmp_path / "documents"
    write_cluster(documents)
    env = clean_env(DATA_DIR=str(tmp_path / "data"), DOCUMENTS_DIR=str(documents))
    subprocess.run(cli("ingest"), cwd=tmp_path, env=env, check=True, capture_output=True)
    listed = subprocess.run(
        cli("sources", "--json", "--source", "Tribune", "--since", "2024-01-01"), cwd=tmp_path, env=env,
        capture_output=True, text=True, check=True,
    )
    assert [json.loads(line)["doc_id"] for line in listed.stdout.splitlines()] == ["kessel-1"]
