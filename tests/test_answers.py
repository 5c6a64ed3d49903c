"""Cited answers: what a user sees when the composer is right, wrong or down.

The LLM path uses LangChain's fake chat models scripted to misbehave; verification must
catch each misbehaviour. The extractive path runs for real on the seed.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from retrieval.answer.compose import SUMMARY_UNAVAILABLE
from retrieval.answer.pipeline import SUMMARY_REJECTED
from retrieval.answer.shape import ONE_SOURCE, REFUSAL
from retrieval.engine import Engine
from retrieval.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEED_ID = "000_4690d2a678555c89"
CHILDREN = "How many children were killed in western Aleppo?"


@pytest.fixture(scope="module")
def seed_data(tmp_path_factory) -> Path:
    """An index of the seed, built once; each test opens its own Engine on a copy."""
    folder = tmp_path_factory.mktemp("seed-index")
    docs = folder / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    Engine(Settings(_env_file=None, data_dir=folder / "data", documents_dir=docs)).ingest()
    return folder


def engine_with(seed_data: Path, chat_model=None, **overrides) -> Engine:
    settings = Settings(
        _env_file=None, data_dir=seed_data / "data", documents_dir=seed_data / "docs", **overrides
    )
    return Engine(settings, chat_model=chat_model)


def scripted(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content=r) for r in replies]))


@contextmanager
def hanging_server() -> Iterator[str]:
    """An OpenAI-compatible base URL whose server accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def seed_text(seed_data: Path) -> str:
    return (seed_data / "docs" / f"{SEED_ID}.txt").read_text()


def assert_quotes_verbatim(engine: Engine, answer) -> None:
    for c in answer.citations + answer.related:
        stored = engine.index.catalog.reports.report_text(c.doc_id)
        assert stored[c.start : c.end] == c.quote, c


def test_extractive_answer_quotes_the_seed_and_names_the_observatory(seed_data):
    engine = engine_with(seed_data)
    answer = engine.ask(CHILDREN)
    assert not answer.refused
    assert "17 children" in answer.text and "[1]" in answer.text
    [citation] = answer.citations
    assert citation.doc_id == SEED_ID
    assert "17 children" in citation.quote
    assert "Up to 48 people" in citation.quote  # the qualifier is part of the figure
    assert citation.quote in seed_text(seed_data)
    assert citation.attributed_to == "Syrian Observatory of Human Rights"
    assert_quotes_verbatim(engine, answer)


def test_extractive_refuses_what_the_reports_do_not_cover(seed_data):
    engine = engine_with(seed_data)
    answer = engine.ask("What did the UN Security Council decide about Aleppo?")
    assert answer.refused
    assert answer.text == REFUSAL
    assert answer.citations == []
    assert answer.related, "a refusal still shows the closest passages"
    assert_quotes_verbatim(engine, answer)


def test_extractive_names_who_reported_the_gas_attack(seed_data):
    answer = engine_with(seed_data).ask("Who reported the toxic gas attack in western Aleppo on 30 October?")
    assert not answer.refused
    assert any("SANA" in (c.attributed_to or "") for c in answer.citations)


def test_llm_citing_a_source_that_was_not_retrieved_loses_the_marker(seed_data):
    model = scripted("Up to 48 people including 17 children were killed in western Aleppo [1][7].")
    answer = engine_with(seed_data, chat_model=model).ask(CHILDREN)
    assert answer.composer == "llm"
    assert not answer.refused
    assert "[7]" not in answer.text and "[1]" in answer.text
    assert answer.verification.removed_markers == (7,)
    assert [c.n for c in answer.citations] == [1]


