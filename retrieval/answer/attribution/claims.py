"""Who a report credits with each claim: the speaker of "according to X", "X said",
"said X", "X, deputy director of Y, said" (X, of Y), "X reported", "a medical source
told AFP" (the source, not the agency that heard it), "he said" (the person named
before)."""

from __future__ import annotations

from dataclasses import replace

from retrieval.answer.attribution.speaker import Speaker
from retrieval.answer.attribution.words import DETERMINERS, Token, Words
from retrieval.answer.report import ReportView
from retrieval.language.en.speech import ATTRIBUTION_PHRASES, SPEAKER_PRONOUNS, SPEECH_VERBS, TITLES
from retrieval.language.en.stop_words import STOP_WORDS
from retrieval.language.names import JOINERS

PRONOUN_REACH = 600  # how far back a "he said" looks for the person it stands for
TITLE_REACH = 14  # words between a name and its verb ("X, deputy director of ..., said")
LOWER_IN_TITLE = 4  # lower-case words a title between a name and its verb may have
_HEARING_VERBS = frozenset({"told"})  # "X told AFP": the object heard the claim, X made it


def read_attributions(
    view: ReportView, tokens: list[Token], candidates: list[Speaker], index_of_start: dict[int, int], words: Words
) -> list[Speaker]:
    """Every candidate the report credits with a claim, with where its verb or phrase
    is, once per name, in text order."""
    return _Claims(view, tokens, candidates, index_of_start, words).read()


