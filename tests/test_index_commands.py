"""`ingest --rebuild`, `remove` and `show` through the real command on a real index:
nothing indexed is lost, wherever it was ingested from, whatever stops a rebuild, and
every summary says what happened to every report."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from retrieval.engine import Engine
from tests.conftest import CORPUS_FILES, SEED_DIR, SEED_ID, clean_env, cli
from tests.test_index import SMALL_REPORTS, assert_vectors_match_catalog, write_jsonl

NOTE = "# Boiler explosion in Kestrel Street\n\nTwo janitors were hurt when the boiler exploded, said the caretaker.\n"
MEMO = "# Gas leak at the Orchard Lane depot\n\nThe depot was evacuated for three hours, the fire brigade said.\n"


class Command:
    """`incident-bot` run in a subprocess on one DATA_DIR and DOCUMENTS_DIR."""

    def __init__(self, root: Path, **env: str) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.documents = root / "documents"
        self.documents.mkdir(exist_ok=True)
        self.env = clean_env(DATA_DIR=str(self.data_dir), DOCUMENTS_DIR=str(self.documents), **env)

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            cli(*args), cwd=self.root, env={**self.env, **env}, capture_output=True, text=True, timeout=300
        )

    def json(self, *args: str, **env: str) -> dict:
        result = self(*args, "--json", **env)
        assert result.returncode in (0, 130), result.stderr
        return json.loads(result.stdout)

    def listed(self) -> list[str]:
        result = self("sources", "--json")
        assert result.returncode == 0, result.stderr
        return sorted(json.loads(line)["doc_id"] for line in result.stdout.splitlines())

    @property
    def catalog(self) -> Path:
        return self.data_dir / "index" / "catalog.sqlite3"


@contextmanager
def index_lock_held(command: Command):
    """The lock another process holds while it changes the index, as the bot does while
    it indexes at start-up or on /reload."""
    with open(command.data_dir / "index" / "ingest.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield


def elsewhere_folder(root: Path) -> Path:
    """Reports in a folder outside DOCUMENTS_DIR: a collection of three and two notes."""
    folder = root / "elsewhere"
    write_jsonl(folder / "ops.jsonl", SMALL_REPORTS)
    (folder / "note.md").write_text(NOTE, encoding="utf-8")
    (folder / "memo.md").write_text(MEMO, encoding="utf-8")
    return folder


def test_rebuild_reindexes_every_report_wherever_it_was_ingested_from_and_removes_nothing(tmp_path):
    command = Command(tmp_path)
    (command.documents / f"{SEED_ID}.txt").write_bytes((SEED_DIR / f"{SEED_ID}.txt").read_bytes())
    elsewhere = elsewhere_folder(tmp_path)
    assert len(command.json("ingest", str(elsewhere))["added"]) == 5
    (elsewhere / "memo.md").write_text(MEMO.replace("three hours", "four hours"), encoding="utf-8")
    (elsewhere / "note.md").unlink()

    rebuilt = command.json("ingest", "--rebuild")

    assert rebuilt["added"] == [SEED_ID]  # new in DOCUMENTS_DIR
    assert rebuilt["updated"] == ["memo"]  # its file, outside DOCUMENTS_DIR, was read again
    assert sorted(rebuilt["reindexed"]) == ["note", "ops-001", "ops-002", "ops-003"]
    assert rebuilt["restored"] == ["note"]  # its file is gone: from the text the index stored
    assert rebuilt["removed"] == [] and rebuilt["errors"] == []
    assert command.listed() == sorted([SEED_ID, "memo", "note", "ops-001", "ops-002", "ops-003"])
    asked = command("ask", "--json", "How many janitors were hurt in the Kestrel Street boiler explosion?")
    answer = json.loads(asked.stdout)
    assert any(c["doc_id"] == "note" and "Two janitors" in c["quote"] for c in answer["citations"]), answer
    assert "four hours" in json.loads(command("show", "memo", "--json").stdout)["text"]

    # With a PATH: what is new there is added, and every report is re-indexed as before.
    more = tmp_path / "more"
    more.mkdir()
    (more / "extra.md").write_text("# Crane collapse at Pier 4\n\nOne docker was injured.\n", encoding="utf-8")
    again = command("ingest", "--rebuild", str(more))

    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("1 added, 0 updated, 0 removed, 0 unchanged, 6 re-indexed; ")
    assert "1 re-indexed from the text the index stored, their file gone or unreadable: note" in again.stdout
    assert len(command.listed()) == 7

    # A plain ingest of the folder the note was deleted from drops it, and says so.
    plain = command("ingest", str(elsewhere))
    assert plain.stdout.startswith("0 added, 0 updated, 1 removed, 4 unchanged; "), plain.stdout
    assert "note" not in command.listed()


def make_older_version(catalog: Path) -> None:
    """Rewrite the catalog as the first version of incident-bot wrote it: the same reports
    table without the columns added since, and no schema version in meta."""
    db = sqlite3.connect(catalog)
    rows = db.execute(
        "SELECT doc_id, content_hash, origin, title, source, published, url, metadata, text FROM reports"
    ).fetchall()
    embedder = db.execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()[0]
    db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{catalog}{suffix}").unlink(missing_ok=True)
    old = sqlite3.connect(catalog)
    old.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE reports (
            doc_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, origin TEXT NOT NULL, title TEXT NOT NULL,
            source TEXT, published TEXT, url TEXT, metadata TEXT NOT NULL, text TEXT NOT NULL,
            indexed_at TEXT NOT NULL DEFAULT (datetime('now'))
        );
        CREATE TABLE passages (
            chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES reports(doc_id) ON DELETE CASCADE,
            position INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL
        );
        """
    )
    old.execute("INSERT INTO meta (key, value) VALUES ('embedder', ?)", (embedder,))
    old.executemany(
        "INSERT INTO reports (doc_id, content_hash, origin, title, source, published, url, metadata, text)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    old.commit()
    old.close()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rebuild_keeps_the_reports_of_an_index_built_by_an_older_version_and_waits_for_a_busy_one(
    tmp_path, make_settings
):
    command = Command(tmp_path)
    elsewhere = elsewhere_folder(tmp_path)
    assert len(command.json("ingest", str(elsewhere))["added"]) == 5
    make_older_version(command.catalog)
    (elsewhere / "note.md").unlink()

    refused = command("sources")
    assert refused.returncode != 0 and "older version" in refused.stderr and "--rebuild" in refused.stderr

    # Another process is changing the index: the rebuild leaves the old catalog untouched.
    before = file_digest(command.catalog)
    with index_lock_held(command):
        busy = command("ingest", "--rebuild")
    assert busy.returncode == 2 and "another process" in busy.stderr, busy.stderr
    assert file_digest(command.catalog) == before

    rebuilt = command.json("ingest", "--rebuild")

    assert sorted(rebuilt["reindexed"]) == ["memo", "note", "ops-001", "ops-002", "ops-003"]
    assert rebuilt["restored"] == ["note"] and rebuilt["removed"] == [] and rebuilt["added"] == []
    assert json.loads(command("show", "note", "--json").stdout)["text"] == NOTE.strip()
    asked = json.loads(command("ask", "--json", "Which plant lost power for 9 hours?").stdout)
    assert asked["citations"] and asked["citations"][0]["doc_id"] == "ops-001", asked
    engine = Engine(make_settings(data_dir=command.data_dir))
    try:
        assert engine.index.catalog.rebuilding.count() == 0
        assert_vectors_match_catalog(engine)
        assert engine.index.lexical.count() == len(engine.index.catalog.passages.chunk_ids())
    finally:
        engine.close()


def rebuilding_left(catalog: Path) -> int:
    """How many reports a running rebuild has yet to re-index, read as another process would."""
    db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute("SELECT COUNT(*) FROM rebuilding").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


@pytest.mark.slow
def test_a_rebuild_stopped_with_ctrl_c_keeps_every_report_and_the_next_one_finishes_it(
    corpus_dir, tmp_path, make_settings
):
    command = Command(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    lines = (corpus_dir / CORPUS_FILES[0]).read_text(encoding="utf-8").splitlines()[:96]
    (elsewhere / "collection.jsonl").parent.mkdir()
    (elsewhere / "collection.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (elsewhere / "note.md").write_text(NOTE, encoding="utf-8")
    everything = sorted([json.loads(line)["id"] for line in lines] + ["note"])
    assert len(command.json("ingest", str(elsewhere))["added"]) == len(everything)
    (elsewhere / "note.md").unlink()

    # Re-chunked, every passage is embedded again: a rebuild long enough to stop half-way.
    rechunked = {**command.env, "CHUNK_TOKENS": "64"}
    rebuild = subprocess.Popen(
        cli("ingest", "--rebuild", "--json"), cwd=tmp_path, env=rechunked, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and rebuild.poll() is None:
        if 0 < rebuilding_left(command.catalog) < len(everything):
            break
        time.sleep(0.02)
    rebuild.send_signal(signal.SIGINT)
    out, err = rebuild.communicate(timeout=60)

    assert rebuild.returncode == 130, err
    stopped = json.loads(out)
    assert stopped["interrupted"] and stopped["removed"] == []
    assert 0 < len(stopped["reindexed"]) < len(everything)
    assert command.listed() == everything  # nothing lost in the meantime
    assert "interrupted rebuild left" in command("sources", CHUNK_TOKENS="64").stderr

    finished = command.json("ingest", "--rebuild", CHUNK_TOKENS="64")

    assert not finished["interrupted"]
    assert sorted(finished["reindexed"]) == sorted(set(everything) - set(stopped["reindexed"]))
    assert finished["unchanged"] == len(stopped["reindexed"])
    assert finished["restored"] == ["note"]
    assert command.listed() == everything
    engine = Engine(make_settings(data_dir=command.data_dir, chunk_tokens=64))
    try:
        catalog = engine.index.catalog
        assert catalog.get_meta("chunking") == "64/16" and catalog.rebuilding.count() == 0
        assert_vectors_match_catalog(engine)
        assert engine.index.lexical.count() == len(catalog.passages.chunk_ids())
        assert all(r.passages > 0 for r in engine.reports())
    finally:
        engine.close()


def test_remove_takes_reports_out_and_ingest_leaves_them_out_until_they_are_edited(tmp_path, make_settings):
    command = Command(tmp_path)
    seed = command.documents / f"{SEED_ID}.txt"
    seed.write_bytes((SEED_DIR / f"{SEED_ID}.txt").read_bytes())
    ops = write_jsonl(command.documents / "ops.jsonl", SMALL_REPORTS)
    assert len(command.json("ingest")["added"]) == 4

    mixed = command("remove", "ops-002", "ops-404")
    assert mixed.returncode == 2 and "'ops-404'" in mixed.stderr and "nothing was removed" in mixed.stderr
    with index_lock_held(command):
        busy = command("remove", "ops-002")
    assert busy.returncode == 2 and "nothing was removed" in busy.stderr
    assert command.listed() == sorted([SEED_ID, "ops-001", "ops-002", "ops-003"])

    removed = command("remove", "ops-002", SEED_ID)

    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines()[0].startswith("removed ops-002\tAmmonia leak at the Millbrook cold store\t")
    assert f"removed {SEED_ID}" in removed.stdout
    assert "leaves them out until they are edited in their file" in removed.stderr
    assert command.listed() == ["ops-001", "ops-003"]
    engine = Engine(make_settings(data_dir=command.data_dir, documents_dir=command.documents))
    try:
        assert "ops-002" not in [h.passage.doc_id for h in engine.index.hybrid("ammonia leak Millbrook cold store", 5)]
        assert_vectors_match_catalog(engine)
        assert engine.index.lexical.count() == len(engine.index.catalog.passages.chunk_ids())
    finally:
        engine.close()

    # Neither an ingest of the same folder nor a rebuild brings them back, even when
    # their files change around them...
    assert command.json("ingest")["added"] == []
    later = time.time() + 60
    os.utime(seed, (later, later))
    write_jsonl(ops, SMALL_REPORTS + [{"id": "ops-004", "title": "Flooded substation", "text": "Rain flooded a substation."}])
    grown = command.json("ingest")
    assert grown["added"] == ["ops-004"]
    assert sorted(grown["kept_out"]) == sorted([SEED_ID, "ops-002"])
    rebuilt = command.json("ingest", "--rebuild")
    assert sorted(rebuilt["reindexed"]) == ["ops-001", "ops-003", "ops-004"] and rebuilt["added"] == []
    assert command.listed() == ["ops-001", "ops-003", "ops-004"]

    # ...until the report itself is edited in its file.
    edited = [dict(r, text=r["text"] + " Two more were treated later.") if r["id"] == "ops-002" else r for r in SMALL_REPORTS]
    write_jsonl(ops, edited + [{"id": "ops-004", "title": "Flooded substation", "text": "Rain flooded a substation."}])
    assert command.json("ingest")["added"] == ["ops-002"]


def test_show_prints_one_report_with_its_metadata_copies_and_full_text(tmp_path):
    command = Command(tmp_path)
    story = (
        "A car bomb exploded near a checkpoint at the entrance of the town on Sunday killing at least "
        "twelve people and wounding dozens more, according to a monitoring group. The blast damaged "
        "several shops and a school nearby. Local officials said rescue teams were still searching the "
        "rubble for survivors late into the night as ambulances ferried the wounded to hospitals."
    )
    write_jsonl(
        command.documents / "wire.jsonl",
        [
            {"id": "wire", "title": "Car bomb kills 12", "text": story, "source": "Agency", "published": "2016-10-30",
             "url": "https://agency.example/12", "location": "checkpoint"},
            {"id": "copy", "title": "Twelve dead in checkpoint blast", "text": story + " Share this story.", "source": "Daily"},
        ],
    )
    assert command("ingest").returncode == 0

    shown = command("show", "wire")

    assert shown.returncode == 0, shown.stderr
    head, text = shown.stdout.split("\n\n", 1)
    assert head.splitlines()[0] == "wire"
    for line in (
        "title:     Car bomb kills 12",
        "outlet:    Agency",
        "published: 2016-10-30",
        "url:       https://agency.example/12",
        f"file:      {(command.documents / 'wire.jsonl').resolve()}",
        "copies:    copy",
        "location:  checkpoint",
    ):
        assert line in head.splitlines(), (line, head)
    assert any(line.startswith("passages:  ") and int(line.split()[-1]) > 0 for line in head.splitlines())
    assert text.strip() == story
    copy = json.loads(command("show", "copy", "--json").stdout)
    assert copy["copy_of"] == "wire" and copy["copies"] == [] and copy["text"] == story + " Share this story."
    assert copy["source"] == "Daily" and copy["published"] is None and copy["metadata"] == {}
    unknown = command("show", "nope")
    assert unknown.returncode == 2 and "no report with id 'nope'" in unknown.stderr
