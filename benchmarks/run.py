"""Benchmark and evaluation: indexing speed, query latency, retrieval quality and answer
quality over ../shared/corpus and the seed, measured in one run on this machine.

    python -m benchmarks.run [--corpus DIR] [--chunk-tokens N] [--overlap N] [--repeats N]

Everything runs in a temporary DATA_DIR. Dense-only and BM25-only retrieval are the
baselines the hybrid is compared against, measured on the same index in the same run.
Prints a Markdown report (the README's tables come from it).
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

from retrieval.index.embeddings import _cached_query_vector
from retrieval.engine import Engine
from retrieval.settings import PROJECT_ROOT, Settings

EVAL_DIR = PROJECT_ROOT / "benchmarks" / "eval"
EVAL_FILE = EVAL_DIR / "questions.jsonl"
# Answer quality is reported per set, because the composer's rules were tuned on the
# first three: only the last measures questions the rules have never seen.
ANSWER_SETS = {
    "questions.jsonl (tuned on)": EVAL_FILE,
    "questions-2.jsonl (second author, studied while tuning)": EVAL_DIR / "questions-2.jsonl",
    "near-misses.jsonl (paired near misses, studied while tuning)": EVAL_DIR / "near-misses.jsonl",
    "dev-3.jsonl (fourth author, studied while tuning)": EVAL_DIR / "dev-3.jsonl",
    "test.jsonl (held out, never tuned on)": EVAL_DIR / "test.jsonl",
    "test-2.jsonl (second held-out set, never tuned on)": EVAL_DIR / "test-2.jsonl",
    "test-3.jsonl (third held-out set, never tuned on)": EVAL_DIR / "test-3.jsonl",
}
# Only totals of these are measured: their questions are never read while tuning.
HELD_OUT = {"test.jsonl", "test-2.jsonl", "test-3.jsonl"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def load_questions(path: Path = EVAL_FILE) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def unique_docs(hits) -> list[str]:
    seen: list[str] = []
    for h in hits:
        if h.passage.doc_id not in seen:
            seen.append(h.passage.doc_id)
    return seen


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
    methods = {
        "dense": lambda q: engine.index.dense(q, engine.settings.top_k),
        "bm25": lambda q: engine.index.bm25(q, engine.settings.top_k),
        "hybrid": lambda q: engine.index.hybrid(q, engine.settings.top_k),
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
    return table


def contains(text: str, needle: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(needle.lower()) + r"(?!\w)", text.lower()) is not None


def ratio(part: int, whole: int) -> float:
    """part / whole, or NaN (printed "n/a") when a sample has none to count."""
    return part / whole if whole else math.nan


def answer_quality(engine: Engine, questions: list[dict]) -> tuple[dict[str, float], list[dict]]:
    answerable = [q for q in questions if q["gold_doc_ids"]]
    rows = []
    correct = refused_answerable = refused_unanswerable = 0
    cited = cited_gold = quotes = exact = 0
    who_total = who_right = 0
    verified_away = 0
    for q in questions:
        answer = engine.ask(q["question"])
        verified_away += bool(answer.verification.dropped)
        shown = answer.text + " " + " ".join(c.quote for c in answer.citations)
        ok = not answer.refused and any(contains(shown, g) for g in q["gold_answers"])
        for c in answer.citations:
            cited += 1
            cited_gold += c.doc_id in q["gold_doc_ids"]
            quotes += 1
            exact += engine.index.catalog.report_text(c.doc_id)[c.start : c.end] == c.quote
        if q["gold_doc_ids"]:
            correct += ok
            refused_answerable += answer.refused
        else:
            refused_unanswerable += answer.refused
        if q["kind"] == "who" and q.get("gold_attribution"):
            who_total += 1
            named = " ".join([answer.text] + [c.attributed_to or "" for c in answer.citations])
            who_right += not answer.refused and contains(named, q["gold_attribution"])
        rows.append({"id": q["id"], "kind": q["kind"], "refused": answer.refused, "correct": ok, "answer": answer.text[:160]})
    unanswerable = len(questions) - len(answerable)
    refusals = refused_answerable + refused_unanswerable
    metrics = {
        "answer accuracy (answerable)": ratio(correct, len(answerable)),
        "citation precision": ratio(cited_gold, cited),
        "verbatim quotes": ratio(exact, quotes),
        "attribution accuracy (who)": ratio(who_right, who_total),
        "refusal recall (unanswerable refused)": ratio(refused_unanswerable, unanswerable),
        "refusal precision": ratio(refused_unanswerable, refusals),
        "answerable refused": ratio(refused_answerable, len(answerable)),
        # For the extractive composer this must be 0: its spans are verbatim by construction.
        "answers with sentences dropped by verification": verified_away / len(questions),
    }
    return metrics, rows


def markdown(title: str, table: dict[str, dict[str, float]], digits: int = 3) -> str:
    columns = list(next(iter(table.values())))
    lines = [f"### {title}", "", "| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in table.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.{digits}f}" for c in columns) + " |")
    return "\n".join(lines) + "\n"


def transposed(title: str, columns: dict[str, dict[str, float]]) -> str:
    """One row per measure, one column per question set."""
    names = list(columns)
    measures = list(next(iter(columns.values())))
    lines = [f"### {title}", "", "| measure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for measure in measures:
        digits = 0 if measure.endswith("(ms)") else 3
        cells = ["n/a" if math.isnan(columns[n][measure]) else f"{columns[n][measure]:.{digits}f}" for n in names]
        lines.append(f"| {measure} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT.parent / "shared" / "corpus")
    parser.add_argument("--chunk-tokens", type=int, default=None)
    parser.add_argument("--overlap", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the unchanged re-ingest")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--details", type=Path, help="write per-question results (JSON Lines) here")
    parser.add_argument("--llm", default="extractive", help="evaluate answers from this model (LangChain id)")
    parser.add_argument("--llm-base-url", default="", help="OpenAI-compatible server for --llm")
    parser.add_argument("--sample", type=int, default=0, help="evaluate answers on every n-th question only (0: all)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    paths = sorted(args.corpus.glob("*.jsonl")) + [PROJECT_ROOT / "seeds"]
    overrides = {}
    if args.chunk_tokens:
        overrides["chunk_tokens"] = args.chunk_tokens
    if args.overlap is not None:
        overrides["chunk_overlap_tokens"] = args.overlap
    with tempfile.TemporaryDirectory(prefix="incident-bench-") as data_dir:
        settings = Settings(_env_file=None, data_dir=Path(data_dir), llm="extractive", **overrides)
        engine = Engine(settings)
        started = time.perf_counter()
        summary = engine.ingest(paths)
        ingest_seconds = time.perf_counter() - started
        docs = len(summary.added)
        reingest = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            engine.ingest(paths)
            reingest.append(time.perf_counter() - started)
        questions = load_questions()
        queries = [q["question"] for q in questions]
        queries = (queries * (args.queries // len(queries) + 1))[: args.queries]
        print(f"## Benchmark ({os.cpu_count()} cores, chunks of {settings.chunk_tokens} tokens, overlap {settings.chunk_overlap_tokens})\n")
        print("| measure | value |\n|---|---|")
        print(f"| reports indexed | {docs} |")
        print(f"| passages | {summary.passages} |")
        print(f"| full ingest | {ingest_seconds:.1f} s ({docs / ingest_seconds:.1f} reports/s, {summary.passages / ingest_seconds:.1f} passages/s) |")
        print(f"| re-ingest, nothing changed (median of {args.repeats}) | {statistics.median(reingest):.2f} s |")
        print(f"| index size on disk | {folder_size(Path(data_dir)) / 1e6:.1f} MB |")
        print()
        print(markdown(f"Query latency over {len(queries)} queries (embedding included)", latency(engine, queries), 1))
        print(markdown(f"Retrieval quality ({sum(1 for q in questions if q['gold_doc_ids'])} answerable questions, document level)", retrieval_quality(engine, questions)))
        answering = engine
        if args.llm != "extractive":
            answering = Engine(settings.model_copy(update={"llm": args.llm, "llm_base_url": args.llm_base_url, "llm_timeout_seconds": 300}))
        results, details = {}, []
        for name, path in ANSWER_SETS.items():
            evaluated = load_questions(path)
            evaluated = evaluated[:: args.sample] if args.sample else evaluated
            started = time.perf_counter()
            metrics, rows = answer_quality(answering, evaluated)
            metrics["mean time per answer (ms)"] = (time.perf_counter() - started) / len(evaluated) * 1000
            results[f"{name}, {len(evaluated)} q"] = metrics
            if path.name not in HELD_OUT:
                details += [{"set": path.name, **row} for row in rows]
        print(transposed(f"Answers, {args.llm} composer", results))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak memory (max RSS): {peak:.0f} MB")
        if args.details:
            args.details.write_text("\n".join(json.dumps(r) for r in details) + "\n")
        engine.close()


if __name__ == "__main__":
    main()