class _Claims:
    """The claims of one report: its words, and the candidates who may make them."""

    def __init__(
        self, view: ReportView, tokens: list[Token], candidates: list[Speaker], index_of_start: dict[int, int], words: Words
    ) -> None:
        self.view = view
        self.tokens = tokens
        self.candidates = candidates
        self.index_of_start = index_of_start
        self.words = words
        self.by_start: dict[int, list[Speaker]] = {}
        for c in candidates:
            self.by_start.setdefault(c.start, []).append(c)
        self.by_end = {c.end: c for c in candidates}

    def read(self) -> list[Speaker]:
        self.speakers: list[Speaker] = []  # who spoke so far, for "he added" to stand for
        for i in range(len(self.tokens)):
            speaker = self._credited_at(i)
            if speaker is not None:
                self.speakers.append(speaker)
        found = list(self.speakers)
        found += self._headers()
        unique: dict[tuple[int, int], Speaker] = {}
        for s in sorted(found, key=lambda s: s.start):
            unique.setdefault((s.start, s.end), s)
        return list(unique.values())

    def _credited_at(self, i: int) -> Speaker | None:
        """Whom the phrase or verb at token i credits with a claim, if it is one."""
        tokens, token = self.tokens, self.tokens[i]
        rest = " ".join(t.plain for t in tokens[i : i + 3])
        phrase = next((p for p in ATTRIBUTION_PHRASES if rest.startswith(p)), None)
        if phrase:
            return self._candidate_from(i + len(phrase.split()), token.start)
        if token.plain not in SPEECH_VERBS or (i > 0 and tokens[i - 1].plain in DETERMINERS):
            return None  # "an alleged attack", "the reported toll": no one speaks
        if i > 0 and tokens[i - 1].plain in SPEAKER_PRONOUNS:
            person = _person_before(self.speakers, tokens[i - 1].start) or _person_before(self.candidates, tokens[i - 1].start)
            return replace(person, cue=token.start) if person is not None else None
        return self._speaker_of_verb(i)

    def _speaker_of_verb(self, verb: int) -> Speaker | None:
        """Who the verb at token verb says makes a claim: the speaker before it, or the
        one after it where none is right before."""
        tokens, token = self.tokens, self.tokens[verb]
        before, gap = self._speaker_before(verb)
        # "said Samah Hadid": the speaker follows the verb; "told AFP", "reaffirmed to
        # Asharq Al-Awsat": whoever follows heard the claim.
        heard = token.plain in _HEARING_VERBS or (verb + 1 < len(tokens) and tokens[verb + 1].plain == "to")
        after = self._candidate_from(verb + 1, token.start) if verb + 1 < len(tokens) and not heard else None
        if after is not None and (before is None or gap > 1):
            return after  # "... in the suburbs of Damascus said the Syrian Observatory"
        if before is not None:
            return replace(before, cue=token.start)
        return None

    def _candidate_from(self, i: int, cue: int) -> Speaker | None:
        """A candidate starting at token i, or a few words of its name later
        ("according to the Syrian state news agency SANA"); "by" and articles before
        it are no part of it."""
        tokens = self.tokens
        while i < len(tokens) and tokens[i].plain in ("by", "to"):
            i += 1
        best = self._head_from(i)
        if best is None:
            return None
        start = tokens[i].start if tokens[i].plain not in DETERMINERS or best.anonymous else tokens[min(i + 1, len(tokens) - 1)].start
        start = min(start, best.start)
        return replace(best, name=self.view.text[start : best.end], start=start, cue=cue)

    def _head_from(self, i: int) -> Speaker | None:
        """The longest candidate starting within the next few words from token i, across
        articles and modifiers: the head of the phrase ("Syrian state news agency SANA")."""
        tokens = self.tokens
        best = None
        for k in range(i, min(len(tokens), i + 7)):
            for c in self.by_start.get(tokens[k].start, ()):
                if best is None or c.end > best.end:
                    best = c
            if best is not None and tokens[k].end >= best.end and not self._another_starts_after(k):
                break
            if tokens[k].plain in DETERMINERS:
                continue
            if not self.words.is_modifier(tokens[k]) or tokens[k].plain in JOINERS:
                break
        return best

    def _another_starts_after(self, k: int) -> bool:
        """Whether the name goes on after token k: the next word is a modifier where
        another candidate starts."""
        tokens = self.tokens
        return k + 1 < len(tokens) and self.words.is_modifier(tokens[k + 1]) and bool(self.by_start.get(tokens[k + 1].start))

    def _speaker_before(self, verb: int) -> tuple[Speaker | None, int]:
        """"X said", "X, deputy director of Y, said", "X a British-based monitoring group
        gave": the nearest candidate ending before the verb, across a title (capitalised
        words, joiners or a few lower-case words) but not across another claim or a
        sentence end; and how many words stand between. A person named with a title
        before an organisation ("Rami Abdel Rahman, head of the Syrian Observatory ...,
        said") is the speaker, the organisation his role."""
        tokens = self.tokens
        lower = 0
        for j in range(verb - 1, max(-1, verb - 1 - TITLE_REACH), -1):
            word = tokens[j]
            if word.word in ('"', "“", "”") or word.plain in SPEECH_VERBS or (j < verb - 1 and word.ends_sentence):
                return None, 0
            c = self.by_end.get(word.end) or self.by_end.get(word.end - 1)
            if c is not None:
                return self._titled(j, c), verb - 1 - j
            if word.word[:1].islower() and word.plain not in TITLES and word.plain not in JOINERS and word.plain not in ("at", "in", "a", "an"):
                lower += 1
                if lower > LOWER_IN_TITLE:
                    return None, 0
        return None, 0

    def _titled(self, last: int, c: Speaker) -> Speaker:
        """c, or the person whose title c is part of: "Rami Abdel Rahman head of the c"."""
        tokens = self.tokens
        first = next((k for k in range(last, -1, -1) if tokens[k].start <= c.start), last)
        k = first - 1
        while k >= 0 and tokens[k].plain in (*JOINERS, "at", "in", ",") and k > first - 4:
            k -= 1
        if k >= 0 and tokens[k].plain in TITLES:
            while k >= 0 and (tokens[k].plain in TITLES | DETERMINERS | {",", "deputy", "senior", "former", "local"}):
                k -= 1
            person = self.by_end.get(tokens[k].end) if k >= 0 else None
            if person is not None and (person.person or len(person.name.split()) >= 2):
                role = self.view.text[tokens[k + 1].start : c.end].strip(" ,")
                return replace(person, role=role)
        return c

    def _headers(self) -> list[Speaker]:
        """"Samah Hadid Deputy Director of Campaigns at Amnesty International ..." before a
        statement: a person followed by a title speaks the words that follow (a quotation
        whose "said" a stripped text lost)."""
        tokens = self.tokens
        found = []
        for c in self.candidates:
            i = self.index_of_start.get(c.start)
            if not c.person or i is None:
                continue
            j = i + len(c.name.split())
            if j < len(tokens) and tokens[j].plain in TITLES:
                role = self.view.text[tokens[j].start : tokens[self._end_of_title(j) - 1].end].rstrip(",")
                found.append(Speaker(c.name, c.start, c.end, role=role or None, person=True, cue=c.start))
        return found

    def _end_of_title(self, j: int) -> int:
        """Where the title starting at token j ends: capitalised words, joiners and
        lower-case words, up to a capitalised word after a lower-case one or any other
        word."""
        tokens = self.tokens
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
        return k


def _person_before(candidates: list[Speaker], at: int) -> Speaker | None:
    """Whom a "he said" stands for: the last person named before it (of those who spoke,
    when the caller asks: "X told Anadolu that ... He added that ..." is X's, though
    another person is named between)."""
    people = [c for c in candidates if at - PRONOUN_REACH <= c.start < at and c.person and len(c.name.split()) >= 2]
    return max(people, key=lambda c: c.start) if people else None
