"""How English writes a place: a name right after these prepositions ("in Kessel", "near
Ostra") is mostly a place; persons and organisations rarely follow them."""

PLACE_PREPOSITIONS = frozenset("in near outside around across into towards toward throughout".split())
