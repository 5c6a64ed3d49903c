"""English, in one place, for indexing and answering alike.

``en/`` holds the language data (number words, calendar words, stop words, the verbs and
phrases that attribute a claim, the words of asking), one module per concept, apart
from the logic that uses it, as spaCy keeps its ``lang/en``. Beside it, one detector per
kind of fact, built on maintained libraries where one exists:

- ``numbers``: figures in text (digits, and number words through ``text2num``);
- ``dates``: dates in text and their extent (``dateparser``'s search and parser);
- ``sentences``: sentences and words of a text that may have no punctuation at all;
- ``names``: how a name is written and matched (possessives, acronyms, stripped texts);
- ``terms``: the stemmed terms BM25 and the answer step both see (``tantivy``).

Names, places and organisations in the reports are recognised at ingest by a spaCy
model (``retrieval.index.entities``); nothing here loads a model.
"""
