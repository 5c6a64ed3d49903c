"""The stemmed terms BM25 sees: words of one character or more ("7 killed" must match
"7"), lower-cased, English stop words dropped (Lucene's list), Snowball-stemmed. The
lexical index registers this same analyzer, so the answer step and the index agree."""

from __future__ import annotations

from functools import lru_cache

TERM_PATTERN = r"\w+"


@lru_cache(maxsize=1)
def term_analyzer():
    """The tantivy analyzer that turns text into BM25 terms."""
    import tantivy

    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TERM_PATTERN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


@lru_cache(maxsize=16384)
def _terms(text: str) -> tuple[str, ...]:
    return tuple(term_analyzer().analyze(text))


def terms(text: str) -> list[str]:
    """The stemmed BM25 terms of text, in order."""
    return list(_terms(text))


def term_set(text: str) -> frozenset[str]:
    return frozenset(_terms(text))
