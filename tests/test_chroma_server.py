"""CHROMA_URL: the same ingest and search against a real `chroma run` server instead of
the embedded store."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from retrieval.engine import Engine
from retrieval.index.vector_store import COLLECTION
from tests.conftest import CORPUS_FILES, SEED_DIR, SEED_ID

CHROMA = Path(sys.executable).parent / "chroma"
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_heartbeat(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"`chroma run` exited with {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"no heartbeat from `chroma run` at {url} within {STARTUP_SECONDS} s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    """A Chroma server on a free local port, persisting to a temp folder."""
    assert CHROMA.exists(), f"the chroma CLI is not installed next to {sys.executable}"
    folder = tmp_path_factory.mktemp("chroma_server")
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def server_ids(url: str) -> set[str]:
    """The passage ids the server holds, read with a client of our own."""
    host, port = url.removeprefix("http://").split(":")
    client = chromadb.HttpClient(host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False))
    return set(client.get_collection(COLLECTION).get(include=[])["ids"])


@pytest.fixture
def documents(tmp_path: Path, corpus_dir: Path) -> Path:
    """The seed and a JSONL of four real reports."""
    folder = tmp_path / "documents"
    folder.mkdir()
    shutil.copy(SEED_DIR / f"{SEED_ID}.txt", folder)
    lines = (corpus_dir / CORPUS_FILES[2]).read_text(encoding="utf-8").splitlines()[:4]
    (folder / "postmortems.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_ingest_search_and_updates_go_through_the_chroma_server(chroma_url, documents, make_settings):
    engine = Engine(make_settings(chroma_url=chroma_url, documents_dir=documents))
    try:
        postmortem_ids = [json.loads(line)["id"] for line in (documents / "postmortems.jsonl").read_text().splitlines()]

        summary = engine.ingest()

        assert sorted(summary.added) == sorted([SEED_ID, *postmortem_ids]) and not summary.errors
        assert server_ids(chroma_url) == engine.index.catalog.passages.chunk_ids()
        assert not (engine.settings.index_dir / "chroma").exists()  # nothing went to the embedded store
        hits = engine.index.hybrid("How many children were killed in government-controlled western Aleppo?", 3)
        assert hits[0].passage.doc_id == SEED_ID
        assert any(h.dense_rank is not None for h in hits)  # the server answered the dense half

        again = engine.ingest()

        assert again.unchanged == 5 and not again.changed

        seed = documents / f"{SEED_ID}.txt"
        seed.write_text(seed.read_text(encoding="utf-8").replace("17 children", "19 children"), encoding="utf-8")
        edited = engine.ingest()

        assert edited.updated == [SEED_ID] and edited.unchanged == 4
        assert server_ids(chroma_url) == engine.index.catalog.passages.chunk_ids()  # old vectors deleted on the server
        answer = engine.ask("How many children were killed in western Aleppo?")
        assert not answer.refused
        assert any(c.doc_id == SEED_ID and "19 children" in c.quote for c in answer.citations)
        assert not any("17 children" in c.quote for c in answer.citations)
    finally:
        engine.close()


def test_an_unreachable_chroma_server_is_reported_with_a_hint(make_settings, isolated_env, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "note.txt").write_text("A pump failed at the water plant.")
    engine = Engine(make_settings(chroma_url=url))  # connects when the vectors are first needed
    try:
        with pytest.raises(ConnectionError, match=r"cannot reach the Chroma server at http://127\.0\.0\.1:\d+.*chroma run"):
            engine.ingest()
    finally:
        engine.close()
