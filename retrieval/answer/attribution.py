"""Who, inside a report, makes a claim: "according to X", "X said", "said X",
"X reported", "X told AFP", "a source at X told Reuters".

Deterministic: patterns over the text of the quote and its surroundings in the stored
report, nearest first (inside the quote, then just after it, then just before it). What
it returns is the name exactly as the report spells it. A source is a person, an
organisation or an outlet, never a place or a date: which capitalised words are places
(or peoples' adjectives) is told by the collection (``Vocabulary``), not by a list here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.language import MONTHS, SPEECH_VERBS, WEEKDAYS

AFTER_CHARS = 220
NAME_SLACK = 80
BEFORE_CHARS = 300

# A name: capitalised words, allowing a few lower-case joiners ("Regional Observatory for
# Human Rights", "the state news agency NNA", "Harbor Institutes Varno
# regional office").
_CAP = r"(?:[A-Z][\w'’.\-]*|al-[A-Z][\w\-]*)"
_JOIN = r"(?:of|for|the|and|al|de|state|news|agency|regional|office|local|official|spokesman|spokeswoman|director|minister|ministry|police|command|source|sources|group|monitor)"
_NAME = rf"{_CAP}(?:\s+(?:{_JOIN}\s+)*{_CAP}){{0,8}}"
# Lower-case words that finish a source's name: "the Greek coast guard", "Gujarat police".
_ROLE = r"(?:coast guard|police|officials?|sources?|activists?|residents?|witnesses|authorities|army|forces|media|monitor|ministry)\b"
_TITLE = r"(?:head|director|spokes(?:man|woman|person)|chief|leader|minister|official|commander|researcher|president|chairman|governor|ambassador|envoy|founder)"
_AGENCY = r"(?:[A-Z]{2,}|Reuters|Xinhua|Sputnik)"  # news agencies: acronyms, and the world's big ones
# A source named by its role, in lower case: "the city fire service", "a hospital source",
# "the regional health office", "local officials".
_ROLE_NOUN = (
    r"(?:service|office|department|ministry|source|sources|officials?|police|authorities|monitor|agency|"
    r"coast guard|civil defence|civil defense|rescuers|rescue workers|residents|witnesses|activists|spokes(?:man|woman|person))"
)
_ROLE_SOURCES = [
    re.compile(rf"\baccording to (?P<name>(?:the |a |an )?(?:[a-z\-]+ ){{0,3}}{_ROLE_NOUN})\b"),
    re.compile(rf"(?:^|[,.;] |\b(?:and|but) )(?P<name>(?:the |a |an )(?:[a-z\-]+ ){{0,3}}{_ROLE_NOUN}) (?:{SPEECH_VERBS})\b"),
    re.compile(rf"\b{SPEECH_VERBS} (?P<name>(?:the |a |an )(?:[a-z\-]+ ){{0,3}}{_ROLE_NOUN})(?=[,.;]|$| [a-z])"),
]

_PATTERNS = [
    re.compile(rf"\baccording to (?:the |a |an )?(?P<name>(?:[a-z]+\s+){{0,4}}{_NAME}(?:\s+{_ROLE})?)"),
    # "shared on Twitter by a local supporter activist known as Dr Quill"
    re.compile(
        rf"\b(?:reported|quoted|cited|announced|shared|posted|published|released|uploaded)(?: on [A-Z]\w+)? by "
        rf"(?:the |a |an )?(?:(?:[\w\-]+ ){{0,5}}?(?:known as|named|called) |(?:[a-z][\w\-]* ){{0,4}}?)(?P<name>{_NAME})"
    ),
    re.compile(rf"\b{SPEECH_VERBS} (?P<name>{_NAME})(?=\s+(?:[a-z]|$)|[,.;]|$)"),
    _SPEAKER_SAID := re.compile(rf"(?P<name>{_NAME}) (?:{SPEECH_VERBS})\b"),
    # "Lena Hart head of HRCS's health program in Turkey described ..."
    # "Ivo Marsh deputy emergencies director at the New York-based group says ..."
    _TITLED_SPEAKER := re.compile(
        rf"(?P<name>{_NAME}),? (?:the |a |an )?(?:[a-z\-]+ ){{0,2}}{_TITLE}\b[^.;\"]{{0,90}}? (?:{SPEECH_VERBS})\b"
    ),
    re.compile(rf"\b(?:told|to) (?P<name>{_AGENCY})\b"),
]
# Patterns whose name comes before the claim verb ("US Army Col. Ann Petrov wrote"): a
# name read back over a full stop ("Monday. US Army ...") keeps what follows it.
_NAME_BEFORE_VERB = {_SPEAKER_SAID, _TITLED_SPEAKER}
_ABBREVIATIONS = {"Col.", "Gen.", "Dr.", "Mr.", "Mrs.", "Ms.", "Lt.", "Maj.", "Capt.", "Sgt.", "Brig.", "Sen.", "Rep.", "Gov.", "Prof.", "St.", "Jr."}
_AGENCY_NAME = re.compile(_AGENCY)
# "... he told AFP": the claim is the speaker's, named earlier in the report.
_PRONOUN_SPEECH = re.compile(rf"\b(?:[Hh]e|[Ss]he) (?:(?:later|also|then|further|\w+ly) )?(?:{SPEECH_VERBS})\b")
PRONOUN_REACH = 600

# Capitalised words that start sentences or are not sources.
# Capitalised words that start a new sentence (texts may have no full stops) or are
# page furniture; a name ends before them.
_SENTENCE_STARTERS = {
    "The", "A", "An", "It", "He", "She", "They", "We", "I", "This", "That", "These", "Those",
    "There", "In", "On", "At", "But", "And", "Also", "However", "Video", "Videos", "Later",
    "Earlier", "Share", "Be", "Sociable", "Up", "Some", "Many", "More", "Such", "Their", "His",
    "Her", "Its", "Our", "Meanwhile", "Chemical", "Armed", "If", "When", "While", "As", "After", "Before",
    *WEEKDAYS,
}
_NOT_A_NAME = _SENTENCE_STARTERS | set(MONTHS)
_JOINERS = {"of", "for", "the", "and", "al", "de"}


def _ends_sentence(word: str) -> bool:
    return word.endswith(".") and len(word) > 3 and word not in _ABBREVIATIONS


_TAIL = re.compile(
    rf"[^\w\n]*(?:\S+[^\S\n]+){{0,5}}?(?:according to|said|reported by|quoted by|told) (?:the |a |an )?(?:[a-z]+[^\S\n]+){{0,4}}(?P<name>{_NAME})"
)


class Attribution:
    """Finds who makes a claim in a report. is_place tells place names (no source, and
    cut from the front of one: "Kessel Governor X"); is_adjective a people's adjective,
    no source alone but part of a name ("Regional Observatory"). Without them only
    sentence openers and calendar words are refused."""

    def __init__(
        self, is_place: Callable[[str], bool] | None = None, is_adjective: Callable[[str], bool] | None = None
    ) -> None:
        self.is_place = is_place or (lambda word: False)
        self.is_adjective = is_adjective or (lambda word: False)

    def not_a_source(self, word: str) -> bool:
        return self.is_place(word) or self.is_adjective(word)

    def _clean(self, name: str) -> str | None:
        # "said Wednesday." is a day, not a source: the full stop ends the sentence.
        words = name.strip(" ,.;:'\"").split()
        while words and (
            words[0].lower() in {"the", "a", "an"}
            # "fighting the PKK Fenn said": in unpunctuated text an acronym before a
            # person's name ends the sentence before it
            or (len(words) == 2 and words[0].isupper() and len(words[0]) > 1 and not words[1].isupper() and words[1][:1].isupper())
            or words[0] in WEEKDAYS  # "according to Thursday state news agency NNA"
            or (words[0][:1].islower() and not words[0].startswith("al-"))
            or (len(words) > 1 and self.is_place(words[0]))  # "Kessel Governor X": the place goes
        ):
            words = words[1:]
        kept: list[str] = []
        for word in words:
            if kept and word in _SENTENCE_STARTERS:
                break
            kept.append(word)
            if _ends_sentence(word):  # "Peskov. The" ends a sentence; "U.S." and "Col." do not
                kept[-1] = word.rstrip(".")
                break
            if len(word) >= 2 and word.isupper() and len(kept) > 1:
                break  # "the state news agency NNA": an acronym closes the name
        while kept and kept[-1].lower() in _JOINERS:
            kept.pop()
        if not kept or all(w in _NOT_A_NAME or self.not_a_source(w) or w.lower() in _JOINERS for w in kept):
            return None  # "by Tellin", "according to Norlands Kessel": places are no source
        return " ".join(kept)

    def _find(self, text: str) -> list[tuple[int, str]]:
        """(position, name) of every attribution in text: named sources, then sources
        named by their role ("the city fire service") where no name is given."""
        found = self._find_named(text)
        if not found:
            for pattern in _ROLE_SOURCES:
                found += [(m.start("name"), m.group("name")) for m in pattern.finditer(text)]
        return found

    def _find_named(self, text: str) -> list[tuple[int, str]]:
        found = []
        for pattern in _PATTERNS:
            for match in pattern.finditer(text):
                raw, at = match.group("name"), match.start("name")
                if pattern in _NAME_BEFORE_VERB:
                    ends = [m.end() for m in re.finditer(r"\S+\.(?=\s)", raw) if _ends_sentence(m.group(0))]
                    if ends:
                        skipped = len(raw[ends[-1] :]) - len(raw[ends[-1] :].lstrip())
                        raw, at = raw[ends[-1] + skipped :], at + ends[-1] + skipped
                name = self._clean(raw)
                if name:
                    found.append((at, name))
        return found

    def _speaker_before(self, document: str, at: int) -> str | None:
        """Whom a "he said" at document[at] refers to: the last person (a name of two words
        or more, not a news agency) named as saying something before it."""
        window = max(0, at - PRONOUN_REACH)
        people = [m for m in self._find(document[window:at]) if len(m[1].split()) >= 2 and not _AGENCY_NAME.fullmatch(m[1])]
        return max(people)[1] if people else None

    def _inside(self, document: str, start: int, end: int) -> list[tuple[int, str]]:
        """Who the quote document[start:end] itself says makes its claim, in order; "he
        told AFP" is the person named before, not the agency that heard it."""
        # A quote may begin inside a name ("Without Borders said ..."): read the name whole.
        lead = max(0, start - NAME_SLACK)
        inside = [(lead + p, name) for p, name in self._find(document[lead:end]) if lead + p + len(name) > start]
        # "Dana Whitfield told AFP" is Dana Whitfield's claim: an agency that heard
        # it comes after whoever made it.
        inside.sort(key=lambda found: bool(_AGENCY_NAME.fullmatch(found[1])))
        pronoun = _PRONOUN_SPEECH.search(document, start, end)
        if pronoun and all(_AGENCY_NAME.fullmatch(name) for _, name in inside):
            speaker = self._speaker_before(document, pronoun.start())
            if speaker:
                return [(pronoun.start(), speaker)]
        return inside

    def _full_name(self, document: str, name: str, at: int) -> str:
        """"Fenn said" is the "Omar Fenn" the report named before: a one-word source
        is given the fuller name that ends in it, nearest first."""
        if " " in name or not name[:1].isupper() or name.isupper():  # "NNA" is whole
            return name
        fuller = [m.group(0) for m in re.finditer(rf"\b(?:[A-Z][\w'\-]+\s+){{1,2}}{re.escape(name)}\b", document[:at])]
        # "the PKK Fenn said": an acronym before a name is the end of the sentence before.
        fuller = [
            f for f in fuller if not any(w in _NOT_A_NAME or w.isupper() or self.not_a_source(w) for w in f.split()[:-1])
        ]
        return fuller[-1] if fuller else name

    def attribute(self, document: str, start: int, end: int) -> str | None:
        """Who makes the claim quoted as document[start:end], or None if the report doesn't say."""
        name = self._nearest_source(document, start, end)
        return self._full_name(document, name, start) if name else None

    def _nearest_source(self, document: str, start: int, end: int) -> str | None:
        """Inside the quote, then just after it, then just before it."""
        inside = self._inside(document, start, end)
        if inside:
            return inside[0][1]
        # Read past the window so a name is never cut short; keep only matches that begin in it.
        after = [m for m in self._find(document[end : end + AFTER_CHARS + NAME_SLACK]) if m[0] < AFTER_CHARS]
        if after:
            return min(after)[1]
        before = self._find(document[max(0, start - BEFORE_CHARS) : start])
        return max(before)[1] if before else None

    def claimed_sources(self, text: str) -> list[str]:
        """Who a sentence says makes its claim ("according to X", "X said"), as written."""
        return [name for _, name in sorted(self._find(text))]

    def sources_at(self, document: str, start: int, end: int) -> list[str]:
        """Who the quote document[start:end] itself, or the words right after it, say
        makes the claim."""
        names = [name for _, name in self._inside(document, start, end)]
        tail = self.attribution_tail(document, end)
        if tail is not None:
            names += self.claimed_sources(document[end:tail])
        return names


    def attribution_tail(self, document: str, end: int) -> int | None:
        """If the words right after a quote say who said it ("... according to the Norlandian
        Observatory of Human Rights"), the offset where that attribution ends."""
        match = _TAIL.match(document, end, min(len(document), end + AFTER_CHARS))
        if not match or "\n" in match.group(0):  # an attribution never crosses a paragraph
            return None
        name = self._clean(match.group("name"))
        if not name:
            return None
        found = document.find(name, match.start("name"), match.end("name") + 1)
        return found + len(name) if found >= 0 else None
