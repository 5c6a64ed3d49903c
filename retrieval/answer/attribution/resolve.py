"""A speaker by the fullest name the report gives it: a short name by the longer one
it stands for, a role by the organisation the report pins it on, either beside it
("the Syrian Observatory for Human Rights, a Britain-based monitoring group") or in
the claim after it."""

from __future__ import annotations

import re
from dataclasses import replace

from retrieval.answer.attribution.analysis import Analysis
from retrieval.answer.attribution.roles import ROLE_MODIFIERS
from retrieval.answer.attribution.speaker import Speaker
from retrieval.answer.attribution.words import DETERMINERS, Token, Words
from retrieval.answer.report import Region, ReportView
from retrieval.language.en.speech import ORGANISATION_ROLES, SOURCE_ROLES
from retrieval.language.names import JOINERS
from retrieval.language.terms import term_set

APPOSITION_GAP = 3  # words between a name and the role that describes it ("X, a monitoring group")
NAMED_NEXT_CHARS = 400  # how far after "a monitor said" the monitor is looked for by name


def resolve(view: ReportView, analysis: Analysis, words: Words, speaker: Speaker) -> Speaker:
    """The fullest name the report gives a speaker: "Fenn" is the "Omar Fenn" named
    before, "the Observatory" the "Syrian Observatory for Human Rights", "a monitor"
    the organisation the report calls a monitoring group."""
    if speaker.anonymous:
        named = _apposed(analysis, words, speaker) or _named_next(view, analysis, speaker)
        return replace(speaker, name=named, role=speaker.name, anonymous=False) if named else speaker
    if speaker.name.isupper() or speaker.role:
        return speaker
    if " " in speaker.name:
        return _longer_name(analysis, speaker)
    return _fuller_name(view, words, speaker)


def _fuller_name(view: ReportView, words: Words, speaker: Speaker) -> Speaker:
    """A one-word name ("Fenn", "Observatory") is the nearest run of name words around
    it in the report ("Omar Fenn", "Syrian Observatory for Human Rights")."""
    labels = next(iter(words.collection.labels([speaker.name]).values()), {})
    if labels.get("NORP", 0) * 2 > sum(labels.values()):
        return speaker  # "Syrian" is a people's adjective, not a short name of an organisation
    word = re.escape(speaker.name)
    fuller = [
        m for m in re.finditer(rf"\b(?:[A-Z][\w'’-]+\s+(?:(?:of|for|the|and)\s+)*){{0,3}}{word}\b(?:\s+(?:(?:of|for|the|and)\s+)*[A-Z][\w'’-]+){{0,4}}", view.text)
        if m.group(0) != speaker.name and all(words.is_name_word(w) for w in m.group(0).split() if w not in JOINERS)
    ]
    if not fuller:
        return speaker
    nearest = min(fuller, key=lambda m: abs(m.start() - speaker.start))
    return replace(speaker, name=words.trim(nearest.group(0), recognised=True) or speaker.name)


def _longer_name(analysis: Analysis, speaker: Speaker) -> Speaker:
    """"the Britain-based Observatory" is the "Syrian Observatory for Human Rights" the
    report names: a name whose words, its modifiers ("X-based") aside, are all in a
    longer organisation name of the report."""
    words = [w for w in speaker.name.split() if "-" not in w and w.lower() not in JOINERS]
    if not words or len(words) == len(speaker.name.split()):
        return speaker
    keys = {w.lower() for w in words}
    longer = [
        c for c in analysis.candidates
        if c.organisation and len(c.name.split()) > len(words) and keys <= {w.lower() for w in c.name.split()}
    ]
    if not longer:
        return speaker
    return replace(speaker, name=min(longer, key=lambda c: abs(c.start - speaker.start)).name)


def _apposed(analysis: Analysis, words: Words, speaker: Speaker) -> str | None:
    """The organisation a role describes: "the Syrian Observatory for Human Rights, a
    Britain-based monitoring group" (or "... (SOHR) an independent group") makes "a
    monitor" that organisation."""
    head = term_set(speaker.name.split()[-1])
    if not head:
        return None
    for c in analysis.candidates:
        described = _role_after(analysis, words, c)
        if described is not None and head & term_set(" ".join(described)):
            return c.name
    return None


def _role_after(analysis: Analysis, words: Words, c: Speaker) -> list[str] | None:
    """The words of the role written right after an organisation's name of two words
    or more, from its determiner ("..., a Britain-based monitoring group"), leaving out
    brackets, commas and an acronym ("(SOHR)"); None where no determiner follows."""
    if c.anonymous:
        return None
    i = analysis.index_of_start.get(c.start)
    if not c.organisation or len(c.name.split()) < 2 or i is None:
        return None
    j = i + len(c.name.split())
    following = [t for t in analysis.tokens[j : j + APPOSITION_GAP + ROLE_MODIFIERS] if t.word not in ("(", ")", ",")]
    while following and following[0].word.isupper() and following[0].word != "A":  # "(SOHR)"
        following = following[1:]
    if not following or following[0].plain not in DETERMINERS:
        return None
    return _role_words(words, following[1:])


def _role_words(words: Words, following: list[Token]) -> list[str]:
    """The modifiers after a determiner, up to and with the role noun they lead to."""
    described = []
    for t in following:
        if not words.is_modifier(t) and t.plain not in SOURCE_ROLES:
            break
        described.append(t.plain)
        if t.plain in SOURCE_ROLES:
            break
    return described


def _named_next(view: ReportView, analysis: Analysis, speaker: Speaker) -> str | None:
    """News style introduces a source by its role and names it next: "... a
    monitoring group said. The Syrian Observatory for Human Rights said ..." The role
    of an organisation (never of a person: "a medical source" stays one) is the first
    organisation credited with a claim in the sentences after it."""
    words = speaker.name.lower().split()
    if not words or words[-1] not in ORGANISATION_ROLES:
        return None
    following = analysis.attributions_in(Region(speaker.end, min(len(view.text), speaker.end + NAMED_NEXT_CHARS)))
    for other in following:
        if not other.anonymous and not other.person and len(other.name.split()) >= 2:
            return other.name
    return None