def test_an_invented_quotation_never_reaches_the_user_and_the_reports_still_answer(seed_data):
    invented = 'Amnesty wrote that "rebels murdered 17 innocent children in cold blood" [1].'
    engine = engine_with(seed_data, chat_model=scripted(invented))
    answer = engine.ask(CHILDREN)
    assert any("cold blood" in d.reason for d in answer.verification.dropped)
    # Nothing the model said survived, so the extractive composer answers, and says so.
    assert not answer.refused and answer.composer == "extractive" and SUMMARY_REJECTED in answer.notes
    assert "cold blood" not in answer.text and all("cold blood" not in c.quote for c in answer.citations)
    assert "17 children" in answer.citations[0].quote
    assert_quotes_verbatim(engine, answer)


def test_llm_invented_casualty_figure_is_dropped(seed_data):
    model = scripted(
        "Up to 48 people including 17 children were killed [1]. "
        "A further 250 civilians died in hospitals later [1]."
    )
    answer = engine_with(seed_data, chat_model=model).ask(CHILDREN)
    assert not answer.refused
    assert "250" not in answer.text
    assert "17 children" in answer.text
    assert any("250" in d.reason for d in answer.verification.dropped)


def test_llm_answer_to_an_unanswerable_question_becomes_a_refusal(seed_data):
    model = scripted("The UN Security Council voted 15 to 0 on 12 November to demand a ceasefire [1].")
    answer = engine_with(seed_data, chat_model=model).ask("What did the UN Security Council decide about Aleppo?")
    assert answer.refused
    assert answer.text == REFUSAL
    assert "15" not in answer.text
    assert answer.verification.dropped


def test_llm_saying_the_reports_do_not_answer_is_a_refusal(seed_data):
    answer = engine_with(seed_data, chat_model=scripted("The reports do not say.")).ask("Who won the 2016 election?")
    assert answer.refused


class BrokenModel(GenericFakeChatModel):
    def _generate(self, *args, **kwargs):
        raise ConnectionError("provider unreachable")


def test_failing_llm_falls_back_to_the_extractive_answer(seed_data):
    engine = engine_with(seed_data, chat_model=BrokenModel(messages=iter([])))
    answer = engine.ask(CHILDREN)
    assert answer.composer == "extractive"
    assert SUMMARY_UNAVAILABLE in answer.notes
    assert not answer.refused and "17 children" in answer.text


def test_a_model_server_that_never_answers_costs_the_timeout_and_no_more(seed_data):
    """A server that accepts the request and never replies: LLM_TIMEOUT_SECONDS is the
    whole wait (the request itself times out, with no retry), then the reports answer."""
    with hanging_server() as base_url:
        engine = engine_with(seed_data, llm="openai:stalled", llm_base_url=base_url, llm_timeout_seconds=1.0)
        started = time.perf_counter()
        answer = engine.ask(CHILDREN)
        assert time.perf_counter() - started < 3
    assert answer.composer == "extractive" and SUMMARY_UNAVAILABLE in answer.notes
    assert not answer.refused and "17 children" in answer.text


def test_json_output_follows_the_contract(seed_data):
    data = engine_with(seed_data).ask(CHILDREN).to_json()
    assert set(data) >= {"question", "answer", "refused", "citations", "claims"}
    citation = data["citations"][0]
    assert set(citation) == {"n", "doc_id", "title", "source", "published", "url", "quote", "attributed_to", "also_published_by"}
    [claim] = data["claims"]
    assert set(claim) >= {"text", "figures", "said_by", "n", "quote"}
    assert claim["n"] == 1 and "17 children" in claim["quote"] and "Up to 48" in claim["figures"]
    assert claim["said_by"] == "Syrian Observatory of Human Rights"


def test_llm_figure_that_is_only_part_of_a_passage_number_is_dropped(seed_data):
    # The seed says "Up to 48 people"; "4" and "8" alone are not in it.
    model = scripted("Up to 48 people were killed [1]. Of them 4 were women [1].")
    answer = engine_with(seed_data, chat_model=model).ask(CHILDREN)
    assert "48 people" in answer.text
    assert "4 were women" not in answer.text


def test_llm_invented_quotation_is_dropped_even_when_the_speaker_is_real(seed_data):
    model = scripted(
        'Up to 48 people including 17 children have been killed [1]. '
        'Samah Hadid said "the rebels are committing genocide" [1].'
    )
    answer = engine_with(seed_data, chat_model=model).ask(CHILDREN)
    assert "genocide" not in answer.text
    assert any("genocide" in d.reason for d in answer.verification.dropped)


