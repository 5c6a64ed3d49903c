"""What kind of answer a question wants, and whether a span offers one.

The sentence most like a question often restates it ("The attack targeted a clinic in
Kessel" for "In which area of Kessel was the clinic?"). A span answers only if it holds
something of the wanted kind that the question does not already say: a number for "how
many", a date for "when", a duration for "how long", a name for "who". This is the
classic answer-type check of pre-neural question answering, written with regular
expressions because no reader model small enough to ship offline was at hand.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from retrieval.language import (
    MONTH_ABBREVIATION_PATTERN,
    MONTH_ABBREVIATIONS,
    MONTH_PATTERN,
    MONTHS,
    NUMBER_WORD_PATTERN,
    WEEKDAY_PATTERN,
    WEEKDAYS,
    YEAR,
    tokenize,
)

Describes = Callable[[str], bool] | None  # words that describe rather than name (see Vocabulary)
_UNITS = r"(?:milli)?seconds?|minutes?|hours?|days?|weeks?|months?|years?"

NUMBER = re.compile(
    rf"(?<![\w.])(?:\d[\d,.]*\d|\d)(?![\w])|\b(?:{NUMBER_WORD_PATTERN})(?:-(?:{NUMBER_WORD_PATTERN}))?\b|\b(?:dozens|hundreds|thousands)\b",
    re.I,
)
MONEY = re.compile(
    r"[$€£]\s?\d[\d,.]*(?:\s*(?:million|billion|thousand))?|\b\d[\d,.]*\s*(?:million|billion|thousand)?\s*(?:dollars|euros|pounds|USD|EUR)\b",
    re.I,
)
DURATION = re.compile(
    rf"\b(?:\d[\d,.]*|{NUMBER_WORD_PATTERN}|a few|several)[\s\-]+(?:{_UNITS})\b|\b(?:an?|one)\s+(?:hour|day|week|month|year)\b",
    re.I,
)
DATE = re.compile(
    rf"\b(?:{MONTH_PATTERN}|{MONTH_ABBREVIATION_PATTERN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTH_PATTERN}|{MONTH_ABBREVIATION_PATTERN})\b"
    rf"|\b(?:{MONTH_PATTERN})\s+\d{{4}}\b|\b(?:{WEEKDAY_PATTERN})\b|\b\d{{4}}-\d\d-\d\d\b|\b(?:in|since|until|by)\s+(?:19|20)\d\d\b"
    r"|\b\d{1,2}:\d\d(?:\s*[AP]M)?\b|\b\d{1,2}\s*[AP]M\b",  # and clock times, for "at what time"
    re.I,
)
AGE = re.compile(rf"\b(?:\d+|{NUMBER_WORD_PATTERN})[\s\-]+(?:years?[\s\-]+old|year-old|months?[\s\-]+old)\b|\baged\s+(?:\d+|{NUMBER_WORD_PATTERN})\b", re.I)
# Capitalised words in a row, allowing the particles of Arabic, Dutch and French names
# ("Omar al-Fenn", "Jan de Vries") and names that open with "al-" ("al-Bayt").
NAME = re.compile(r"(?:\b(?:al|el|ad|as|ash|at|az)-)?\b[A-Z][\w'’\-]*(?:\s+(?:(?:al|el|bin|bint|ibn|de|du|van|von|der|abu|abdul|of|for)\s+|(?:al|el)-)?[A-Z][\w'’\-]*)*")
# Identifiers name things too: a host "db4", a setting "max_connections".
IDENTIFIER = re.compile(r"\b(?:[A-Za-z]+\d+[A-Za-z\d]*|[A-Za-z\d]+(?:_[A-Za-z\d]+)+)\b")
# Capitalised words that name no one: function words, page furniture, calendar words,
# points of the compass. Which capitalised words describe rather than name (a people's
# adjective, the country the whole collection is about) is read from the collection
# (``Vocabulary.describes``).
NOT_NAMES = set(
    "a an the this that these those it its he she they we i in on at of for by to from with as and but or "
    "after before when while since during according tags date published updated photo file "
    "utc gmt pt pst pdt est edt am pm western eastern northern southern".split()
) | {w.lower() for w in (*MONTHS, *MONTH_ABBREVIATIONS, *WEEKDAYS)}
# A cause is written after "because", "due to", "triggered by" and before "caused",
# "led to"; a fault word ("bug", "misconfigured") names one by itself.
_CAUSE_AFTER = re.compile(
    r"\b(?:because(?: of)?|due to|owing to|(?:caused|triggered|set off|sparked) by|result(?:ed)? (?:of|from)|"
    r"stemm(?:ed|ing) from|root cause (?:was|is)|after (?:a|an|the)|when (?:a|an|the))\b",
    re.I,
)
_CAUSE_BEFORE = re.compile(r"\b(?:caused|causing|triggered|led to|resulted in|set off|sparked)\b(?! by)", re.I)
_FAULT = re.compile(r"\b(?:bug|error|mistake|misconfigur\w*|incorrect\w*|typo|flaw\w*|overflow\w*|fail(?:ed|ure)|malfunction\w*)\b", re.I)
CAUSE_WINDOW = 10  # words read on the cause's side of "because" or "caused"
_STOP = set(
    "a an the this that these those it its was were is are be been has had have which who what and or but of for to "
    "in on at by with from as into over than then also there their they when after before".split()
)


@dataclass(frozen=True)
class Wanted:
    """The kinds of answer a question asks for."""

    count: bool = False
    money: bool = False
    date: bool = False
    duration: bool = False
    age: bool = False
    name: bool = False
    proper_name: bool = False  # a person or an organisation, always written with capitals
    reason: bool = False
    clock_time: bool = False  # "at what time": a day is not an answer
    version: bool = False  # "which version of runc": 1.0.0-rc93
    responsibility: bool = False  # "which group claimed responsibility"

    @property
    def any(self) -> bool:
        return self.strict or self.name

    @property
    def strict(self) -> bool:
        """Kinds a regular expression finds reliably: a "how many" answer without a
        number is no answer, nor a "which regulator" one without a capitalised name,
        nor a "why" one without a cause the question does not already say. Other names
        ("which weapon": rockets) are only preferred."""
        return (
            self.count
            or self.money
            or self.date
            or self.duration
            or self.age
            or self.proper_name
            or self.clock_time
            or self.version
            or self.responsibility
            or self.reason
        )


_ASKS_NAME = re.compile(
    r"^\s*(?:\w+\s+){0,3}?(?:who|whom|whose)\b|\bname[sd]?\b|\bwhich\s+(?:\w+[\s\-]+){0,3}?"
    r"(?:minister|ambassador|envoy|diplomat|official|spokes(?:man|woman|person)|director|chief|head|leader|commander|"
    r"journalist|activist|reporter|doctor|group|agency|organi[sz]ation|monitor|charity|ngo|regulator|company|firm|vendor|"
    r"provider|team|outlet|newspaper|network|channel|party|faction|militia|army|force|ministry|government|country|"
    r"state|area|district|neighbou?rhood|quarter|suburb|village|town|city|province|region|hospital|school|airport|base|"
    r"street|road|square|roundabout|bridge|building|facility|mosque|church|market|camp|checkpoint|prison|station|database|"
    r"parameter|setting|flag|option|variable|shard|table|server|host|node|instance|zone|file|command|job|feature|module|"
    r"system|service|product|tool|software|library|component|cluster|datacenter|data center|imp|router|website)s?\b",
    re.I,
)


_ASKS_PROPER_NAME = re.compile(
    r"\b(?:which|what)\s+(?:[\w\-]+\s+){0,3}?(?:minister|ambassador|envoy|diplomat|official|spokes(?:man|woman|person)|"
    r"journalist|activist|reporter|regulator|company|firm|vendor|agency|organi[sz]ation|charity|ngo|newspaper|outlet|"
    r"ministry|monitor|monitoring group|faction|militia|brigade)s?\b|\bnames? of\b",
    re.I,
)
CLOCK_TIME = re.compile(
    r"\b\d{1,2}[:.]\d\d\b|\b\d{1,2}\s*[ap]\.?m\b|\b(?:morning|afternoon|evening|night|noon|midnight|dawn|dusk)\b", re.I
)
VERSION = re.compile(r"\bv?\d+\.\d+(?:\.\d+)?(?:[\-+.]?[a-z]+\d*)?\b", re.I)
# Who claimed an attack is said in so many words; a report that only says who reported
# it does not answer "which group claimed responsibility".
RESPONSIBILITY = re.compile(r"\bresponsib\w*|\bclaim(?:ed|s|ing)? (?:the |that |it )?(?:attack|bombing|blast|killing)|\bclaimed by\b", re.I)
# A figure asked in a unit must be given in it: "peak bandwidth in Gbps" is not "3 hours".
UNIT = re.compile(r"\b(?:[KMGT]bps|[KMGTP]i?B|percent|per ?cent|requests per second|rps|qps)(?!\w)|%", re.I)


# A share is a percentage or a fraction.
SHARE = re.compile(r"%|\bper ?cent\b|\b(?:half|third|quarter|fifth|tenth|majority|minority)\b|\b(?:one|1) in\b|\b\d+ (?:out )?of (?:every|the )?\d+\b", re.I)


@lru_cache(maxsize=1024)
def asks_share(question: str) -> bool:
    return bool(re.search(r"\bwhat (?:\w+ )?(?:share|percentage|proportion|fraction|per ?cent)\b", question, re.I))


def wanted(question: str) -> Wanted:
    """The kinds of answer a question asks for, from its wording."""
    q = question
    money = bool(
        re.search(
            r"\bhow much\b.*\b(?:pay|paid|lose|lost|cost|fine|fined|worth|money|compensation|refund\w*)\b"
            r"|\bhow much money\b|\bfined?\b.*\bhow much\b|\b(?:dollar|money) amount\b|\bamount of money\b|\bhow many dollars\b",
            q,
            re.I,
        )
    )
    duration = bool(re.search(r"\bhow long\b|\b(?:longest|shortest|how much) time\b|\bfor how many (?:seconds|minutes|hours|days|weeks|months|years)\b|\bhow many (?:seconds|minutes|hours|days|weeks|months|years)\b", q, re.I))
    age = bool(re.search(r"\bhow old\b|\bwhat age\b|\bages?\s+of\b", q, re.I))
    count = not (duration or age or money) and bool(
        re.search(
            r"\bhow many\b|\bnumber of\b|\bhow much\b|\bwhat (?:figure|number)\b|\bwhat (?:was|is|were) the (?:\w+ )?toll\b"
            r"|\bwhat (?:was|is|were|are) the (?:peak|total|maximum|average|number|amount|share|percentage|proportion|rate|size|count)\b"
            r"|\bwhat (?:share|percentage|proportion|fraction)\b|\bhow (?:large|big|fast|far|high|heavy)\b|\bwhat size\b",
            q,
            re.I,
        )
    )
    date = bool(re.search(r"^\s*(?:\w+\s+){0,3}?when\b|\bwhat (?:day|date|year|month|time)\b|\bon which (?:day|date)\b", q, re.I))
    name = bool(_ASKS_NAME.search(q))
    if re.match(r"\s*(?:who|whom|whose)\b", q, re.I):  # "Who gave the toll of 213?" asks for a name, not a count
        count = money = date = duration = age = False
    reason = bool(re.search(r"^\s*why\b|\bwhat (?:caused|triggered|led to|made|was the (?:root )?cause)\b|\b(?:cause|reason) (?:of|for)\b", q, re.I))
    proper_name = bool(_ASKS_PROPER_NAME.search(q))
    clock_time = bool(re.search(r"\bwhat (?:exact |precise )?time\b|\btime of (?:the )?day\b", q, re.I))
    version = bool(re.search(r"\b(?:which|what) (?:\w+ )?version\b(?! control)", q, re.I))
    responsibility = bool(re.search(r"\bclaimed? responsibility\b|\bresponsible for\b", q, re.I))
    if clock_time:
        date = False
    return Wanted(
        count, money, date, duration, age, name or proper_name, proper_name, reason, clock_time, version, responsibility
    )


def _novel(matches: list[str], question: str) -> bool:
    """Some match is not already in the question (the question's own date is no answer);
    as a whole word: "20 copies" is new to a question about "2013 registrants"."""
    q = question.casefold()
    return any(
        not re.search(rf"(?<![\w.]){re.escape(m.strip().casefold())}(?![\w])", q) for m in matches if m.strip()
    )


_SENTENCE_START = re.compile(r"(?:^|[.!?:\"“]\s*)$")


_TITLE_WORD = re.compile(r"\b[A-Za-z][\w'’\-]{3,}")


def is_headline(text: str) -> bool:
    """Whether text is written in title case ("Varno Car bomb Kills Four"): its
    capitals mark a headline, not names."""
    words = _TITLE_WORD.findall(text)
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def _names(text: str, describes: Describes = None) -> list[tuple[int, int, str]]:
    """(start, end, name) of the capitalised names in text. One capitalised word opening
    a sentence ("Local reports said") is taken for an ordinary word: a name there is
    usually written in full. A headline names nothing by its capitals. describes tells
    words that describe rather than name ("Norlanders in Kessel" names no one)."""
    found = []
    if is_headline(text):
        return [(m.start(), m.end(), m.group(0)) for m in IDENTIFIER.finditer(text) if not m.group(0)[:1].isupper()]
    for match in NAME.finditer(text):
        words = [
            w
            for w in re.split(r"\s+", match.group(0))
            if w.casefold().strip("'’") not in NOT_NAMES and not (describes and describes(w))
        ]
        if len(words) == 1 and "-" not in words[0] and not words[0].isupper() and _SENTENCE_START.search(text[: match.start()]):
            continue
        if words:
            found.append((match.start(), match.end(), " ".join(words)))
    found += [(m.start(), m.end(), m.group(0)) for m in IDENTIFIER.finditer(text) if not m.group(0)[:1].isupper()]
    return sorted(found)


def names_in(text: str, describes: Describes = None) -> list[str]:
    return [name for _, _, name in _names(text, describes)]


# What a question says is read once per question, not once per candidate span: the
# helpers below that take only the question are cached.
@lru_cache(maxsize=1024)
def _question_words(question: str) -> frozenset[str]:
    words = {w.casefold() for w in re.findall(r"[\w\-]+", question)}
    return frozenset(words | {w.split("-", 1)[-1] for w in words if "-" in w})


@lru_cache(maxsize=1024)
def _acronyms(question: str) -> frozenset[str]:
    """The initials of the question's runs of capitalised words: "OMS" says nothing new
    to a question about the "Order Management System"."""
    found = set()
    for run in re.findall(r"[A-Z][\w\-]*(?:\s+(?:of\s+|for\s+|and\s+)?[A-Z][\w\-]*)+", question):
        initials = "".join(w[0] for w in run.split() if w[0].isupper()).casefold()
        found |= {initials[i:j] for i in range(len(initials)) for j in range(i + 2, len(initials) + 1)}
    return frozenset(found)


@lru_cache(maxsize=1024)
def _units(question: str) -> frozenset[str]:
    return frozenset(u.casefold() for u in UNIT.findall(question))


def _novel_words(name: str, question: str) -> list[str]:
    question_words = _question_words(question)
    acronyms = _acronyms(question)
    return [
        word
        for word in re.findall(r"[\w\-]+", name)
        if len(word) > 1
        and word.casefold() not in question_words
        and word.casefold().split("-", 1)[-1] not in question_words
        and not (word.isupper() and word.casefold() in acronyms)
    ]


def novel_name(name: str, question: str) -> bool:
    """Whether a name says something the question does not ("Ivan Petrov" for "which
    French ambassador"; not "Kessel" for a question about Kessel)."""
    return bool(_novel_words(name, question))


_PERSON = re.compile(
    r"\b(?:bomber|attacker|gunman|victim|groom|bride|minister|ambassador|envoy|diplomat|spokes(?:man|woman|person)|"
    r"journalist|reporter|activist|doctor|nurse|pilot|commander|leader|official|director|chief|president|governor|"
    r"researcher|engineer|employee|man|woman|boy|girl|child|person)s?\b",
    re.I,
)


@lru_cache(maxsize=1024)
def asks_person(question: str) -> bool:
    """"The name of the suicide bomber" wants a person: "Ambra Tellin" is no answer."""
    match = _FOCUS.search(question)
    return bool(match and _PERSON.search(match.group(0)))


def has_novel_name(text: str, question: str, describes: Describes = None) -> bool:
    """Whether text names something the question does not; a person is named with two
    new words or more ("Lena Hart", "Omar al-Fenn")."""
    person = asks_person(question)
    for name in names_in(text, describes):
        words = _novel_words(name, question)
        if words and (not person or len(words) >= 2 or any("-" in w for w in words)):
            return True
    return False


def _new_content_words(words: list[str], question: str) -> int:
    seen = {w.casefold()[:4] for w in _question_words(question)}
    return sum(1 for w in words if len(w) > 2 and w.casefold() not in _STOP and w.casefold()[:4] not in seen)


def offers_reason(text: str, question: str) -> bool:
    """Whether text gives a cause the question does not already say: "triggered by a
    brief power disruption" restates "why did the power disruption happen"; a sentence
    saying what the event caused gives none."""
    for match in _CAUSE_AFTER.finditer(text):
        if _new_content_words(re.findall(r"[\w\-]+", text[match.end() :])[:CAUSE_WINDOW], question) >= 2:
            return True
    for match in _CAUSE_BEFORE.finditer(text):
        if _new_content_words(re.findall(r"[\w\-]+", text[: match.start()])[-CAUSE_WINDOW:], question) >= 2:
            return True
    return any(_new_content_words([m.group(0)], question) for m in _FAULT.finditer(text))


def offers(text: str, question: str, want: Wanted, strict_only: bool = False, describes: Describes = None) -> bool:
    """Whether text holds an answer of a wanted kind that the question does not contain.
    With several kinds wanted ("which regulator, and how much"), one is enough;
    strict_only looks for the strict kinds alone."""
    if not (want.strict if strict_only else want.any):
        return True
    checks = []
    if want.count and asks_share(question):  # "what share of clients": "1.5%", "a third", not "12:12 PM"
        checks.append(_novel(SHARE.findall(text), question))
    elif want.count:
        # Days, years and clock times are numbers too, but no count ("On July 18, 2013").
        undated = DATE.sub(" ", text)
        numbers = [m for m in NUMBER.findall(undated) if not YEAR.fullmatch(m)]
        units = _units(question)
        in_unit = not units or bool(units & {u.casefold() for u in UNIT.findall(text)})
        checks.append(_novel(numbers, question) and in_unit)
    if want.money:
        checks.append(_novel(MONEY.findall(text), question))
    if want.duration:
        checks.append(_novel(DURATION.findall(text), question))
    if want.date:
        checks.append(_novel(DATE.findall(text), question))
    if want.age:
        checks.append(_novel(AGE.findall(text), question))
    if want.proper_name and re.search(r"\bnames? of\b", question, re.I):
        # "The name of the hospital": a name written next to "hospital", not any name.
        checks.append(name_near_focus(text, question, focus_terms(question), describes=describes))
    elif want.proper_name or (want.name and not strict_only):
        checks.append(has_novel_name(text, question, describes))
    if want.clock_time:
        checks.append(_novel(CLOCK_TIME.findall(text), question))
    if want.version:
        checks.append(_novel(VERSION.findall(text), question))
    if want.responsibility:
        checks.append(bool(RESPONSIBILITY.search(text)))
    if want.reason:
        checks.append(offers_reason(text, question))
    return any(checks)


_VERBS = (
    r"was|were|is|are|did|does|do|had|has|have|said|says|reported|told|caused|triggered|fined|killed|hit|"
    r"struck|led|made|used|ran|went|called|described|claimed|accused|denied|blamed|announced|confirmed"
)
_FOCUS = re.compile(
    rf"\b(?:which|what)\s+(?P<group>(?:(?!(?:{_VERBS})\b)[\w\-]+\s+){{0,3}}?(?!(?:{_VERBS})\b)[\w\-]+)(?=\s+(?:of|in|at|on|{_VERBS})\b)"
    rf"|\bnames? of (?:the |a |an )?(?P<named>(?:[\w\-]+\s+){{0,2}}?[\w\-]+)(?=\s+(?:who|that|which|whose|at|in|on|of|by|from|{_VERBS})\b|[?,]|$)",
    re.I,
)


@lru_cache(maxsize=1024)
def focus_terms(question: str) -> frozenset[str]:
    """The noun a "which" question asks about ("which opposition minister" -> minister,
    opposition; "the name of the groom" -> groom): the answer is usually written next
    to it ("minister Omar al-Fenn", "the health centre in al-Bayt area")."""
    match = _FOCUS.search(question)
    if not match:
        return frozenset()
    words = (match.group("group") or match.group("named") or "").lower().split()
    return frozenset(w for w in words if w not in {"the", "a", "an"} and len(w) > 2)


def name_near_focus(text: str, question: str, focus: frozenset[str], reach: int = 6, describes: Describes = None) -> bool:
    """Whether a name the question lacks is written within reach words of the focus noun
    ("minister Omar al-Fenn")."""
    if not focus:
        return False
    words = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", text)]
    at = [i for i, (_, w) in enumerate(words) if w.lower().strip(",.;:()\"'`") in focus]
    starts = [start for start, _ in words]
    for start, end, name in _names(text, describes):
        if not novel_name(name, question):
            continue
        if IDENTIFIER.fullmatch(name) and any(name.lower().startswith(f) for f in focus):
            return True  # an identifier that begins with the noun asked for: "db4" for "which db"
        if at:
            first = bisect.bisect_right(starts, start) - 1
            last = bisect.bisect_left(starts, end) - 1
            if any(max(first - i, i - last) <= reach for i in at):  # "Green Mosque" too
                return True
    return False


# The incident a question is about, and what it counts ---------------------------------

# Words that shape a question but are not what it is about (stemmed, as BM25 sees them).
QUESTION_TERMS = set(
    tokenize(
        [
            "how many much what which who whom whose when where why did does do was were is are "
            "report reports reported say said says according number total people tell told "
            "happen happened cause caused give gave name named"
        ]
    )[0]
)
_ASKS_SOURCE = re.compile(
    r"\b(?:who|which\s+(?:[\w\-]+\s+){0,3}?(?:group|monitor|agency|organi[sz]ation|official|spokes\w+|ministry|outlet|media))\b.*\b(?:said|says|say|reported|reports|report|told|claimed|claims|announced|confirmed|stated|described|called|accused|denied|blamed|warned|condemned|estimated|gave)\b"
    r"|\baccording to whom\b|\bwhat (?:is|was) the source\b",
    re.I,
)


_COUNTED = re.compile(r"\bhow many\s+(?:of\s+the\s+|more\s+)?(?P<noun>(?:[A-Za-z\-]+\s+){0,2}?[A-Za-z\-]+?)(?=\s+(?:were|was|are|is|did|do|does|have|has|had|died|killed|wounded|held|who|that|among|inside)\b|\?|$)", re.I)

# Words a count of people may be given in; a question's "kids" is the report's "children".
PEOPLE = set(tokenize(["people persons civilians individuals victims"])[0])
CHILDREN = set(tokenize(["children child kids minors boys girls infants babies pupils students"])[0])
KILLED = set(tokenize(["killed dead died deaths lives martyrs bodies"])[0])
WOUNDED = set(tokenize(["wounded injured hurt injuries casualties"])[0])


def noun_group(stem: str) -> set[str]:
    for group in (PEOPLE, CHILDREN, KILLED, WOUNDED):
        if stem in group:
            return group
    return {stem}


DIRECTIONS = set(tokenize(["eastern western northern southern northeastern northwestern southeastern southwestern"])[0])
MONTH_STEMS = set(tokenize([" ".join(MONTHS)])[0])
_ANCHOR_SKIP = {"according", "how", "what", "which", "who", "when", "where", "why", "did", "does", "was", "were", "is", "the", "in", "on", "a", "an"}


def anchor_terms(question: str) -> set[str]:
    """The words that pin a question to one incident: names, numbers, dates. A report
    missing one of them is about something else, however similar it reads."""
    # "Danish-run" pins "Danish", not "run"; "Kessel's" is "Kessel".
    words = [part for w in re.findall(r"[\w']+(?:-[\w']+)*", question) for part in re.sub(r"'s$", "", w).split("-")]
    picked = [
        w
        for i, w in enumerate(words)
        if len(w) > 1
        and w.lower() not in _ANCHOR_SKIP
        and (w[0].isdigit() or (w[0].isupper() and (i > 0 or w[1:].isupper())))
    ]
    return set(tokenize([" ".join(picked)])[0]) - QUESTION_TERMS if picked else set()


def counted_noun(question: str) -> str | None:
    """"How many children were killed" -> the stem of "children"."""
    phrase = counted_phrase(question)
    if not phrase:
        return None
    stems = tokenize([phrase.split()[-1]])[0]
    return stems[0] if stems else None


def counts_the_wounded(words: list[str], at: int, reach: int = 8) -> bool:
    """Whether the number words[at] counts the wounded: the first word of what happened
    after it ("32 killed and 100 wounded" | "About 100 people were wounded") is a wound,
    before any death and before the next number."""
    for word in words[at + 1 : at + 1 + reach]:
        if any(ch.isdigit() for ch in word):
            return False
        stems = set(tokenize([word])[0])
        if stems & KILLED:
            return False
        if stems & WOUNDED:
            return True
    return False


def counted_terms(question: str, noun: str) -> set[str]:
    """The words a count must stand next to. People are counted by what happened to them
    ("five others wounded" answers "how many people were wounded"); anything else by its
    own name ("four nurses")."""
    group = noun_group(noun)
    if any(group is people for people in (PEOPLE, KILLED, WOUNDED)):
        asked = set(tokenize([question])[0])
        if asked & WOUNDED:  # "9 civilians killed" does not say how many were wounded
            return WOUNDED
        return group | KILLED | PEOPLE
    return group


def counted_phrase(question: str) -> str | None:
    """"How many teaching staff died" -> "teaching staff"."""
    match = _COUNTED.search(question)
    return match.group("noun") if match else None




@dataclass(frozen=True)
class Question:
    """A question read once, at the start of answering, and handed to every step.

    text is what is asked (the latest question of a thread); search is what the reports
    are searched with (a follow-up joined with the questions before it)."""

    text: str
    search: str
    want: Wanted
    terms: frozenset[str]  # stemmed content words of search, without the words of asking
    anchors: frozenset[str]  # names, numbers and dates that pin the incident
    months: frozenset[str]  # months it names (stems)
    directions: frozenset[str]  # "eastern", "western" ... of a count's place
    counted_noun: str | None  # "how many children" -> "children" (stem)
    counted_phrase: str | None  # "how many teaching staff" -> "teaching staff"
    counted_terms: frozenset[str]  # words a number must stand next to, to count it
    counts_people: bool
    asks_source: bool  # "who said ...", "according to whom"
    focus_nouns: frozenset[str]  # the noun a "which" question asks about

    @property
    def is_follow_up(self) -> bool:
        return self.search != self.text


def read_question(text: str, search: str | None = None) -> Question:
    """Everything the answer step needs to know about a question."""
    search = search or text
    noun = counted_noun(text)
    counted = counted_terms(text, noun) if noun else set()
    stems = set(tokenize([text])[0])
    return Question(
        text=text,
        search=search,
        want=wanted(text),
        terms=frozenset(set(tokenize([search])[0]) - QUESTION_TERMS),
        anchors=frozenset(anchor_terms(search)),
        months=frozenset(set(tokenize([search])[0]) & MONTH_STEMS),
        directions=frozenset(stems & DIRECTIONS) if noun else frozenset(),
        counted_noun=noun,
        counted_phrase=counted_phrase(text),
        counted_terms=frozenset(counted),
        counts_people=noun is not None and any(noun in group for group in (PEOPLE, KILLED, WOUNDED)),
        asks_source=bool(_ASKS_SOURCE.search(text)),
        focus_nouns=focus_terms(text),
    )
