"""Syndicated copies: the same wire story republished under another outlet's name.

At ingest every report gets a MinHash signature of its 5-word shingles (rensa) and
is filed under its LSH band keys in the catalog; a new report's candidates are the
reports sharing a band key, and a candidate is a copy when the two texts' shingle sets
overlap enough: Jaccard similarity at least COPY_JACCARD, or the shorter text mostly
contained in the longer one (a copy cut down to its first half). The thresholds were
chosen on copy groups and same-incident reports found by hand in the shared corpus
(docs/benchmarks.md): separately written reports of one incident stay below them.
Storing the bands in SQLite (instead of an in-memory LSH) keeps the lookup incremental
and persistent, at one indexed query per report. rensa rather than datasketch: the same
MinHash, but importing datasketch imports scipy, 0.6 s of every ingest that adds or
edits one report.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

SHINGLE_WORDS = 5
NUM_PERM = 128
BAND_ROWS = 2  # 64 bands of 2 rows: a pair with Jaccard 0.2 shares a band 93% of the time
COPY_JACCARD = 0.25
COPY_CONTAINMENT = 0.6
# Two texts this short share a sentence or two by chance (a headline formula, a
# dateline): too little to call one a copy of the other.
MIN_SHINGLES = 30
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


@dataclass(frozen=True)
class Fingerprint:
    """A report's MinHash signature and the LSH band keys it is filed under."""

    signature: np.ndarray
    band_keys: list[int]


def fingerprint(text: str) -> Fingerprint:
    from rensa import RMinHash

    minhash = RMinHash(num_perm=NUM_PERM, seed=1)
    minhash.update(sorted(shingles(text)))
    signature = np.asarray(minhash.digest(), dtype=np.uint64)
    return Fingerprint(signature, band_keys(signature))


def band_keys(signature: np.ndarray) -> list[int]:
    keys = []
    for band in range(len(signature) // BAND_ROWS):
        rows = signature[band * BAND_ROWS : (band + 1) * BAND_ROWS].tobytes()
        digest = hashlib.blake2b(band.to_bytes(2, "little") + rows, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))  # SQLite integers are signed
    return keys


def is_copy(a: str, b: str) -> bool:
    """Whether two texts are one story: most of their shingles shared, or the shorter
    text mostly inside the longer one."""
    x, y = shingles(a), shingles(b)
    if len(x) < MIN_SHINGLES or len(y) < MIN_SHINGLES:
        return False
    shared = len(x & y)
    return shared / len(x | y) >= COPY_JACCARD or shared / min(len(x), len(y)) >= COPY_CONTAINMENT
