"""How ingest and search cost grow with the collection: 1,000, 10,000 and 50,000 reports.

    python -m benchmarks.growth [--sizes 1000 10000 50000] [--corpus DIR] [--work DIR]

Collections larger than the corpus are synthesised from it: each report shuffles the
sentences of two real ones. Embedding cost is linear in the text and is measured on its
own (the embedding floor, at the smallest size, with the real model); at every size the
rest is measured with the fast deterministic stand-in embedder (``EMBEDDINGS=hash``) so
that 50,000 reports index within a session. Every command runs as a fresh process, the
way an admin runs it, so times include start-up. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from retrieval.settings import PROJECT_ROOT

REPORTS_PER_FILE = 1000
QUESTIONS = PROJECT_ROOT / "benchmarks" / "eval" / "questions.jsonl"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def corpus_reports(corpus: Path) -> list[dict]:
    return [json.loads(line) for path in sorted(corpus.glob("*.jsonl")) for line in path.open(encoding="utf-8") if line.strip()]


def synthesise(reports: list[dict], count: int, folder: Path) -> None:
    """count reports in files of REPORTS_PER_FILE, each mixing two real reports' sentences."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(count)
    for first in range(0, count, REPORTS_PER_FILE):
        lines = []
        for i in range(first, min(count, first + REPORTS_PER_FILE)):
            a, b = rng.sample(reports, 2)
            sentences = _SENTENCE.split(a["text"]) + _SENTENCE.split(b["text"])
            rng.shuffle(sentences)
            keep = sentences[: max(3, len(sentences) // 2)]
            lines.append(
                json.dumps(
                    {
                        "id": f"syn-{i:06d}",
                        "title": f"{a['title'][:60]} / {b['title'][:60]}",
                        "text": " ".join(keep),
                        "published": f"20{rng.randint(11, 18)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                        "source_site": a.get("source_site") or "synthetic",
                    }
                )
            )
        (folder / f"collection-{first // REPORTS_PER_FILE:03d}.jsonl").write_text("\n".join(lines) + "\n")


def timed(command: list[str], env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    """(seconds, peak memory in MB, result) of a fresh process."""
    started = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *command], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{command} failed: {result.stderr[-2000:]}")
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    return seconds, peak_kb / 1024, result


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def in_process_latency(env: dict, queries: list[str]) -> tuple[float, float]:
    """(hybrid search p50 ms, answer p50 ms) over the queries, in one process."""
    script = (
        "import json, statistics, sys, time\n"
        "from retrieval import Engine, Settings\n"
        "engine = Engine(Settings())\n"
        "queries = json.loads(sys.stdin.read())\n"
        "engine.ask(queries[0])\n"
        "search, answer = [], []\n"
        "for q in queries:\n"
        "    t = time.perf_counter(); engine.index.hybrid(q, 40); search.append((time.perf_counter() - t) * 1000)\n"
        "    t = time.perf_counter(); engine.ask(q); answer.append((time.perf_counter() - t) * 1000)\n"
        "print(json.dumps([statistics.median(search), statistics.median(answer)]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], input=json.dumps(queries), env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    return tuple(json.loads(result.stdout.strip().splitlines()[-1]))


def bot_start_up(env: dict) -> float:
    """Seconds from starting ``incident-bot run`` to its first poll of a local Bot API stand-in."""
    from tests.telegram_stub import TelegramStub

    async def measure() -> float:
        async with TelegramStub(token="123:ABC", bot_username="growth_bot") as stub:
            started = time.perf_counter()
            bot = subprocess.Popen(
                cli("run"),
                env={**env, "TELEGRAM_BOT_TOKEN": stub.token, "TELEGRAM_API_BASE_URL": stub.root},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                while not any(c["method"] == "getUpdates" for c in stub.calls):
                    if bot.poll() is not None:
                        raise RuntimeError("the bot exited before polling")
                    await asyncio.sleep(0.02)
                return time.perf_counter() - started
            finally:
                bot.terminate()
                bot.wait(timeout=30)

    return asyncio.run(measure())


def measure(size: int, reports: list[dict], work: Path, embeddings: str, queries: list[str]) -> dict:
    documents = work / f"documents-{size}"
    if not documents.exists():
        synthesise(reports, size, documents)
    data = work / f"data-{size}-{embeddings}"
    shutil.rmtree(data, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("LLM", "CHROMA_URL")}
    env.update(DATA_DIR=str(data), DOCUMENTS_DIR=str(documents), EMBEDDINGS=embeddings)
    row: dict = {"reports": size, "embedder": embeddings}
    row["full ingest s"], row["ingest peak MB"], _ = timed(cli("ingest"), env)
    row["no-change ingest s"] = statistics.median(timed(cli("ingest"), env)[0] for _ in range(3))
    extra = documents / "extra.jsonl"
    report = dict(reports[0], id="extra-1")
    extra.write_text(json.dumps(report) + "\n")
    row["add one s"] = timed(cli("ingest"), env)[0]
    extra.write_text(json.dumps(dict(report, text=report["text"] + " A correction was published later.")) + "\n")
    row["edit one s"] = timed(cli("ingest"), env)[0]
    extra.unlink()
    row["remove one s"] = timed(cli("ingest"), env)[0]
    row["hybrid p50 ms"], row["answer p50 ms"] = in_process_latency(env, queries)
    row["ask (fresh process) s"] = timed(cli("ask", queries[0]), env)[0]
    row["bot start-up s"] = bot_start_up(env)
    return row


def embedding_floor(reports: list[dict], size: int) -> float:
    """Seconds to embed every token of the first size reports once (chunks of 128, no
    overlap, no titles) with the real model: what no ingest can go below."""
    from retrieval.index.embeddings import MiniLMEmbeddings
    from retrieval.index.tokens import encoding

    enc = encoding()
    texts = []
    for r in reports[:size]:
        ids = enc.encode_ordinary(r["text"])
        texts += [enc.decode(ids[i : i + 128]) for i in range(0, len(ids), 128)]
    model = MiniLMEmbeddings()
    model.embed_matrix(["warm up"])
    started = time.perf_counter()
    model.embed_matrix(texts)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--corpus", type=Path, default=PROJECT_ROOT.parent / "shared" / "corpus")
    parser.add_argument("--work", type=Path, default=Path("/tmp/incident-growth"))
    args = parser.parse_args()
    reports = corpus_reports(args.corpus)
    queries = [json.loads(line)["question"] for line in QUESTIONS.open() if line.strip()][:50]
    smallest = min(args.sizes)
    columns = [
        "reports", "embedder", "full ingest s", "ingest peak MB", "no-change ingest s", "add one s", "edit one s",
        "remove one s", "hybrid p50 ms", "answer p50 ms", "ask (fresh process) s", "bot start-up s",
        "embedding floor s", "ingest / floor",
    ]

    def emit(row: dict) -> None:  # each row as soon as it is measured: the larger sizes take long
        print("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |", flush=True)

    print("| " + " | ".join(columns) + " |")
    print("|---" * len(columns) + "|", flush=True)
    real = measure(smallest, reports, args.work, "minilm", queries)
    real["embedding floor s"] = floor = embedding_floor(_synthesised(args.work, smallest), smallest)
    real["ingest / floor"] = real["full ingest s"] / floor
    emit(real)
    for size in args.sizes:
        emit(measure(size, reports, args.work, "hash", queries))


def _synthesised(work: Path, size: int) -> list[dict]:
    return [json.loads(line) for path in sorted((work / f"documents-{size}").glob("collection-*.jsonl")) for line in path.open()]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return str(value)


if __name__ == "__main__":
    main()
