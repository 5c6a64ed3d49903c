"""Deterministic checks every answer passes before anyone sees it, whatever composed it.

Each sentence is checked against the report windows it cites, the text the composer
read:
- every [n] must point at a window; other markers are removed;
- every figure in the sentence must be in a cited window (number words and digits match
  both ways: "three" is 3);
- every name must be too: a run of capitalised words ("Northern Network for Human Rights")
  as a whole, a single capitalised word when the collection writes it as a name
  (``Vocabulary.is_name``: "About" or "First" opening a sentence are no claims), in its
  possessive or punctuation-stripped form ("MSF's" = "MSFs"), a people's adjective only
  where its place is named ("Norlandian" for a window about "Norlands" north);
- a quotation must be in a cited window word for word;
- the sentence must share most of its words with a cited window: a citation to a window
  that does not say it is no support;
- every quote shown is chosen here, from the cited window, as an exact span of the stored
  report that ends where its clause ends (a model is never trusted to copy text);
- when nothing supported is left, the answer becomes a refusal.
"""

from __future__ import annotations

import re
from functools import lru_cache

from text_to_num import alpha2digit

from retrieval.answer.attribution import Attribution
from retrieval.answer.types import Citation, Draft, Dropped, Verification
from retrieval.answer.vocabulary import Vocabulary
from retrieval.answer.windows import Window
from retrieval.index.spans import Span, complete_clause
from retrieval.index.words import word_key
from retrieval.language import SENTENCE_END, WORD, terms

MARKER = re.compile(r"\s*\[(\d{1,3})\]")
# A figure as written: "1,200", "3.5", "2016-10-31" are one number each, so "200", "5"
# and "31" are not supported by them; a unit may follow ("5km", "1990s"), the number of
# an identifier counts ("F-16", "us-east-1"), an ordinal made from a word ("first" ->
# "1st") is no figure.
_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:,\d{3})*(?:\.\d+)?(?:-\d+)*)((?:st|nd|rd|th)(?![a-z]))?")
# "10 million" is also the 10000000 a sentence may write as "ten million".
_SCALED = re.compile(r"(?<![\w.,\-])(\d+(?:\.\d+)?)\s+(thousand|million|billion)\b", re.I)
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
# Text the answer presents as a quotation: it must be in a cited window word for word.
_QUOTED = re.compile(r"[\"“]([^\"“”]{12,})[\"”]")
# Capitalised words in a row, with the joiners of organisation names between them; the
# parts of a hyphenated word count as words ("hill-village", "al-Rashid").
_CAPITALISED_RUN = re.compile(r"(?<![\w\-])[A-Z][\w'’]*(?:[\s\-]+(?:(?:of|for|the|and|al|de)[\s\-]+)*[A-Z][\w'’]*)*")
_WORD_IN_RUN = re.compile(r"[\w'’]+")
_JOINERS = frozenset("of for the and al de".split())
# A sentence must share at least this share of its content words with what it cites.
MIN_SUPPORT_OVERLAP = 0.5
REFUSAL_PHRASES = re.compile(
    r"\b(?:do(?:es)? not|don't|doesn't|did not|didn't|cannot|can't|no) "
    r"(?:say|contain|mention|cover|answer|provide|specify|include|information|find|state|report)",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def numbers_in(text: str) -> frozenset[str]:
    """Every figure in text, normalised ("1,200" -> "1200"), with number words as digits
    ("Forty two" -> "42", "three" -> "3")."""
    scaled = {
        f"{float(n) * _SCALES[scale.lower()]:.0f}" for n, scale in _SCALED.findall(text)
    }
    return frozenset(
        _figures(text, ordinals=True) | _figures(alpha2digit(text, "en", threshold=0), ordinals=False) | scaled
    )


def _figures(text: str, ordinals: bool) -> set[str]:
    return {n.replace(",", "") for n, suffix in _NUMBER.findall(text) if ordinals or not suffix}


def _claimed_numbers(text: str) -> set[str]:
    """The figures a sentence states: digits as written ("15th" is 15), and number words
    ("three"); an ordinal word ("First, ...") states no figure."""
    return _figures(text, ordinals=True) | _figures(alpha2digit(text, "en", threshold=0), ordinals=False)


def _squeeze(text: str) -> str:
    """Lower-cased words without possessives, apostrophes or a final s, hyphens as
    spaces: "MSF's", "MSFs" and "MSF" read the same, as they must where a report was
    stripped of its punctuation ("Norlands", "Human Rights")."""
    text = text.replace("’", "'").casefold()
    text = re.sub(r"'s\b", "", text).replace("'", "").replace("-", " ")
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD_IN_RUN.findall(text))


