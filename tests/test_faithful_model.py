"""The LLM path with a stand-in model (benchmarks/faithful_model.py), written apart from
the verification code: an OpenAI-compatible server on 127.0.0.1 answers each question
from the report windows of the prompt the way capable models write, in JSON claims or in
prose with [n] markers. What a user would notice:

- a faithful model's answers reach the user whole (allowed: one answer in ten changed,
  dropped or answered by the extractive composer instead);
- an answer with one planted lie (a changed figure, a source that only carried the claim
  or that no report names, a citation to a report that does not hold the claim) never
  shows the lie to the user.

The first tests check the stand-in itself on a prompt written here (fast); the last ones
run a dozen questions through real engines on the sample index (slow)."""

from __future__ import annotations

import json
import math
import urllib.request

import pytest

from benchmarks.faithful_eval import FORMATS, LIE_LABELS, evaluate
from benchmarks.faithful_model import REFUSAL, Author, FaithfulModel, find, parse_prompt
from tests.conftest import SEED_DIR, build_settings, eval_questions

# A dozen questions whose reports are all in the corpus sample, spread over the file.
QUESTIONS = [q for q in eval_questions("factoid", "paraphrase") if q["gold_doc_ids"]][::5]
FAITHFUL_WHOLE_AT_LEAST = 0.9  # the tolerance: one answer in ten may be changed or dropped

REPORT_1 = (
    "At least 22 people were killed in a double suicide bomb attack at an army checkpoint in the central Syrian "
    "city of Homs on Tuesday state media said. In a breaking news alert state television said 100 people had also "
    "been injured in the blasts. The provincial governor of Homs Talal Barazi told AFP the two bombers appeared to "
    "have pulled up at the army checkpoint in a car. The Al-Zahraa district has been targeted in the past including "
    "in late December when 19 people were killed in several simultaneous blasts."
)
REPORT_2 = "Nine civilians were killed in regime airstrikes on the town of Al-Ghanto in rural Homs activists said."
QUESTION = {
    "id": "t001",
    "question": "How many people were killed in the double suicide bombing at the army checkpoint in Homs on Tuesday?",
    "kind": "factoid",
    "gold_doc_ids": ["doc-homs"],
    "gold_answers": ["22"],
    "gold_attribution": "state media",
}


def prompt_messages(question: str) -> list[dict]:
    reports = (
        f"[1] Bombs Kill 22 at Army Checkpoint in Syrias Homs (Al-Manar (almanar.com.lb), 2016-01-26)\n{REPORT_1}\n\n"
        f"[2] Nine Civilians Killed in Regime Airstrikes (Syrian National Coalition (etilaf.org), 2016-01-28)\n{REPORT_2}\n"
    )
    return [
        {"role": "system", "content": "You answer questions about incident reports."},
        {"role": "user", "content": f"Reports:\n\n{reports}\n\nQuestion: {question}\n"},
    ]


@pytest.fixture
def author() -> Author:
    return Author([QUESTION], documents={"doc-homs": REPORT_1, "doc-other": REPORT_2})


def test_the_prompt_is_read_as_the_engine_writes_it():
    prompt = parse_prompt(prompt_messages(QUESTION["question"]))
    assert prompt.question == QUESTION["question"]
    assert sorted(prompt.reports) == [1, 2]
    first = prompt.reports[1]
    assert (first.title, first.outlet, first.published) == ("Bombs Kill 22 at Army Checkpoint in Syrias Homs", "Al-Manar (almanar.com.lb)", "2016-01-26")
    assert first.outlet_name == "Al-Manar" and first.text == REPORT_1


def test_a_faithful_answer_keeps_the_figure_and_copies_its_quote(author):
    reply = author.reply("faithful", prompt_messages(QUESTION["question"]), structured_asked=True)
    assert reply.structured and reply.claims
    for claim in reply.claims:
        assert claim.report == 1 and find(claim.statement, "at least 22")
        assert find(REPORT_1, claim.quote.rstrip(".").replace("...", "")) or claim.tags  # verbatim, or a small recorded difference
    assert json.loads(reply.text)["claims"][0]["report"] == 1


