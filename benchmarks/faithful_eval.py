"""The LLM path measured with the stand-in model (benchmarks/faithful_model.py): questions
run through real engines, one per mode, and what reached the user counted.

    python -m benchmarks.faithful_eval --index DIR [--sets questions.jsonl dev-3.jsonl multi/multi-dev.jsonl]
        [--formats structured text] [--drops]

For each format it reports (``structured``: the model fills the JSON schema LangChain asks
for; ``text``: a chat model that cannot do structured output, so the product asks for
prose and reads [n] markers; ``text-ignoring-json``: asked for JSON, the model answers in
prose anyway):

- the share of questions the faithful model answered whose answer reached the user whole
  (the LLM composer's answer, every claim the model made among the answer's claims with
  its wording and its report, nothing dropped by verification);
- answer accuracy: a gold answer in what the user sees (the answer text and the quotes of
  its citations), over answerable questions;
- for figure questions, the share answered with every gold figure and its source;
- for each lie, how many planted lies reached the user out of how many were planted:
  a changed figure (honest quote, or doctored quote), a real outlet or agency credited
  with a claim it only carried, an invented source, a citation to a report that holds
  neither the claim's quote nor its figures (a corrected citation does not count).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections import Counter
from pathlib import Path

from benchmarks.faithful_model import LIES, TEXT, FaithfulModel, ModelClaim, Plant, Prompt, Reply, norm
from benchmarks.faithful_model import contains as _contains

EVAL_DIR = Path(__file__).resolve().parent / "eval"
# format -> (suffix of the model name, whether the chat model refuses structured output)
FORMATS = {
    "structured": ("", False),  # the model fills the JSON schema LangChain asks for
    "text": ("", True),  # a model that cannot do structured output: asked for prose, answers prose
    "text-ignoring-json": (TEXT, False),  # asked for JSON, answers prose anyway
}
LIE_LABELS = {
    "plant-figure": "planted figures (quote honest)",
    "plant-figure-doctored": "planted figures (quote doctored)",
    "plant-source": "planted outlet/agency credits",
    "plant-invented-source": "planted invented sources",
    "plant-citation": "wrong citations",
}


def load(name: str) -> list[dict]:
    path = Path(name) if Path(name).is_file() else EVAL_DIR / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def ratio(part: float, whole: float) -> float:
    return part / whole if whole else math.nan


def contains(text: str | None, needle: str) -> bool:
    return bool(text) and _contains(text, needle)


def _statement_key(text: str) -> str:
    text = re.sub(r"\s*\[\d+\]", "", norm(text))
    text = re.sub(r"^(?:-\s+|yes:\s+|no:\s+)", "", text)
    return text.strip(" .")


def _cites(answer, claim, report) -> bool:
    """Whether a shown claim is cited to the prompt's report (same title and outlet)."""
    if report is None:
        return False
    citation = next((c for c in answer.citations if c.n == claim.n), None)
    if citation is None:
        return False
    outlet = report.outlet if report.outlet != "unknown outlet" else None
    return norm(citation.title) == norm(report.title) and (outlet is None or norm(citation.source or "") == norm(outlet))


def shown_claim(answer, made: ModelClaim, prompt: Prompt):
    """The claim of the answer that shows the model's claim: same report, and its text
    holds the model's statement (white space, case and quote marks aside)."""
    key = _statement_key(made.statement)
    for claim in answer.claims:
        if key in _statement_key(claim.text) and _cites(answer, claim, prompt.reports.get(made.report)):
            return claim
    return None


def reached_whole(answer, reply: Reply) -> bool:
    return (
        answer.composer == "llm"
        and not answer.verification.dropped
        and all(shown_claim(answer, c, reply.prompt) is not None for c in reply.claims)
    )


def gold_shown(answer, q: dict) -> bool:
    shown = answer.text + " " + " ".join(c.quote for c in answer.citations)
    return not answer.refused and any(contains(shown, g) for g in q["gold_answers"])


