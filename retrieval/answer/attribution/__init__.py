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

The modules: ``words`` (the text word by word, and what a word can be), ``names`` and
``roles`` (who can be a speaker), ``claims`` (whom each verb or phrase credits),
``analysis`` (all of it, read once per report), ``resolve`` (a speaker's fullest name)
and ``statements`` (whom a model's sentence credits).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from retrieval.answer.attribution.analysis import Analysis, analyse
from retrieval.answer.attribution.resolve import resolve
from retrieval.answer.attribution.speaker import Speaker
from retrieval.answer.attribution.statements import claimed_in
from retrieval.answer.attribution.words import Words
from retrieval.answer.collection import Collection
from retrieval.answer.report import Region, ReportView

__all__ = ["Attribution", "Speaker"]

AFTER_CHARS = 220  # how far after a quote its attribution is looked for
ANALYSED_REPORTS = 512  # reports whose attributions are kept read


class Attribution:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self._words = Words(collection)
        # A report's attributions are read once, over its whole text, and kept until the
        # collection changes (a name's statistics may change with it).
        self._analysed: OrderedDict[tuple, Analysis] = OrderedDict()
        self._lock = threading.Lock()

    def _analysis(self, view: ReportView) -> Analysis:
        """Every attribution, name and role of a report, in text order."""
        key = (view.report.doc_id, hash(view.text), self.collection.catalog.generation)
        with self._lock:
            found = self._analysed.get(key)
            if found is not None:
                self._analysed.move_to_end(key)
                return found
        found = analyse(view, self._words)
        with self._lock:
            self._analysed[key] = found
            while len(self._analysed) > ANALYSED_REPORTS:
                self._analysed.popitem(last=False)
        return found

    def attributions(self, view: ReportView, region: Region) -> list[Speaker]:
        """Every source region says makes a claim (its verb or phrase is in region), in
        text order."""
        return self._analysis(view).attributions_in(region)

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
        analysis = self._analysis(view)
        key = (speaker.start, speaker.end, speaker.cue)
        if key not in analysis.resolved:
            analysis.resolved[key] = resolve(view, analysis, self._words, speaker)
        return analysis.resolved[key]

    def claimed_in(self, statement: str) -> list[str]:
        """Who a statement (a model's sentence) says makes its claim: "According to X",
        "X said", "X reported", as written."""
        return claimed_in(statement)


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
