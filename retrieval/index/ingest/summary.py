"""What an ingest did, in one line for people and as JSON for tools."""

from __future__ import annotations

from dataclasses import dataclass, field

from retrieval.language.plural import counted

LISTED_IDS = 5  # ids a summary line names before "and N more"


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # every report this run took out of the index
    unchanged: int = 0
    reindexed: list[str] = field(default_factory=list)  # a rebuild: indexed again, content as it was
    restored: list[str] = field(default_factory=list)  # of those, from the stored text: file gone or unreadable
    kept_out: list[str] = field(default_factory=list)  # taken out with `remove`, left out
    passages: int = 0  # passages written by this run
    embedded: int = 0  # of which the model embedded (the rest came from the cache)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False
    rebuild: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.reindexed)

    def line(self) -> str:
        text = f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, {self.unchanged} unchanged"
        if self.rebuild:
            text += f", {len(self.reindexed)} re-indexed"
        text += f"; {counted(self.passages, 'passage')} indexed in {self.seconds:.1f} s"
        if self.restored:
            text += (
                f"; {len(self.restored)} re-indexed from the text the index stored, their file gone or "
                f"unreadable: {_some(self.restored)}"
            )
        if self.kept_out:
            text += f"; {len(self.kept_out)} left out until edited, as `incident-bot remove` asked: {_some(self.kept_out)}"
        if self.errors:
            text += f"; {len(self.errors)} skipped"
        if self.interrupted:
            if self.rebuild:
                text += "; interrupted: every report is kept, run `incident-bot ingest --rebuild` again to finish"
            else:
                text += "; interrupted (run ingest again to finish)"
        return text

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "reindexed": self.reindexed,
            "restored": self.restored,
            "kept_out": self.kept_out,
            "passages": self.passages,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
            "interrupted": self.interrupted,
            "rebuild": self.rebuild,
        }


def _some(doc_ids: list[str]) -> str:
    named = ", ".join(doc_ids[:LISTED_IDS])
    more = len(doc_ids) - LISTED_IDS
    return f"{named} and {more} more (--json lists them)" if more > 0 else named