def every_figure_shown(answer, q: dict) -> bool:
    """Every gold figure in the answer with who gives it (or, where the report credits
    nobody, cited to its outlet), as benchmarks/multi.py counts them."""
    said = " ".join(
        [answer.text, answer.summary or ""]
        + [f"{c.quote} {c.attributed_to or ''} {c.source or ''}" for c in answer.citations]
        + [f"{c.said_by or ''}" for c in answer.claims]
        + [f"{f.figure} {f.who or ''}" for f in answer.figures]
    )
    for gold in q["gold_figures"]:
        if not contains(said, gold["figure"]):
            return False
        if gold["source"]:
            if not contains(said, gold["source"]):
                return False
        elif not any(c.source == gold["outlet"] or gold["outlet"] in c.also_published_by for c in answer.citations):
            return False
    return True


def lie_reached(answer, plant: Plant, reply: Reply, faithful_text: str) -> bool:
    """Whether the planted lie is in what the user sees."""
    if answer.composer != "llm" or answer.refused:
        return False
    if plant.kind == "citation":
        wrong = plant.wrong_report
        return any(_cites(answer, c, wrong) for c in answer.claims)
    if plant.kind == "figure":
        p = plant.planted
        return (
            any(contains(c.text, p) or any(contains(f, p) for f in c.figures) for c in answer.claims)
            or any(contains(f.figure, p) for f in answer.figures)
            or contains(_without_quotes(answer), p) and not contains(faithful_text, p)
        )
    credit = plant.planted
    if any(contains(c.said_by, credit) or contains(c.text, credit) for c in answer.claims):
        return True
    if any(contains(c.attributed_to, credit) for c in answer.citations if _claim_cites(answer, c.n, reply, plant)):
        return True
    return contains(_without_quotes(answer), credit) and not contains(faithful_text, credit)


def _claim_cites(answer, n: int, reply: Reply, plant: Plant) -> bool:
    """Whether citation n is the report of the planted claim."""
    report = reply.prompt.reports.get(reply.claims[plant.claim].report)
    citation = next((c for c in answer.citations if c.n == n), None)
    return citation is not None and report is not None and norm(citation.title) == norm(report.title)


def _without_quotes(answer) -> str:
    text = answer.text
    for c in answer.citations:
        text = text.replace(c.quote, " ")
    return text


def prose_only_model(name: str, base_url: str):
    """A LangChain chat model for the stand-in that cannot do structured output (its
    with_structured_output raises NotImplementedError, as for a model without tool calling
    or JSON mode), set up as retrieval/answer/compose/llm.py sets up an OpenAI model."""
    from langchain_openai import ChatOpenAI

    class ProseOnly(ChatOpenAI):
        def with_structured_output(self, *args, **kwargs):
            raise NotImplementedError("this model answers in prose only")

    return ProseOnly(model=name, base_url=base_url, api_key="not-needed", timeout=60, max_retries=0, temperature=0, max_tokens=800)


