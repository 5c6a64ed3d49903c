"""Who can be a speaker by name: the people and organisations of a report, read from its
recognised entities and from capitalised words the collection writes as names, never a
place or a date."""

from __future__ import annotations

from retrieval.answer.attribution.speaker import Speaker
from retrieval.answer.attribution.words import Token, Words
from retrieval.answer.report import Region, ReportView
from retrieval.index.entities import SPEAKERS, Entity
from retrieval.language.en.speech import SPEECH_VERBS, TITLES
from retrieval.language.en.stop_words import STOP_WORDS
from retrieval.language.names import JOINERS


def read_names(view: ReportView, region: Region, tokens: list[Token], words: Words) -> list[Speaker]:
    """People and organisations in region: recognised entities, and runs of name
    words the recogniser missed; never a place or a date."""
    found: list[Speaker] = []
    taken: set[int] = set()
    for entity in view.entities(region):
        name = _recognised_name(view, entity, words)
        if name is not None:
            found.append(name)
            taken.update(range(entity.start, entity.end))
    i = 0
    while i < len(tokens):
        if tokens[i].start in taken or not words.is_name_word(tokens[i].word):
            i += 1
            continue
        j = _end_of_run(tokens, i, words)
        name = _unrecognised_name(view, tokens, i, j, found, words)
        if name is not None:
            found.append(name)
        i = j
    return sorted(found, key=lambda s: s.start)


def _recognised_name(view: ReportView, entity: Entity, words: Words) -> Speaker | None:
    """The person or organisation an entity names, trimmed to its name."""
    if entity.label not in SPEAKERS:
        return None
    following = view.text[entity.end : entity.end + 20].split()[:1]
    if entity.label == "NORP" and following and following[0][:1].islower():
        return None  # "Syrian state television": an adjective, not who speaks
    name = words.trim(view.text[entity.start : entity.end], recognised=True)
    if not name or words.is_place_or_date(name):
        return None
    at = view.text.find(name, entity.start, entity.end)
    # "Ercan Topaca the Governor of Hatay": a name with a person's title after it is a
    # person, whatever label the recogniser gave it.
    titled = [w.lower().strip(",.") for w in view.text[at + len(name) : at + len(name) + 40].split()[:2]]
    person = entity.label == "PERSON" or (bool(titled) and (titled[0] in TITLES or (titled[0] in ("the", "a") and len(titled) > 1 and titled[1] in TITLES)))
    return Speaker(name, at, at + len(name), person=person, organisation=entity.label == "ORG" and not person)


def _end_of_run(tokens: list[Token], i: int, words: Words) -> int:
    """Where the run of name words starting at token i ends: at a sentence's end, or
    at a word that is no name word; a joiner ("of", "bin") goes on only before one."""
    j = i + 1
    while j < len(tokens) and not tokens[j - 1].ends_sentence and (
        words.is_name_word(tokens[j].word)
        or (tokens[j].plain in JOINERS and j + 1 < len(tokens) and words.is_name_word(tokens[j + 1].word))
    ):
        j += 1
    return j


def _unrecognised_name(
    view: ReportView, tokens: list[Token], i: int, j: int, found: list[Speaker], words: Words
) -> Speaker | None:
    """The speaker the name words tokens[i:j] name, if any: a surname of a person
    already found, or a name that is no place or date and not part of one found."""
    token = tokens[i]
    if _is_adjective(tokens, i, j):
        return None  # "Syrian state television": one capitalised word used as an adjective
    name = words.trim(view.text[token.start : tokens[j - 1].end])
    if _is_surname(name, found) and not _covered(found, token.start):
        return Speaker(name, token.start, token.start + len(name), person=True)  # "Khalil" of "Nawaf Khalil"
    placed = any(words.collection.is_place(w) for w in name.split() if w[:1].isupper() and not w.isupper())
    if not name or placed or words.is_place_or_date(name):
        return None
    start = view.text.find(name, token.start)
    if _covered(found, start):
        return None
    return Speaker(name, start, start + len(name))


def _is_adjective(tokens: list[Token], i: int, j: int) -> bool:
    """One capitalised word (not an acronym) before a lower-case word that is neither a
    verb of saying nor a function word, in the same sentence."""
    token = tokens[i]
    following = tokens[j] if j < len(tokens) else None
    return (
        j == i + 1
        and not token.word.isupper()
        and following is not None
        and following.word[:1].islower()
        and following.plain not in SPEECH_VERBS | STOP_WORDS
        and not token.ends_sentence
    )


def _is_surname(name: str, found: list[Speaker]) -> bool:
    """The last word of a person's full name found before."""
    return any(p.person and " " in p.name and p.name.split()[-1] == name for p in found)


def _covered(found: list[Speaker], at: int) -> bool:
    """Whether a position lies inside a name already found."""
    return any(s.start <= at < s.end for s in found)
