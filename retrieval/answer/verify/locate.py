"""Finding a model's quote in a stored report.

A model copies a quote with the punctuation, case and spacing it thinks right; the
stored text may have lost its commas and apostrophes ("Syrias", "alHamdaniyeh"). Both
are compared as lower-case letters and digits only, words apart, apostrophes and
hyphens dropped; a quote found so is mapped back to the stored text, so what the user
sees is always the stored span. A quote the model trimmed or slightly misspelt is found
by an approximate alignment (``rapidfuzz``) when nearly all of it matches.
"""

from __future__ import annotations

from functools import lru_cache

from retrieval.index.spans import Span

MIN_ALIGNMENT = 92.0  # rapidfuzz's partial ratio (0-100) a quote must reach to be found approximately
MIN_QUOTE_CHARS = 12  # shorter quotes say too little to locate anything


@lru_cache(maxsize=256)
def normalised(text: str) -> tuple[str, tuple[int, ...]]:
    """text as lower-case letters and digits with single spaces between words, and for
    each character of it the offset of the stored character it comes from."""
    out: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if ch.isalnum():
            if pending_space and out:
                out.append(" ")
                offsets.append(i)
            out.append(ch.lower())
            offsets.append(i)
            pending_space = False
        elif ch in "'’‘-‐‑":
            continue  # "Syria's" = "Syrias", "al-Bab" = "alBab"
        else:
            pending_space = True
    return "".join(out), tuple(offsets)


def _span(text: str, offsets: tuple[int, ...], start: int, end: int) -> Span:
    a, b = offsets[start], offsets[end - 1] + 1
    return Span(a, b, text[a:b])


def locate(quote: str, text: str, within: list[tuple[int, int]] | None = None) -> Span | None:
    """Where quote is in text (the stored span), exactly up to punctuation and case, or
    approximately; None if it is not there. within: ranges of text to prefer."""
    wanted, _ = normalised(quote)
    if len(wanted) < MIN_QUOTE_CHARS:
        return None
    haystack, offsets = normalised(text)
    at = haystack.find(wanted)
    if at >= 0:
        if within:  # the same words may stand twice; prefer the copy the composer read
            while at >= 0 and not any(a <= offsets[at] < b for a, b in within):
                following = haystack.find(wanted, at + 1)
                if following < 0:
                    at = haystack.find(wanted)
                    break
                at = following
        return _span(text, offsets, at, at + len(wanted))
    from rapidfuzz import fuzz

    alignment = fuzz.partial_ratio_alignment(wanted, haystack, score_cutoff=MIN_ALIGNMENT)
    if alignment is None or alignment.dest_end - alignment.dest_start < 0.8 * len(wanted):
        return None
    start, end = alignment.dest_start, alignment.dest_end
    while start > 0 and haystack[start - 1] != " ":  # whole words
        start -= 1
    while end < len(haystack) and haystack[end] != " ":
        end += 1
    return _span(text, offsets, start, end)
