"""Who a statement (a model's sentence) says makes its claim, as written."""

from __future__ import annotations

import re

from retrieval.language.en.answers import OPENERS
from retrieval.language.en.places import PLACE_PREPOSITIONS
from retrieval.language.en.speech import ATTRIBUTION_PHRASES, SPEAKER_PRONOUNS, SPEECH_VERBS
from retrieval.language.names import JOINERS


_PRONOUNS = SPEAKER_PRONOUNS | {"it", "we", "i", "you"}


def claimed_in(statement: str) -> list[str]:
    """Who a statement (a model's sentence) says makes its claim: "According to X",
    "X said", "X reported", as written."""
    found = _heading(statement) + _after_phrases(statement) + _before_verbs(statement)
    names = []
    for _, name in sorted(found):
        name = re.sub(r"^(?:the|a|an)\s+", "", name.strip(" ,.;:"), flags=re.IGNORECASE)
        if name.lower() in _PRONOUNS:
            continue  # "It said ...", "They reported ...": whom it stands for is the report's to say
        if name and name not in names:
            names.append(name)
    return names


def _heading(statement: str) -> list[tuple[int, str]]:
    """"SOHR: at least 22 killed", "Daily Sabah (dailysabah.com): 35": a source heading
    its figure (without what it writes in brackets)."""
    heading = re.match(r"^[-•*\s]*((?:the\s+)?[A-Z][\w'’.&/-]*(?:\s+(?:[A-Z][\w'’.&/-]*|of|for|the|and|al-\w+|\([^)]*\))){0,8})\s*:\s", statement)
    if heading and heading.group(1).lower() not in OPENERS:
        return [(heading.start(1), re.sub(r"\s*\([^)]*\)", "", heading.group(1)))]
    return []


def _after_phrases(statement: str) -> list[tuple[int, str]]:
    """"According to X", "citing X": the words after the phrase, up to punctuation or a
    verb of saying."""
    found = []
    for phrase in ATTRIBUTION_PHRASES:
        pattern = rf"\b{re.escape(phrase)}\s+((?:the\s+|a\s+|an\s+)?(?:[\w'’.-]+\s+){{0,8}}?[\w'’.-]+?)(?=\s*(?:[,;:]|\s+(?:said|says|reported|told|claimed|that|who|which)\b|$|\s*[(\[]))"
        for m in re.finditer(pattern, statement, re.IGNORECASE):
            found.append((m.start(1), m.group(1)))
    return found


def _before_verbs(statement: str) -> list[tuple[int, str]]:
    """"X said", "X reported": the capitalised words (and joiners) before a verb of
    saying, without a joiner or "according" leading them."""
    found = []
    verbs = "|".join(sorted(SPEECH_VERBS))
    for m in re.finditer(rf"((?:[A-Z][\w'’.-]*|al-\w+|of|for|the|and)(?:\s+(?:[A-Z][\w'’.-]*|al-\w+|of|for|the|and)){{0,8}})\s+(?:{verbs})\b", statement):
        words = m.group(1).strip().split()
        while words and words[0].lower() in JOINERS | {"according"}:
            words = words[1:]
        before = statement[: m.start(1)].split()[-1:]
        if before and before[0].lower() in PLACE_PREPOSITIONS:
            continue  # "a doctor in Aleppo said", "head of its programme in Turkey described": where the speaker is
        if words:
            found.append((m.start(1), " ".join(words)))
    return found
