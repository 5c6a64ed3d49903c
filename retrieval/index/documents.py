"""Reports in: reading .txt, .md, .html, .pdf, .docx files and .jsonl collections into
``Report`` objects with cleaned, quotable text.

The cleaned text is what the index stores and what every quote is checked against, so
cleaning only normalises white space and invisible characters: it never rewrites words
or punctuation.

Besides the text, a report takes what its file says about itself: the title, the outlet
(``source``) and the date (``published``) from a collection's fields, PDF and Word
properties or HTML ``<meta>`` tags, and failing a date, from a dateline opening the text
("ALEPPO 14 June 2016", ``report_dates``). The file name is the source only when nothing
better exists.

Nothing is read before its size is checked (``max_bytes``: a file, or one line of a
.jsonl collection), and a collection is read line by line, so memory does not grow with
the size of a file.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from retrieval.index.report_dates import dateline_date, normalise_date
from retrieval.language.plural import counted

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".jsonl")
TITLE_MAX_CHARS = 120
# What PDF and Word writers put in the title and author fields when nobody set them.
PLACEHOLDER_TITLES = {"untitled", "(anonymous)", "anonymous", "document", "title", "(untitled)", "word document"}
PLACEHOLDER_AUTHORS = {"anonymous", "(anonymous)", "unknown", "author", "user", "admin", "administrator", "python-docx"}
# python-docx's blank template carries this creation date: it dates the template, not the report.
DOCX_TEMPLATE_CREATED = datetime(2013, 12, 23, 23, 15, tzinfo=timezone.utc)
# Who published a report of a .jsonl collection, best first: the outlet, then the company
# whose postmortem it is.
JSONL_SOURCE_FIELDS = ("source_site", "source", "publisher", "company")


class DocumentError(ValueError):
    """A file that cannot be read as reports; the message says which file and why."""


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1000 or unit == "MB":
            return counted(size, "byte") if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def _too_big(what: str, size: int, max_bytes: int | None) -> DocumentError | None:
    if max_bytes is not None and size > max_bytes:
        return DocumentError(f"{what} is {human_size(size)}, over the {human_size(max_bytes)} limit (MAX_DOCUMENT_BYTES); skipped")
    return None


@dataclass(frozen=True)
class Report:
    """One incident report, as stored and cited."""

    doc_id: str
    title: str
    text: str
    origin: str  # the file it came from (absolute path)
    source: str | None = None  # outlet, or the file name
    published: str | None = None  # ISO date
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Changes whenever anything we store about the report changes."""
        payload = json.dumps(
            [self.title, self.text, self.source, self.published, self.url, self.metadata],
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str) -> str:
    """NFC, no control or zero-width characters, single spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text.replace("\t", " ").replace("\u00a0", " "))
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _title_from_text(text: str, fallback: str) -> str:
    first_line = next((line for line in text.split("\n") if line.strip()), "")
    if not first_line:
        return fallback
    if len(first_line) <= TITLE_MAX_CHARS:
        return first_line.lstrip("# ").strip()
    # Punctuation-stripped texts have no sentence ends: cut at a word boundary.
    cut = first_line[:TITLE_MAX_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


# UTF-16 and UTF-32 text is full of zero bytes; any other text with them is binary.
_WIDE_ENCODINGS = ("utf_16", "utf_32")


def _read_text_file(path: Path) -> str:
    """Text in UTF-8, or in the encoding charset-normalizer recognises: UTF-16 or UTF-32
    with or without a byte-order mark (Notepad's "Unicode"), or a legacy encoding (a
    Latin-1 or Windows-1252 report). Bytes that read as no text are refused."""
    from charset_normalizer import from_bytes

    data = path.read_bytes()
    has_zero_bytes = b"\x00" in data[:4096]
    if not has_zero_bytes:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    guess = from_bytes(data).best()
    if guess is None or (has_zero_bytes and not guess.encoding.startswith(_WIDE_ENCODINGS)):
        raise DocumentError(f"{path.name}: looks like a binary file, not text in any encoding recognised")
    return str(guess)


@dataclass(frozen=True)
class FileMetadata:
    """What a file says about itself besides its text; None where it says nothing."""

    title: str | None = None
    source: str | None = None  # the outlet or author
    published: str | None = None  # ISO date


def _meaningful(value: Any, placeholders: set[str]) -> str | None:
    """value as text, or None when it is empty or a writer's placeholder ("untitled")."""
    text = " ".join(str(value).split()) if value is not None else ""
    return text if text and text.lower() not in placeholders else None


