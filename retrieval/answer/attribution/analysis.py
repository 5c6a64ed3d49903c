"""Everything attribution reads of one report, read once over its whole text."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.answer.attribution.claims import read_attributions
from retrieval.answer.attribution.names import read_names
from retrieval.answer.attribution.roles import apposed_roles, read_roles
from retrieval.answer.attribution.speaker import Speaker
from retrieval.answer.attribution.words import Token, Words, tokenize
from retrieval.answer.report import Region, ReportView


@dataclass
class Analysis:
    tokens: list[Token]
    index_of_start: dict[int, int]
    candidates: list[Speaker]
    attributions: list[Speaker]
    resolved: dict[tuple[int, int, int], Speaker]

    def attributions_in(self, region: Region) -> list[Speaker]:
        """Every source region says makes a claim (its verb or phrase is in region), in
        text order."""
        return [s for s in self.attributions if region.start <= s.cue < region.end]


def analyse(view: ReportView, words: Words) -> Analysis:
    """Every attribution, name and role of a report, in text order."""
    whole = Region(0, len(view.text))
    tokens = tokenize(view.text, whole)
    candidates = apposed_roles(view.text, read_names(view, whole, tokens, words), read_roles(view, tokens, words))
    index_of_start = {t.start: i for i, t in enumerate(tokens)}
    attributions = read_attributions(view, tokens, candidates, index_of_start, words)
    return Analysis(tokens, index_of_start, candidates, attributions, {})