@lru_cache(maxsize=256)
def _support_index(support: str) -> tuple[str, frozenset[str], frozenset[str], frozenset[str]]:
    """What a cited window offers: its squeezed text, word keys, figures and terms."""
    squeezed = _squeeze(support)
    keys = frozenset(word_key(w) for w in WORD.findall(support)) | frozenset(squeezed.split())
    return squeezed, keys, numbers_in(support), frozenset(terms(support))


def _known(word: str, keys: frozenset[str], vocabulary: Vocabulary | None) -> bool:
    """Whether a single capitalised word is supported: the word in any of its written
    forms, or, for a people's adjective, the place it comes from."""
    key = word_key(word)
    forms = {key, key.rstrip("s"), key + "s", *_squeeze(word).split()}
    if forms & keys:
        return True
    if vocabulary is not None and vocabulary.is_demonym(word):
        return any(k[:5] == key[:5] and len(k) >= 4 for k in keys if k[:1] == key[:1])
    return False


# How answers name a source ("According to X, ..."): the words of the phrase claim
# nothing themselves, whatever a small collection's statistics say of "According".
_ATTRIBUTION_OPENER = re.compile(r"^\s*According to\b")


def unsupported_facts(sentence: str, support: str, vocabulary: Vocabulary | None = None) -> list[str]:
    """Figures, names and quotations in sentence that support does not contain."""
    sentence = _ATTRIBUTION_OPENER.sub("", sentence)
    squeezed, keys, figures, _ = _support_index(support)
    missing = [n for n in sorted(_claimed_numbers(sentence)) if n not in figures]
    for match in _CAPITALISED_RUN.finditer(sentence):
        words = [w for w in _WORD_IN_RUN.findall(match.group(0))]
        # A sentence opener ("Later", "About") or a word the collection writes in lower
        # case starts no name: drop such words from the front of the run.
        while words and (words[0].lower() in _JOINERS or (vocabulary is not None and not vocabulary.is_name(words[0]))):
            words = words[1:]
        names = [w for w in words if w.lower() not in _JOINERS]
        if not names:
            continue
        if len(names) >= 2:
            if f" {_squeeze(' '.join(words))} " not in f" {squeezed} ":
                missing.append(" ".join(words))
            continue
        word = names[0]
        if vocabulary is not None and not vocabulary.is_name(word):
            continue
        if not _known(word, keys, vocabulary):
            missing.append(word)
    for quoted in _QUOTED.findall(sentence):
        if _squeeze(quoted) not in squeezed:
            missing.append(f"“{quoted}”")
    return missing


def support_overlap(sentence: str, support: str) -> float:
    """The share of a sentence's content words (stems) its support contains."""
    words = set(terms(sentence))
    if not words:
        return 1.0
    return len(words & _support_index(support)[3]) / len(words)


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


def best_quote(window: Window, claim: str) -> Span:
    """The span of the window that shares most with the claim citing it (figures count
    double), grown to the end of its clause. Always an exact span of the stored report."""
    text = window.report.text
    claim_words = {word_key(w) for w in WORD.findall(MARKER.sub("", claim))} | numbers_in(claim)
    best, best_score = None, -1.0
    for index in window.span_indices().tolist():
        start, end = (int(x) for x in window.report.spans[index])
        span_text = text[start:end]
        words = {word_key(w) for w in WORD.findall(span_text)} | numbers_in(span_text)
        shared = claim_words & words
        score = sum(2.0 if t.isdigit() else 1.0 for t in shared) - 0.01 * len(words)
        if score > best_score:
            best, best_score = Span(start, end, span_text), score
    if best is None:
        start, end = window.ranges[0]
        best = Span(start, end, text[start:end])
    return complete_clause(text, best)


