"""The checks a claim passes before anyone sees it, one per kind of fact it states.

Each check compares the claim's statement with the words that support it: the quote's
sentence and the sentence before it in the cited report, and the report's metadata
(title, outlet, the outlets of its copies, its date). Each returns why the claim fails,
or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from retrieval.answer.attribution import Speaker
from retrieval.answer.collection import Collection
from retrieval.answer.kinds import Worded
from retrieval.answer.report import Region, ReportView
from retrieval.answer.windows import Window
from retrieval.index.spans import Span
from retrieval.language.dates import day
from retrieval.language.en import questions as asking
from retrieval.language.en.answers import OPENERS
from retrieval.language.en.calendar import is_calendar_word
from retrieval.language.en.harm import KILLED, PEOPLE, WOUNDED
from retrieval.language.en.lex_attrs import VAGUE_COUNTS  # a claim of "several" needs its report to say it
from retrieval.language.en.speech import ATTRIBUTION_PHRASES, ORGANISATION_ROLES, SOURCE_ROLES, SPEECH_VERBS
from retrieval.language.en.stop_words import STOP_WORDS
from retrieval.language.names import JOINERS, acronyms_spelled_out, initials, key_words, runs, spelled_in, written_in
from retrieval.language.numbers import Number, numbers_in, value_key
from retrieval.language.terms import term_set

# A statement must share at least this share of its content words with what supports it.
MIN_OVERLAP = 0.5
CONTEXT_WORDS = 10  # words either side of a figure that say what it is said of
MIN_SHARED_CONTEXT = 3  # ... shared with another figure's, to call the statement's misplaced,
MISPLACED_MARGIN = 2  # and this many more than with its own value's
NOUN_REACH = 4  # words after a sentence's figure that may say what it counts ("15 of the children")
MIN_QUOTATION_WORDS = 3  # text in quotation marks this long must be the report's words
_QUOTATION = re.compile(r"[\"“]([^\"“”]+)[\"”]")
# Units whose figure must be given in them ("10 hours" is not "10 engineers").
_UNITS = asking.TIME_UNITS | asking.SHARE_UNITS | asking.CURRENCY_WORDS
_ROLE_WORDS = frozenset(key_words(" ".join(SOURCE_ROLES | ORGANISATION_ROLES))) | {"monitoring"}
_STOP_STEMS = term_set(" ".join(STOP_WORDS))
_SAYING_STEMS = term_set(" ".join(SPEECH_VERBS))  # who says a figure is not what it counts
_HARM = term_set(" ".join(KILLED + WOUNDED))
_GENERIC_PEOPLE = term_set(" ".join(PEOPLE))
_HEARER = re.compile(r"\b(?:told|to)\s+((?:the\s+)?[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,4})")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_SPLITTERS = re.compile(r"\s+(?:of|for|at|in|from|with|on|and)\s+(?:the\s+)?|'s\s+|’s\s+|,\s*")


@dataclass(frozen=True)
class Support:
    """What a claim may rest on: its quote located in the report, the quote's sentence
    and the one before it, and the report's metadata."""

    window: Window
    view: ReportView
    span: Span
    sentence: Region
    before: Region

    @cached_property
    def text(self) -> str:
        return self.view.text[self.before.start : self.sentence.end]

    @cached_property
    def metadata(self) -> str:
        report = self.window.report
        parts = [report.title, report.source or "", *(c.source or "" for c in self.window.copies)]
        published = day(report.published)
        if published is not None:
            d = published.start
            parts += [d.isoformat(), f"{d.day} {d:%B %Y}", f"{d:%B} {d.day} {d.year}", d.strftime("%A")]
        return "\n".join(p for p in parts if p)

    @cached_property
    def report_text(self) -> str:
        return self.view.text

    @property
    def outlets(self) -> list[str]:
        report = self.window.report
        return [o for o in [report.source, *(c.source for c in self.window.copies)] if o]


def support_for(window: Window, span: Span) -> Support:
    view = ReportView(window.report)
    sentence = view.sentence(span.start, span.end)
    return Support(window, view, span, sentence, view.before(sentence.start))


def claim_words(statement: str) -> str:
    """What a statement claims, without its opener or attribution, as a report may write it."""
    return _claim_text(statement).rstrip(".")