def test_llm_citation_lists_are_each_checked(seed_data):
    model = scripted("Up to 48 people including 17 children have been killed [1, 9].")
    answer = engine_with(seed_data, chat_model=model).ask(CHILDREN)
    assert answer.verification.removed_markers == (9,)
    assert "[1]" in answer.text and "9" not in answer.text


def test_a_follow_up_asking_who_quotes_the_attribution(seed_data):
    answer = engine_with(seed_data).ask("and who reported it?", previous=["What toxic gas attack happened on 30 October?"])
    assert not answer.refused
    assert any("SANA" in (c.attributed_to or "") for c in answer.citations)


def test_reports_that_disagree_on_a_figure_are_shown_by_source(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "reuters.txt").write_text(
        "Wedding bombing in Tall Tawil\n\nA suicide bomber killed 22 people at a wedding in Tall Tawil near Hasakeh, Reuters reported."
    )
    (docs / "sana.txt").write_text(
        "Terrorist attack on wedding in Tall Tawil\n\nA suicide bomber killed 32 people at a wedding in Tall Tawil near Hasakeh, SANA reported."
    )
    engine = Engine(Settings(_env_file=None, data_dir=tmp_path / "data", documents_dir=docs))
    engine.ingest()
    answer = engine.ask("How many people were killed by the suicide bomber at the wedding in Tall Tawil?")
    assert not answer.refused
    assert {c.doc_id for c in answer.citations} == {"reuters", "sana"}
    assert answer.summary.startswith("From 22 to 32 people across 2 sources")
    assert sorted((f.figure, f.who) for f in answer.figures) == [("22 people", "Reuters"), ("32 people", "SANA")]
    assert "22" in answer.text and "32" in answer.text

    (docs / "sana.txt").unlink()
    engine.ingest()
    answer = engine.ask("How many people were killed by the suicide bomber at the wedding in Tall Tawil?")
    assert ONE_SOURCE.format(source="reuters.txt") in answer.notes


def test_llm_crediting_someone_the_report_does_not_credit_is_dropped(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "idlib.txt").write_text(
        "Market strike in Idlib\n\nTwelve people were killed in the Idlib market, the Civil Defence said. "
        "Rami Abdel Rahman of the Observatory later visited the site."
    )
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", documents_dir=docs)
    Engine(settings).ingest()
    model = scripted("Twelve people were killed in the Idlib market, according to Rami Abdel Rahman [1].")
    answer = Engine(settings, chat_model=model).ask("How many people were killed in the Idlib market?")
    # Rami Abdel Rahman is named in the report, but not as the source of the toll: the
    # model's claim is dropped, and the extractive answer says who gives the figure.
    assert any("Rami Abdel Rahman" in d.reason for d in answer.verification.dropped)
    assert answer.composer == "extractive" and SUMMARY_REJECTED in answer.notes
    [citation] = answer.citations
    assert citation.attributed_to == "Civil Defence"


def test_a_follow_up_costs_one_model_call_and_is_searched_with_the_question_before(seed_data):
    model = scripted("Up to 48 people including 17 children have been killed [1].")
    answer = engine_with(seed_data, chat_model=model).ask(
        "and how many of them were children?", previous=["How many people were killed in western Aleppo?"]
    )
    assert answer.retrieval_query == "How many people were killed in western Aleppo? and how many of them were children?"
    assert not answer.refused and answer.composer == "llm" and "17 children" in answer.text


def test_follow_up_without_an_llm_searches_with_the_earlier_question(seed_data):
    answer = engine_with(seed_data).ask("and who reported it?", previous=[CHILDREN])
    assert answer.retrieval_query == f"{CHILDREN} and who reported it?"
    assert not answer.refused


