"""Carrying the reports of a catalog built by an older version of incident-bot into a
current one, so that ``ingest --rebuild`` re-indexes them rather than starting from
nothing.

Only the reports table is read: its columns (id, title, text, origin file, outlet, date,
url, metadata) have been the same in every version, and everything else in the catalog
is derived from them. The new catalog is written beside the old one and replaces it in
one rename: until then the old file is whole, and after it every report is in the new
one, marked for the rebuild to re-index.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path


from retrieval.index.catalog import Catalog, ReportRecord
from retrieval.index.catalog.database import SCHEMA_VERSION, Database
from retrieval.index.documents import Report
from retrieval.index.words import count_words

log = logging.getLogger(__name__)

CARRIED_COLUMNS = ("doc_id", "title", "text", "origin", "source", "published", "url", "metadata")


class CatalogInUseError(RuntimeError):
    """The old catalog is open in another process, so it cannot be replaced now."""


def carry_over(path: Path) -> int:
    """Replace the catalog at path, built by an older version, with a current one holding
    its reports; returns how many were carried (0, and nothing done, if it is current)."""
    replacement = path.with_name(path.name + ".upgrade")
    Database.discard(replacement)  # what an upgrade killed half-way left
    old = sqlite3.connect(path, isolation_level=None)
    try:
        if Database.schema_version(old) in (None, SCHEMA_VERSION):
            return 0
        # The old file must hold everything on its own: its journal is removed with it.
        busy, _, _ = old.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise CatalogInUseError(f"the index in {path.parent} is open in another process; stop it and try again")
        columns = {row[1] for row in old.execute("PRAGMA table_info(reports)")}
        select = ", ".join(c if c in columns else "NULL" for c in CARRIED_COLUMNS)
        rows = old.execute(f"SELECT {select} FROM reports ORDER BY doc_id")
        new = Catalog(replacement)
        try:
            with new.database.transaction() as db:
                carried = 0
                for doc_id, title, text, origin, source, published, url, metadata in rows:
                    report = Report(doc_id, title, text, origin or "", source, published, url, json.loads(metadata or "{}"))
                    new.reports.write(db, ReportRecord.of(report))
                    new.words.add(db, count_words(text))
                    carried += 1
                new.rebuilding.mark_all(db)
            new.database.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            new.close()
    finally:
        old.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
        Path(f"{replacement}{suffix}").unlink(missing_ok=True)
    os.replace(replacement, path)
    log.warning("the index was built by an older version of incident-bot: its %d reports are kept to be re-indexed", carried)
    return carried