def _claim_text(statement: str) -> str:
    """The statement without its opener ("Yes:", "According to X,") and attribution
    phrases, which claim nothing themselves."""
    text = statement.strip()
    lowered = text.lower()
    for opener in OPENERS:
        if lowered.startswith(opener) and (len(text) == len(opener) or not text[len(opener)].isalnum()):
            text = text[len(opener) :].lstrip(" :,.-—")
            break
    return text


# figures ------------------------------------------------------------------------


def figures(statement: str, support: Support) -> str | None:
    """Every figure of the statement stands in the quote's own sentence (or the report's
    date), counting what the statement says it counts: a changed figure, one taken from
    elsewhere in the report, "16" where the sentence has 16 of something else, or the
    dead where it counts the wounded, fails. A figure given in a unit of time, money or
    share must be given in it there ("~10 hours" is not supported by "10 engineers")."""
    text = _claim_text(statement)
    sentence = support.view.words(support.sentence)
    where = sentence + "\n" + support.metadata
    # The sentence and the headline give figures of something; the date only its own.
    given = [(Worded(words), [n for n in numbers_in(words) if n.value is not None]) for words in (sentence, support.window.report.title)]
    claim = Worded(text)
    missing, misread = _unsupported(text, claim, where, given)
    if not missing and not misread:
        misread += _misplaced(text, claim, sentence, given[0][0])
    missing += _vague_counts(text, where)
    if missing:
        return f"figures not in the quoted sentence: {', '.join(dict.fromkeys(missing))}"
    if misread:
        return f"the quoted sentence counts something else with: {', '.join(dict.fromkeys(misread))}"
    return None


def _unsupported(text: str, claim: Worded, where: str, given: list[tuple[Worded, list[Number]]]) -> tuple[list[str], list[str]]:
    """The statement's figures that where does not give (in their unit, for a unit of
    time, money or share), and those the supporting words give counting something else."""
    available = {(value_key(n.value), _unit(n.unit)) for n in numbers_in(where) if n.value is not None}
    values = {v for v, _ in available}
    missing, misread = [], []
    for number in numbers_in(text):
        if number.value is None:
            continue
        value = value_key(number.value)
        unit = _unit(number.unit)
        if value not in values or (unit in _UNITS and (value, unit) not in available):
            missing.append(number.text)
        # A year or a date is checked as present, not as a count of something.
        elif number.is_figure and _counts_something_else(number, claim, given):
            misread.append(number.text)
    return missing, misread


def _counts_something_else(number: Number, claim: Worded, given: list[tuple[Worded, list[Number]]]) -> bool:
    """Whether the supporting words give the statement's figure only as a count of
    something else than the statement says it counts."""
    value = value_key(number.value)
    same = [(source, n) for source, found in given for n in found if n.is_figure and value_key(n.value) == value]
    return bool(same) and not any(_agrees(number, claim, n, source) for source, n in same)


def _vague_counts(text: str, where: str) -> list[str]:
    """The vague counts of the statement ("several", "a few") that where does not say."""
    return [w for w in VAGUE_COUNTS if re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE) and not re.search(rf"\b{re.escape(w)}\b", where, re.IGNORECASE)]


def _context(worded: Worded, number: Number) -> frozenset[str]:
    """The words around a figure (other figures left out, and words of saying: "AFP
    reported" says who gives a figure, not what it counts): what it is said of."""
    first, last = worded.index(number)
    around = " ".join(worded.words[max(0, first - CONTEXT_WORDS) : first] + worded.words[last + 1 : last + 1 + CONTEXT_WORDS])
    figures = {f"#{value_key(n.value)}" for n in numbers_in(around) if n.value is not None}  # "… among them 11 children"
    return {t for t in term_set(around) - _STOP_STEMS - _SAYING_STEMS if not t.isdigit()} | figures


def _misplaced(text: str, claim: Worded, sentence: str, source: Worded) -> list[str]:
    """Figures of the statement that stand where the supporting words give another one:
    "Two civilians among them 11 children died in a barrel bomb attack" where the
    report says "Fifteen civilians among them 11 children were killed in a barrel bomb
    attack" and, a sentence later, "eight civilians including two children ... in rebel
    fire". Each figure is matched to the figure of the supporting words said of the
    most words it is said of."""
    found = [n for n in numbers_in(sentence) if n.is_figure and n.value is not None]
    contexts = [(n, _context(source, n)) for n in found]
    wrong = []
    for number in numbers_in(text):
        if not number.is_figure or number.value is None:
            continue
        said_of = _context(claim, number)
        value = value_key(number.value)
        best = max((len(said_of & c) for _, c in contexts), default=0)
        same = max((len(said_of & c) for n, c in contexts if value_key(n.value) == value), default=0)
        if best >= MIN_SHARED_CONTEXT and best - same >= MISPLACED_MARGIN:
            wrong.append(number.text)
    return wrong