def test_the_model_says_the_reports_do_not_say_when_no_report_holds_the_answer(author):
    messages = prompt_messages(QUESTION["question"])
    messages[1]["content"] = messages[1]["content"].replace("At least 22 people", "Several people").replace("Kill 22", "Kill")
    assert author.reply("faithful-text", messages, structured_asked=True).text == REFUSAL
    assert json.loads(author.reply("faithful", messages, structured_asked=True).text) == {"claims": []}


def test_each_lie_is_planted_once_and_recorded(author):
    messages = prompt_messages(QUESTION["question"])
    faithful = author.reply("faithful", messages, structured_asked=True)
    figure = author.reply("plant-figure", messages, structured_asked=True)
    assert figure.planted.kind == "figure" and figure.planted.original == "22"
    assert find(REPORT_1, figure.planted.planted) and not find(figure.claims[figure.planted.claim].quote, figure.planted.planted)
    assert [c.quote for c in figure.claims] == [c.quote for c in faithful.claims]  # the quote stays honest
    doctored = author.reply("plant-figure-doctored", messages, structured_asked=True)
    assert find(doctored.claims[doctored.planted.claim].quote, doctored.planted.planted)
    source = author.reply("plant-source", messages, structured_asked=True)
    assert source.planted.planted in ("Al-Manar", "AFP") and source.planted.original == "state media"
    invented = author.reply("plant-invented-source", messages, structured_asked=True)
    assert invented.planted.kind == "invented" and not find(REPORT_1 + REPORT_2, invented.planted.planted)
    citation = author.reply("plant-citation", messages, structured_asked=True)
    wrong = citation.claims[citation.planted.claim]
    assert wrong.report == 2 and not find(REPORT_2, "22")


def test_the_server_answers_json_a_tool_call_or_prose():
    with FaithfulModel([QUESTION], documents={"doc-homs": REPORT_1}) as model:

        def post(body: dict) -> dict:
            request = urllib.request.Request(f"{model.base_url}/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())["choices"][0]

        messages = prompt_messages(QUESTION["question"])
        schema = {"type": "json_schema", "json_schema": {"name": "AnswerOut", "strict": True, "schema": {}}}
        as_json = post({"model": "faithful", "messages": messages, "response_format": schema})
        assert json.loads(as_json["message"]["content"])["claims"]
        tool = {"type": "function", "function": {"name": "AnswerOut", "parameters": {}}}
        called = post({"model": "faithful", "messages": messages, "tools": [tool], "tool_choice": tool})
        assert called["finish_reason"] == "tool_calls"
        assert json.loads(called["message"]["tool_calls"][0]["function"]["arguments"])["claims"]
        prose = post({"model": "faithful-text", "messages": messages, "response_format": schema})["message"]["content"]
        assert "[1]" in prose and not prose.startswith("{")
        assert "[1]" in post({"model": "faithful", "messages": messages})["message"]["content"]


@pytest.fixture(scope="module")
def measured(sample_index):
    settings = build_settings(sample_index, SEED_DIR)
    return evaluate(settings, QUESTIONS, formats=tuple(FORMATS))


def failures(measured: dict, fmt: str, lie: str | None = None) -> str:
    examples = [e for e in measured["details"][fmt]["examples"] if e.get("lie") == lie]
    return json.dumps({"dropped reasons": measured["details"][fmt]["dropped reasons"], "examples": examples[:4]}, indent=1, default=str)[:6000]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_faithful_models_answers_reach_the_user_whole(measured, fmt):
    metrics = measured[fmt]
    assert metrics["questions the faithful model answered"] >= 8  # the sample holds the answers to most of them
    assert metrics["faithful answers reaching the user whole"] >= FAITHFUL_WHOLE_AT_LEAST, failures(measured, fmt)
    assert metrics["answer accuracy (answerable)"] >= FAITHFUL_WHOLE_AT_LEAST, failures(measured, fmt)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fmt", "lie"),
    [(fmt, lie) for fmt in FORMATS for lie in LIE_LABELS if fmt == "structured" or lie != "plant-figure-doctored"],  # prose has no quote to doctor
)
def test_a_planted_lie_never_reaches_the_user(measured, fmt, lie):
    label = LIE_LABELS[lie]
    planted, reached = measured[fmt][label], measured[fmt][f"{label} reaching the user"]
    assert planted >= 3, f"the stand-in planted only {planted} {label}"
    assert not math.isnan(reached) and reached == 0, failures(measured, fmt, lie)