def indexed(tmp_path: Path, reports: dict[str, str]) -> Engine:
    """An extractive engine over a folder of the given reports (file name: text), indexed."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in reports.items():
        (docs / name).write_text(text)
    engine = Engine(Settings(_env_file=None, data_dir=tmp_path / "data", documents_dir=docs))
    engine.ingest()
    return engine


def test_the_next_sentence_of_a_passage_is_quoted_with_the_first(tmp_path):
    """The sentence most like the question often sets the scene and the next one answers;
    both are quoted as one exact span, since a citation number carries one quote."""
    engine = indexed(
        tmp_path,
        {
            "tarsnap.md": (
                "# Tarsnap outage\n\n"
                "The Tarsnap service experienced an outage on 2016-07-24, lasting approximately 85 minutes.\n\n"
                "Affected users were credited with two days of storage costs.\n\n"
                "A routine background job had filled the filesystem with a runaway log file.\n"
            )
        },
    )
    answer = engine.ask("How many days of storage costs were Tarsnap users credited after the July 24, 2016 outage?")
    assert not answer.refused and not answer.verification.dropped
    [citation] = answer.citations
    assert "two days of storage costs" in citation.quote
    assert_quotes_verbatim(engine, answer)


def test_a_count_of_something_else_is_no_answer(tmp_path):
    engine = indexed(
        tmp_path,
        {
            "ras-al-ain.txt": (
                "Fighting in Ras al-Ain\n\nAl-Qaeda loyalists attacked the Kurdish town of Ras al-Ain on Saturday sparking "
                "fighting in which 17 people were killed two of them ambulance crew a monitoring group said.\n"
            )
        },
    )
    answer = engine.ask("How many people were killed when al-Qaeda loyalists stormed Ras al-Ain?")
    assert not answer.refused and "17 people" in answer.citations[0].quote
    # "17 people" is no number of cars, nor of the wounded.
    assert engine.ask("How many cars were destroyed when al-Qaeda loyalists stormed Ras al-Ain?").refused
    assert engine.ask("How many people were wounded when al-Qaeda loyalists stormed Ras al-Ain?").refused


def test_a_source_called_by_surname_is_named_in_full(tmp_path):
    engine = indexed(
        tmp_path,
        {
            "pyd.txt": (
                "Kurdish party rejects calls to fight Kurds\n\nSpeaking exclusively to Asharq Al-Awsat PYD spokesman Nawaf "
                "Khalil said that the reasons for the calls are unknown. The Kurdish fighters clashed with the Nusra Front in "
                "Ras al-Ain for a week. Khalil reaffirmed to Asharq Al-Awsat the PYDs desire to topple the regime.\n"
            )
        },
    )
    answer = engine.ask("Which PYD spokesman reaffirmed the party's desire to topple the regime?")
    assert not answer.refused and not answer.verification.dropped
    assert answer.text.startswith("According to Nawaf Khalil: ")
    assert answer.citations[0].attributed_to == "Nawaf Khalil"


def test_a_cause_is_of_what_the_question_asks_about(tmp_path):
    """A cause answers a why-question only when its effect is the question's: a delay
    "due to" something else, or a cause read across a comma into the next clause, is no
    answer."""
    outage = (
        "Datacenter power outage\n\nOn 28 January the Northgate datacenter lost power for two hours. "
        "Initial communication about the incident was delayed due to affected internal status systems. "
        "The power disruption rebooted a quarter of the servers, which caused the storage cluster to stall.\n"
    )
    (tmp_path / "a").mkdir()
    engine = indexed(tmp_path / "a", {"outage.txt": outage})
    assert engine.ask("Why did the power disruption at the Northgate datacenter happen?").refused
    engine.close()
    explained = outage + "The power disruption was caused by a failed transformer in the substation.\n"
    (tmp_path / "b").mkdir()
    engine = indexed(tmp_path / "b", {"outage.txt": explained})
    answer = engine.ask("Why did the power disruption at the Northgate datacenter happen?")
    assert not answer.refused and "failed transformer" in answer.text
    engine.close()
