"""Benchmark and evaluation: indexing speed against the embedding floor, query latency,
retrieval quality, what the composers receive, and answer quality of the extractive
composer and of a stand-in model on the LLM path (benchmarks/faithful_model.py: faithful
answers, and the same with one planted lie), over ../shared/corpus and the seed,
measured in one run on this machine.

    python -m benchmarks.run [--index DIR] [--sets NAME ...] [--skip-llm] [--details FILE]

Without --index everything runs in a temporary DATA_DIR; with it, an index built there
before is reused (its ingest is not timed again). Dense-only and BM25-only retrieval are
the baselines the hybrid is compared against, and the embedding floor (every corpus
token embedded once) the baseline of ingest, all measured in the same run. Held-out sets
are reported as totals only: their questions never appear in the details file. Prints a
Markdown report (docs/benchmarks.md has its tables).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import resource
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import multi
from benchmarks.faithful_eval import FORMATS, evaluate
from retrieval import Engine, Settings
from retrieval.index.embeddings import _cached_query_vector
from retrieval.settings import PROJECT_ROOT

EVAL_DIR = PROJECT_ROOT / "benchmarks" / "eval"
EVAL_FILE = EVAL_DIR / "questions.jsonl"
# (file, how it was used): the composer's rules were studied on the first four, never on
# the held-out ones, whose columns are the ones to expect on new questions.
ANSWER_SETS = {
    "questions.jsonl": "tuned on",
    "questions-2.jsonl": "studied",
    "near-misses.jsonl": "studied",
    "dev-3.jsonl": "studied",
    "dev-4.jsonl": "studied",
    "test.jsonl": "held out",
    "test-2.jsonl": "held out",
    "test-3.jsonl": "held out",
    "test-4.jsonl": "held out",
}
# Figure questions: (studied, held out) pairs.
FIGURE_SETS = ("multi-dev.jsonl", "multi-dev-2.jsonl")
HELD_OUT_FIGURE_SETS = ("multi-test.jsonl", "multi-test-2.jsonl")
HELD_OUT = {name for name, role in ANSWER_SETS.items() if role == "held out"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def load_questions(path: Path = EVAL_FILE) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def unique_docs(hits) -> list[str]:
    return list(dict.fromkeys(h.passage.doc_id for h in hits))


def contains(text: str, needle: str) -> bool:
    text, needle = " ".join(text.lower().split()), " ".join(needle.lower().split())
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", text) is not None


def ratio(part: float, whole: float) -> float:
    """part / whole, or NaN (printed "n/a") when a sample has none to count."""
    return part / whole if whole else math.nan


def embedding_floor(engine: Engine, paths: list[Path]) -> float:
    """Seconds to embed every token of the collection once: chunks of the configured
    size, no overlap, no titles. No ingest can go below it."""
    from retrieval.index.documents import find_files, load_file
    from retrieval.index.tokens import encoding

    enc = encoding()
    size = engine.settings.chunk_tokens
    texts = []
    for path, root in find_files(paths)[0]:
        for report in load_file(path, root):
            ids = enc.encode_ordinary(report.text)
            texts += [enc.decode(ids[i : i + size]) for i in range(0, len(ids), size)]
    engine.embeddings.embed_documents(["warm up"])
    started = time.perf_counter()
    engine.embeddings.embed_documents(texts)
    return time.perf_counter() - started


def retrieval_quality(engine: Engine, questions: list[dict], k: int = 20) -> dict[str, dict[str, float]]:
    answerable = [q for q in questions if q["gold_doc_ids"]]
    methods = {"dense": engine.index.dense, "bm25": engine.index.bm25, "hybrid": engine.index.hybrid}
    table = {}
    for name, search in methods.items():
        r1 = r5 = rr = 0.0
        for q in answerable:
            docs = unique_docs(search(q["question"], k))
            gold = set(q["gold_doc_ids"])
            ranks = [i for i, d in enumerate(docs, start=1) if d in gold]
            first = ranks[0] if ranks else None
            r1 += first == 1
            r5 += first is not None and first <= 5
            rr += 1.0 / first if first else 0.0
        n = len(answerable)
        table[name] = {"recall@1": r1 / n, "recall@5": r5 / n, "MRR": rr / n}
    return table


def latency(engine: Engine, queries: list[str]) -> dict[str, dict[str, float]]:
    k = engine.settings.candidates_per_retriever
    methods = {
        "dense": lambda q: engine.index.dense(q, k),
        "bm25": lambda q: engine.index.bm25(q, k),
        "hybrid": lambda q: engine.index.hybrid(q, k),
        "answer (extractive, all steps)": engine.ask,
    }
    table = {}
    for name, run in methods.items():
        _cached_query_vector.cache_clear()  # every method pays for embedding its queries
        times = []
        for q in queries:
            started = time.perf_counter()
            run(q)
            times.append((time.perf_counter() - started) * 1000)
        table[name] = {"p50 ms": statistics.median(times), "p95 ms": percentile(times, 0.95)}
    hybrid, answer = table["hybrid"]["p50 ms"], table["answer (extractive, all steps)"]["p50 ms"]
    table["our overhead (answer - hybrid)"] = {"p50 ms": answer - hybrid, "p95 ms": math.nan}
    return table


def context_recall(engine: Engine, question: dict) -> bool:
    """Whether a gold answer is in what the composer receives (the report windows)."""
    text = "\n".join(w.text for w in engine.retrieve(question["question"]).windows)
    return any(contains(text, g) for g in question["gold_answers"])


def answer_quality(engine: Engine, questions: list[dict]) -> tuple[dict[str, float], list[dict]]:
    answerable = [q for q in questions if q["gold_doc_ids"]]
    rows = []
    correct = refused_answerable = refused_unanswerable = in_context = 0
    cited = cited_gold = quotes = exact = 0
    who_total = who_right = 0
    verified_away = 0
    started = time.perf_counter()
    for q in questions:
        answer = engine.ask(q["question"])
        verified_away += bool(answer.verification.dropped)
        shown = answer.text + " " + " ".join(c.quote for c in answer.citations)
        ok = not answer.refused and any(contains(shown, g) for g in q["gold_answers"])
        for c in answer.citations:
            cited += 1
            cited_gold += c.doc_id in q["gold_doc_ids"]
            quotes += 1
            exact += engine.index.catalog.reports.report_text(c.doc_id)[c.start : c.end] == c.quote
        if q["gold_doc_ids"]:
            correct += ok
            refused_answerable += answer.refused
            in_context += context_recall(engine, q)
        else:
            refused_unanswerable += answer.refused
        if q["kind"] == "who" and q.get("gold_attribution"):
            who_total += 1
            named = " ".join([answer.text] + [c.attributed_to or "" for c in answer.citations])
            who_right += not answer.refused and contains(named, q["gold_attribution"])
        rows.append({"id": q["id"], "kind": q["kind"], "refused": answer.refused, "correct": ok, "answer": answer.text[:200]})
    seconds = time.perf_counter() - started
    unanswerable = len(questions) - len(answerable)
    refusals = refused_answerable + refused_unanswerable
    metrics = {
        "gold answer in what the composer reads": ratio(in_context, len(answerable)),
        "answer accuracy (answerable)": ratio(correct, len(answerable)),
        "citation precision": ratio(cited_gold, cited),
        "verbatim quotes": ratio(exact, quotes),
        "attribution accuracy (who)": ratio(who_right, who_total),
        "refusal recall (unanswerable refused)": ratio(refused_unanswerable, unanswerable),
        "refusal precision": ratio(refused_unanswerable, refusals),
        "answerable refused": ratio(refused_answerable, len(answerable)),
        "answers with sentences dropped by verification": verified_away / len(questions),
        "mean time per answer (ms)": seconds / len(questions) * 1000,
    }
    return metrics, rows


def markdown(title: str, table: dict[str, dict[str, float]], digits: int = 3) -> str:
    columns = list(next(iter(table.values())))
    lines = [f"### {title}", "", "| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in table.items():
        cells = ["n/a" if math.isnan(row[c]) else f"{row[c]:.{digits}f}" for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def transposed(title: str, columns: dict[str, dict[str, float]]) -> str:
    """One row per measure, one column per question set."""
    names = list(columns)
    measures = list(dict.fromkeys(m for column in columns.values() for m in column))
    lines = [f"### {title}", "", "| measure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for measure in measures:
        def cell(value) -> str:
            if value is None or isinstance(value, float) and math.isnan(value):
                return "n/a"
            digits = 0 if isinstance(value, int) or measure.endswith("(ms)") or measure.startswith("planted") else 3
            return f"{value:.{digits}f}"

        cells = [cell(columns[n].get(measure)) for n in names]
        lines.append(f"| {measure} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT.parent / "shared" / "corpus")
    parser.add_argument("--index", type=Path, help="DATA_DIR to build once and reuse")
    parser.add_argument("--chunk-tokens", type=int, default=None)
    parser.add_argument("--overlap", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the unchanged re-ingest")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sets", nargs="+", default=list(ANSWER_SETS), help="question files to evaluate")
    parser.add_argument("--skip-llm", action="store_true", help="leave out the faithful-model evaluation")
    parser.add_argument("--studied-only", action="store_true", help="leave out the held-out sets (while tuning)")
    parser.add_argument("--details", type=Path, help="write per-question results of studied sets (JSON Lines) here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.studied_only:
        args.sets = [name for name in args.sets if name not in HELD_OUT]

    paths = sorted(args.corpus.glob("*.jsonl")) + [PROJECT_ROOT / "seeds"]
    overrides = {}
    if args.chunk_tokens:
        overrides["chunk_tokens"] = args.chunk_tokens
    if args.overlap is not None:
        overrides["chunk_overlap_tokens"] = args.overlap
    with tempfile.TemporaryDirectory(prefix="incident-bench-") as scratch:
        data_dir = args.index or Path(scratch)
        settings = Settings(_env_file=None, data_dir=data_dir, llm="extractive", **overrides)
        engine = Engine(settings)
        fresh = engine.stats()["reports"] == 0
        print(f"## Benchmark ({os.cpu_count()} cores, chunks of {settings.chunk_tokens} tokens, overlap {settings.chunk_overlap_tokens})\n")
        print("| measure | value |\n|---|---|")
        started = time.perf_counter()
        summary = engine.ingest(paths)
        ingest_seconds = time.perf_counter() - started
        stats = engine.stats()
        print(f"| reports indexed | {stats['reports']} ({stats['copies']} of them syndicated copies) |")
        print(f"| passages | {stats['passages']} |")
        if fresh:
            floor = embedding_floor(engine, paths)
            print(f"| full ingest | {ingest_seconds:.1f} s ({summary.embedded} passages embedded) |")
            print(f"| embedding floor (every token embedded once) | {floor:.1f} s |")
            print(f"| full ingest / embedding floor | {ingest_seconds / floor:.2f} |")
        reingest = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            engine.ingest(paths)
            reingest.append(time.perf_counter() - started)
        print(f"| re-ingest, nothing changed (median of {args.repeats}) | {statistics.median(reingest):.2f} s |")
        print(f"| index size on disk | {folder_size(data_dir) / 1e6:.1f} MB |")
        print()
        questions = load_questions()
        queries = [q["question"] for q in questions]
        queries = (queries * (args.queries // len(queries) + 1))[: args.queries]
        print(markdown(f"Query latency over {len(queries)} queries (embedding included)", latency(engine, queries), 1))
        print(markdown(f"Retrieval quality ({sum(1 for q in questions if q['gold_doc_ids'])} answerable questions, document level)", retrieval_quality(engine, questions)))

        results, details = {}, []
        faithful: dict[str, dict[str, dict]] = {fmt: {} for fmt in FORMATS}
        for name in args.sets:
            evaluated = load_questions(EVAL_DIR / name)
            column = f"{name} ({ANSWER_SETS.get(name, 'other')}), {len(evaluated)} q"
            metrics, rows = answer_quality(engine, evaluated)
            results[column] = metrics
            if name not in HELD_OUT:
                details += [{"set": name, **row} for row in rows]
            if not args.skip_llm:
                measured = evaluate(settings, evaluated)
                for fmt in FORMATS:
                    faithful[fmt][column] = measured[fmt]
        print(transposed("Answers, extractive composer", results))
        print(transposed("Figures by source (extractive; the multi-test sets are held out)", {
            f"{name}, {len(multi.load(name))} q": multi.figures_quality(engine, multi.load(name))
            for name in FIGURE_SETS + (() if args.studied_only else HELD_OUT_FIGURE_SETS)
        }))
        print(transposed("Syndicated stories (extractive)", {
            f"syndicated.jsonl, {len(multi.load('syndicated.jsonl'))} q": multi.syndicated_quality(engine, multi.load("syndicated.jsonl")),
        }))
        print(transposed("Timelines (extractive)", {
            f"timeline.jsonl, {len(multi.load('timeline.jsonl'))} q": multi.timeline_quality(engine, multi.load("timeline.jsonl")),
        }))
        detection = multi.copy_detection(engine)
        print("### Syndicated copies found at ingest (copy-pairs.jsonl, hand-checked)\n")
        print(f"| pairs | precision | recall |\n|---|---|---|\n| {detection['pairs']} | {detection['precision']:.3f} | {detection['recall']:.3f} |\n")
        cost = multi.detection_cost(engine)
        if fresh:
            print(f"copy detection: {cost:.1f} s of the {ingest_seconds:.1f} s ingest; ingest with it / without it = "
                  f"{ingest_seconds / (ingest_seconds - cost):.3f}\n")
        else:
            print(f"copy detection over the indexed reports: {cost:.1f} s\n")
        if not args.skip_llm:
            for name in FIGURE_SETS + (() if args.studied_only else HELD_OUT_FIGURE_SETS):
                measured = evaluate(settings, multi.load(name))
                for fmt in FORMATS:
                    faithful[fmt][f"{name}, {len(multi.load(name))} q"] = measured[fmt]
            for fmt, columns in faithful.items():
                print(transposed(f"Answers, LLM path with the stand-in model (benchmarks/faithful_model.py), {fmt}", columns))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak memory (max RSS): {peak:.0f} MB")
        if args.details:
            args.details.write_text("\n".join(json.dumps(r) for r in details) + "\n")
        engine.close()


if __name__ == "__main__":
    main()