def _load_text(path: Path) -> tuple[str, FileMetadata]:
    return _read_text_file(path), FileMetadata()


def _html_meta(soup, *names: str) -> str | None:
    """The content of the first <meta property=NAME> or <meta name=NAME> given, in that order."""
    for name in names:
        for attribute in ("property", "name", "itemprop"):
            tag = soup.find("meta", attrs={attribute: lambda value, n=name: value is not None and value.lower() == n})
            if tag is not None and tag.get("content", "").strip():
                return tag["content"].strip()
    return None


def _load_html(path: Path) -> tuple[str, FileMetadata]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read_text_file(path), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = _html_meta(soup, "og:title") or (soup.title.get_text(" ", strip=True) if soup.title else None)
    if soup.title:
        soup.title.decompose()
    if not title:
        heading = soup.find(["h1", "h2"])
        title = heading.get_text(" ", strip=True) if heading else None
    metadata = FileMetadata(
        title=title,
        source=_meaningful(_html_meta(soup, "og:site_name", "author"), PLACEHOLDER_AUTHORS),
        published=normalise_date(_html_meta(soup, "article:published_time", "date")),
    )
    return soup.get_text("\n"), metadata


def _load_pdf(path: Path) -> tuple[str, FileMetadata]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise DocumentError(f"{path.name}: not a readable PDF ({e})") from e
    if info is None:
        return "\n\n".join(pages), FileMetadata()
    try:
        created = info.creation_date
    except ValueError:  # a creation date that is not in the PDF date format
        created = None
    metadata = FileMetadata(
        title=_meaningful(info.title, PLACEHOLDER_TITLES),
        source=_meaningful(info.author, PLACEHOLDER_AUTHORS),
        published=normalise_date(created),
    )
    return "\n\n".join(pages), metadata


def _load_docx(path: Path) -> tuple[str, FileMetadata]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as e:
        raise DocumentError(f"{path.name}: not a readable Word document ({e})") from e
    except Exception as e:  # zipfile.BadZipFile and lxml errors from a damaged file
        raise DocumentError(f"{path.name}: not a readable Word document ({e})") from e
    paragraphs = [p.text for p in document.paragraphs]
    properties = document.core_properties
    created = properties.created
    if created is not None and created.replace(tzinfo=created.tzinfo or timezone.utc) == DOCX_TEMPLATE_CREATED:
        created = None
    metadata = FileMetadata(
        title=_meaningful(properties.title, PLACEHOLDER_TITLES),
        source=_meaningful(properties.author, PLACEHOLDER_AUTHORS),
        published=normalise_date(created),
    )
    return "\n\n".join(paragraphs), metadata


def _load_markdown(path: Path) -> tuple[str, FileMetadata]:
    text = _read_text_file(path)
    heading = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
    return text, FileMetadata(title=heading.group(1).strip() if heading else None)


JSONL_REQUIRED = ("id", "title", "text")
# Fields that become the report's own attributes; publisher and company stay in its
# metadata too, as other fields do.
JSONL_KNOWN = {"id", "title", "text", "published", "source", "source_site", "url"}


def iter_jsonl(path: Path, max_bytes: int | None = None, skipped: list[str] | None = None) -> Iterator[Report]:
    """The reports of a .jsonl collection, one a line, read lazily. A bad line raises
    DocumentError when it is reached; callers that must not index half a collection read
    it through once first (``read_jsonl_fingerprints``). A line over max_bytes is not
    read: it is left out, and why is appended to skipped (or raised without it)."""
    seen: set[str] = set()
    found = False
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            where = f"{path.name} line {number}"
            error = _too_big(where, len(raw), max_bytes)
            if error:
                if skipped is None:
                    raise error
                skipped.append(str(error))
                continue
            report = _jsonl_report(path, where, raw, seen)
            found = True
            yield report
    if not found:
        raise DocumentError(f"{path.name}: no reports in this file")


