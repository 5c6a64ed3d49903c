"""Shared fixtures: settings isolated from the environment, the real corpus, and a
deterministic sample of it small enough to index in a test run."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval.settings import Settings

# A shell without job control starts background jobs with Ctrl-C ignored, and ignored
# signals are inherited across exec: the tests that press Ctrl-C in a command they start
# would find it ignored there. A handled signal is reset to its default by exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
SEED_DIR = REPO_ROOT / "seeds"
SEED_ID = "000_4690d2a678555c89"
EVAL_QUESTIONS = REPO_ROOT / "benchmarks" / "eval" / "questions.jsonl"
# Figure questions of the studied set whose incidents the corpus tests ask about: a claim
# an outlet carries for someone else, sources named by their role, and towns with another
# incident days or weeks apart. Their reports, and the other incidents', are in the sample.
FIGURE_QUESTIONS = REPO_ROOT / "benchmarks" / "eval" / "multi" / "multi-dev-2.jsonl"
FIGURE_QUESTION_IDS = ("q002", "q008", "q013", "q014")
CORPUS_FILES = ("incidents-2016.jsonl", "incidents-syria-other-years.jsonl", "postmortems-it.jsonl")

# Besides the ~65 gold reports, this many distractors from each corpus file: ~215 reports,
# ~900 passages. Embedding runs at ~40 passages a second on an idle 2-core machine, so the
# sample indexes in ~20 s while every outlet and both Syrian files compete with the gold.
SAMPLE_OTHERS_PER_FILE = 50

# Everything the settings object reads from the environment: a developer's shell (or CI)
# must not leak an index folder, a Chroma server or an LLM into the tests.
SETTINGS_ENV = (
    "DOCUMENTS_DIR",
    "DATA_DIR",
    "CHROMA_URL",
    "LLM",
    "LLM_BASE_URL",
    "LLM_API_KEY",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "BOT_ADMIN_IDS",
    "BOT_ALLOWED_CHAT_IDS",
    "EMBEDDINGS",
    "CHUNK_TOKENS",
    "WEBHOOK_URL",
    "WEBHOOK_LISTEN",
    "WEBHOOK_PORT",
    "WEBHOOK_SECRET_TOKEN",
    # not settings, but what LangChain's providers read
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
)


def clean_env(**overrides: str) -> dict[str, str]:
    """os.environ without any settings variable, plus overrides: for subprocesses."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env.update(overrides)
    return env


def cli(*args: str) -> list[str]:
    """The `incident-bot` command, run with the interpreter that runs the tests."""
    return [sys.executable, "-m", "bot.cli", *args]


def build_settings(data_dir: Path, documents_dir: Path, **overrides) -> Settings:
    """Settings from config/settings.toml and the arguments only; for fixtures wider
    than one test, which cannot use ``make_settings``."""
    with pytest.MonkeyPatch.context() as mp:
        for name in SETTINGS_ENV:
            mp.delenv(name, raising=False)
        values = {"llm": "extractive", **overrides}
        return Settings(_env_file=None, data_dir=data_dir, documents_dir=documents_dir, **values)


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_settings(tmp_path: Path, isolated_env: None) -> Callable[..., Settings]:
    """Settings for an index under tmp_path; keyword arguments override any field."""

    def build(**overrides) -> Settings:
        values = {
            "data_dir": tmp_path / "data",
            "documents_dir": tmp_path / "documents",
            "llm": "extractive",
            **overrides,
        }
        return Settings(_env_file=None, **values)

    return build


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    folder = SHARED_DIR / "corpus"
    assert folder.is_dir(), f"the shared corpus is missing: expected {folder} beside the clone"
    return folder


def eval_questions(*kinds: str) -> list[dict]:
    with EVAL_QUESTIONS.open(encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    return [q for q in questions if not kinds or q["kind"] in kinds]


def figure_questions() -> dict[str, dict]:
    with FIGURE_QUESTIONS.open(encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()]
    return {q["id"]: q for q in questions if q["id"] in FIGURE_QUESTION_IDS}


def _stable_order(doc_id: str) -> str:
    return hashlib.sha256(doc_id.encode()).hexdigest()


@pytest.fixture(scope="session")
def corpus_sample(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    """A JSONL of real reports: every gold report of the paraphrase and factoid questions,
    plus SAMPLE_OTHERS_PER_FILE others from each corpus file (chosen by a hash of the id,
    so every run indexes the same sample). The seed is not in it: index ``seeds/`` too."""
    gold = {d for q in eval_questions("paraphrase", "factoid") for d in q["gold_doc_ids"]}
    gold |= {d for q in figure_questions().values() for d in q["gold_doc_ids"] + q["off_incident_doc_ids"]}
    lines: list[str] = []
    for name in CORPUS_FILES:
        records = [
            (json.loads(line)["id"], line.rstrip("\n"))
            for line in (corpus_dir / name).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        lines += [line for doc_id, line in records if doc_id in gold]
        others = sorted((r for r in records if r[0] not in gold), key=lambda r: _stable_order(r[0]))
        lines += [line for _, line in others[:SAMPLE_OTHERS_PER_FILE]]
    path = tmp_path_factory.mktemp("corpus_sample") / "sample.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, corpus_sample: Path) -> Path:
    """DATA_DIR of the corpus sample and the seed, indexed once per test run (~20 s);
    tests open engines on it read-only."""
    from retrieval.engine import Engine

    data_dir = tmp_path_factory.mktemp("sample_index") / "data"
    engine = Engine(build_settings(data_dir, SEED_DIR))
    try:
        summary = engine.ingest([corpus_sample, SEED_DIR])
        assert not summary.errors, summary.errors
    finally:
        engine.close()
    return data_dir


@pytest.fixture(scope="session")
def corpus_engine(sample_index: Path):
    """An engine on the corpus sample and the seed, shared by tests that only ask."""
    from retrieval.engine import Engine

    engine = Engine(build_settings(sample_index, SEED_DIR))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DATA_DIR of the seed alone, indexed once per test run."""
    from retrieval.engine import Engine

    data_dir = tmp_path_factory.mktemp("seed_index") / "data"
    engine = Engine(build_settings(data_dir, SEED_DIR))
    try:
        engine.ingest([SEED_DIR])
    finally:
        engine.close()
    return data_dir


@pytest.fixture
def seed_engine(seed_index: Path):
    from retrieval.engine import Engine

    engine = Engine(build_settings(seed_index, SEED_DIR))
    yield engine
    engine.close()
