"""Reports of one (invented) incident from several outlets over four days, with tolls
that rise, a syndicated copy, and a report of another incident in the same town: what
figures-by-source, timeline and filter tests read."""

from __future__ import annotations

import json
from pathlib import Path

_RISING_TOLL = (
    "The death toll from the collapse of the Kessel river bridge rose to 21 on Saturday, the regional "
    "health office said, after divers recovered nine more bodies from the water overnight. Cranes began "
    "lifting the twisted steel of the central span while families waited on the embankment for news of "
    "relatives who had been crossing the bridge in cars and on foot when it gave way on Friday evening."
)

CLUSTER = [
    {"id": "kessel-1", "title": "Kessel bridge collapses in rush hour", "published": "2024-05-03", "source_site": "Kessel Tribune",
     "text": "The Kessel river bridge collapsed on Friday evening during rush hour. At least 12 people were killed, "
             "according to the city fire service. Rescuers searched the water through the night."},
    {"id": "kessel-2", "title": "Kessel bridge toll rises to 21", "published": "2024-05-04", "source_site": "Valley Radio",
     "text": _RISING_TOLL},
    {"id": "kessel-3", "title": "Divers recover more bodies at Kessel", "published": "2024-05-04", "source_site": "Coastal Daily",
     "text": _RISING_TOLL + " Coastal Daily will update this story."},
    {"id": "kessel-4", "title": "Inquiry opened into Kessel bridge", "published": "2024-05-06", "source_site": "Harbor Gazette",
     "text": "Officials said on Monday that 35 people were killed when the Kessel bridge collapsed on Friday. "
             "An inquiry into the bridge's maintenance was opened on Sunday, the transport minister said."},
    {"id": "kessel-ferry", "title": "Ferry fire on the Kessel river", "published": "2023-11-02", "source_site": "Kessel Tribune",
     "text": "A ferry fire on the Kessel river killed 4 people, the city fire service said. The ferry had left the "
             "old harbour when its engine caught fire."},
]

# Another incident with its own syndicated copies, for answers made at the same time.
_FERRY = (
    "The Varno ferry sank in a storm off the northern cape on Tuesday and 9 passengers drowned, the coast guard "
    "said. Fishing boats pulled survivors from the water and the harbour master closed the port until Wednesday."
)
CLUSTER += [
    {"id": "varno-1", "title": "Varno ferry sinks in storm", "published": "2024-08-13", "source_site": "Northern Wire",
     "text": _FERRY},
    {"id": "varno-2", "title": "Ferry sinks off Varno cape", "published": "2024-08-13", "source_site": "Island Post",
     "text": _FERRY + " Island Post will update this story."},
    {"id": "varno-3", "title": "Varno ferry toll rises", "published": "2024-08-15", "source_site": "Cape Radio",
     "text": "The coast guard said on Thursday that 14 passengers drowned when the Varno ferry sank off the northern cape."},
]

FIGURES_QUESTION = "How many people were killed in the Kessel bridge collapse, and how did the toll change?"
FERRY_QUESTION = "How many passengers drowned when the Varno ferry sank?"
TIMELINE_QUESTION = "What happened at the Kessel bridge between 3 and 6 May 2024?"


def write_cluster(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kessel.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in CLUSTER), encoding="utf-8")
    return path
