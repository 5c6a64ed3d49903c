"""Whether a passage offers an answer of the kind asked, that the question does not
already say.

The sentence most like a question often restates it ("The attack targeted a clinic in
Kessel" for "In which area of Kessel was the clinic?"). A span answers only if it holds
something of the wanted kind that is new to the question: a figure of the counted thing
for "how many", a date for "when", a time of day for "at what time", a person or an
organisation for "who", a place for "where", a cause for "why". This is the answer-type
check of classic question answering, over the entity labels recognised at ingest
(spaCy's OntoNotes labels) and the figures ``language.numbers`` reads.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from retrieval.answer.attribution import Attribution
from retrieval.answer.collection import Collection
from retrieval.answer.question import Counted, Kind, Question
from retrieval.answer.report import Region, ReportView
from retrieval.index.entities import NAMED, PLACES
from retrieval.language import phrases
from retrieval.language.en import questions as asking
from retrieval.language.en.causation import CAUSE_BEFORE_EFFECT, EFFECT_BEFORE_CAUSE, FAULT_WORDS
from retrieval.language.en.harm import ATTACKS, KILLED, PEOPLE, TOLL_WORDS, WOUNDED
from retrieval.language.en.calendar import is_calendar_word
from retrieval.language.en.places import PLACE_PREPOSITIONS
from retrieval.language.en.stop_words import STOP_WORDS
from retrieval.language.names import runs, written_in
from retrieval.language.numbers import Number, numbers_in, value_key
from retrieval.language.terms import term_set

TOLL_REACH = 15  # words between "toll" and the number it is
PEOPLE_REACH = (2, 6)  # words before and after a number that may say it counts people
THING_REACH = 3  # words after a number that say what thing it counts
FOCUS_REACH = 6  # words between the noun a question asks about and the name that answers
PLACE_REACH = 3  # ... for a place: "the village of Thalthana", not "a village ... in northern Syria"
CAUSE_REACH = 10  # words read on the cause's side of "because" or "caused"
NEW_CAUSE_WORDS = 2  # content words there the question does not have: a cause, not a restatement
_KILLED = term_set(" ".join(KILLED))
_WOUNDED = term_set(" ".join(WOUNDED))
_PEOPLE = term_set(" ".join(PEOPLE))
_STOP_STEMS = term_set(" ".join(STOP_WORDS))


# A cause is read within its clause: "triggered by a power cut at the datacenter, which
# caused servers to reboot" gives the power cut as the cause, not the reboot.
_CLAUSE_END = re.compile(r"[,;:.!?()]|\s[–—-]\s")


def _new_terms(words: str, asked: frozenset[str]) -> set[str]:
    """The stems of words the question does not have in any form ("failed" is the
    question's "failure": one stem begins the other)."""
    return {t for t in term_set(words) if not any(t.startswith(a) or a.startswith(t) for a in asked if min(len(a), len(t)) >= 4) and t not in asked}


def _of_the_asked(effect: str, asked: frozenset[str]) -> bool:
    """Whether a cause's effect is what the question asks about: its clause shares a word
    with the question, or says nothing itself ("This was caused by ...")."""
    terms = term_set(effect) - _STOP_STEMS
    return not terms or not terms <= _new_terms(effect, asked)


def _novel(value: str, question: Question) -> bool:
    return not written_in(value, question.text)


def harm_of(words: list[str], at: int, reach: int = 8, first: int | None = None) -> str | None:
    """What the number words[at] (begun at words[first]: "more than 60") counts: "killed"
    or "wounded" by a word of harm just before it ("killing 32 people", "wounding more
    than 100"), else by the first one after it ("32 killed and 100 wounded" | "About 100
    people were wounded") before the next number; None where no word says."""
    first = at if first is None else first
    for word in reversed(words[max(0, first - 2) : first]):
        stems = term_set(word)
        if stems & _KILLED:
            return "killed"
        if stems & _WOUNDED:
            return "wounded"
    for word in words[at + 1 : at + 1 + reach]:
        if any(ch.isdigit() for ch in word):
            return None
        stems = term_set(word)
        if stems & _KILLED and stems & _WOUNDED:
            return None
        if stems & _KILLED:
            return "killed"
        if stems & _WOUNDED:
            return "wounded"
    return None


def counts_the_dead(words: list[str], at: int, reach: int = 8, first: int | None = None) -> bool:
    """A toll of the dead: no answer to how many were wounded."""
    return harm_of(words, at, reach, first) == "killed"


def counts_the_wounded(words: list[str], at: int, reach: int = 8, first: int | None = None) -> bool:
    return harm_of(words, at, reach, first) == "wounded"


def _toll_before(words: list[str], at: int) -> bool:
    """Whether "toll" stands before the number words[at] in its sentence, with no other
    number between them ("The death toll from the collapse of the bridge rose to 21")."""
    for word in reversed(words[max(0, at - TOLL_REACH) : at]):
        bare = word.lower().strip(",;:")
        if bare.strip(".") in TOLL_WORDS:
            return True
        if word.endswith(".") or any(ch.isdigit() for ch in word):
            return False
    return False


class Worded:
    """A text's words, and where each of its numbers stands among them."""

    def __init__(self, text: str) -> None:
        self.words = text.split()
        self._starts, at = [], 0
        for word in self.words:
            at = text.index(word, at)
            self._starts.append(at)
            at += len(word)

    def index(self, number: Number) -> tuple[int, int]:
        """The indices of the words a number begins and ends in ("more than 60")."""
        first = max(0, bisect.bisect_right(self._starts, number.start) - 1)
        last = max(0, bisect.bisect_right(self._starts, number.end - 1) - 1)
        return first, last

    def harm(self, number: Number) -> str | None:
        """"killed" or "wounded": what the number counts, as its words say."""
        first, last = self.index(number)
        return harm_of(self.words, last, first=first)


def counted_figures(text: str, question: Question) -> list[Number]:
    """The figures of text that count what the question counts: "17 children" for "how
    many children"; people counted loosely ("two killed and five others wounded"); a toll
    of the dead never by a count of the wounded; a year, a date or the question's own
    figure never. Where a sentence counts the asked group itself ("48 people including
    17 children"), only that count answers "how many children"."""
    asked = {value_key(n.value) for n in numbers_in(question.text) if n.value is not None}
    figures = [n for n in numbers_in(text) if n.is_figure and not _is_asked(n, asked)]
    counted = question.counted
    if counted is None:
        return figures
    worded = Worded(text)
    words = worded.words
    found, tolls, direct = [], [], []
    for number in figures:
        if _counts_share_or_duration(number, text, question):
            continue  # "how many people": a share or a duration counts none
        first, index = worded.index(number)
        if _counts_other_harm(counted, words, index, first):
            continue
        if _is_toll(counted, words, index):
            tolls.append(number)  # "the death toll ... rose to 21": the toll, whatever follows
            continue
        if not _in_asked_units(number, question):
            continue
        if _names_thing_after(counted, words, index):
            direct.append(number)
        if _names_counted_near(counted, words, index):
            found.append(number)
    if direct and counted.of_people and not counted.terms & _PEOPLE:
        return direct  # a subgroup (children, women) is counted by its own number only
    return tolls + found


def _is_asked(number: Number, asked: set[str]) -> bool:
    """Whether the number is one the question itself gives."""
    return number.value is not None and value_key(number.value) in asked


def _counts_share_or_duration(number: Number, text: str, question: Question) -> bool:
    """A percentage, a share or (unless the question asks in units) a duration."""
    unit = (number.unit or "").lower()
    return text[number.end : number.end + 1] == "%" or unit in asking.SHARE_UNITS or (unit in asking.TIME_UNITS and not question.units)


def _counts_other_harm(counted: Counted, words: list[str], index: int, first: int) -> bool:
    """A count of the wounded for "how many were killed", or of the dead for "how many
    were wounded"."""
    if counted.harm == "killed":
        return counts_the_wounded(words, index, first=first)
    if counted.harm == "wounded":
        return counts_the_dead(words, index, first=first)
    return False


def _is_toll(counted: Counted, words: list[str], index: int) -> bool:
    """A toll of people, where the question does not ask for the wounded."""
    return counted.of_people and counted.harm != "wounded" and _toll_before(words, index)


def _in_asked_units(number: Number, question: Question) -> bool:
    """Whether the number is given in a unit the question asks in, if it asks in any."""
    return not question.units or (number.unit or "") in question.units


def _names_thing_after(counted: Counted, words: list[str], index: int) -> bool:
    """Whether the words right after the number name what is counted ("17 children")."""
    return bool(term_set(" ".join(words[index + 1 : index + 1 + THING_REACH])) & counted.terms)


def _names_counted_near(counted: Counted, words: list[str], index: int) -> bool:
    """Whether the number's words say it counts what is counted: people on either side of
    it, a thing only right after it."""
    if counted.of_people:
        window = " ".join(words[max(0, index - PEOPLE_REACH[0]) : index + PEOPLE_REACH[1] + 1])
    else:
        window = " ".join(words[index + 1 : index + 1 + THING_REACH])
    return bool(term_set(window) & counted.terms)


class KindCheck:
    def __init__(self, collection: Collection, attribution: Attribution) -> None:
        self.collection = collection
        self.attribution = attribution
        self._offers: dict[Kind, Callable[[Question, ReportView, Region, str], bool]] = {
            Kind.COUNT: self._offers_count,
            Kind.MONEY: self._offers_money,
            Kind.DURATION: self._offers_duration,
            Kind.SHARE: self._offers_share,
            Kind.AGE: self._offers_age,
            Kind.DATE: self._offers_date,
            Kind.TIME_OF_DAY: self._offers_time_of_day,
            Kind.SPEAKER: self._offers_speaker,
            Kind.PERSON: self._offers_person,
            Kind.ORGANISATION: self._offers_organisation,
            Kind.PLACE: self._offers_place,
            Kind.NAME: self._offers_name,
            Kind.REASON: self._offers_reason,
        }

    def offered(self, question: Question, view: ReportView, region: Region) -> frozenset[Kind]:
        """The kinds asked that region offers, new to the question."""
        text = view.words(region)
        offered = set()
        for kind in question.kinds:
            offers = self._offers.get(kind)
            if offers is not None and offers(question, view, region, text):
                offered.add(kind)
        return frozenset(offered)

    def _offers_count(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        return bool(counted_figures(text, question))

    def _offers_money(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        return any(n.kind == "money" or (n.unit or "") in asking.CURRENCY_WORDS for n in numbers_in(text)) or self._entity(
            question, view, region, frozenset({"MONEY"})
        )

    def _offers_duration(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        asked_units = {u.rstrip("s") + "s" for u in question.units}
        return any((n.is_figure or n.kind == "vague") and (n.unit or "").rstrip("s") + "s" in asked_units for n in numbers_in(text))

    def _offers_share(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        return any((n.unit or "") in asking.SHARE_UNITS or text[n.end : n.end + 1] == "%" for n in numbers_in(text)) or self._entity(
            question, view, region, frozenset({"PERCENT"})
        )

    def _offers_age(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        lowered = text.lower()
        return any(
            n.is_figure and (n.unit or "").startswith("year") and "old" in lowered[n.end : n.end + 16] for n in numbers_in(text)
        ) or " aged " in f" {lowered} "

    def _offers_date(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        return any(n.kind in ("date", "year") and _novel(n.text, question) for n in numbers_in(text)) or self._entity(
            question, view, region, frozenset({"DATE"}), needs_date=True
        )

    def _offers_time_of_day(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        return any(n.kind == "time" for n in numbers_in(text)) or self._entity(question, view, region, frozenset({"TIME"}))

    def _offers_speaker(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        speaker = self.attribution.speaker(view, region.start, region.end)
        return speaker is not None and _novel(speaker.name, question) and (not question.responsibility or self._says_responsibility(text))

    def _offers_person(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        if question.focus & asking.PERSON_NOUNS:  # "the name of the bomber": a person named by the bomber
            return self._near_focus(question, view, region, frozenset({"PERSON"}))
        return self._entity(question, view, region, frozenset({"PERSON"}), actors_only=True)

    def _offers_organisation(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        if question.responsibility and not self._says_responsibility(text):
            return False
        return self._entity(question, view, region, frozenset({"ORG", "NORP"}), actors_only=True)

    def _offers_place(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        if question.focus & asking.PLACE_NOUNS:  # "which village": a place named by the village
            return self._near_focus(question, view, region, NAMED, reach=PLACE_REACH)
        return self._entity(question, view, region, PLACES) or self._placed_name(question, text)

    def _offers_name(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        return self._entity(question, view, region, NAMED) or _has_identifier(text, question)

    def _offers_reason(self, question: Question, view: ReportView, region: Region, text: str) -> bool:
        """A cause the question does not already say: words after "because" (or before
        "caused") that are new to it, or a fault named."""
        lowered = [w.lower().strip(",.;:") for w in text.split()]
        asked = question.terms
        for match in phrases.find_all(CAUSE_BEFORE_EFFECT, text):
            effect = _CLAUSE_END.split(text[: match.start()])[-1]
            cause = " ".join(_CLAUSE_END.split(text[match.end() :], maxsplit=1)[0].split()[:CAUSE_REACH])
            if _of_the_asked(effect, asked) and len(_new_terms(cause, asked)) >= NEW_CAUSE_WORDS:
                return True
        for match in phrases.find_all(EFFECT_BEFORE_CAUSE, text):
            effect = _CLAUSE_END.split(text[match.end() :], maxsplit=1)[0]
            cause = " ".join(_CLAUSE_END.split(text[: match.start()])[-1].split()[-CAUSE_REACH:])
            if _of_the_asked(effect, asked) and len(_new_terms(cause, asked)) >= NEW_CAUSE_WORDS:
                return True
        return any(w in FAULT_WORDS and _new_terms(w, asked) for w in lowered)

    def _entity(
        self,
        question: Question,
        view: ReportView,
        region: Region,
        labels: frozenset[str],
        needs_date: bool = False,
        actors_only: bool = False,
    ) -> bool:
        """Whether region names something of labels the question does not; actors_only:
        not as the source of a claim ("which group fired the rockets" is not answered by
        "the Observatory said")."""
        speakers = [s for s in self.attribution.attributions(view, region)] if actors_only else []
        for entity in view.entities(region, labels):
            name = view.text[entity.start : entity.end]
            if any(s.start <= entity.start < s.end or entity.start <= s.start < entity.end for s in speakers):
                continue
            if needs_date and not (any(ch.isdigit() for ch in name) or any(is_calendar_word(w) for w in name.split())):
                continue  # "this week", "recent years": no date
            if labels == PLACES and not self.collection.is_place(name):
                continue  # the recogniser's label of one mention; the collection's says otherwise
            if _novel(name, question):
                return True
        return False

    def _near_focus(
        self, question: Question, view: ReportView, region: Region, labels: frozenset[str], reach: int = FOCUS_REACH
    ) -> bool:
        words = [(m.start(), m.group(0).lower().strip(",.;:()\"'")) for m in re.finditer(r"\S+", view.words(region))]
        at = [i for i, (_, w) in enumerate(words) if w in question.focus or w.rstrip("s") in question.focus]
        for entity in view.entities(region, labels):
            if not _novel(view.text[entity.start : entity.end], question):
                continue
            i = next((k for k, (s, _) in enumerate(words) if region.start + s >= entity.start), len(words))
            if any(abs(i - a) <= reach for a in at):
                return True
        return False

    def _placed_name(self, question: Question, text: str) -> bool:
        """A capitalised name right after a preposition of place ("in the Salihiah
        neighbourhood") that the question does not say."""
        for start, _, run in runs(text):
            before = text[max(0, start - 12) : start].lower().split()
            if before and before[-1] in PLACE_PREPOSITIONS | {"the"} and _novel(run, question) and not is_calendar_word(run.split()[0]):
                return True
        return False

    @staticmethod
    def _says_responsibility(text: str) -> bool:
        """"claimed responsibility", "claimed the attack": not "claimed the lives of"."""
        if phrases.has(asking.RESPONSIBILITY, text):
            return True
        words = [w.lower().strip(",.;:") for w in text.split()]
        return any(w.startswith("claim") and any(a in ATTACKS for a in words[i + 1 : i + 5]) for i, w in enumerate(words))


def identifiers(text: str) -> list[str]:
    """Identifiers name things too: a host "db4", a setting "max_connections", "MD5"."""
    found = []
    for word in text.split():
        word = word.strip(",.;:()\"'`")
        has_digit, has_alpha = any(c.isdigit() for c in word), any(c.isalpha() for c in word)
        if (has_digit and has_alpha) or ("_" in word and has_alpha):
            found.append(word)
    return found


def _has_identifier(text: str, question: Question) -> bool:
    return any(_novel(word, question) for word in identifiers(text))
