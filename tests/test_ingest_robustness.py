"""Ingest that survives anything: a folder of hostile files, kills at any moment, Ctrl-C,
and a first ``ask`` on an empty index with a huge file in the folder. Every run goes
through the real command line on a real index."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from benchmarks.hostile import INDEXED, SKIPPED, make_hostile_folder
from retrieval.engine import Engine
from tests.conftest import SEED_DIR, SEED_ID, CORPUS_FILES, clean_env, cli
from tests.test_offline import offline, run  # noqa: F401, F811  (the fixture cuts the network)

QUESTION = "How many children have been killed in western Aleppo since the offensive began?"


def catalog_ids(data_dir: Path) -> set[str]:
    """The reports a killed process left committed, read as another process would."""
    path = data_dir / "index" / "catalog.sqlite3"
    if not path.exists():
        return set()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return {r[0] for r in db.execute("SELECT doc_id FROM reports")}
    except sqlite3.OperationalError:  # killed before the schema was written
        return set()
    finally:
        db.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    return make_hostile_folder(root / "documents", SEED_DIR, root / "elsewhere")


@pytest.mark.slow
def test_a_hostile_folder_is_indexed_offline_naming_every_file_it_skipped(hostile, offline, tmp_path):
    prefix, env, _ = offline
    env = {**env, "DOCUMENTS_DIR": str(hostile)}
    started = time.monotonic()
    ingested = run(prefix, cli("ingest", "--json"), env, tmp_path)
    seconds = time.monotonic() - started

    assert ingested.returncode == 1, ingested.stderr  # something was skipped
    summary = json.loads(ingested.stdout)
    assert set(summary["added"]) == INDEXED
    for part in SKIPPED:
        assert any(part in e for e in summary["errors"]), (part, summary["errors"])
    assert len(summary["errors"]) == len(SKIPPED)
    assert seconds < 120, f"the hostile folder took {seconds:.0f} s"
    # One line repeated thousands of times is embedded a handful of times, not per passage.
    assert summary["embedded"] < summary["passages"] / 10

    asked = run(prefix, cli("ask", "--json", QUESTION), env, tmp_path)
    answer = json.loads(asked.stdout)
    assert any(c["doc_id"] == SEED_ID and "17 children" in c["quote"] for c in answer["citations"])
    assert "private note" not in asked.stdout


@pytest.mark.slow
def test_ask_on_an_empty_index_indexes_the_folder_says_what_it_skipped_and_answers(hostile, tmp_path):
    env = clean_env(DATA_DIR=str(tmp_path / "data"), DOCUMENTS_DIR=str(hostile))
    started = time.monotonic()
    asked = subprocess.run(cli("ask", QUESTION), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert time.monotonic() - started < 60
    assert asked.returncode == 0, asked.stderr
    assert "skipped: huge.txt is 31.5 MB, over the 20.0 MB limit (MAX_DOCUMENT_BYTES)" in asked.stderr
    assert "17 children" in asked.stdout


def growing_collection(corpus_dir: Path, path: Path, count: int) -> list[str]:
    """A collection of real reports, one a line; returns their ids."""
    lines = (corpus_dir / CORPUS_FILES[0]).read_text(encoding="utf-8").splitlines()[:count]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [json.loads(line)["id"] for line in lines]


def assert_consistent(engine: Engine) -> None:
    """Every committed passage is in both stores; nothing uncommitted is answered."""
    catalog = engine.index.catalog.passages.chunk_ids()
    assert catalog <= engine.index.vectors.ids()
    assert engine.index.lexical.count() >= len(catalog)


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_seconds", [0.3, 3.0, 6.0, 10.0])
def test_an_ingest_killed_at_any_moment_keeps_every_finished_report_and_the_next_one_carries_on(
    corpus_dir, tmp_path, make_settings, kill_after_seconds
):
    collection = tmp_path / "collection.jsonl"
    ids = growing_collection(corpus_dir, collection, 200)
    settings = make_settings()
    env = clean_env(DATA_DIR=str(settings.data_dir), DOCUMENTS_DIR=str(tmp_path / "unused"))
    ingest = subprocess.Popen(cli("ingest", str(collection)), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(kill_after_seconds)
    ingest.send_signal(signal.SIGKILL)
    ingest.communicate(timeout=30)
    kept = catalog_ids(settings.data_dir)
    assert kept <= set(ids)

    engine = Engine(settings)
    try:
        assert {r.doc_id for r in engine.reports()} == kept
        for doc_id in sorted(kept)[:5]:  # a kept report is whole: its passages are searchable
            text = engine.index.catalog.reports.report_text(doc_id)
            hits = engine.index.bm25(" ".join(text.split()[5:15]), 5)
            assert doc_id in [h.passage.doc_id for h in hits]
        summary = engine.ingest([collection])
        assert summary.unchanged == len(kept)
        assert sorted(summary.added) == sorted(set(ids) - kept)
        assert_consistent(engine)
        assert engine.index.vectors.ids() == engine.index.catalog.passages.chunk_ids()  # leftovers swept
    finally:
        engine.close()


@pytest.mark.slow
def test_ctrl_c_stops_an_ingest_cleanly_and_keeps_what_was_indexed(corpus_dir, tmp_path, make_settings):
    collection = tmp_path / "collection.jsonl"
    ids = growing_collection(corpus_dir, collection, 300)
    settings = make_settings()
    env = clean_env(DATA_DIR=str(settings.data_dir), DOCUMENTS_DIR=str(tmp_path / "unused"))
    ingest = subprocess.Popen(
        cli("ingest", "--json", str(collection)), cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not catalog_ids(settings.data_dir):
        time.sleep(0.05)
    ingest.send_signal(signal.SIGINT)
    out, err = ingest.communicate(timeout=60)

    assert ingest.returncode == 130, err
    summary = json.loads(out)
    assert summary["interrupted"]
    kept = catalog_ids(settings.data_dir)
    assert 0 < len(kept) < len(ids)
    assert set(summary["added"]) == kept

    again = subprocess.run(cli("ingest", "--json", str(collection)), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    finished = json.loads(again.stdout)
    assert finished["unchanged"] == len(kept)
    assert len(finished["added"]) == len(ids) - len(kept)


def test_an_edited_report_embeds_only_its_changed_passages(tmp_path, make_settings):
    paragraphs = [f"Paragraph {i}: the relay at substation {i} tripped and crews reset it within {i + 3} minutes." * 6 for i in range(8)]
    report = tmp_path / "documents" / "long.txt"
    report.parent.mkdir()
    report.write_text("\n\n".join(paragraphs))
    engine = Engine(make_settings())
    try:
        first = engine.ingest()
        paragraphs[5] = "Paragraph 5 was rewritten: a transformer fire, not a relay, cut the power for two hours." * 6
        report.write_text("\n\n".join(paragraphs))
        second = engine.ingest()
        assert second.updated == ["long"]
        assert 0 < second.embedded <= 2 < first.embedded
        hits = engine.index.bm25("transformer fire", 3)
        assert hits and "transformer fire" in hits[0].passage.text
    finally:
        engine.close()


def test_syndicated_copies_are_grouped_and_a_separate_report_is_not(tmp_path, make_settings):
    story = (
        "A car bomb exploded near a checkpoint at the entrance of the town on Sunday killing at least "
        "twelve people and wounding dozens more, according to a monitoring group. The blast damaged "
        "several shops and a school nearby. Local officials said rescue teams were still searching the "
        "rubble for survivors late into the night as ambulances ferried the wounded to hospitals."
    )
    reports = [
        {"id": "wire", "title": "Car bomb kills 12", "text": story, "source": "Agency"},
        {"id": "copy", "title": "Twelve dead in checkpoint blast", "text": story + " Share this story.", "source": "Daily"},
        {"id": "other", "title": "Checkpoint blast", "text": "Twelve people died when a bomb went off at a checkpoint on Sunday, residents told our reporter, who saw damaged shops.", "source": "Herald"},
    ]
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in reports))
    engine = Engine(make_settings())
    try:
        engine.ingest()
        copies = {r.doc_id: r.copy_of for r in engine.reports()}
        assert copies == {"wire": None, "copy": "wire", "other": None}
        engine.ingest()  # unchanged: nothing regrouped
        (folder / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in reports[1:]))
        engine.ingest()  # the original gone: its copy stands alone
        assert {r.doc_id: r.copy_of for r in engine.reports()} == {"copy": None, "other": None}
    finally:
        engine.close()