def _agrees(number: Number, claim: Worded, given: Number, source: Worded) -> bool:
    """Whether the statement's figure counts what the sentence's same figure counts: the
    dead or the wounded alike, and the same thing ("civilians" and "people" are alike;
    "soldiers" and "civilians" are not)."""
    if _unit(given.unit) in _UNITS and _unit(given.unit) != _unit(number.unit):
        return False  # "two people" is not "two years", "10 dead" not "10 per cent"
    harm, given_harm = claim.harm(number), source.harm(given)
    if harm and given_harm and harm != given_harm:
        return False
    _, last = claim.index(number)
    nouns = []  # "17 innocent children": the words up to the next function word
    for word in [number.unit or "", *claim.words[last + 1 : last + 1 + NOUN_REACH]][: NOUN_REACH - 1]:
        word = word.lower().strip(",.;:()\"'“”")
        if not word.isalpha() or word in STOP_WORDS:
            break
        nouns.append(word)
    stems = term_set(" ".join(dict.fromkeys(nouns)))
    if not stems or stems & (_HARM | _GENERIC_PEOPLE):
        return True  # "22 were killed", "16 of the wounded", "22 people": nothing narrower claimed
    _, given_last = source.index(given)
    after = term_set(" ".join([given.unit or "", *source.words[given_last + 1 : given_last + 1 + NOUN_REACH]]))
    return bool(stems & after)


def _unit(word: str | None) -> str:
    if not word:
        return ""
    word = word.lower()
    return word[:-1] if word.endswith("s") and word[:-1] in _UNITS else word


# names --------------------------------------------------------------------------


def _names_of(statement: str, collection: Collection) -> list[str]:
    """The names a statement states: runs of capitalised words, without the words that
    open a sentence (the collection writes them in lower case) or a claim ("According
    to"), split at the joints of a title ("Rami Abdel Rahman of the Syrian Observatory",
    "the UN's Regional Humanitarian Coordinator")."""
    text = _claim_text(statement)
    for phrase in ATTRIBUTION_PHRASES:
        text = re.sub(rf"\b{re.escape(phrase)}\b", " ", text, flags=re.IGNORECASE)
    names = []
    for _, _, run in runs(text):
        for part in _SPLITTERS.split(run):
            words = [w for w in part.split() if w]
            while words and (words[0].lower() in JOINERS or words[0].lower() in STOP_WORDS or not _is_name(words[0], collection)):
                words = words[1:]
            while words and words[-1].lower() in JOINERS:
                words = words[:-1]
            if words:
                names.append(" ".join(words))
    return names


def _is_name(word: str, collection: Collection) -> bool:
    bare = word.strip(".,;:'’\"()")
    if not bare[:1].isupper():
        return False
    if bare.isupper() and len(bare) >= 2:
        return True
    return is_calendar_word(bare) or collection.is_name_word(bare)


def name_supported(name: str, where: str, report_text: str) -> bool:
    """A name is supported where it is written, in any form (possessive, stripped
    hyphens), as the acronym of a name written there, or spelled out where its acronym
    is ("SOHR" and "Syrian Observatory for Human Rights", when the report says so)."""
    if spelled_in(name, where):  # "Hasakeh" where the report writes "Hasakah"
        return True
    compact = name.replace(".", "")
    if compact.isupper() and len(compact) >= 2:
        spelled = acronyms_spelled_out(report_text)
        expansion = spelled.get(compact.upper())
        if expansion is not None and (written_in(expansion, where) or any(written_in(w, where) for w in expansion.split() if len(w) > 4 and w[0].isupper())):
            return True
        if any(initials(run).upper() == compact.upper() for _, _, run in runs(where)):
            return True
    letters = initials(name)
    if len(name.split()) >= 2 and len(letters) >= 2 and written_in(letters, where):
        return True
    return False