def evaluate(settings, questions: list[dict], formats=("structured", "text", "text-ignoring-json"), lies=LIES, progress=None) -> dict:
    """Run the questions through real engines (one per mode) with the stand-in model and
    return the figures per format, plus the reasons of the claims verification dropped
    from faithful answers (``details``)."""
    from retrieval import Engine

    results: dict = {"details": {}}
    with FaithfulModel(questions) as model:

        def engine(name: str, prose_only: bool) -> Engine:
            configured = settings.model_copy(update={"llm": f"openai:{name}", "llm_base_url": model.base_url, "llm_timeout_seconds": 60})
            return Engine(configured, chat_model=prose_only_model(name, model.base_url) if prose_only else None)

        for fmt in formats:
            suffix, prose_only = FORMATS[fmt]
            name = "faithful" + suffix
            metrics: dict[str, float] = {}
            drops: Counter = Counter()
            dropped_kinds: Counter = Counter()
            examples: list[dict] = []
            faithful_text: dict[str, str] = {}
            plantable: dict[str, dict[str, bool]] = {}
            answered = whole = answerable = correct = figure_qs = figure_ok = figure_ceiling = asked = 0
            e = engine(name, prose_only)
            try:
                for q in questions:
                    answer = e.ask(q["question"])
                    reply = model.reply_for(name, q["id"])
                    if progress:
                        progress(f"{fmt} faithful {q['id']}")
                    if reply is not None:
                        asked += 1
                        plantable[q["id"]] = reply.plantable
                    faithful_text[q["id"]] = answer.text
                    if q.get("gold_answers") and q.get("gold_doc_ids"):
                        answerable += 1
                        correct += gold_shown(answer, q)
                    if q.get("gold_figures"):
                        figure_qs += 1
                        figure_ok += every_figure_shown(answer, q)
                        figure_ceiling += reply is not None and reply.every_gold_figure
                    if reply is None or not reply.claims:
                        continue
                    answered += 1
                    ok = reached_whole(answer, reply)
                    whole += ok
                    for d in answer.verification.dropped:
                        drops[d.reason] += 1
                        made = next((c for c in reply.claims if _statement_key(c.statement) in _statement_key(d.text) or _statement_key(d.text) in _statement_key(c.statement)), None)
                        for tag in made.tags if made else ("(not one of the model's claims)",):
                            dropped_kinds[tag] += 1
                    if not ok:
                        missing = [c.statement for c in reply.claims if shown_claim(answer, c, reply.prompt) is None]
                        examples.append({
                            "id": q["id"], "composer": answer.composer, "refused": answer.refused,
                            "dropped": [(d.text, d.reason) for d in answer.verification.dropped],
                            "not shown": missing, "shown": [c.text for c in answer.claims],
                            "model": reply.text[:1500],
                        })
            finally:
                e.close()
            metrics["questions"] = len(questions)
            metrics["questions the model was asked"] = asked
            metrics["questions the faithful model answered"] = answered
            metrics["faithful answers reaching the user whole"] = ratio(whole, answered)
            metrics["answer accuracy (answerable)"] = ratio(correct, answerable)
            metrics["figure questions with every gold figure and its source"] = ratio(figure_ok, figure_qs)
            metrics["figure questions whose prompt held every gold figure (the model gave them all)"] = ratio(figure_ceiling, figure_qs)
            for lie in lies:
                if lie == "plant-figure-doctored" and fmt != "structured":
                    continue  # prose carries no quote to doctor
                planted = reached = 0
                e = engine(lie + suffix, prose_only)
                try:
                    for q in questions:
                        if not plantable.get(q["id"], {}).get(lie):
                            continue
                        answer = e.ask(q["question"])
                        reply = model.reply_for(lie + suffix, q["id"])
                        if progress:
                            progress(f"{fmt} {lie} {q['id']}")
                        if reply is None or reply.planted is None:
                            continue
                        planted += 1
                        hit = lie_reached(answer, reply.planted, reply, faithful_text.get(q["id"], ""))
                        reached += hit
                        if hit:
                            examples.append({
                                "id": q["id"], "lie": lie, "planted": reply.planted.planted, "statement": reply.planted.statement,
                                "shown": [(c.text, c.said_by, c.n) for c in answer.claims], "verification": answer.verification.to_json(),
                            })
                finally:
                    e.close()
                metrics[f"{LIE_LABELS[lie]} reaching the user"] = reached
                metrics[LIE_LABELS[lie]] = planted
            results[fmt] = metrics
            results["details"][fmt] = {"dropped reasons": dict(drops.most_common()), "dropped claims by how they were written": dict(dropped_kinds.most_common()), "examples": examples}
    return results


def main() -> None:
    from retrieval import Settings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="DATA_DIR of a built index (opened read-only)")
    parser.add_argument("--sets", nargs="+", default=["questions.jsonl", "dev-3.jsonl", "multi/multi-dev.jsonl"])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=list(FORMATS))
    parser.add_argument("--details", type=Path, help="write the dropped reasons and examples here (JSON)")
    args = parser.parse_args()
    settings = Settings(_env_file=None, data_dir=args.index, llm="extractive")
    details = {}
    for name in args.sets:
        result = evaluate(settings, load(name), formats=args.formats)
        print(f"## {name}")
        for fmt in args.formats:
            print(f"### {fmt}")
            for key, value in result[fmt].items():
                print(f"- {key}: {'n/a' if isinstance(value, float) and math.isnan(value) else round(value, 3)}")
            d = result["details"][fmt]
            print(f"- dropped reasons: {d['dropped reasons']}")
            print(f"- dropped claims by how they were written: {d['dropped claims by how they were written']}")
        details[name] = result["details"]
    if args.details:
        args.details.write_text(json.dumps(details, indent=1, default=str))


if __name__ == "__main__":
    main()
