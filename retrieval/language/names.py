"""How names are written and matched.

Reports write one name several ways: with or without a possessive ("Hezbollah's",
"Hezbollahs" where the apostrophe was stripped), hyphenated or not ("al-Bab", "al Bab",
"alBab" in a text stripped of punctuation), in full or as the acronym the report spells
out ("SOHR" for "Syrian Observatory for Human Rights"). A name is compared by its key:
lower-case words without possessives, apostrophes or hyphens, a final "s" dropped from
longer words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from retrieval.language.en.stop_words import STOP_WORDS

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Lower-case words that may join the capitalised words of one name ("Syrian Observatory
# for Human Rights", "Omar al-Fenn", "Jan de Vries").
JOINERS = frozenset("of for the and al el de du da bin ibn abu van von der".split())
# Capitalised words in a row, with joiners between them; hyphens join too ("al-Bab").
_RUN = re.compile(
    r"(?<![\w'’-])(?:(?:al|el|ad|as|ash|at|az)-)?[A-Z][\w'’]*(?:-[\w'’]+)*"
    r"(?:\s+(?:(?:of|for|the|and|al|el|de|du|bin|ibn|abu|van|von|der)\s+|(?:al|el)-)*[A-Z][\w'’]*(?:-[\w'’]+)*)*"
)


def _word_key(word: str) -> str:
    word = word.replace("’", "'")
    word = re.sub(r"'s$", "", word).replace("'", "")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@lru_cache(maxsize=16384)
def key_words(text: str) -> tuple[str, ...]:
    """The words of text as names are compared: "MSF's", "MSFs" and "MSF" read the same;
    hyphenated parts are words of their own."""
    return tuple(_word_key(w) for w in _WORD.findall(text.casefold().replace("-", " ")))


def key(text: str) -> str:
    return " ".join(key_words(text))


@lru_cache(maxsize=4096)
def _keyed(text: str) -> str:
    return f" {key(text)} "


def written_in(name: str, text: str) -> bool:
    """Whether text writes name (in any of its forms), as whole words."""
    wanted = key(name)
    if not wanted:
        return False
    keyed = _keyed(text)
    if f" {wanted} " in keyed:
        return True
    # "alBab" where the text lost its hyphen: the name's words run together.
    joined = wanted.replace(" ", "")
    return len(joined) > 4 and f" {joined} " in keyed


SAME_SOUND_SIMILARITY = 0.85  # Jaro-Winkler of two spellings that sound alike ("Hasakeh", "Hasaka")
SAME_SPELLING_SIMILARITY = 0.95  # ... of two that differ by a letter or a hyphen ("Deir Ezzor", "Deir ez-Zor")
MIN_SPELLED_CHARS = 4  # shorter names are compared as written only


def same_name_spelled(a: str, b: str) -> bool:
    """Whether two names are one name transliterated two ways: the same letters but for
    spaces and hyphens, or the same first letter and Metaphone code and close by
    Jaro-Winkler (jellyfish's implementations)."""
    import jellyfish

    a, b = (re.sub(r"[\s'’-]+", "", key(n)) for n in (a, b))
    if a == b:
        return True
    if min(len(a), len(b)) < MIN_SPELLED_CHARS or a[:1] != b[:1]:
        return False
    similarity = jellyfish.jaro_winkler_similarity(a, b)
    return similarity >= SAME_SPELLING_SIMILARITY or (similarity >= SAME_SOUND_SIMILARITY and jellyfish.metaphone(a) == jellyfish.metaphone(b))


def spelled_in(name: str, text: str) -> bool:
    """Whether text writes name, or another transliteration of it ("Hasakeh" and
    "Hasaka", "Sheikhoun" and "Sheikhun"), among its runs of capitalised words."""
    if written_in(name, text):
        return True
    size = len(key(name).split())
    if len(key(name)) < MIN_SPELLED_CHARS:
        return False
    for _, _, run in runs(text):
        words = run.split()
        for width in {size - 1, size, size + 1} - {0}:  # "Deir ez-Zor" is one word more than "Deir Ezzor"
            for i in range(len(words) - width + 1):
                if same_name_spelled(name, " ".join(words[i : i + width])):
                    return True
    return False


def initials(name: str) -> str:
    """"Syrian Observatory for Human Rights" -> "SOHR": the capitals of its words."""
    return "".join(w[0] for w in re.findall(r"[A-Za-z][\w'’-]*", name) if w[0].isupper())


def runs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, words) of the runs of capitalised words in text: the names it may
    hold, before anyone says which are names."""
    return [(m.start(), m.end(), m.group(0)) for m in _RUN.finditer(text)]


def acronyms_spelled_out(text: str) -> dict[str, str]:
    """Acronyms a text spells out: each run of two or more capitalised words, by its
    initials ("SOHR" -> "Syrian Observatory for Human Rights"), and so is each run's tail
    from a capitalised word ("the Britain-based Syrian Observatory for Human Rights")."""
    found: dict[str, str] = {}
    for _, _, run in runs(text):
        words = run.split()
        for first in range(len(words)):
            tail = words[first:]
            if tail[0].lower() in STOP_WORDS or not tail[0][:1].isupper():
                continue  # "The Syrian Observatory ...": from "Syrian"
            if len([w for w in tail if w.lower() not in JOINERS]) >= 2:
                found.setdefault(initials(" ".join(tail)).upper(), " ".join(tail))
    return found


def is_function_word(word: str) -> bool:
    return word.lower() in STOP_WORDS
