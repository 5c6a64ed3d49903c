"""Deterministic checks every answer passes before anyone sees it, whatever composed it.

- every [n] must point at a retrieved passage; other markers are removed;
- every number and proper name in a sentence must appear in a passage the sentence
  cites; a sentence carrying one that does not is dropped;
- every quote is chosen here, from the cited passage, as an exact span of the stored
  report text (a model is never trusted to copy text);
- when nothing supported is left, the answer becomes a refusal.
"""

from __future__ import annotations

import re

from retrieval.answer.attribution import attribute, claimed_sources
from retrieval.answer.spans import Span, spans_in
from retrieval.answer.types import Citation, Draft, Dropped, Verification
from retrieval.index.report_index import Hit
from retrieval.language import NUMBER_WORDS, SENTENCE_END, WORD

MARKER = re.compile(r"\s*\[(\d{1,3})\]")
# A figure as written: "1,200", "3.5", "2016-10-31" are one number each, so "200", "5"
# and "31" are not supported by them; a unit may follow ("5km", "1990s").
_NUMBER = re.compile(r"(?<![\w.,\-])\d+(?:,\d{3})*(?:\.\d+)?(?:-\d+)*")
# Text the answer presents as a quotation: it must be in a cited passage word for word.
_QUOTED = re.compile(r"[\"“]([^\"“”]{12,})[\"”]")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’]+")  # "Britain-based": each part is a word

# Capitalised words that are not claims: sentence openers and answer boilerplate.
COMMON_CAPITALISED = {
    "The", "A", "An", "According", "In", "On", "At", "It", "This", "That", "These", "Those",
    "They", "He", "She", "We", "I", "There", "However", "Reports", "Report", "Both", "One",
    "Another", "Also", "Some", "No", "Yes", "And", "But", "As", "Up", "By", "For", "Of",
    "To", "With", "From", "While", "After", "Before", "During", "Since", "Among",
    "Sources", "Source", "Based", "Per", "If", "When", "Where", "Who", "What", "How",
}
REFUSAL_PHRASES = re.compile(
    r"\b(?:do(?:es)? not|don't|doesn't|did not|didn't|cannot|can't|no) "
    r"(?:say|contain|mention|cover|answer|provide|specify|include|information|find|state|report)",
    re.IGNORECASE,
)


def _normalised_tokens(text: str) -> set[str]:
    """Lower-cased words, plus number words as digits ("eight" -> "8")."""
    tokens = {t.lower() for t in WORD.findall(text)}
    return tokens | {NUMBER_WORDS[t] for t in tokens if t in NUMBER_WORDS}


def numbers_in(text: str) -> set[str]:
    """Every figure in text, normalised ("1,200" -> "1200"), and number words as digits."""
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    return found | {NUMBER_WORDS[w] for w in (t.lower() for t in WORD.findall(text)) if w in NUMBER_WORDS}


def _squeeze(text: str) -> str:
    return " ".join(text.split()).casefold()


def unsupported_facts(sentence: str, support: str) -> list[str]:
    """Numbers, proper names and quotations in sentence that support does not contain."""
    known = _normalised_tokens(support)
    figures = numbers_in(support)
    missing = []
    for number in _NUMBER.findall(sentence):
        if number.replace(",", "") not in figures:
            missing.append(number)
    for word in WORD.findall(sentence):
        lower = word.lower()
        if lower in NUMBER_WORDS and NUMBER_WORDS[lower] not in figures:
            missing.append(word)
    for match in _CAPITALISED.finditer(sentence):
        word = match.group(0)
        if word in COMMON_CAPITALISED:
            continue
        if word.lower().strip("'’") not in known and word.lower().rstrip("s") not in known:
            missing.append(word)
    squeezed_support = _squeeze(support)
    for quoted in _QUOTED.findall(sentence):
        if _squeeze(quoted).strip(" .,;:") not in squeezed_support:
            missing.append(f"“{quoted}”")
    return missing


