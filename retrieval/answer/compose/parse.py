"""A model's plain-text answer as claims: each sentence with the [n] markers it carries
(a marker alone after a full stop belongs to the sentence before; a citation at the end
of a run of sentences covers the run; "[1, 2]" and "[1-3]" are lists of markers). A
heading ("Reports differ:") claims nothing and is no claim."""

from __future__ import annotations

import re

from retrieval.answer.draft import DraftClaim
from retrieval.language.sentences import prose_sentences

MARKER = re.compile(r"\s*\[(\d{1,3})\]")
_MARKER_LIST = re.compile(r"\[(\d{1,3}(?:\s*[,;–\-]\s*\d{1,3})+)\]")
# "The reports do not say." and its paraphrases, with no claim cited.
_REFUSAL = re.compile(
    r"\b(?:do(?:es)? not|don't|doesn't|did not|didn't|cannot|can't|no) "
    r"(?:say|contain|mention|cover|answer|provide|specify|include|information|find|state|report)",
    re.IGNORECASE,
)


def split_marker_lists(text: str) -> str:
    """"[1, 2]" -> "[1][2]", "[1-3]" -> "[1][2][3]", so every citation is checked."""

    def expand(match: re.Match) -> str:
        numbers: list[int] = []
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            bounds = [int(b) for b in re.split(r"\s*[–\-]\s*", part)]
            numbers += list(range(bounds[0], bounds[-1] + 1)) if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] < 10 else bounds
        return "".join(f"[{n}]" for n in numbers)

    return _MARKER_LIST.sub(expand, text)


def looks_like_refusal(text: str) -> bool:
    """A model saying the reports do not answer, with no claim cited."""
    return not MARKER.search(text) and bool(_REFUSAL.search(text))


def claims_of(text: str) -> list[DraftClaim]:
    """The sentences of a plain-text answer, each with the markers it rests on."""
    claims: list[DraftClaim] = []
    for line in split_marker_lists(text).split("\n"):
        sentences: list[str] = []
        for sentence in prose_sentences(line):
            sentence = sentence.strip()
            if not sentence:
                continue
            if sentences and not MARKER.sub("", sentence).strip(" .,;:"):
                sentences[-1] += " " + sentence
            else:
                sentences.append(sentence)
        markers = [tuple(dict.fromkeys(int(n) for n in MARKER.findall(s))) for s in sentences]
        for i, sentence in enumerate(sentences):
            own = markers[i] or next((m for m in markers[i + 1 :] if m), None) or next((m for m in reversed(markers[:i]) if m), ())
            statement = MARKER.sub("", sentence).strip()
            statement = re.sub(r"\s+([.,;:])", r"\1", statement)
            if not markers[i] and statement.endswith(":") and not any(ch.isdigit() for ch in statement):
                continue  # a heading of what follows
            if statement.strip(" .,;:-•*"):
                claims.append(DraftClaim(statement.lstrip("-•* ").strip(), tuple(own)))
    return claims