def _jsonl_report(path: Path, where: str, raw: bytes, seen: set[str]) -> Report:
    """The report of one line of a collection (where: which line), its id added to
    the ids seen; DocumentError when the line is no report or repeats an id."""
    record = _jsonl_record(where, raw)
    doc_id = str(record["id"]).strip()
    if doc_id in seen:
        raise DocumentError(f"{where}: duplicate id {doc_id!r}")
    seen.add(doc_id)
    text = clean_text(str(record["text"]))
    if not text:
        raise DocumentError(f"{where}: empty text")
    metadata = {k: v for k, v in record.items() if k not in JSONL_KNOWN}
    outlet = next((str(record[k]).strip() for k in JSONL_SOURCE_FIELDS if str(record.get(k) or "").strip()), None)
    return Report(
        doc_id=doc_id,
        title=clean_text(str(record["title"])).replace("\n", " "),
        text=text,
        origin=str(path.resolve()),
        source=outlet or path.name,
        published=normalise_date(record.get("published")) or dateline_date(text),
        url=record.get("url") or None,
        metadata=metadata,
    )


def _jsonl_record(where: str, raw: bytes) -> dict[str, Any]:
    """One line of a collection as a JSON object with the required fields."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DocumentError(f"{where}: not valid JSON ({e})") from e
    if not isinstance(record, dict):
        raise DocumentError(f"{where}: expected a JSON object")
    missing = [k for k in JSONL_REQUIRED if not record.get(k)]
    if missing:
        raise DocumentError(f"{where}: missing field(s) {', '.join(missing)}")
    return record


def read_jsonl_fingerprints(path: Path, max_bytes: int | None = None, skipped: list[str] | None = None) -> dict[str, str]:
    """doc_id -> content hash of every report of a collection, checking every line: the
    whole file is refused if any line is bad, so a half-read collection never replaces
    a good one. Only the hashes are kept."""
    return {r.doc_id: r.content_hash for r in iter_jsonl(path, max_bytes, skipped)}


def doc_id_for(path: Path, root: Path | None) -> str:
    """A file's id: its path below the folder it was found in, without the suffix."""
    try:
        relative = path.resolve().relative_to(root.resolve()) if root else Path(path.name)
    except ValueError:
        relative = Path(path.name)
    return relative.with_suffix("").as_posix()


def load_file(path: Path, root: Path | None = None, max_bytes: int | None = None) -> list[Report]:
    """All reports in one file. Raises DocumentError with a clear message otherwise; a
    file (or a line of a collection) over max_bytes is refused before it is read."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{path.name}: unsupported file type {suffix or '(none)'}; accepted: "
            + ", ".join(SUPPORTED_SUFFIXES)
        )
    if not path.is_file():
        raise DocumentError(f"{path}: no such file")
    if suffix == ".jsonl":
        return list(iter_jsonl(path, max_bytes))
    error = _too_big(path.name, path.stat().st_size, max_bytes)
    if error:
        raise error
    loaders = {
        ".txt": _load_text,
        ".md": _load_markdown,
        ".html": _load_html,
        ".htm": _load_html,
        ".pdf": _load_pdf,
        ".docx": _load_docx,
    }
    raw, described = loaders[suffix](path)
    text = clean_text(raw)
    if not text:
        raise DocumentError(f"{path.name}: no text found in this file")
    title = clean_text(described.title).replace("\n", " ") if described.title else ""
    return [
        Report(
            doc_id=doc_id_for(path, root),
            title=title or _title_from_text(text, path.stem),
            text=text,
            origin=str(path.resolve()),
            source=described.source or path.name,
            published=described.published or dateline_date(text),
        )
    ]


def find_files(paths: list[Path]) -> tuple[list[tuple[Path, Path | None]], list[str]]:
    """Supported files under the given files and folders, each with the folder it was
    found in (ids are relative to it), and why others were refused. Hidden files and
    folders are skipped; a link that leads out of its folder is refused, so a document
    folder never exposes files from elsewhere on the machine."""
    found: list[tuple[Path, Path | None]] = []
    refused: list[str] = []
    for path in paths:
        if path.is_dir():
            root = path.resolve()
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if not (candidate.is_file() and candidate.suffix.lower() in SUPPORTED_SUFFIXES):
                    continue
                if candidate.is_symlink() and root not in candidate.resolve().parents:
                    refused.append(f"{relative}: a link to a file outside {path}; skipped")
                    continue
                found.append((candidate, path))
        elif path.exists():
            found.append((path, path.parent))
        else:
            raise DocumentError(f"{path}: no such file or folder")
    return found, refused
