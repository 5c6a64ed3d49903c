"""Sources named by their role ("a medical source", "local activists", "Syrian state
media"), from the role nouns of ``language.en.speech``; and a role written with a name
("the Syrian Observatory for Human Rights monitoring group"), which describes it."""

from __future__ import annotations

from dataclasses import replace

from retrieval.answer.attribution.speaker import Speaker
from retrieval.answer.attribution.words import DETERMINERS, Token, Words
from retrieval.answer.report import ReportView
from retrieval.language.en.speech import SOURCE_ROLES, SPEECH_VERBS
from retrieval.language.en.stop_words import STOP_WORDS

ROLE_MODIFIERS = 4  # "a senior military source": words before a role noun
ROLE_PLACE_WORDS = 5  # "a source in Salamiyeh National Hospital": words after it


def read_roles(view: ReportView, tokens: list[Token], words: Words) -> list[Speaker]:
    """Sources named by their role: "a medical source", "local activists", "Syrian
    state media", "the Islamic State (IS) group". The words before the noun belong to
    it back to a determiner, or back to the first capitalised word where there is
    none ("the explosion NNA correspondent" is "NNA correspondent"); "a medical
    source and witnesses" is one source."""
    found: list[Speaker] = []
    for i, token in enumerate(tokens):
        opens = i == 0 or tokens[i - 1].ends_sentence  # "Activists said ...": capitalised as a sentence's first word
        if not _is_role_noun(tokens, i, opens):
            continue
        start = _role_start(view, tokens, i, words)
        if found and found[-1].anonymous and view.text[found[-1].end : start].strip().lower() == "and":
            start = found.pop().start  # "a medical source and witnesses"
        end = _role_end(tokens, i)
        words_of_name = view.text[start:end].split()
        if opens and start == token.start:
            words_of_name = words_of_name[1:]  # its capital is the sentence's, not a name's
        named = any(w[:1].isupper() and "-" not in w and w.lower() not in DETERMINERS for w in words_of_name)
        found.append(Speaker(view.text[start:end], start, end, anonymous=not named))
    return found


def _is_role_noun(tokens: list[Token], i: int, opens: bool) -> bool:
    """A role noun written in lower case (or first in its sentence) that names who
    speaks, not what another noun is."""
    token = tokens[i]
    if token.plain not in SOURCE_ROLES or not (token.word[:1].islower() or opens):
        return False
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    # "military targets", "police station": the role noun describes a noun
    return not (
        following is not None
        and following.word[:1].islower()
        and following.plain not in SPEECH_VERBS
        and following.plain not in STOP_WORDS
    )


def _role_start(view: ReportView, tokens: list[Token], i: int, words: Words) -> int:
    """Where the source named by the role noun tokens[i] starts: at the determiner
    before its modifiers, or at its first modifier; where no determiner opens them and
    a lower-case word comes before the first capitalised one, at that one ("the
    explosion NNA correspondent" is "NNA correspondent")."""
    j, start, capital = _modifiers_before(tokens, i, words)
    if capital is not None and (j == 0 or tokens[j - 1].plain not in DETERMINERS):
        before = view.text[start:capital].strip()
        if before and not before[:1].isupper():
            return capital
    return start


def _modifiers_before(tokens: list[Token], i: int, words: Words) -> tuple[int, int, int | None]:
    """The words before the role noun tokens[i] that belong to it (at most
    ROLE_MODIFIERS, brackets aside, back to a determiner): the index of the first
    token kept, where they start, and where the last capitalised one read (the first
    in the text) starts, unless a determiner opens them."""
    j, start = i, tokens[i].start
    capital = None
    while j > 0 and i - j < ROLE_MODIFIERS:
        previous = tokens[j - 1]
        if previous.word in ("(", ")"):
            j -= 1
            continue
        if previous.plain in DETERMINERS:
            return j, previous.start, None
        if not words.is_modifier(previous):
            break
        j -= 1
        start = previous.start
        if previous.word[:1].isupper():
            capital = previous.start
    return j, start, capital


def _role_end(tokens: list[Token], i: int) -> int:
    """Where the source named by the role noun tokens[i] ends: after the noun, or after
    the place or body it belongs to ("a source in Salamiyeh National Hospital", "a
    source at Aleppo province"), which is part of how the report names the source."""
    token = tokens[i]
    end = _end_of_word(token)
    k = i + 1
    if token.ends_sentence or not (k + 1 < len(tokens) and tokens[k].plain in ("in", "at", "from", "of") and tokens[k + 1].word[:1].isupper()):
        return end
    k += 1
    while k < len(tokens) and k - i <= ROLE_PLACE_WORDS and (tokens[k].word[:1].isupper() or tokens[k].plain in ("province", "hospital", "city")):
        end = _end_of_word(tokens[k])
        if tokens[k].ends_sentence:
            break
        k += 1
    return end


def _end_of_word(token: Token) -> int:
    """Where a token's word ends, without the punctuation written after it."""
    return token.start + len(token.word.rstrip(".,;:"))


def apposed_roles(text: str, names: list[Speaker], roles: list[Speaker]) -> list[Speaker]:
    """A role written right after a name, or run into its end ("the Syrian Observatory
    for Human Rights monitoring group"), describes that name: one candidate, the name
    with the role."""
    kept: list[Speaker] = []
    merged: dict[int, Speaker] = {}
    for role in roles:
        owner = next(
            (n for n in names if n.organisation and n.start < role.start <= n.end + 1 and role.end > n.end), None
        )
        if owner is None:
            kept.append(role)
            continue
        described = text[owner.end : role.end].strip(" ,")
        merged[owner.start] = replace(owner, end=role.end, role=described or None)
    return [merged.get(n.start, n) for n in names] + kept
