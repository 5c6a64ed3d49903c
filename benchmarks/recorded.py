"""A capable model's own replies, recorded, replayed through the real LLM path.

The stand-in of ``faithful_model`` is written by us; this measures what verification
costs a model we did not write. Three steps:

    python -m benchmarks.recorded prompts --index DIR --sets FILE... --out PROMPTS.jsonl
        the exact messages the LLM composer sends (structured mode) for each question;
    (each prompt is answered by a writer who sees only that prompt, as a capable model
     would, and the replies are saved as REPLIES.jsonl: {"id", "reply"})
    python -m benchmarks.recorded replay --index DIR --prompts PROMPTS.jsonl[.gz] --replies REPLIES.jsonl --out SEEN.jsonl
        each reply served by an OpenAI-compatible server on 127.0.0.1 to the real
        ChatOpenAI of the product, and what the user sees after verification saved
        beside the reply as written, for a reader who grades both;
    python -m benchmarks.recorded grades GRADES.jsonl...
        the reader's grades totalled.

Dense search in an HNSW index is approximate, and which passages fill the tail of a
prompt may differ from one process to the next: a reply is served for its question,
its [n] renumbered to where the same reports stand in the prompt actually sent. A reply
citing a report the new prompt lacks is reported as stale and left out of the figures.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from benchmarks.local_server import LocalServer
from retrieval import Engine, Settings
from retrieval.answer.compose.llm import prompt_messages
from retrieval.answer.reader import Asked

EVAL_DIR = Path(__file__).parent / "eval"


def _fingerprint(messages: list[dict]) -> str:
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:16]


def _questions(names: list[str]) -> list[dict]:
    found = []
    for name in names:
        path = Path(name) if Path(name).is_file() else EVAL_DIR / name
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                found.append({"set": path.name, "id": f"{path.stem}/{row['id']}", "question": row["question"]})
    return found


def record_prompts(engine: Engine, questions: list[dict]) -> list[dict]:
    """The messages the LLM composer would send for each question (no model is called)."""
    pipeline = engine.pipeline
    records = []
    for q in questions:
        reading = pipeline.reading(pipeline.read(Asked(q["question"])))
        messages = [{"role": m.type, "content": m.content} for m in prompt_messages(reading, structured=True)]
        records.append({**q, "messages": messages, "fingerprint": _fingerprint(messages)})
    return records


_HEADER = re.compile(r"^\[(\d+)\] (.+)$", re.MULTILINE)


def _question_of(user_message: str) -> str:
    return user_message.rsplit("Question:", 1)[-1].strip()


def _headers(user_message: str) -> dict[str, int]:
    """Each report header of a prompt ("[3] title (outlet, date)") -> its number."""
    return {header: int(n) for n, header in _HEADER.findall(user_message.split("Question:")[0])}


def renumbered(reply: str, recorded: str, sent: str) -> str | None:
    """The reply with each claim's report number moved to where its report stands in the
    prompt sent; None when a cited report is not in it."""
    before = {n: header for header, n in _headers(recorded).items()}
    now = _headers(sent)
    data = json.loads(reply)
    for claim in data.get("claims", []):
        header = before.get(claim.get("report"))
        if header is None or header not in now:
            return None
        claim["report"] = now[header]
    return json.dumps(data, ensure_ascii=False)


class RecordedModel(LocalServer):
    """An OpenAI-compatible chat server on 127.0.0.1 that answers each recorded question
    with its recorded reply, renumbered to the prompt it is sent (``renumbered``)."""

    def __init__(self, recorded: dict[str, tuple[str, str]]) -> None:
        self.recorded = recorded  # question -> (recorded user message, reply content)
        self.identical: list[str] = []
        self.stale: list[str] = []
        model = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                sent = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
                question = _question_of(sent)
                recorded, reply = model.recorded.get(question, (None, None))
                content = renumbered(reply, recorded, sent) if reply is not None else None
                if content is None:
                    model.stale.append(question)
                    self._send(500, {"error": {"message": "no recorded reply fits this prompt", "type": "stale"}})
                    return
                if recorded == sent:
                    model.identical.append(question)
                self._send(
                    200,
                    {
                        "id": f"rec-{len(model.identical)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "recorded"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    },
                )

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(Handler)


def replay(settings: Settings, prompts: list[dict], replies: dict[str, str]) -> list[dict]:
    """Each recorded reply through the product's LLM path; the reply's claims as written
    and what the user sees after verification, side by side."""
    recorded = {p["question"]: (p["messages"][-1]["content"], replies[p["id"]]) for p in prompts if p["id"] in replies}
    seen = []
    with RecordedModel(recorded) as model:
        configured = settings.model_copy(update={"llm": "openai:recorded", "llm_base_url": model.base_url, "llm_timeout_seconds": 60})
        engine = Engine(configured)
        for p in prompts:
            if p["id"] not in replies:
                continue
            before, same = len(model.stale), len(model.identical)
            answer = engine.ask(p["question"])
            seen.append(
                {
                    "set": p["set"],
                    "id": p["id"],
                    "question": p["question"],
                    "stale": len(model.stale) > before,
                    "same_prompt": len(model.identical) > same,
                    "reply": _as_written(replies[p["id"]]),
                    "shown": _as_seen(answer),
                    "composer": answer.composer,
                    "dropped": [[d.text, d.reason] for d in answer.verification.dropped],
                }
            )
    return seen


def _as_written(reply: str) -> str:
    """The reply as a reader would read it: each claim, with who it credits and its report."""
    try:
        claims = json.loads(reply).get("claims", [])
    except (json.JSONDecodeError, AttributeError):
        return reply
    if not claims:
        return "(no claims: the reports do not say)"
    return "\n".join(f"- {c.get('statement', '')} [{c.get('report')}] (said by: {c.get('said_by') or '-'})" for c in claims)


def _as_seen(answer) -> str:
    """What the user is shown: the answer, its figures by source and its citations."""
    from bot.render import answer_as_text

    return answer_as_text(answer)


def graded(paths: list[Path]) -> dict[str, dict[str, float]]:
    """Totals of a reader's grades ({"id", "A": reply as written, "B": what the user saw},
    each with correct, refused, speakers_right, figures_with_source, figures_total)."""
    rows = [json.loads(line) for path in paths for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    totals = {}
    for side, name in (("A", "the replies as written"), ("B", "what the user saw")):
        grades = [r[side] for r in rows]
        judged = [g["speakers_right"] for g in grades if g.get("speakers_right") is not None]
        figures = [g for g in grades if g.get("figures_total")]
        totals[name] = {
            "answers": len(grades),
            "correct": sum(g["correct"] for g in grades) / len(grades),
            "refused": sum(g["refused"] for g in grades) / len(grades),
            "speakers right": sum(judged) / max(1, len(judged)),
            "gold figures given with their source": sum(g["figures_with_source"] or 0 for g in figures) / max(1, sum(g["figures_total"] for g in figures)),
        }
    totals["what the user saw / the replies"] = {"correct": totals["what the user saw"]["correct"] / totals["the replies as written"]["correct"]}
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    prompts = sub.add_parser("prompts")
    prompts.add_argument("--index", type=Path, required=True)
    prompts.add_argument("--sets", nargs="+", required=True)
    prompts.add_argument("--out", type=Path, required=True)
    played = sub.add_parser("replay")
    played.add_argument("--index", type=Path, required=True)
    played.add_argument("--prompts", type=Path, required=True)
    played.add_argument("--replies", type=Path, required=True)
    played.add_argument("--out", type=Path, required=True)
    grades = sub.add_parser("grades")
    grades.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    if args.step == "grades":
        print(json.dumps(graded(args.files), indent=1))
        return
    settings = Settings(_env_file=None, data_dir=args.index, llm="extractive")
    if args.step == "prompts":
        records = record_prompts(Engine(settings), _questions(args.sets))
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        print(f"{len(records)} prompts written to {args.out}")
        return
    opened = gzip.open(args.prompts, "rt", encoding="utf-8") if args.prompts.suffix == ".gz" else args.prompts.open(encoding="utf-8")
    with opened as lines:
        prompts_ = [json.loads(line) for line in lines if line.strip()]
    replies = {}
    for line in args.replies.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            replies[row["id"]] = row["reply"] if isinstance(row["reply"], str) else json.dumps(row["reply"], ensure_ascii=False)
    seen = replay(settings, prompts_, replies)
    args.out.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in seen), encoding="utf-8")
    stale, same = sum(s["stale"] for s in seen), sum(s["same_prompt"] for s in seen)
    print(f"{len(seen)} replies replayed ({same} to the very prompt recorded, {stale} stale) to {args.out}")


if __name__ == "__main__":
    main()
