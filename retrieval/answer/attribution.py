"""Who, inside a report, makes a claim.

The speaker of a quote is whoever the report says makes it: "according to X", "X said",
"said X", "X, deputy director of Y, said" (X, of Y), "X reported", "a medical source told
AFP" (the source, not the agency that heard it), "he said" (the person named before). A
report's outlet is never found here: it is the source only when nobody inside the report
is, and callers show it as the outlet.

Who can be a speaker is read from the report's recognised entities (people and
organisations) and from capitalised words the collection writes as names, never a
place or a date (``Collection``); sources named by their role ("a medical source",
"local activists", "Syrian state media") come from the role nouns of
``language.en.speech``. A role the report pins on a named organisation elsewhere ("the
Syrian Observatory for Human Rights, a Britain-based monitoring group") is that
organisation. The text is read word by word, since stored texts may have lost their
commas and full stops.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from retrieval.answer.collection import Collection
from retrieval.answer.report import Region, ReportView
from retrieval.index.entities import SPEAKERS
from retrieval.language.en.calendar import is_calendar_word
from retrieval.language.en.answers import OPENERS
from retrieval.language.en.speech import (
    ATTRIBUTION_PHRASES,
    ORGANISATION_ROLES,
    SOURCE_ROLES,
    SPEAKER_PRONOUNS,
    SPEECH_VERBS,
    TITLES,
)
from retrieval.language.en.stop_words import STOP_WORDS
from retrieval.language.names import JOINERS
from retrieval.language.terms import term_set

AFTER_CHARS = 220  # how far after a quote its attribution is looked for
PRONOUN_REACH = 600  # how far back a "he said" looks for the person it stands for
TITLE_REACH = 14  # words between a name and its verb ("X, deputy director of ..., said")
LOWER_IN_TITLE = 4  # lower-case words a title between a name and its verb may have
ROLE_MODIFIERS = 4  # "a senior military source": words before a role noun
ROLE_PLACE_WORDS = 5  # "a source in Salamiyeh National Hospital": words after it
APPOSITION_GAP = 3  # words between a name and the role that describes it ("X, a monitoring group")
ANALYSED_REPORTS = 512  # reports whose attributions are kept read
NAMED_NEXT_CHARS = 400  # how far after "a monitor said" the monitor is looked for by name
_TOKEN = re.compile(r"[\w'’.-]+|[\"“”:;,()]")
_HEARING_VERBS = frozenset({"told"})  # "X told AFP": the object heard the claim, X made it
_DETERMINERS = frozenset({"a", "an", "the"})
_ABBREVIATION = re.compile(r"(?:[A-Za-z]\.)+")


@dataclass(frozen=True)
class Speaker:
    name: str  # as the report writes it
    start: int
    end: int
    anonymous: bool = False  # named by role ("a medical source")
    role: str | None = None  # "head of the Syrian Observatory for Human Rights", "a monitor"
    person: bool = False
    organisation: bool = False
    cue: int = -1  # where the verb or phrase that credits them is ("said", "according to")

    @property
    def shown(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    word: str  # as written
    plain: str  # lower-case, without punctuation around it

    @property
    def ends_sentence(self) -> bool:
        """"killed." ends a sentence; "U.S." and "Col." do not."""
        return self.word.endswith(".") and not _ABBREVIATION.fullmatch(self.word) and self.plain not in TITLES and len(self.plain) > 1


@dataclass
class _Analysis:
    tokens: list[_Token]
    index_of_start: dict[int, int]
    candidates: list[Speaker]
    attributions: list[Speaker]
    resolved: dict[tuple[int, int, int], Speaker]


class Attribution:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        # A report's attributions are read once, over its whole text, and kept until the
        # collection changes (a name's statistics may change with it).
        self._analysed: OrderedDict[tuple, _Analysis] = OrderedDict()
        self._lock = threading.Lock()

    def _analysis(self, view: ReportView) -> _Analysis:
        """Every attribution, name and role of a report, in text order."""
        key = (view.report.doc_id, hash(view.text), self.collection.catalog.generation)
        with self._lock:
            found = self._analysed.get(key)
            if found is not None:
                self._analysed.move_to_end(key)
                return found
        whole = Region(0, len(view.text))
        tokens = self._tokens(view.text, whole)
        candidates = _apposed_roles(view.text, self._names(view, whole, tokens), self._roles(view, tokens))
        index_of_start = {t.start: i for i, t in enumerate(tokens)}
        found = _Analysis(tokens, index_of_start, candidates, [], {})
        found.attributions.extend(self._attributions(view, tokens, candidates, index_of_start))
        with self._lock:
            self._analysed[key] = found
            while len(self._analysed) > ANALYSED_REPORTS:
                self._analysed.popitem(last=False)
        return found

    # candidates ----------------------------------------------------------------

    @staticmethod
    def _tokens(text: str, region: Region) -> list[_Token]:
        return [
            _Token(m.start(), m.end(), m.group(0), m.group(0).lower().strip(".'’"))
            for m in _TOKEN.finditer(text, region.start, region.end)
        ]

    def _is_name_word(self, word: str) -> bool:
        bare = word.strip(".'’-")
        if len(bare) >= 2 and bare.isupper() and bare.isalpha():
            return not is_calendar_word(bare)  # "IS", "SANA", "SOHR"
        return bare[:1].isupper() and not is_calendar_word(bare) and self.collection.is_name_word(bare)

    def _names(self, view: ReportView, region: Region, tokens: list[_Token]) -> list[Speaker]:
        """People and organisations in region: recognised entities, and runs of name
        words the recogniser missed; never a place or a date."""
        found: list[Speaker] = []
        taken: set[int] = set()
        for entity in view.entities(region):
            if entity.label not in SPEAKERS:
                continue
            following = view.text[entity.end : entity.end + 20].split()[:1]
            if entity.label == "NORP" and following and following[0][:1].islower():
                continue  # "Syrian state television": an adjective, not who speaks
            name = self._trim(view.text[entity.start : entity.end], recognised=True)
            if not name or self.collection.is_place(name) or self.collection.is_date(name):
                continue
            at = view.text.find(name, entity.start, entity.end)
            found.append(Speaker(name, at, at + len(name), person=entity.label == "PERSON", organisation=entity.label == "ORG"))
            taken.update(range(entity.start, entity.end))
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.start in taken or not self._is_name_word(token.word):
                i += 1
                continue
            j = i + 1
            while j < len(tokens) and not tokens[j - 1].ends_sentence and (
                self._is_name_word(tokens[j].word)
                or (tokens[j].plain in JOINERS and j + 1 < len(tokens) and self._is_name_word(tokens[j + 1].word))
            ):
                j += 1
            following = tokens[j] if j < len(tokens) else None
            if (
                j == i + 1
                and not token.word.isupper()
                and following is not None
                and following.word[:1].islower()
                and following.plain not in SPEECH_VERBS | STOP_WORDS
                and not token.ends_sentence
            ):
                i = j  # "Syrian state television": one capitalised word used as an adjective
                continue
            name = self._trim(view.text[token.start : tokens[j - 1].end])
            surname = next((p for p in found if p.person and " " in p.name and p.name.split()[-1] == name), None)
            if surname is not None and not any(s.start <= token.start < s.end for s in found):
                found.append(Speaker(name, token.start, token.start + len(name), person=True))  # "Khalil" of "Nawaf Khalil"
                i = j
                continue
            placed = any(self.collection.is_place(w) for w in name.split() if w[:1].isupper() and not w.isupper())
            if name and not placed and not self.collection.is_place(name) and not self.collection.is_date(name):
                start = view.text.find(name, token.start)
                if not any(s.start <= start < s.end for s in found):
                    found.append(Speaker(name, start, start + len(name)))
            i = j
        return sorted(found, key=lambda s: s.start)

    def _trim(self, name: str, recognised: bool = False) -> str:
        """"the Syrian Observatory of Human Rights Be Sociable Share" -> "Syrian Observatory
        of Human Rights": articles and places before the name go ("Aleppo Amnesty
        International"), and the name ends before a capitalised function word ("Be") or,
        where the recogniser did not mark the name, before a word the collection writes
        in lower case (page furniture run into it)."""
        words = name.strip(" ,.;:'\"()").split()
        while words and (
            words[0].lower() in _DETERMINERS or (len(words) > 1 and not words[0].isupper() and self.collection.is_place(words[0]))
        ):
            words = words[1:]
        kept: list[str] = []
        for word in words:
            function_word = word.lower() in STOP_WORDS and word.lower() not in JOINERS and not word.isupper()
            if kept and (function_word or (not recognised and word.lower() not in JOINERS and not self._is_name_word(word))):
                break
            kept.append(word.rstrip(".,;:") if not _ABBREVIATION.fullmatch(word) else word)
            if word.endswith(".") and not _ABBREVIATION.fullmatch(word) and word.lower().strip(".") not in TITLES:
                break  # "Peskov. The ..." ends a sentence
        while kept and kept[-1].lower() in JOINERS:
            kept.pop()
        if not kept or all(w.lower() in JOINERS or w.lower() in STOP_WORDS for w in kept):
            return ""
        return " ".join(kept)

    def _modifier(self, token: _Token) -> bool:
        """A word that may stand before a role noun in a source's name ("medical",
        "Britain-based", "Syrian", "SANA"): not a verb of saying, a function word, a
        number, a date or a place."""
        return (
            token.word[:1].isalnum()
            and not token.ends_sentence
            and not token.word[:1].isdigit()
            and token.plain not in SPEECH_VERBS
            and not (token.word.islower() and token.plain in STOP_WORDS)
            and not is_calendar_word(token.plain)
            and not (token.word[:1].isupper() and not token.word.isupper() and self.collection.is_place(token.word))
        )

    def _roles(self, view: ReportView, tokens: list[_Token]) -> list[Speaker]:
        """Sources named by their role: "a medical source", "local activists", "Syrian
        state media", "the Islamic State (IS) group". The words before the noun belong to
        it back to a determiner, or back to the first capitalised word where there is
        none ("the explosion NNA correspondent" is "NNA correspondent"); "a medical
        source and witnesses" is one source."""
        found: list[Speaker] = []
        for i, token in enumerate(tokens):
            opens = i == 0 or tokens[i - 1].ends_sentence  # "Activists said ...": capitalised as a sentence's first word
            if token.plain not in SOURCE_ROLES or not (token.word[:1].islower() or opens):
                continue
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if following is not None and following.word[:1].islower() and following.plain not in SPEECH_VERBS and following.plain not in STOP_WORDS:
                continue  # "military targets", "police station": the role noun describes a noun
            j, start = i, token.start
            capital = None
            while j > 0 and i - j < ROLE_MODIFIERS:
                previous = tokens[j - 1]
                if previous.word in ("(", ")"):
                    j -= 1
                    continue
                if previous.plain in _DETERMINERS:
                    start = previous.start
                    capital = None
                    break
                if not self._modifier(previous):
                    break
                j -= 1
                start = previous.start
                if previous.word[:1].isupper():
                    capital = previous.start
            else:
                capital = capital if capital is not None else None
            if capital is not None and (j == 0 or tokens[j - 1].plain not in _DETERMINERS):
                start = capital if view.text[start:capital].strip() and not view.text[start:capital].strip()[:1].isupper() else start
            if found and found[-1].anonymous and view.text[found[-1].end : start].strip().lower() == "and":
                start = found.pop().start  # "a medical source and witnesses"
            end = token.start + len(token.word.rstrip(".,;:"))
            # "a source in Salamiyeh National Hospital", "a source at Aleppo province": the
            # place or body a role belongs to is part of how the report names the source.
            k = i + 1
            if not token.ends_sentence and k + 1 < len(tokens) and tokens[k].plain in ("in", "at", "from", "of") and tokens[k + 1].word[:1].isupper():
                k += 1
                while k < len(tokens) and k - i <= ROLE_PLACE_WORDS and (tokens[k].word[:1].isupper() or tokens[k].plain in ("province", "hospital", "city")):
                    end = tokens[k].start + len(tokens[k].word.rstrip(".,;:"))
                    if tokens[k].ends_sentence:
                        break
                    k += 1
            words = view.text[start:end].split()
            if opens and start == token.start:
                words = words[1:]
            named = any(w[:1].isupper() and "-" not in w and w.lower() not in _DETERMINERS for w in words)
            found.append(Speaker(view.text[start:end], start, end, anonymous=not named))
        return found

    # attributions --------------------------------------------------------------

    def attributions(self, view: ReportView, region: Region) -> list[Speaker]:
        """Every source region says makes a claim (its verb or phrase is in region), in
        text order."""
        return [s for s in self._analysis(view).attributions if region.start <= s.cue < region.end]

    def _attributions(
        self, view: ReportView, tokens: list[_Token], candidates: list[Speaker], index_of_start: dict[int, int]
    ) -> list[Speaker]:
        by_start_all: dict[int, list[Speaker]] = {}
        for c in candidates:
            by_start_all.setdefault(c.start, []).append(c)
        by_end = {c.end: c for c in candidates}
        found: list[Speaker] = []

        def candidate_from(i: int, cue: int) -> Speaker | None:
            """A candidate starting at token i, or a few words of its name later
            ("according to the Syrian state news agency SANA"); "by" and articles before
            it are no part of it."""
            while i < len(tokens) and tokens[i].plain in ("by", "to"):
                i += 1
            best = None
            for k in range(i, min(len(tokens), i + 7)):
                for c in by_start_all.get(tokens[k].start, ()):
                    if best is None or c.end > best.end:  # the head of the phrase: "Syrian state news agency SANA"
                        best = c
                if best is not None and tokens[k].end >= best.end and not (k + 1 < len(tokens) and self._modifier(tokens[k + 1]) and by_start_all.get(tokens[k + 1].start)):
                    break
                if tokens[k].plain in _DETERMINERS:
                    continue
                if not self._modifier(tokens[k]) or tokens[k].plain in JOINERS:
                    break
            if best is None:
                return None
            start = tokens[i].start if tokens[i].plain not in _DETERMINERS or best.anonymous else tokens[min(i + 1, len(tokens) - 1)].start
            start = min(start, best.start)
            return replace(best, name=view.text[start : best.end], start=start, cue=cue)

        for i, token in enumerate(tokens):
            rest = " ".join(t.plain for t in tokens[i : i + 3])
            phrase = next((p for p in ATTRIBUTION_PHRASES if rest.startswith(p)), None)
            if phrase:
                c = candidate_from(i + len(phrase.split()), token.start)
                if c:
                    found.append(c)
                continue
            if token.plain not in SPEECH_VERBS or (i > 0 and tokens[i - 1].plain in _DETERMINERS):
                continue  # "an alleged attack", "the reported toll": no one speaks
            if i > 0 and tokens[i - 1].plain in SPEAKER_PRONOUNS:
                person = self._person_before(candidates, tokens[i - 1].start)
                if person is not None:
                    found.append(replace(person, cue=token.start))
                continue
            before, gap = self._speaker_before(view, tokens, i, by_end)
            # "said Samah Hadid": the speaker follows the verb; "told AFP", "reaffirmed to
            # Asharq Al-Awsat": whoever follows heard the claim.
            heard = token.plain in _HEARING_VERBS or (i + 1 < len(tokens) and tokens[i + 1].plain == "to")
            after = candidate_from(i + 1, token.start) if i + 1 < len(tokens) and not heard else None
            if after is not None and (before is None or gap > 1):
                found.append(after)  # "... in the suburbs of Damascus said the Syrian Observatory"
            elif before is not None:
                found.append(replace(before, cue=token.start))
        found += self._headers(view, tokens, candidates, index_of_start)
        unique: dict[tuple[int, int], Speaker] = {}
        for s in sorted(found, key=lambda s: s.start):
            unique.setdefault((s.start, s.end), s)
        return list(unique.values())

    def _speaker_before(
        self, view: ReportView, tokens: list[_Token], verb: int, by_end: dict[int, Speaker]
    ) -> tuple[Speaker | None, int]:
        """"X said", "X, deputy director of Y, said", "X a British-based monitoring group
        gave": the nearest candidate ending before the verb, across a title (capitalised
        words, joiners or a few lower-case words) but not across another claim or a
        sentence end; and how many words stand between. A person named with a title
        before an organisation ("Rami Abdel Rahman, head of the Syrian Observatory ...,
        said") is the speaker, the organisation his role."""
        lower = 0
        for j in range(verb - 1, max(-1, verb - 1 - TITLE_REACH), -1):
            word = tokens[j]
            if word.word in ('"', "“", "”") or word.plain in SPEECH_VERBS or (j < verb - 1 and word.ends_sentence):
                return None, 0
            c = by_end.get(word.end) or by_end.get(word.end - 1)
            if c is not None:
                return self._titled(view, tokens, j, c, by_end), verb - 1 - j
            if word.word[:1].islower() and word.plain not in TITLES and word.plain not in JOINERS and word.plain not in ("at", "in", "a", "an"):
                lower += 1
                if lower > LOWER_IN_TITLE:
                    return None, 0
        return None, 0

    def _titled(self, view: ReportView, tokens: list[_Token], last: int, c: Speaker, by_end: dict[int, Speaker]) -> Speaker:
        """c, or the person whose title c is part of: "Rami Abdel Rahman head of the c"."""
        first = next((k for k in range(last, -1, -1) if tokens[k].start <= c.start), last)
        k = first - 1
        while k >= 0 and tokens[k].plain in (*JOINERS, "at", "in", ",") and k > first - 4:
            k -= 1
        if k >= 0 and tokens[k].plain in TITLES:
            while k >= 0 and (tokens[k].plain in TITLES | _DETERMINERS | {",", "deputy", "senior", "former", "local"}):
                k -= 1
            person = by_end.get(tokens[k].end) if k >= 0 else None
            if person is not None and (person.person or len(person.name.split()) >= 2):
                role = view.text[tokens[k + 1].start : c.end].strip(" ,")
                return replace(person, role=role)
        return c

    @staticmethod
    def _person_before(candidates: list[Speaker], at: int) -> Speaker | None:
        """Whom a "he said" stands for: the last person named before it."""
        people = [c for c in candidates if at - PRONOUN_REACH <= c.start < at and c.person and len(c.name.split()) >= 2]
        return max(people, key=lambda c: c.start) if people else None

    def _headers(
        self, view: ReportView, tokens: list[_Token], candidates: list[Speaker], index_of_start: dict[int, int]
    ) -> list[Speaker]:
        """"Samah Hadid Deputy Director of Campaigns at Amnesty International ..." before a
        statement: a person followed by a title speaks the words that follow (a quotation
        whose "said" a stripped text lost)."""
        found = []
        for c in candidates:
            i = index_of_start.get(c.start)
            if not c.person or i is None:
                continue
            j = i + len(c.name.split())
            if j < len(tokens) and tokens[j].plain in TITLES:
                k, lower = j, False
                while k < len(tokens) and k - j < TITLE_REACH:
                    word = tokens[k]
                    if word.word[:1].isupper():
                        if lower:
                            break  # "... regional office Armed opposition groups": a new sentence
                    elif word.plain in JOINERS or word.plain in ("at", "in"):
                        pass
                    elif word.word[:1].islower() and len(word.plain) > 2 and word.plain not in STOP_WORDS:
                        lower = True
                    else:
                        break
                    k += 1
                role = view.text[tokens[j].start : tokens[k - 1].end].rstrip(",")
                found.append(Speaker(c.name, c.start, c.end, role=role or None, person=True, cue=c.start))
        return found

    # the speaker of a quote ----------------------------------------------------------

    def speaker(self, view: ReportView, start: int, end: int) -> Speaker | None:
        """Who makes the claim quoted as text[start:end]: an attribution inside the quote
        (its speaker or its verb); else one whose verb follows it in the same sentence
        ("... on Thursday Syrian state media said."); else the last one before it in its
        sentence ("Samah Hadid, Deputy Director ...: quote"); else the last one in the
        sentence before."""
        sentence = view.sentence(start, end)
        sentence_end = _sentence_end(view.text, end)
        found = [s for s in self._analysis(view).attributions if min(sentence.start, start - 80) <= s.cue <= sentence_end or (s.end > start and s.start < end)]
        inside = [s for s in found if start <= s.cue < end or (s.end > start and s.start < end)]
        after = [s for s in found if end <= s.cue <= sentence_end]
        earlier = [s for s in found if s.cue < start and s not in inside]
        if inside:
            chosen = inside[0]
        elif after:
            chosen = after[0]
        elif earlier:
            chosen = earlier[-1]
        else:
            before = self.attributions(view, view.before(sentence.start))
            if not before:
                return None
            chosen = before[-1]
        return self._resolved(view, chosen)

    def speakers_in(self, view: ReportView, region: Region) -> list[Speaker]:
        """Everyone region credits with a claim, by the fullest name the report gives them."""
        return [self._resolved(view, s) for s in self.attributions(view, region)]

    def _resolved(self, view: ReportView, speaker: Speaker) -> Speaker:
        resolved = self._analysis(view).resolved
        key = (speaker.start, speaker.end, speaker.cue)
        if key not in resolved:
            resolved[key] = self._resolve(view, speaker)
        return resolved[key]

    def _resolve(self, view: ReportView, speaker: Speaker) -> Speaker:
        """The fullest name the report gives a speaker: "Fenn" is the "Omar Fenn" named
        before, "the Observatory" the "Syrian Observatory for Human Rights", "a monitor"
        the organisation the report calls a monitoring group."""
        if speaker.anonymous:
            named = self._apposed(view, speaker) or self._named_next(view, speaker)
            return replace(speaker, name=named, role=speaker.name, anonymous=False) if named else speaker
        if speaker.name.isupper() or speaker.role:
            return speaker
        if " " in speaker.name:
            return self._longer_name(view, speaker)
        labels = next(iter(self.collection.labels([speaker.name]).values()), {})
        if labels.get("NORP", 0) * 2 > sum(labels.values()):
            return speaker  # "Syrian" is a people's adjective, not a short name of an organisation
        word = re.escape(speaker.name)
        fuller = [
            m for m in re.finditer(rf"\b(?:[A-Z][\w'’-]+\s+(?:(?:of|for|the|and)\s+)*){{0,3}}{word}\b(?:\s+(?:(?:of|for|the|and)\s+)*[A-Z][\w'’-]+){{0,4}}", view.text)
            if m.group(0) != speaker.name and all(self._is_name_word(w) for w in m.group(0).split() if w not in JOINERS)
        ]
        if not fuller:
            return speaker
        nearest = min(fuller, key=lambda m: abs(m.start() - speaker.start))
        return replace(speaker, name=self._trim(nearest.group(0), recognised=True) or speaker.name)

    def _longer_name(self, view: ReportView, speaker: Speaker) -> Speaker:
        """"the Britain-based Observatory" is the "Syrian Observatory for Human Rights" the
        report names: a name whose words, its modifiers ("X-based") aside, are all in a
        longer organisation name of the report."""
        words = [w for w in speaker.name.split() if "-" not in w and w.lower() not in JOINERS]
        if not words or len(words) == len(speaker.name.split()):
            return speaker
        keys = {w.lower() for w in words}
        longer = [
            c for c in self._analysis(view).candidates
            if c.organisation and len(c.name.split()) > len(words) and keys <= {w.lower() for w in c.name.split()}
        ]
        if not longer:
            return speaker
        return replace(speaker, name=min(longer, key=lambda c: abs(c.start - speaker.start)).name)

    def _apposed(self, view: ReportView, speaker: Speaker) -> str | None:
        """The organisation a role describes: "the Syrian Observatory for Human Rights, a
        Britain-based monitoring group" (or "... (SOHR) an independent group") makes "a
        monitor" that organisation."""
        head = term_set(speaker.name.split()[-1])
        if not head:
            return None
        analysis = self._analysis(view)
        tokens, index_of_start = analysis.tokens, analysis.index_of_start
        for c in analysis.candidates:
            if c.anonymous:
                continue
            i = index_of_start.get(c.start)
            if not c.organisation or len(c.name.split()) < 2 or i is None:
                continue
            j = i + len(c.name.split())
            following = [t for t in tokens[j : j + APPOSITION_GAP + ROLE_MODIFIERS] if t.word not in ("(", ")", ",")]
            while following and following[0].word.isupper() and following[0].word != "A":  # "(SOHR)"
                following = following[1:]
            if not following or following[0].plain not in _DETERMINERS:
                continue
            described = []
            for t in following[1:]:
                if not self._modifier(t) and t.plain not in SOURCE_ROLES:
                    break
                described.append(t.plain)
                if t.plain in SOURCE_ROLES:
                    break
            if head & term_set(" ".join(described)):
                return c.name
        return None

    def _named_next(self, view: ReportView, speaker: Speaker) -> str | None:
        """News style introduces a source by its role and names it next: "... a
        monitoring group said. The Syrian Observatory for Human Rights said ..." The role
        of an organisation (never of a person: "a medical source" stays one) is the first
        organisation credited with a claim in the sentences after it."""
        words = speaker.name.lower().split()
        if not words or words[-1] not in ORGANISATION_ROLES:
            return None
        following = self.attributions(view, Region(speaker.end, min(len(view.text), speaker.end + NAMED_NEXT_CHARS)))
        for other in following:
            if not other.anonymous and not other.person and len(other.name.split()) >= 2:
                return other.name
        return None

    def claimed_in(self, statement: str) -> list[str]:
        """Who a statement (a model's sentence) says makes its claim: "According to X",
        "X said", "X reported", as written."""
        found = []
        # "SOHR: at least 22 killed", "Daily Sabah (dailysabah.com): 35": a source heading its figure.
        heading = re.match(r"^[-•*\s]*((?:the\s+)?[A-Z][\w'’.&/-]*(?:\s+(?:[A-Z][\w'’.&/-]*|of|for|the|and|al-\w+|\([^)]*\))){0,8})\s*:\s", statement)
        if heading and heading.group(1).lower() not in OPENERS:
            found.append((heading.start(1), re.sub(r"\s*\([^)]*\)", "", heading.group(1))))
        for phrase in ATTRIBUTION_PHRASES:
            pattern = rf"\b{re.escape(phrase)}\s+((?:the\s+|a\s+|an\s+)?(?:[\w'’.-]+\s+){{0,8}}?[\w'’.-]+?)(?=\s*(?:[,;:]|\s+(?:said|says|reported|told|claimed|that|who|which)\b|$|\s*[(\[]))"
            for m in re.finditer(pattern, statement, re.IGNORECASE):
                found.append((m.start(1), m.group(1)))
        verbs = "|".join(sorted(SPEECH_VERBS))
        for m in re.finditer(rf"((?:[A-Z][\w'’.-]*|al-\w+|of|for|the|and)(?:\s+(?:[A-Z][\w'’.-]*|al-\w+|of|for|the|and)){{0,8}})\s+(?:{verbs})\b", statement):
            words = m.group(1).strip().split()
            while words and words[0].lower() in JOINERS | {"according"}:
                words = words[1:]
            if words:
                found.append((m.start(1), " ".join(words)))
        names = []
        for _, name in sorted(found):
            name = re.sub(r"^(?:the|a|an)\s+", "", name.strip(" ,.;:"), flags=re.IGNORECASE)
            if name and name not in names:
                names.append(name)
        return names


def _apposed_roles(text: str, names: list[Speaker], roles: list[Speaker]) -> list[Speaker]:
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


def _sentence_end(text: str, at: int) -> int:
    """Where the sentence going on at a position ends (a full stop after a word longer
    than an abbreviation, a line break, or AFTER_CHARS further on)."""
    if at > 0 and text[at - 1] in ".!?\n":
        return at
    limit = min(len(text), at + AFTER_CHARS)
    for m in re.finditer(r"[.!?](?=\s|$)|\n", text[at:limit]):
        word = text[max(0, at + m.start() - 4) : at + m.start()]
        if m.group(0) == "\n" or len(word.strip()) >= 3:
            return at + m.end()
    return limit