class Verifier:
    def __init__(self, vocabulary: Vocabulary | None = None, attribution: Attribution | None = None) -> None:
        self.vocabulary = vocabulary
        self.attribution = attribution or Attribution()

    def _support(self, draft: Draft, window: Window) -> str:
        """What a sentence citing window n may rest on: the window, and the composer's
        quote and attribution where they are in the same report."""
        text = window.report.text
        parts = [window.text]
        quote = draft.quotes.get(window.n)
        if quote is not None and text[quote.start : quote.end] == quote.text:
            parts.append(quote.text)
        who = draft.attributions.get(window.n)
        if who and who in text:
            parts.append(who)
        return "\n".join(parts)

    def verify(self, draft: Draft, windows: list[Window]) -> tuple[str, list[Citation], Verification]:
        """Returns (answer text with markers renumbered 1.., citations, what was removed)."""
        report = Verification()
        by_n = {w.n: w for w in windows}

        def keep_marker(match: re.Match) -> str:
            n = int(match.group(1))
            if n in by_n:
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
            if not own and (not all_cited or unsupported_facts(claim, "", self.vocabulary)):
                # Figures and names need a citation; a connective sentence ("The reports
                # differ:") may lean on the answer's citations.
                report.dropped.append(Dropped(sentence, "states facts without citing a report"))
                continue
            cited = own or all_cited
            support = "\n".join(self._support(draft, by_n[n]) for n in cited)
            missing = unsupported_facts(claim, support, self.vocabulary)
            if missing:
                report.dropped.append(
                    Dropped(sentence, f"not in the cited reports {cited}: {', '.join(dict.fromkeys(missing))}")
                )
                continue
            if own and support_overlap(claim, support) < MIN_SUPPORT_OVERLAP:
                report.dropped.append(Dropped(sentence, f"the cited reports {cited} do not say this"))
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
            window = by_n[old]
            document = window.report.text
            span = draft.quotes.get(old)
            if span is None or document[span.start : span.end] != span.text:
                if span is not None:
                    report.unsupported_quotes += 1
                span = best_quote(window, claims[old])
            citation = self.citation_for(renumber[old], window, span)
            citation.also_published_by += [o for o in draft.also_published_by.get(old, []) if o not in citation.also_published_by]
            citations.append(citation)
        return "\n".join(lines), citations, report

    def citation_for(self, n: int, window: Window, span: Span) -> Citation:
        r = window.report
        return Citation(
            n=n,
            doc_id=r.doc_id,
            title=r.title,
            source=r.source,
            published=r.published,
            url=r.url,
            quote=span.text,
            start=span.start,
            end=span.end,
            attributed_to=self.attribution.attribute(r.text, span.start, span.end),
            also_published_by=[c.source or c.doc_id for c in window.copies],
        )

    def cross_check_attributions(self, text: str, citations: list[Citation], windows: list[Window], verification: Verification) -> None:
        """The model names who makes each claim; we find it in the report ourselves. Where we
        found nobody and the model's source is in the cited report, take it; where the two
        differ, keep ours and record the disagreement."""
        documents = {w.doc_id: w.report.text for w in windows}
        for citation in citations:
            marker = f"[{citation.n}]"
            said = [
                name
                for sentence in text.split("\n")
                if marker in sentence
                for name in self.attribution.claimed_sources(MARKER.sub("", sentence))
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


def looks_like_refusal(text: str) -> bool:
    """A model saying the reports do not answer, with no claim cited."""
    return not MARKER.search(text) and bool(REFUSAL_PHRASES.search(text))
