"""Reports in: reading .txt, .md, .html, .pdf, .docx files and .jsonl collections into
``Report`` objects with cleaned, quotable text.

The cleaned text is what the index stores and what every quote is checked against, so
cleaning only normalises white space and invisible characters: it never rewrites words
or punctuation.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", ".jsonl")
TITLE_MAX_CHARS = 120
# What PDF and Word writers put in the title field when nobody set one.
PLACEHOLDER_TITLES = {"untitled", "(anonymous)", "anonymous", "document", "title", "(untitled)"}


class DocumentError(ValueError):
    """A file that cannot be read as reports; the message says which file and why."""


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


def normalise_date(value: Any) -> str | None:
    """An ISO date (YYYY-MM-DD) from the usual spellings, or None."""
    if value in (None, ""):
        return None
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        return "-".join(match.groups())
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%B %d, %Y", "%d %B %Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    return None


def _title_from_text(text: str, fallback: str) -> str:
    first_line = next((line for line in text.split("\n") if line.strip()), "")
    if not first_line:
        return fallback
    if len(first_line) <= TITLE_MAX_CHARS:
        return first_line.lstrip("# ").strip()
    # Punctuation-stripped texts have no sentence ends: cut at a word boundary.
    cut = first_line[:TITLE_MAX_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


def _read_text_file(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise DocumentError(f"{path.name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DocumentError(f"{path.name}: not valid UTF-8 text ({e.reason} at byte {e.start})") from e


def _load_html(path: Path) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read_text_file(path), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    if not title:
        heading = soup.find(["h1", "h2"])
        title = heading.get_text(" ", strip=True) if heading else None
    return soup.get_text("\n"), title


def _load_pdf(path: Path) -> tuple[str, str | None]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
        if title and title.strip().lower() in PLACEHOLDER_TITLES:
            title = None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise DocumentError(f"{path.name}: not a readable PDF ({e})") from e
    return "\n\n".join(pages), title


def _load_docx(path: Path) -> tuple[str, str | None]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as e:
        raise DocumentError(f"{path.name}: not a readable Word document ({e})") from e
    except Exception as e:  # zipfile.BadZipFile and lxml errors from a damaged file
        raise DocumentError(f"{path.name}: not a readable Word document ({e})") from e
    paragraphs = [p.text for p in document.paragraphs]
    title = document.core_properties.title
    if title and title.strip().lower() in PLACEHOLDER_TITLES:
        title = None
    return "\n\n".join(paragraphs), title or None


def _load_markdown(path: Path) -> tuple[str, str | None]:
    text = _read_text_file(path)
    heading = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
    return text, heading.group(1).strip() if heading else None


JSONL_REQUIRED = ("id", "title", "text")
JSONL_KNOWN = {"id", "title", "text", "published", "source", "source_site", "url"}


def _load_jsonl(path: Path) -> Iterator[Report]:
    """One report a line. The whole file is rejected if any line is bad, so a half-read
    collection never replaces a good one."""
    reports: list[Report] = []
    seen: set[str] = set()
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise DocumentError(f"{path.name} line {number}: not valid JSON ({e})") from e
            if not isinstance(record, dict):
                raise DocumentError(f"{path.name} line {number}: expected a JSON object")
            missing = [k for k in JSONL_REQUIRED if not record.get(k)]
            if missing:
                raise DocumentError(f"{path.name} line {number}: missing field(s) {', '.join(missing)}")
            doc_id = str(record["id"]).strip()
            if doc_id in seen:
                raise DocumentError(f"{path.name} line {number}: duplicate id {doc_id!r}")
            seen.add(doc_id)
            text = clean_text(str(record["text"]))
            if not text:
                raise DocumentError(f"{path.name} line {number}: empty text")
            metadata = {k: v for k, v in record.items() if k not in JSONL_KNOWN}
            reports.append(
                Report(
                    doc_id=doc_id,
                    title=clean_text(str(record["title"])).replace("\n", " "),
                    text=text,
                    origin=str(path.resolve()),
                    source=record.get("source_site") or record.get("source") or path.name,
                    published=normalise_date(record.get("published")),
                    url=record.get("url") or None,
                    metadata=metadata,
                )
            )
    if not reports:
        raise DocumentError(f"{path.name}: no reports in this file")
    return iter(reports)


def doc_id_for(path: Path, root: Path | None) -> str:
    """A file's id: its path below the folder it was found in, without the suffix."""
    try:
        relative = path.resolve().relative_to(root.resolve()) if root else Path(path.name)
    except ValueError:
        relative = Path(path.name)
    return relative.with_suffix("").as_posix()


def load_file(path: Path, root: Path | None = None) -> list[Report]:
    """All reports in one file. Raises DocumentError with a clear message otherwise."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{path.name}: unsupported file type {suffix or '(none)'}; accepted: "
            + ", ".join(SUPPORTED_SUFFIXES)
        )
    if not path.is_file():
        raise DocumentError(f"{path}: no such file")
    if suffix == ".jsonl":
        return list(_load_jsonl(path))
    loaders = {
        ".txt": lambda p: (_read_text_file(p), None),
        ".md": _load_markdown,
        ".html": _load_html,
        ".htm": _load_html,
        ".pdf": _load_pdf,
        ".docx": _load_docx,
    }
    raw, title = loaders[suffix](path)
    text = clean_text(raw)
    if not text:
        raise DocumentError(f"{path.name}: no text found in this file")
    return [
        Report(
            doc_id=doc_id_for(path, root),
            title=(clean_text(title).replace("\n", " ") if title else "") or _title_from_text(text, path.stem),
            text=text,
            origin=str(path.resolve()),
            source=path.name,
        )
    ]


def find_files(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """Supported files under the given files and folders, each with the folder it was
    found in (ids are relative to it). Hidden files and folders are skipped."""
    found: list[tuple[Path, Path | None]] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                relative = candidate.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if candidate.is_file() and candidate.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append((candidate, path))
        elif path.exists():
            found.append((path, path.parent))
        else:
            raise DocumentError(f"{path}: no such file or folder")
    return found
