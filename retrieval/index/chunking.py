"""Token-aware chunking: a report becomes overlapping ``Passage``s of at most
``chunk_tokens`` cl100k tokens, each an exact span of the report's stored text.

LangChain's recursive splitter does the splitting (paragraphs, then sentence ends, then
words, so punctuation-stripped text still splits between words). It overlaps whole
pieces only, so punctuated reports overlap by sentences when sentences are short, and
unpunctuated ones (the seed) by about ``overlap_tokens`` of words. We only locate each
chunk in the report to keep the offsets that let a quote be traced back. A chunk never
crosses from one report into another because reports are split one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.index.documents import Report
from retrieval.index.tokens import ENCODING_NAME

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ": ", ", ", " ", ""]


@dataclass(frozen=True)
class Passage:
    """A chunk of one report: ``report.text[start:end] == text``."""

    chunk_id: str
    doc_id: str
    position: int
    start: int
    end: int
    text: str


def make_splitter(chunk_tokens: int, overlap_tokens: int) -> RecursiveCharacterTextSplitter:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=ENCODING_NAME,
        chunk_size=chunk_tokens,
        chunk_overlap=overlap_tokens,
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )


def chunk_id_for(report: Report, position: int) -> str:
    # The content hash makes a changed report's chunks new ids, so the new version can
    # be written before the old one is removed.
    return f"{report.doc_id}#{report.content_hash[:12]}#{position}"


def split_report(report: Report, splitter: RecursiveCharacterTextSplitter) -> list[Passage]:
    passages: list[Passage] = []
    cursor, covered = 0, 0
    for position, piece in enumerate(splitter.split_text(report.text)):
        # Reports repeat sentences (FA-KES repeats the lead), so the first occurrence
        # after the previous chunk may be the wrong one: each chunk starts after the
        # previous one starts and reaches past where it ended.
        start = report.text.find(piece, cursor)
        while start >= 0 and start + len(piece) <= covered:
            start = report.text.find(piece, start + 1)
        if start < 0:
            start = report.text.find(piece, cursor)
        if start < 0:  # the splitter only drops white space; this would be a bug
            raise AssertionError(f"chunk {position} of {report.doc_id} is not a span of its text")
        end = start + len(piece)
        passages.append(Passage(chunk_id_for(report, position), report.doc_id, position, start, end, piece))
        cursor, covered = start + 1, max(covered, end)
    return passages
