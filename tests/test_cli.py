"""The command-line contract other tools rely on: ingest, ask (one, batch, --json), sources
(show and remove: ``test_index_commands``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli(tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    env = {k: v for k, v in os.environ.items() if k not in {"LLM", "CHROMA_URL", "TELEGRAM_BOT_TOKEN"}}
    env.update(DATA_DIR=str(tmp_path / "data"), DOCUMENTS_DIR=str(docs))

    def run(*args: str, stdin: str | None = None, **settings: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            input=stdin, capture_output=True, text=True, env={**env, **settings}, cwd=tmp_path, timeout=120,
        )

    run.docs = docs
    return run


def test_ingest_prints_a_summary_and_is_incremental(cli):
    first = cli("ingest")
    assert first.returncode == 0, first.stderr
    assert "1 added, 0 updated, 0 removed, 0 unchanged" in first.stdout
    again = cli("ingest", "--json")
    assert json.loads(again.stdout)["unchanged"] == 1


def test_ask_json_batch_answers_each_line(cli):
    cli("ingest")
    result = cli("ask", "--json", stdin="How many children were killed in western Aleppo?\n\nWhat did the UN Security Council decide about Aleppo?\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["refused"] for a in answers] == [False, True]
    assert "17 children" in answers[0]["citations"][0]["quote"]
    assert answers[0]["citations"][0]["attributed_to"] == "Syrian Observatory of Human Rights"


def test_ask_indexes_the_documents_folder_on_first_use(cli):
    result = cli("ask", "How many children were killed in western Aleppo?")
    assert result.returncode == 0, result.stderr
    assert "17 children" in result.stdout and "Sources" in result.stdout


def test_sources_lists_indexed_reports(cli):
    cli("ingest")
    result = cli("sources", "--json")
    [report] = [json.loads(line) for line in result.stdout.splitlines()]
    assert report["doc_id"] == "000_4690d2a678555c89" and report["passages"] > 1


def test_bad_file_is_reported_and_changes_nothing(cli):
    cli("ingest")
    (cli.docs / "broken.jsonl").write_text('{"id": "x", "title": "t"}\n')
    result = cli("ingest")
    assert result.returncode == 1
    assert "broken.jsonl line 1: missing field(s) text" in result.stderr
    assert "0 added, 0 updated, 0 removed, 1 unchanged" in result.stdout


def test_batch_answers_an_overlong_question_with_a_refusal_line(cli):
    cli("ingest")
    result = cli("ask", "--json", stdin="x" * 5000 + "\nHow many children were killed in western Aleppo?\n")
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["refused"] and first["error"] == "too_long"
    assert not second["refused"]


def test_rebuild_accepts_a_path_and_reindexes_every_report(cli):
    cli("ingest")
    result = cli("ingest", "--rebuild", "--json", str(cli.docs))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["reindexed"] == ["000_4690d2a678555c89"] and summary["removed"] == []


def test_ask_filters_by_date(cli):
    cli("ingest")
    result = cli("ask", "--json", "--since", "2020-01-01", "How many children were killed in western Aleppo?")
    assert json.loads(result.stdout)["refused"], "the undated seed is outside any date range"


def test_a_question_in_another_language_is_answered_with_a_note_to_ask_in_english(cli):
    cli("ingest")
    result = cli("ask", "--json", "Combien d'enfants ont été tués à Alep depuis le début de l'offensive ?")
    assert result.returncode == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert any("looks like French" in n and "searched in English" in n for n in notes), notes

    english = cli("ask", "--json", "How many children were killed in western Aleppo?")
    assert not any("searched in English" in n for n in json.loads(english.stdout)["notes"])


def test_version_prints_the_installed_version(cli):
    from importlib.metadata import version

    result = cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"incident-bot {version('incident-bot')}"


def test_counts_of_one_are_singular(cli, tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    (one / "note.txt").write_text("Shelling in Idlib killed 3 people, rescuers said.")

    ingested = cli("ingest", str(one))
    assert ingested.returncode == 0, ingested.stderr
    assert "1 added, 0 updated, 0 removed, 0 unchanged; 1 passage indexed" in ingested.stdout
    assert "indexing: 1 of 1 report" in ingested.stderr and "1 reports" not in ingested.stderr

    listed = cli("sources")
    assert listed.stderr.strip() == "1 report"


def test_batch_in_text_prints_each_question_before_its_answer(cli):
    cli("ingest")
    result = cli("ask", stdin="How many children were killed in western Aleppo?\n\nWhat did the UN Security Council decide about Aleppo?\n")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("Q: ")[1:]
    assert first.startswith("How many children were killed in western Aleppo?\n") and "17 children" in first
    assert second.startswith("What did the UN Security Council decide about Aleppo?\n")
    assert result.stdout.startswith("Q: ")


def test_ask_with_a_model_that_cannot_work_answers_extractively_and_says_why(cli):
    cli("ingest")
    no_key = {name: "" for name in ("OPENAI_API_KEY", "LLM_API_KEY", "LLM_BASE_URL")}  # whatever the shell holds

    result = cli("ask", "--json", "How many children were killed in western Aleppo?", LLM="openai:gpt-4o-mini", **no_key)

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert not answer["refused"] and answer["composer"] == "extractive"
    assert "17 children" in answer["citations"][0]["quote"]
    assert any(n.startswith("Answered without a language model: LLM=openai:gpt-4o-mini needs an API key") for n in answer["notes"])
    [line] = result.stderr.splitlines()
    assert "OPENAI_API_KEY or LLM_API_KEY" in line and "answering without a language model" in line


def test_a_model_server_that_never_answers_costs_the_timeout_and_the_process_exits(cli):
    """LLM_TIMEOUT_SECONDS is the total: the answer is printed after it, extractively, and
    nothing keeps the process running (no retry in a thread)."""
    import time

    from tests.test_answers import hanging_server

    cli("ingest")
    started = time.perf_counter()
    cli("ask", "--json", "How many children were killed in western Aleppo?")
    without_model = time.perf_counter() - started
    with hanging_server() as base_url:
        started = time.perf_counter()
        result = cli("ask", "--json", "How many children were killed in western Aleppo?", LLM="openai:stalled",
                     LLM_BASE_URL=base_url, LLM_API_KEY="unused", LLM_TIMEOUT_SECONDS="2")
        elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["composer"] == "extractive" and "17 children" in answer["answer"]
    assert elapsed < without_model + 2 + 3, (elapsed, without_model)  # the same process, plus the timeout
