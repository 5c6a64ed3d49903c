"""Evaluate an engine checkout on question files, through Answer.to_json() only, so the
same script measures the old and the new code.

    PYTHONPATH=CHECKOUT python benchmarks/evaluate.py --data DATA_DIR FILE... [--details OUT]

General sets (fields gold_doc_ids, gold_answers, gold_attribution, kind) and figure sets
(kind "figures", gold_figures, off_incident_doc_ids, off_incident_figures) are told apart
by their questions' kind.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path


def norm(text: str) -> str:
    return " ".join((text or "").lower().replace("’", "'").split())


def contains(text: str, needle: str) -> bool:
    text, needle = norm(text), norm(needle)
    return bool(needle) and re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", text) is not None


def shown(answer: dict) -> str:
    parts = [answer.get("answer", ""), answer.get("summary") or ""]
    parts += [c.get("quote", "") for c in answer.get("citations", [])]
    return " \n ".join(parts)


def general(answers: list[tuple[dict, dict]]) -> dict:
    answerable = [(q, a) for q, a in answers if q["gold_doc_ids"]]
    unanswerable = [(q, a) for q, a in answers if not q["gold_doc_ids"]]
    correct = sum(not a["refused"] and any(contains(shown(a), g) for g in q["gold_answers"]) for q, a in answerable)
    who = [(q, a) for q, a in answers if q["kind"] == "who" and q.get("gold_attribution")]
    who_right = 0
    for q, a in who:
        named = " ".join([a.get("answer", "")] + [c.get("attributed_to") or "" for c in a.get("citations", [])]
                         + [c.get("said_by") or "" for c in a.get("claims", [])])
        who_right += not a["refused"] and contains(named, q["gold_attribution"])
    cited = [(c, q) for q, a in answerable for c in a.get("citations", [])]
    return {
        "n": len(answers),
        "accuracy": correct / max(1, len(answerable)),
        "answerable refused": sum(a["refused"] for _, a in answerable) / max(1, len(answerable)),
        "unanswerable refused": sum(a["refused"] for _, a in unanswerable) / max(1, len(unanswerable)),
        "attribution (who)": who_right / max(1, len(who)),
        "citation precision": sum(c["doc_id"] in q["gold_doc_ids"] for c, q in cited) / max(1, len(cited)),
    }


def rows_of(answer: dict) -> list[dict]:
    """The figure rows a user sees: figures by source, else each citation."""
    by_n = {c["n"]: c for c in answer.get("citations", [])}
    if answer.get("figures"):
        return [
            {"doc_id": by_n.get(f["n"], {}).get("doc_id"), "figure": f.get("figure", ""), "who": f.get("who"),
             "outlet": f.get("outlet")}
            for f in answer["figures"]
        ]
    return [
        {"doc_id": c["doc_id"], "figure": c.get("quote", ""), "who": c.get("attributed_to"), "outlet": c.get("source")}
        for c in answer.get("citations", [])
    ]


def same_source(a: str | None, b: str | None) -> bool:
    a, b = norm(a or ""), norm(b or "")
    if not a or not b:
        return False
    strip = lambda s: re.sub(r"^(the|a|an) ", "", s)
    a, b = strip(a), strip(b)
    return a in b or b in a


def figures(answers: list[tuple[dict, dict]]) -> dict:
    rows_total = rows_on = 0
    speakers_total = speakers_right = 0
    off_shown = 0
    complete = found = total = 0
    refused = 0
    for q, a in answers:
        refused += a["refused"]
        gold_by_doc = {}
        for g in q["gold_figures"]:
            gold_by_doc.setdefault(g["doc_id"], []).append(g)
        text = shown(a)
        off_shown += any(contains(a.get("answer", "") + " " + (a.get("summary") or ""), f)
                         for f in q.get("off_incident_figures", []))
        rows = [] if a["refused"] else rows_of(a)
        for row in rows:
            rows_total += 1
            rows_on += row["doc_id"] in q["gold_doc_ids"]
            golds = gold_by_doc.get(row["doc_id"], [])
            if golds:
                speakers_total += 1
                right = any(
                    (g["source"] and same_source(row["who"], g["source"]))
                    or (not g["source"] and (not row["who"] or same_source(row["who"], g["outlet"])))
                    for g in golds
                )
                speakers_right += right
        hits = 0
        for g in q["gold_figures"]:
            fig = contains(text, g["figure"])
            src = (contains(text + " " + " ".join((r["who"] or "") for r in rows), g["source"]) if g["source"]
                   else any(r["doc_id"] == g["doc_id"] for r in rows))
            hits += fig and src
        found += hits
        total += len(q["gold_figures"])
        complete += hits == len(q["gold_figures"])
    return {
        "n": len(answers),
        "refused": refused / max(1, len(answers)),
        "rows on the asked incident": rows_on / max(1, rows_total),
        "rows shown": rows_total,
        "answers showing an off-incident figure": off_shown / max(1, len(answers)),
        "speakers right (rows of gold reports)": speakers_right / max(1, speakers_total),
        "every gold figure with its source": complete / max(1, len(answers)),
        "gold figures shown with their source": found / max(1, total),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--details", type=Path)
    parser.add_argument("--llm", default="extractive")
    parser.add_argument("--llm-base-url", default="")
    args = parser.parse_args()
    from retrieval import Engine, Settings

    settings = Settings(_env_file=None, data_dir=args.data, llm=args.llm, llm_base_url=args.llm_base_url,
                        llm_timeout_seconds=120)
    engine = Engine(settings)
    details = []
    report = {}
    for path in args.files:
        questions = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        answers, times = [], []
        for q in questions:
            started = time.perf_counter()
            a = engine.ask(q["question"]).to_json()
            times.append((time.perf_counter() - started) * 1000)
            answers.append((q, a))
            details.append({"set": path.name, "id": q["id"], "answer": a})
        metric = figures if questions[0].get("kind") == "figures" else general
        report[path.name] = {**metric(answers), "answer p50 ms": statistics.median(times)}
    print(json.dumps(report, indent=1))
    if args.details:
        args.details.write_text("\n".join(json.dumps(d) for d in details) + "\n")
    engine.close()


if __name__ == "__main__":
    main()
