"""Indexing and search: documents are loaded, cleaned, chunked (tiktoken), embedded and
stored in Chroma and a BM25 index, with a SQLite catalog as the source of truth; hybrid
search ranks passages. Never imports ``retrieval.answer``."""
