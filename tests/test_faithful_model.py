"""The LLM path with a faithful model: a scripted model behind an OpenAI-compatible
server on 127.0.0.1 (benchmarks/faithful_model.py) answers each question from the
report windows in the prompt, the way a hosted model writes. Its answers must reach the
user intact, and the same answers with one planted fabrication must not."""

from __future__ import annotations

import pytest

from benchmarks.faithful_model import INVENTED_SOURCE, FaithfulModel
from retrieval.engine import Engine
from tests.conftest import SEED_DIR, build_settings, eval_questions

# Questions whose reports are all in the corpus sample, and that a faithful model
# answers from them (the composer's windows hold a gold answer).
QUESTIONS = [q for q in eval_questions("factoid", "who") if q["gold_doc_ids"]][:16]


@pytest.fixture(scope="module")
def model():
    with FaithfulModel(QUESTIONS) as served:
        yield served


def engine_for(sample_index, model: FaithfulModel, mode: str) -> Engine:
    settings = build_settings(sample_index, SEED_DIR, llm=f"openai:{mode}", llm_base_url=model.base_url, llm_timeout_seconds=60)
    return Engine(settings)


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.mark.slow
def test_a_faithful_models_answers_pass_verification_unchanged(sample_index, model):
    engine = engine_for(sample_index, model, "faithful")
    try:
        answered = 0
        for q in QUESTIONS:
            answer = engine.ask(q["question"])
            said = model.last_answers[normalised(q["question"])]
            if said.startswith("The reports do not say"):
                continue
            answered += 1
            assert answer.composer == "llm", (q["id"], answer.notes)
            assert answer.verification.dropped == [] and answer.verification.removed_markers == [], (said, answer.verification)
            shown = normalised(answer.text + " " + " ".join(c.quote for c in answer.citations))
            assert any(normalised(g) in shown for g in q["gold_answers"]), (q["id"], answer.text)
        assert answered >= 12  # the sample holds the answers to most of them
    finally:
        engine.close()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["plant-figure", "plant-source", "plant-citation"])
def test_a_planted_fabrication_never_reaches_the_user(sample_index, model, mode):
    engine = engine_for(sample_index, model, mode)
    try:
        planted = 0
        for q in QUESTIONS:
            answer = engine.ask(q["question"])
            what = model.planted.get(normalised(q["question"]))
            if what is None:
                continue
            planted += 1
            if answer.refused or answer.composer != "llm":
                continue  # refused, or answered from the reports by the extractive composer
            if mode == "plant-figure":
                assert what not in answer.text, (q["id"], answer.text)
            elif mode == "plant-source":
                assert "Levant Monitor" not in answer.text and INVENTED_SOURCE not in answer.text
            else:
                title = what.split("] ", 1)[1].rsplit(" (", 1)[0]
                assert title not in [c.title for c in answer.citations], (q["id"], answer.text)
        assert planted >= 10
    finally:
        engine.close()