def names(statement: str, support: Support, collection: Collection, speakers: list[str] = ()) -> str | None:
    """Every name of the statement is in the quote's sentence or the one before it, or
    the report's title, outlet or copies. The names of whom it credits are the speaker
    check's to judge."""
    where = support.text + "\n" + support.metadata
    credited = " ".join(speakers)
    # Whom a source told ("told AFP", "said in a statement to Reuters") may be named
    # anywhere in the report: the agency's dateline, its correspondent.
    heard = " ".join(m.group(1) for m in _HEARER.finditer(statement))
    missing = [
        n for n in _names_of(statement, collection)
        if not name_supported(n, where, support.report_text)
        and not written_in(n, credited)
        and not (written_in(n, heard) and name_supported(n, support.report_text, support.report_text))
    ]
    if missing:
        return f"names not in the quoted sentence: {', '.join(dict.fromkeys(missing))}"
    return None


# quotations and wording ---------------------------------------------------------------


def quotations(statement: str, support: Support, locate) -> str | None:
    """Words the statement presents as a quotation are the report's words."""
    for quoted in _QUOTATION.findall(statement):
        if len(quoted.split()) >= MIN_QUOTATION_WORDS and locate(quoted, support.report_text) is None:
            return f"the quotation is not the report's words: “{quoted}”"
    return None


def overlap(statement: str, support: Support, asked: frozenset[str] = frozenset()) -> str | None:
    """The statement shares most of its content words with what supports it: a
    citation to a report that says something else is no support."""
    words = term_set(_claim_text(statement)) - asked
    if not words:
        return None
    shared = len(words & term_set(support.text + "\n" + support.window.report.title)) / len(words)
    if shared < MIN_OVERLAP:
        return "the quoted sentence does not say this"
    return None


# who said it --------------------------------------------------------------------


def speaker(claimed: list[str], statement: str, support: Support, found: Speaker | None, sources: list[Speaker]) -> str | None:
    """Whom the statement credits is whom the report credits with the quote (found), or
    another source its sentence quotes (sources). An outlet or agency that only carried
    the claim may be named as its carrier when the statement also names who made it
    ("Al-Manar reported, citing state media, that ..."), or when nobody in the report
    makes it; credited alone with a claim the report gives to someone else (IS's figure,
    carried by AFP), it fails, and so does anyone else the report does not credit."""
    source_named = found is not None and (
        any(same_source(name, found, support.report_text) for name in claimed) or name_supported(found.name, statement, support.report_text)
    )
    speakers = ([found] if found else []) + sources

    def credited(name: str) -> bool:
        if any(same_source(name, s, support.report_text) for s in speakers):
            return True
        carrier = any(written_in(name, o) or written_in(o.split(" (")[0], name) for o in support.outlets)
        if carrier and (found is None or source_named):
            return True
        # Nobody found making the claim, and the statement credits someone its sentence
        # names ("Initial reports indicated ...", "Syrian activists are reporting ...").
        return found is None and name_supported(name, support.view.words(support.sentence), support.report_text)

    for name in claimed:
        name = _ARTICLE.sub("", name.strip())
        parts = [p for p in re.split(r"\s+and\s+", name) if p]
        if credited(name) or (len(parts) > 1 and all(credited(_ARTICLE.sub("", p)) for p in parts)):
            continue  # "a medical source and witnesses": two sources, each credited
        if found is not None:
            return f"the report gives this claim to {found.shown}, not {name}"
        return f"the report does not credit {name} with this"
    return None


def same_source(name: str, speaker: Speaker, report_text: str) -> bool:
    """Whether a name is how a statement may call a speaker: in part ("the Observatory",
    "a monitor"), by acronym ("SOHR"), or by the words of its name with one left out
    ("the Syrian Coalition" for "the Syrian National Coalition")."""
    if name_supported(name, speaker.shown, report_text) or written_in(speaker.name, name):
        return True
    words = {w for w in key_words(name) if w not in STOP_WORDS}
    theirs = {w for w in key_words(speaker.name) if w not in STOP_WORDS}
    if len(words) >= 2 and (words <= theirs or theirs <= words):
        return True
    # "the Syrian Observatory for Human Rights monitoring group", read as "Human Rights
    # monitoring group": the name without its role words is part of the claimed name.
    named = {w for w in theirs if w not in _ROLE_WORDS and "-" not in w}
    return len(words) >= 2 and bool(named) and named < words


def words_of(name: str) -> tuple[str, ...]:
    return key_words(name)