_MARKER_LIST = re.compile(r"\[(\d{1,3}(?:\s*[,;–\-]\s*\d{1,3})+)\]")


def _split_marker_lists(text: str) -> str:
    """"[1, 2]" -> "[1][2]", "[1-3]" -> "[1][2][3]", so every citation is checked."""

    def expand(match: re.Match) -> str:
        numbers: list[int] = []
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            bounds = [int(b) for b in re.split(r"\s*[–\-]\s*", part)]
            numbers += list(range(bounds[0], bounds[-1] + 1)) if len(bounds) == 2 and bounds[1] - bounds[0] < 10 else bounds
        return "".join(f"[{n}]" for n in numbers)

    return _MARKER_LIST.sub(expand, text)


def claims_of(text: str) -> list[tuple[int, str, list[int]]]:
    """(line number, sentence, markers it rests on). A citation at the end of a run of
    sentences ("A. B [1]") covers the run; a marker alone after a full stop belongs to
    the sentence before it."""
    claims: list[tuple[int, str, list[int]]] = []
    for line_number, line in enumerate(text.split("\n")):
        sentences: list[str] = []
        for sentence in SENTENCE_END.split(line):
            sentence = sentence.strip()
            if not sentence:
                continue
            if sentences and not MARKER.sub("", sentence).strip(" .,;:"):
                sentences[-1] += " " + sentence
            else:
                sentences.append(sentence)
        markers = [sorted({int(n) for n in MARKER.findall(s)}) for s in sentences]
        for i, sentence in enumerate(sentences):
            own = markers[i] or next((m for m in markers[i + 1 :] if m), None) or next(
                (m for m in reversed(markers[:i]) if m), []
            )
            claims.append((line_number, sentence, own))
    return claims


def best_quote(document: str, hit: Hit, claim: str) -> Span:
    """The span of the cited passage that shares most with the claim citing it;
    numbers count double. Always an exact span of the stored report."""
    p = hit.passage
    claim_tokens = _normalised_tokens(MARKER.sub("", claim)) | numbers_in(claim)
    best, best_score = None, -1.0
    for span in spans_in(document, p.start, p.end):
        tokens = _normalised_tokens(span.text) | numbers_in(span.text)
        shared = claim_tokens & tokens
        score = sum(2.0 if t.isdigit() else 1.0 for t in shared) - 0.01 * len(tokens)
        if score > best_score:
            best, best_score = span, score
    return best or Span(p.start, p.end, document[p.start : p.end])


def _support(draft: Draft, hits: list[Hit], documents: dict[str, str], n: int) -> str:
    """What a sentence citing [n] may rest on: the passage, and the composer's quote
    from the same report when it is an exact span of it."""
    hit = hits[n - 1]
    parts = [hit.passage.text]
    quote = draft.quotes.get(n)
    if quote is not None and documents[hit.passage.doc_id][quote.start : quote.end] == quote.text:
        parts.append(quote.text)
    who = draft.attributions.get(n)
    if who and who in documents[hit.passage.doc_id]:
        parts.append(who)
    return " ".join(parts)


