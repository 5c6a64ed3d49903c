"""Evaluation of answers that need several reports: figures by source, syndicated copies,
timelines, and the near-duplicate detection behind them (benchmarks/eval/multi/).

- multi-dev.jsonl / multi-test.jsonl, multi-dev-2.jsonl / multi-test-2.jsonl: figure
  questions on clusters of reports about one incident, each gold figure with the report,
  who gives it and the outlet, and figures of other incidents nearby; the test halves are
  held out (totals only);
- syndicated.jsonl: questions whose answer sits in copies of one wire story;
- timeline.jsonl: dated events of an incident;
- copy-pairs.jsonl: 50 hand-checked pairs of reports, copies or not.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from benchmarks.evaluate import rows_of, same_source
from retrieval import Engine

MULTI_DIR = Path(__file__).resolve().parent / "eval" / "multi"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (MULTI_DIR / name).read_text().splitlines() if line.strip()]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _said(answer) -> str:
    parts = [answer.text, answer.summary or ""]
    parts += [c.quote + " " + (c.attributed_to or "") + " " + (c.source or "") for c in answer.citations]
    parts += [f.figure + " " + (f.who or "") for f in answer.figures]
    return _norm(" ".join(parts))


def figures_quality(engine: Engine, questions: list[dict]) -> dict[str, float]:
    """How figures-by-source answers do on figure questions about one incident: whether
    every gold figure is shown with its source (the person or body the report credits, or
    the outlet where it credits nobody); whether the rows shown belong to the asked
    incident (a row's report is one of the incident's gold reports); whether the speaker
    shown with a gold report's row is the one the gold gives; how often an answer states a
    figure of another incident; how often it refuses."""
    complete = figures_found = figures_total = refused = off_shown = 0
    rows_total = rows_on = speakers_total = speakers_right = 0
    overhead = []
    for q in questions:
        started = time.perf_counter()
        engine.index.hybrid(q["question"], engine.settings.candidates_per_retriever)
        searched = time.perf_counter()
        answer = engine.ask(q["question"])
        done = time.perf_counter()
        overhead.append(((done - searched) - (searched - started)) * 1000)
        shown = answer.to_json()
        refused += answer.refused
        said = _said(answer)
        off_shown += any(_norm(f) in _norm(f"{answer.text} {answer.summary or ''}") for f in q.get("off_incident_figures", []))
        golds: dict[str, list[dict]] = {}
        for gold in q["gold_figures"]:
            golds.setdefault(gold["doc_id"], []).append(gold)
        rows = [] if answer.refused else rows_of(shown)
        for row in rows:
            rows_total += 1
            rows_on += row["doc_id"] in q["gold_doc_ids"]
            if row["doc_id"] in golds:
                speakers_total += 1
                speakers_right += any(
                    same_source(row["who"], g["source"]) if g["source"] else (not row["who"] or same_source(row["who"], g["outlet"]))
                    for g in golds[row["doc_id"]]
                )
        cited = {c.doc_id: c for c in answer.citations}
        found = 0
        for gold in q["gold_figures"]:
            figure_shown = _norm(gold["figure"]) in said
            source = gold["source"]
            source_shown = _norm(source) in said if source else any(
                c.source == gold["outlet"] or gold["outlet"] in c.also_published_by for c in cited.values()
            )
            found += figure_shown and source_shown
        figures_found += found
        figures_total += len(q["gold_figures"])
        complete += found == len(q["gold_figures"])
    return {
        "every gold figure and its source in the answer": complete / len(questions),
        "gold figures shown with their source": figures_found / figures_total,
        "rows shown on the asked incident": rows_on / max(1, rows_total),
        "speakers right (rows of the incident's reports)": speakers_right / max(1, speakers_total),
        "answers stating another incident's figure": off_shown / len(questions),
        "refused": refused / len(questions),
        "answer overhead p50 (ms, answer minus search)": statistics.median(overhead),
    }


def syndicated_quality(engine: Engine, questions: list[dict]) -> dict[str, float]:
    """Answers about syndicated stories: right, and never citing two copies of one story
    as separate sources."""
    groups = [set(g) for g in json.loads((MULTI_DIR / "copy_groups.json").read_text())]
    correct = doubled = 0
    for q in questions:
        answer = engine.ask(q["question"])
        said = _said(answer)
        correct += not answer.refused and any(_norm(g) in said for g in q["gold_answers"])
        cited = [c.doc_id for c in answer.citations]
        doubled += any(len(group & set(cited)) >= 2 for group in groups)
    return {
        "answer accuracy": correct / len(questions),
        "answers citing two copies of one story as separate sources": doubled / len(questions),
    }


def timeline_quality(engine: Engine, questions: list[dict]) -> dict[str, float]:
    dated = covered = total = events = 0
    for q in questions:
        answer = engine.ask(q["question"])
        said = _said(answer) + " " + _norm(" ".join(e.text for e in answer.events))
        events += len(answer.events)
        dated += sum(e.dated_by == "text" for e in answer.events)
        covered += sum(_norm(g["event"]) in said for g in q["gold_events"])
        total += len(q["gold_events"])
    return {
        "gold events in the answer": covered / total,
        "events per answer": events / len(questions),
        "events dated by their own text": dated / max(1, events),
    }


def copy_detection(engine: Engine) -> dict[str, float]:
    """Precision and recall of the copy groups ingest made, on 50 hand-checked pairs."""
    pairs = load("copy-pairs.jsonl")
    roots = engine.index.catalog.copies.roots(sorted({p["a"] for p in pairs} | {p["b"] for p in pairs}))
    tp = fp = fn = 0
    for p in pairs:
        predicted = roots.get(p["a"], p["a"]) == roots.get(p["b"], p["b"])
        actual = p["label"] == "copy"
        tp += predicted and actual
        fp += predicted and not actual
        fn += actual and not predicted
    return {
        "pairs": len(pairs),
        "precision": tp / max(1, tp + fp),
        "recall": tp / max(1, tp + fn),
    }


def detection_cost(engine: Engine) -> float:
    """Seconds the copy detection of a full ingest takes, replayed on the indexed reports:
    fingerprints, band lookups and the overlap checks of the candidates."""
    from retrieval.index import duplicates

    catalog = engine.index.catalog
    started = time.perf_counter()
    for doc_id in catalog.fingerprints():
        text = catalog.reports.report_text(doc_id) or ""
        fingerprint = duplicates.fingerprint(text)
        for other in catalog.band_neighbours(fingerprint.band_keys, doc_id):
            duplicates.is_copy(text, catalog.reports.report_text(other) or "")
    return time.perf_counter() - started
