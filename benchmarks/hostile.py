"""A documents folder of thirteen files a real user might drop on the bot, most of them
bad: huge, truncated, binary, mis-encoded, malformed, empty, or a link out of the folder.
The test suite and the benchmark ingest it (``make_hostile_folder``)."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

SEED_NAME = "000_4690d2a678555c89.txt"
HUGE_BYTES = 30 * 1024 * 1024  # over the default MAX_DOCUMENT_BYTES
REPEATED_LINES = 10_000  # about 0.7 MB of one line repeated: under the limit, and must be fast
LOG_LINE = "2016-10-31T12:00:00Z worker-3 heartbeat ok queue=0 latency_ms=12\n"

# What ingest must index, and what it must name as skipped (a part of each message).
INDEXED = {"000_4690d2a678555c89", "repeated", "latin1", "ok-1", "ok-2"}
SKIPPED = (
    "huge.txt is 31.5 MB, over the",
    "truncated.pdf: not a readable PDF",
    "random.txt: ",
    "outside.txt: a link to a file outside",
    "malformed.jsonl line 2: not valid JSON",
    "empty.md: no text found",
    "notazip.docx: not a readable Word document",
    "scripts.html: no text found",
    "empty.pdf: ",
    "collection.jsonl line 3 is ",
)


def make_hostile_folder(folder: Path, seed_dir: Path, outside: Path) -> Path:
    """Fill folder (and write one file in outside, which folder links to)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(seed_dir / SEED_NAME, folder / SEED_NAME)
    with (folder / "huge.txt").open("w") as f:
        for _ in range(HUGE_BYTES // len(LOG_LINE) + 1):
            f.write(LOG_LINE)
    (folder / "repeated.txt").write_text(LOG_LINE * REPEATED_LINES)
    whole_pdf = _tiny_pdf("Quarterly incident summary. Two outages, both resolved.")
    (folder / "truncated.pdf").write_bytes(whole_pdf[: len(whole_pdf) // 2])
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "random.txt").write_bytes(random.Random(7).randbytes(64 * 1024))
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "private.txt").write_text("A private note that must never be indexed.")
    (folder / "outside.txt").symlink_to(outside / "private.txt")
    (folder / "latin1.txt").write_bytes(
        "Explosion au caf\xe9 de la gare: trois bless\xe9s, selon la pr\xe9fecture.".encode("latin-1")
    )
    (folder / "malformed.jsonl").write_text(
        json.dumps({"id": "m-1", "title": "Fine", "text": "A fine line."}) + "\n{not json\n"
    )
    (folder / "empty.md").write_text("")
    (folder / "notazip.docx").write_bytes(b"PK\x03\x04 this is not really a zip archive")
    (folder / "scripts.html").write_text("<html><script>var x = 1;</script><style>p{}</style></html>")
    lines = [
        {"id": "ok-1", "title": "Pump failure", "text": "A pump failed at the water plant on Monday, the utility said."},
        {"id": "ok-2", "title": "Fibre cut", "text": "A fibre cut took the exchange offline for 40 minutes."},
        {"id": "too-big", "title": "A dump", "text": "x " * 11_000_000},
    ]
    (folder / "collection.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    return folder


def _tiny_pdf(text: str) -> bytes:
    """A valid one-page PDF with text (reportlab is a test dependency)."""
    from io import BytesIO

    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()
