"""Admin uploads: checking a file sent to the bot, then adding it to DOCUMENTS_DIR and
the index.

Nothing changes until a file has passed every check: its size (from Telegram's metadata,
before downloading), its type, its name (the base name only, no hidden or empty names),
and that it reads as reports (``load_file``, in a hidden staging folder inside
DOCUMENTS_DIR, which ingest skips and from which the final move is an atomic rename).

An upload never replaces a different file: if DOCUMENTS_DIR already has a file of that
name with other content, or one of its report ids is already indexed from another file,
it is refused (rename the file, or replace it on the server and /reload). Sending the
same file again just re-indexes it. If indexing fails, the file is removed again, so the
folder and the index stay as they were.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from retrieval import SUPPORTED_SUFFIXES, DocumentError, Engine, IngestBusyError, IngestSummary, Report, human_size, load_file

MAX_NAME_CHARS = 120
_UNSAFE_NAME_CHARS = re.compile(r"[^\w.()\- ]+")


class UploadRejected(ValueError):
    """A file that is not added; the message tells the admin why (and is safe to show)."""


@dataclass(frozen=True)
class Upload:
    """A file that was added and indexed."""

    name: str
    reports: list[Report]
    summary: IngestSummary
    already_present: bool  # the same file was already in DOCUMENTS_DIR


def safe_file_name(name: str | None) -> str:
    """The name a sent file is stored under: its base name with unusual characters
    replaced, never hidden, never a path."""
    if not name:
        raise UploadRejected("the file has no name; send it as a document with a file name like report.pdf")
    base = PurePosixPath(unicodedata.normalize("NFC", name).replace("\\", "/")).name
    base = _UNSAFE_NAME_CHARS.sub("_", base).strip(" ")
    if not base or base.startswith(".") or set(base) <= {".", "_"}:
        raise UploadRejected(f"{name!r} is not a usable file name (hidden or empty); rename the file")
    if len(base) > MAX_NAME_CHARS:
        stem, suffix = os.path.splitext(base)
        base = stem[: MAX_NAME_CHARS - len(suffix)] + suffix
    return base


def check_before_download(name: str | None, size: int | None, max_bytes: int) -> str:
    """The safe name of a file worth downloading, or UploadRejected."""
    safe = safe_file_name(name)
    suffix = Path(safe).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadRejected(
            f"{safe}: {suffix or 'files without a suffix'} cannot be indexed; accepted: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if size is not None and size > max_bytes:
        raise UploadRejected(f"{safe} is {human_size(size)}; the limit is {human_size(max_bytes)}")
    return safe


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _move_without_replacing(source: Path, destination: Path) -> None:
    """Move a staged file into place; a file that appeared there meanwhile is kept."""
    try:
        os.link(source, destination)  # atomic, and refuses to overwrite
    except FileExistsError as e:
        raise UploadRejected(f"{destination.name} appeared in the documents folder meanwhile; try again") from e
    except OSError:  # a file system without hard links
        if destination.exists():
            raise UploadRejected(f"{destination.name} appeared in the documents folder meanwhile; try again") from None
        os.replace(source, destination)


def add_upload(engine: Engine, documents_dir: Path, name: str, data: bytes, max_bytes: int) -> Upload:
    """Check the downloaded file, move it into documents_dir and index it (blocking)."""
    if len(data) > max_bytes:
        raise UploadRejected(f"{name} is {human_size(len(data))}; the limit is {human_size(max_bytes)}")
    documents_dir.mkdir(parents=True, exist_ok=True)
    destination = documents_dir / name
    with tempfile.TemporaryDirectory(prefix=".upload-", dir=documents_dir) as staging:
        staged = Path(staging) / name
        staged.write_bytes(data)
        try:
            reports = load_file(staged, Path(staging))
        except DocumentError as e:
            raise UploadRejected(str(e)) from e
        already_present = destination.exists()
        if already_present and _digest(destination) != _digest(staged):
            raise UploadRejected(
                f"a different file named {name} is already in the documents folder; rename yours, "
                "or replace the file on the server and use /reload"
            )
        if not already_present:
            indexed = {r.doc_id for r in engine.reports()}
            taken = sorted({r.doc_id for r in reports} & indexed)
            if taken:
                raise UploadRejected(
                    f"report id {taken[0]!r} is already indexed from another file; rename the file or change its ids"
                )
            _move_without_replacing(staged, destination)
    try:
        summary = engine.ingest([destination])
    except IngestBusyError as e:
        if not already_present:
            destination.unlink(missing_ok=True)
        raise UploadRejected("another ingest is running; try again when it has finished") from e
    except BaseException:
        if not already_present:
            destination.unlink(missing_ok=True)
        raise
    if summary.errors:
        if not already_present:
            destination.unlink(missing_ok=True)
        raise UploadRejected("; ".join(summary.errors))
    return Upload(name=name, reports=reports, summary=summary, already_present=already_present)
