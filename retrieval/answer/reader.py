"""The first step: a question as typed becomes one immutable ``Question``.

What it asks for is read from the words of asking (``language.en.questions``), what it
counts from the words after "how many", its dates with ``dateparser``
(``language.dates``), and its names by what the collection calls them: a name the entity
recogniser labelled a place across the reports is a place ("Tall Tawil", however the
question capitalises it), any other capitalised name pins the incident too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice, takewhile

from retrieval.answer.collection import Collection
from retrieval.answer.filters import read_filters
from retrieval.answer.question import Counted, Incident, Intent, Kind, Question
from retrieval.index.search import SearchFilter
from retrieval.language import phrases
from retrieval.language.dates import dates_in
from retrieval.language.identify import non_english_language
from retrieval.language.en import questions as asking
from retrieval.language.en.calendar import is_calendar_word
from retrieval.language.en.lex_attrs import like_num
from retrieval.language.en.harm import ATTACKS, CHILDREN, KILLED, PEOPLE, WOUNDED
from retrieval.language.en.speech import SPEECH_VERBS
from retrieval.language.en.stop_words import STOP_WORDS
from retrieval.language.names import key_words, runs
from retrieval.language.numbers import number_values
from retrieval.language.terms import term_set

MAX_PLACE_WORDS = 3  # the longest place name looked up among a question's words
MAX_COUNTED_WORDS = 3  # "how many teaching staff": the words of what is counted
MAX_FOCUS_WORDS = 3

_KILLED = term_set(" ".join(KILLED))
_WOUNDED = term_set(" ".join(WOUNDED))
_PEOPLE = term_set(" ".join(PEOPLE))
_CHILDREN = term_set(" ".join(CHILDREN))
_ASKING = term_set(" ".join(asking.ASKING_WORDS))
_WORD = re.compile(r"[\w'’-]+|[?%$€£]")


@dataclass(frozen=True)
class Asked:
    """What the pipeline is given: the question as typed, the questions before it in a
    follow-up thread, and a filter from the command line, if any."""

    question: str
    previous: tuple[str, ...] = ()
    where: SearchFilter | None = None


class QuestionReader:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def run(self, asked: Asked) -> Question:
        text, filters = read_filters(asked.question.strip(), self.collection.outlets(), asked.where)
        search = " ".join([*asked.previous[-2:], text]) if asked.previous else text
        kinds = wanted_kinds(text)
        counted = counted_of(text) if kinds & {Kind.COUNT} else None
        places, names = self._names(search)
        mentions = dates_in(search)
        anchors = frozenset(term_set(" ".join(places + names)) - _ASKING)
        return Question(
            asked=asked.question,
            text=text,
            search=search,
            intent=intent_of(text, kinds),
            kinds=kinds,
            terms=frozenset(term_set(search) - _ASKING),
            incident=Incident(
                tuple(places),
                tuple(names),
                mentions[0].dates if mentions else None,
                anchors,
                number_values(search),
                frozenset(v for m in mentions for v in number_values(m.text) | _days(m.dates)),
            ),
            filters=filters,
            counted=counted,
            units=units_of(text, kinds, counted),
            focus=focus_of(text),
            responsibility=asks_responsibility(text),
            source=source_of(text),
            language=non_english_language(text),
            words=frozenset(key_words(search)),
        )

    def _names(self, text: str) -> tuple[list[str], list[str]]:
        """(places, other names) of text: capitalised runs, and runs of words the collection
        knows as a place whatever their case."""
        candidates = [part for _, _, run in runs(text) for part in re.split(r"['’]s\s+", run)]
        candidates = [_strip_question_words(run) for run in candidates]
        words = [w for w in _WORD.findall(text) if w.isalnum() or "-" in w]
        grams = dict.fromkeys(  # in the question's order, so that every run reads it alike
            " ".join(words[i : i + n])
            for n in range(1, MAX_PLACE_WORDS + 1)
            for i in range(len(words) - n + 1)
            if words[i].lower() not in STOP_WORDS and words[i + n - 1].lower() not in STOP_WORDS
        )
        # A place written in lower case ("in al-bab"): a name the collection writes
        # capitalised, not a word that often follows "in" ("in central Damascus", "west").
        lower_places = [g for g in grams if not g[:1].isupper() and self.collection.is_name_word(g.split()[0]) and self.collection.is_place(g)]
        places, names = [], []
        for run in [c for c in candidates if c] + lower_places:
            if self.collection.is_place(run):
                places.append(run)
            else:
                names.append(run)
        return list(dict.fromkeys(places)), list(dict.fromkeys(names))


def _days(dates) -> frozenset[str]:
    """The numbers a date range is written with: its first and last days, and years."""
    return frozenset(str(n) for n in (dates.start.day, dates.end.day, dates.start.year, dates.end.year))


def _strip_question_words(run: str) -> str:
    """"How Tall Tawil" -> "Tall Tawil"; "October" -> "" (dates are read as dates)."""
    words = run.split()
    while words and (words[0].lower() in STOP_WORDS or words[0].lower() in asking.ASKING_WORDS):
        words = words[1:]
    if all(is_calendar_word(w) for w in words):
        return ""
    return " ".join(words)


def wanted_kinds(text: str) -> frozenset[Kind]:
    """The kinds of answer a question asks for, from its words of asking."""
    kinds: set[Kind] = set()
    lowered = text.lower()
    opening = " ".join(lowered.split()[:4])
    asked_about = focus_of(text)
    kinds.update(_figure_kind(lowered, asked_about))
    kinds.update(_moment_kind(lowered, opening))
    kinds.update(_actor_kinds(lowered, opening))
    focus = asked_about - asking.MEASURE_WORDS
    kinds.update(_focus_kind(focus, lowered, asks_speaker=Kind.SPEAKER in kinds))
    if phrases.has(asking.PLACE, lowered) and not focus - asking.PLACE_NOUNS:
        kinds.add(Kind.PLACE)
    if phrases.has(asking.REASON, lowered):
        kinds.add(Kind.REASON)
    if re.match(r"\s*(?:who|whom|whose)\b", lowered):
        # "Who gave the toll of 213?" asks for a name, not a count or a date.
        kinds -= {Kind.COUNT, Kind.MONEY, Kind.DATE, Kind.DURATION, Kind.AGE, Kind.SHARE}
    if not kinds and focus:
        kinds.add(Kind.NAME)
    return frozenset(kinds)


def _figure_kind(lowered: str, focus: frozenset[str]) -> tuple[Kind, ...]:
    """The figure a question asks for, if any: a duration, an age, a share, an amount of
    money or a count."""
    if phrases.has(asking.DURATION, lowered):
        return (Kind.DURATION,)
    if phrases.has(asking.AGE, lowered):
        return (Kind.AGE,)
    if phrases.has(asking.SHARE, lowered):
        return (Kind.SHARE,)
    if phrases.has(("how much",), lowered) and phrases.has(asking.MONEY, lowered):
        return (Kind.MONEY,)
    if phrases.has(asking.COUNT, lowered) or _asks_measure(lowered) or focus & asking.MEASURE_WORDS:
        # "What was the total dollar amount": an amount of money; "what exact value": a number
        return (Kind.MONEY if any(w in asking.CURRENCY_WORDS for w in re.findall(r"\w+", lowered)) else Kind.COUNT,)
    return ()


def _moment_kind(lowered: str, opening: str) -> tuple[Kind, ...]:
    """The moment a question asks for, if any: a time of day, or a date."""
    if phrases.has(asking.TIME_OF_DAY, lowered):
        return (Kind.TIME_OF_DAY,)
    if phrases.has(asking.DATE, opening):
        return (Kind.DATE,)
    return ()


def _actor_kinds(lowered: str, opening: str) -> tuple[Kind, ...]:
    """Who a question asks for, if anyone: whoever said or reported something, else a
    person or a body."""
    if phrases.has(asking.SOURCE, lowered) or (
        phrases.find(("who", "whom", "which group", "which organisation", "which organization"), opening)
        and any(w.strip("?,.") in SPEECH_VERBS for w in lowered.split())
    ):
        return (Kind.SPEAKER,)
    if phrases.has(("who", "whom", "whose"), opening):
        return (Kind.PERSON, Kind.ORGANISATION)  # "Who analysed ...": a person or a body
    return ()


def _focus_kind(focus: frozenset[str], lowered: str, asks_speaker: bool) -> tuple[Kind, ...]:
    """The kind of thing the noun a "which" question asks about is, if any: a person, an
    organisation (unless whoever said something is asked for), or a place."""
    if focus & asking.PERSON_NOUNS:
        # "the name of the bomber" wants a name; "which official", "which victim" may be
        # answered by a description ("a pregnant woman") as well.
        return (Kind.PERSON if phrases.has(("name of", "names of"), lowered) else Kind.NAME,)
    if focus & asking.ORGANISATION_NOUNS and not asks_speaker:
        return (Kind.ORGANISATION,)
    if focus & asking.PLACE_NOUNS:
        return (Kind.PLACE,)
    return ()


def asks_responsibility(text: str) -> bool:
    """"Which group claimed responsibility", "who claimed the truck bomb": the answer
    must say someone claimed the attack, not only name a group."""
    if phrases.has(asking.RESPONSIBILITY, text):
        return True
    words = [w.lower().strip("?,.") for w in text.split()]
    return any(
        w.startswith("claim") and any(a in ATTACKS for a in words[i + 1 : i + 6]) for i, w in enumerate(words)
    )


def _asks_measure(lowered: str) -> bool:
    """"What was the peak bandwidth", "what is the total": a figure, though no "how many"."""
    match = re.match(r"\s*what\s+(?:was|is|were|are)\s+the\s+(\w+)", lowered)
    return bool(match and match.group(1) in asking.MEASURE_WORDS)


def intent_of(text: str, kinds: frozenset[Kind]) -> Intent:
    lowered = text.lower()
    happened = phrases.find(("what happened",), lowered)
    if phrases.has(asking.TIMELINE, lowered) or (happened and phrases.has(asking.SPAN_WORDS, lowered[happened.end() :])):
        return Intent.TIMELINE
    if Kind.REASON in kinds:
        return Intent.WHY
    if kinds & {Kind.COUNT, Kind.MONEY, Kind.DURATION} and phrases.has(asking.FIGURES, lowered):
        return Intent.FIGURES
    if Kind.SPEAKER in kinds:
        return Intent.WHO
    return Intent.FACT


def counted_of(text: str) -> Counted | None:
    """What "how many ..." counts: the words after it up to the verb, and the harm the
    question asks about."""
    stems = term_set(text)
    harm = "wounded" if stems & _WOUNDED else "killed" if stems & _KILLED else None
    phrase_words = _counted_words([w.lower() for w in _WORD.findall(text)])
    if not phrase_words and harm is None:
        return None
    head = term_set(phrase_words[-1]) if phrase_words else frozenset()
    if not phrase_words or head & _PEOPLE:
        return Counted(" ".join(phrase_words) or "people", _people_terms(harm), True, harm)
    if head & _CHILDREN:
        return Counted(" ".join(phrase_words), frozenset(_CHILDREN), True, harm)
    return Counted(" ".join(phrase_words), frozenset(head), False, harm)


def _counted_words(words: list[str]) -> list[str]:
    """The words after the first "how many", up to the verb, a word of harm or the
    question mark, and at most MAX_COUNTED_WORDS of them."""
    for i in range(len(words) - 1):
        if words[i] == "how" and words[i + 1] == "many":
            rest = words[i + 2 :]
            while rest and (rest[0] in ("of", "the", "more", "other") or like_num(rest[0])):
                rest = rest[1:]  # "how many of the 14 residents"
            return list(islice(takewhile(lambda word: not _ends_counted(word), rest), MAX_COUNTED_WORDS))
    return []


def _ends_counted(word: str) -> bool:
    """A word no longer of what is counted: a stop word, a word of harm or of speech."""
    return word in STOP_WORDS or word == "?" or bool(term_set(word) & (_KILLED | _WOUNDED)) or word in SPEECH_VERBS


def _people_terms(harm: str | None) -> frozenset[str]:
    """The stems a count of people stands next to: of the wounded, of the dead, or of
    either where the question names no harm."""
    if harm == "wounded":
        return _WOUNDED
    if harm == "killed":
        return _PEOPLE | _KILLED
    return _PEOPLE | _KILLED | _WOUNDED


def units_of(text: str, kinds: frozenset[Kind], counted: Counted | None) -> frozenset[str]:
    """What a figure must be given in: "how many hours" in hours, "what share" in percent,
    "the peak bandwidth in Gbps" in Gbps."""
    lowered = text.lower()
    words = _WORD.findall(lowered)
    if Kind.DURATION in kinds:
        named = {w for w in words if w in asking.TIME_UNITS}
        return frozenset(named or asking.TIME_UNITS)
    if Kind.SHARE in kinds:
        return frozenset(asking.SHARE_UNITS)
    if Kind.MONEY in kinds:
        return frozenset(asking.CURRENCY_WORDS)
    # "What was the peak bandwidth in Gbps?": a measure asked in a unit.
    trailing = re.search(r"\bin\s+([A-Za-z%][\w/%]*)\s*\??\s*$", text)
    if trailing and _asks_measure(lowered) and not is_calendar_word(trailing.group(1)):
        return frozenset({trailing.group(1).lower()})
    return frozenset()


def source_of(text: str) -> str | None:
    """Whose claims the question asks for: "according to Amnesty", "what did SANA report",
    "as reported by Reuters"."""
    for start, end, run in runs(text):
        name = _strip_question_words(run)
        if not name:
            continue
        at = start + run.index(name.split()[0])
        before = [w.lower() for w in text[:at].split()[-3:]]
        while before and before[-1] in ("the", "a", "an"):
            before.pop()
        before_text = " ".join(before)
        after = text[end:].split()[:1]
        cited = before_text.endswith(("according to", "reported by", "claimed by", "cited by", "quoted by"))
        asked = bool(before) and before[-1] in ("did", "does", "do") and bool(after) and after[0].lower().strip("?,.") in SPEECH_VERBS | {"say", "report", "claim", "tell"}
        if cited or asked:
            return name
    return None


def focus_of(text: str) -> frozenset[str]:
    """The noun a "which" question asks about ("which opposition minister" -> minister,
    opposition; "the name of the groom" -> groom): the answer is usually written next
    to it."""
    words = _WORD.findall(text)
    lowered = [w.lower() for w in words]
    for i, word in enumerate(lowered):
        if word in ("which", "what") or (word in ("name", "names") and i + 1 < len(lowered) and lowered[i + 1] == "of"):
            found = []
            for following in lowered[i + 1 : i + 1 + MAX_FOCUS_WORDS + 3]:
                if (following in ("of", "the", "a", "an") or like_num(following)) and not found:
                    continue  # "the names of the two suicide bombers"
                if following in STOP_WORDS or following in SPEECH_VERBS or following == "?":
                    break
                found.append(following)
            found = [w for w in found if len(w) > 2 and w not in asking.ASKING_WORDS]
            if found:
                return frozenset(found[:MAX_FOCUS_WORDS])
    return frozenset()