def verify(draft: Draft, hits: list[Hit], documents: dict[str, str]) -> tuple[str, list[Citation], Verification]:
    """Returns (answer text with markers renumbered 1.., citations, what was removed)."""
    report = Verification()
    known = range(1, len(hits) + 1)

    def keep_marker(match: re.Match) -> str:
        n = int(match.group(1))
        if n in known:
            return match.group(0)
        report.removed_markers.append(n)
        return ""

    text = MARKER.sub(keep_marker, _split_marker_lists(draft.text))
    all_cited = sorted({int(n) for n in MARKER.findall(text)})
    seen: set[str] = set()
    kept_lines: dict[int, list[tuple[str, list[int]]]] = {}
    for line_number, sentence, own in claims_of(text):
        claim = MARKER.sub("", sentence).strip()
        if claim.lower() in seen:
            report.dropped.append(Dropped(sentence, "repeats an earlier sentence"))
            continue
        seen.add(claim.lower())
        if not own and (not all_cited or unsupported_facts(claim, "")):
            # Figures and names need a citation; a connective sentence ("The reports
            # differ:") may lean on the answer's citations.
            report.dropped.append(Dropped(sentence, "states facts without citing a passage"))
            continue
        cited = own or all_cited
        support = " ".join(_support(draft, hits, documents, n) for n in cited)
        missing = unsupported_facts(claim, support)
        if missing:
            report.dropped.append(
                Dropped(sentence, f"not in the cited passages {cited}: {', '.join(dict.fromkeys(missing))}")
            )
            continue
        kept_lines.setdefault(line_number, []).append((sentence, own))

    # A line's citation must stay visible on what is left of it.
    kept: list[tuple[str, list[int]]] = []
    for sentences in kept_lines.values():
        text_of_line = " ".join(s for s, _ in sentences)
        markers = sorted({n for _, own in sentences for n in own})
        if markers and not MARKER.search(sentences[-1][0]):
            text_of_line += "".join(f" [{n}]" for n in markers if f"[{n}]" not in text_of_line)
        kept.append((text_of_line, markers or all_cited))

    if not any(MARKER.search(sentence) for sentence, _ in kept):
        for sentence, _ in kept:
            report.dropped.append(Dropped(sentence, "no cited claim left to support it"))
        kept = []

    # Renumber the markers that survived in order of first use.
    order: list[int] = []
    for sentence, cited in kept:
        for n in [int(m) for m in MARKER.findall(sentence)] or cited:
            if n not in order:
                order.append(n)
    renumber = {old: new for new, old in enumerate(order, start=1)}
    lines = [MARKER.sub(lambda m: f" [{renumber[int(m.group(1))]}]", s) for s, _ in kept]
    claims = {n: " ".join(s for s, cited in kept if n in cited) for n in order}

    citations = []
    for old in order:
        hit = hits[old - 1]
        document = documents[hit.passage.doc_id]
        span = draft.quotes.get(old)
        if span is None or document[span.start : span.end] != span.text:
            if span is not None:
                report.unsupported_quotes += 1
            span = best_quote(document, hit, claims[old])
        citations.append(citation_for(renumber[old], hit, document, span))
    return "\n".join(lines), citations, report


def citation_for(n: int, hit: Hit, document: str, span: Span) -> Citation:
    p = hit.passage
    return Citation(
        n=n,
        doc_id=p.doc_id,
        title=p.title,
        source=p.source,
        published=p.published,
        url=p.url,
        quote=span.text,
        start=span.start,
        end=span.end,
        attributed_to=attribute(document, span.start, span.end),
    )


def looks_like_refusal(text: str) -> bool:
    """A model saying the passages do not answer, with no claim cited."""
    return not MARKER.search(text) and bool(REFUSAL_PHRASES.search(text))


def cross_check_attributions(text: str, citations: list[Citation], documents: dict[str, str], verification: Verification) -> None:
    """The model names who makes each claim; we find it in the report ourselves. Where we
    found nobody and the model's source is in the cited report, take it; where the two
    differ, keep ours and record the disagreement."""
    for citation in citations:
        marker = f"[{citation.n}]"
        said = [
            name
            for sentence in text.split("\n")
            if marker in sentence
            for name in claimed_sources(MARKER.sub("", sentence))
        ]
        if not said:
            continue
        theirs = said[0]
        if citation.attributed_to is None and theirs in documents[citation.doc_id]:
            citation.attributed_to = theirs
        elif citation.attributed_to and not _same_source(theirs, citation.attributed_to):
            verification.attribution_disagreements.append(
                {"n": citation.n, "model": theirs, "report": citation.attributed_to}
            )


def _same_source(a: str, b: str) -> bool:
    a, b = a.casefold(), b.casefold()
    return a in b or b in a
