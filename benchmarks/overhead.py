"""Extractive answer overhead: time of ask minus time of the hybrid search alone, per
question (median), on a built index; both measured in the same run.

    python benchmarks/overhead.py CHECKOUT DATA_DIR [SETS_CHECKOUT]

CHECKOUT is imported (an older one measures the old code), DATA_DIR an index it built,
SETS_CHECKOUT where the question sets are (default CHECKOUT)."""
import json, statistics, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from retrieval import Engine, Settings
e = Engine(Settings(_env_file=None, data_dir=Path(sys.argv[2]), llm="extractive"))
root = Path(sys.argv[3] if len(sys.argv) > 3 else sys.argv[1]) / "benchmarks" / "eval"
qs = [json.loads(l)["question"] for n in ("questions.jsonl", "dev-4.jsonl", "multi/multi-dev-2.jsonl") for l in (root / n).read_text().splitlines() if l.strip()]
for q in qs[:5]:
    e.ask(q)
search, total = [], []
for q in qs:
    t0 = time.perf_counter(); e.index.hybrid(q, e.settings.candidates_per_retriever); t1 = time.perf_counter()
    e.ask(q); t2 = time.perf_counter()
    search.append((t1 - t0) * 1000); total.append((t2 - t1) * 1000)
over = [t - s for s, t in zip(search, total)]
print(json.dumps({"questions": len(qs), "hybrid search p50 ms": round(statistics.median(search), 1), "answer p50 ms": round(statistics.median(total), 1),
                  "overhead p50 ms (answer minus search)": round(statistics.median(over), 1), "overhead p90 ms": round(sorted(over)[int(0.9 * len(over))], 1)}))
