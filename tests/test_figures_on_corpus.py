"""Figures by source on real reports (the corpus sample): for figure questions of each
kind the studied set has, every row shown is about the asked incident, and each row's
figure is credited to whom its report credits it.

- a claim an outlet carries for someone else: "IS said nearly 50 had been killed", in
  Al-Ahram, is IS's figure, not Al-Ahram's;
- a source named by its role: "a source in Salamiyeh National Hospital";
- a town with another incident days or weeks apart: the Sayyida Zeinab bombings of 11
  June 2016 are not those of other months, and the al-Bab barrel bombs of 16 July 2015
  not the strikes of other weeks.

Gold figures, sources and the other incidents' reports are those of
benchmarks/eval/multi/multi-dev-2.jsonl (a studied set)."""

from __future__ import annotations

import pytest

from retrieval.language.numbers import numbers_in, value_key
from tests.conftest import FIGURE_QUESTION_IDS, figure_questions

pytestmark = pytest.mark.slow  # indexes the corpus sample (corpus_engine)


def _values(text: str) -> set[str]:
    return {value_key(n.value) for n in numbers_in(text) if n.value is not None and n.is_figure}


def _same_source(shown: str | None, gold: str | None) -> bool:
    shown, gold = (shown or "").lower(), (gold or "").lower()
    return bool(shown and gold) and (gold in shown or shown in gold or gold.split()[-1] in shown)


@pytest.fixture(scope="module")
def answers(corpus_engine):
    questions = figure_questions()
    return {qid: (questions[qid], corpus_engine.ask(questions[qid]["question"])) for qid in FIGURE_QUESTION_IDS}


@pytest.mark.parametrize("qid", FIGURE_QUESTION_IDS)
def test_every_row_is_about_the_asked_incident(answers, qid):
    question, answer = answers[qid]
    assert not answer.refused and answer.figures, answer.text
    cited = {c.n: c.doc_id for c in answer.citations}
    rows = [(f.figure, cited[f.n]) for f in answer.figures]
    assert all(doc_id in question["gold_doc_ids"] for _, doc_id in rows), (question["category"], rows)
    shown = f"{answer.text} {answer.summary or ''}"
    assert not [f for f in question["off_incident_figures"] if f in shown], shown


@pytest.mark.parametrize("qid", FIGURE_QUESTION_IDS)
def test_each_figure_is_credited_to_whom_its_report_credits_it(answers, qid):
    question, answer = answers[qid]
    cited = {c.n: c.doc_id for c in answer.citations}
    quotes = {c.n: c.quote for c in answer.citations}
    checked = 0
    for row in answer.figures:
        golds = [
            g for g in question["gold_figures"]
            if g["doc_id"] == cited[row.n] and _values(g["figure"]) & _values(row.figure)
        ]
        if not golds:
            continue
        checked += 1
        if row.who and row.who.split()[0].lower() in ("a", "an") and row.who in quotes[row.n]:
            continue  # a source named by its role, as the quote names it ("a monitoring group said")
        assert any(
            _same_source(row.who, g["source"]) if g["source"] else row.who is None or _same_source(row.who, g["outlet"])
            for g in golds
        ), (question["category"], row.figure, row.who, [(g["figure"], g["source"]) for g in golds])
    assert checked, "no row gives a gold figure"


def test_an_outlet_is_never_credited_with_the_figure_it_carried(answers):
    question, answer = answers["q002"]
    carried = {value_key(50.0)}  # IS's figure, carried by Al-Ahram, Al-Alam and Daily Sabah
    for row in answer.figures:
        if _values(row.figure) & carried:
            assert row.who and not _same_source(row.who, row.outlet), (row.figure, row.who, row.outlet)
