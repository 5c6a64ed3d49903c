#!/usr/bin/env python3
"""Check the evaluation set benchmarks/eval/questions.jsonl against the corpus.

Run from the repository root:

    python benchmarks/eval/check_questions.py

Standard library only. It exits with status 1 if it finds any problem and prints counts
by kind either way. What it checks:

* every line is a JSON object with exactly the expected fields and types, and the ids
  are unique and numbered q001, q002, ...;
* every gold doc id exists (corpus ``id`` or a seed file stem);
* every gold answer (and the gold attribution, if any) appears verbatim in the stored
  ``text`` of at least one gold document, compared case-insensitively after collapsing
  white space (the same white-space cleaning the index applies); a match must not start
  or end inside a word or number, so "17" does not match inside "2017";
* every gold document contains at least one of the gold answers, so no gold id is
  listed that cannot answer the question;
* "who" questions carry an attribution; "multi" questions have at least two gold
  documents; "unanswerable" questions have no gold ids, answers or attribution, and
  their probes (below) find nothing in the corpus;
* the mix: at least 100 questions, 30 factoid, 15 who, 15 paraphrase, 8 multi and 20
  unanswerable; at least 5 questions on the seed; every corpus file is used.

Corpus locations default to /work/shared/corpus and /work/shared/seeds (then the
repository's seeds/ folder); override them with --corpus-dir and --seeds-dir, or the
environment variables EVAL_CORPUS_DIR and EVAL_SEEDS_DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_QUESTIONS = HERE / "questions.jsonl"
DEFAULT_CORPUS_DIRS = [Path("/work/shared/corpus")]
DEFAULT_SEEDS_DIRS = [Path("/work/shared/seeds"), REPO / "seeds"]

FIELDS = ("id", "question", "kind", "gold_doc_ids", "gold_answers", "gold_attribution")
KINDS = ("factoid", "who", "paraphrase", "multi", "unanswerable")
MINIMUMS = {"total": 100, "factoid": 30, "who": 15, "paraphrase": 15, "multi": 8, "unanswerable": 20}
MIN_SEED_QUESTIONS = 5
SEED_SUFFIXES = (".txt", ".md")

# Probes for the unanswerable questions: (regex, scope). Each regex is searched
# case-insensitively in the text of every document (scope None) or of the listed
# documents; a hit means the corpus may answer the question after all.
_TALL_TAWIL = ["fakes-1923848289", "fakes-1924058103", "fakes-1923102911", "fakes-1923102912",
               "fakes-1924058196", "fakes-1924058195"]
_QAMISHLI = ["fakes-1924058115", "fakes-1924058046", "fakes-1919191742", "fakes-1923848164",
             "fakes-1923848165", "fakes-1924058172", "fakes-1965511170"]
_HASS = ["fakes-1924058064", "fakes-1923102890", "fakes-1924058095", "fakes-1923102891",
         "fakes-1926479043", "fakes-1924058188", "fakes-1923848283", "fakes-1923102889",
         "fakes-1923848282"]
_SEED = ["000_4690d2a678555c89"]
UNANSWERABLE_PROBES: dict[str, list[tuple[str, list[str] | None]]] = {
    "q101": [(r"Olive Branch", None)],
    "q102": [(r"Suqaylabi", None)],
    "q103": [(r"Netlify", None)],
    "q104": [(r"\bZoom\b", None)],
    "q105": [(r"British Airways", None)],
    "q106": [(r"\bRogers\b", None)],
    "q107": [(r"Pardot", None)],
    "q108": [(r"Microsoft Teams|\bOutlook\b", None)],
    "q109": [(r"WhatsApp", None)],
    "q110": [(r"\bOptus\b", None)],
    "q111": [(r"Akamai", None)],
    "q112": [(r"killed in (besieged )?eastern Aleppo|\b\d+\b[^\n]{0,80}eastern Aleppo", _SEED)],
    "q113": [(r"Russia", _SEED)],
    "q114": [(r"\b(\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens of)\s+"
              r"(of them\s+)?(children|child)\b", _TALL_TAWIL)],
    "q115": [(r"(bomber|attacker|driver)\W+(was\W+)?(named|identified)|\bnamed\b", _QAMISHLI)],
    "q116": [(r"\$|dollar|\bcost", ["pm-f70ce67c-0944-422e-b0bd-be38f0edb0cd"])],
    "q117": [(r"\d[\d,]*\s+customers", ["pm-20834b0c-3811-4447-bcfe-2e60eeeb6251"])],
    "q118": [(r"school (named|called)|(named|called) [^.]{0,40}school", _HASS)],
    "q119": [(r"April 2018|2018.{0,100}Douma|Douma.{0,100}2018", None)],
    "q120": [(r"courthouse|Azaz.{0,200}January 2017", None)],
    "q121": [(r"Hama Central Prison|Hama prison", None)],
    "q122": [(r"Koban[ie].{0,300}June 2015|June 2015.{0,300}Koban[ie]", None)],
    "q123": [(r"Quds hospital.{0,150}(air ?strike|raid|destroy)|(air ?strike|raid|destroy).{0,150}Quds hospital", None)],
    "q124": [(r"December 22, 2021|22 December 2021|2021-12-22", None)],
    "q125": [(r"\d[\d,.]*\s*(million|billion)", ["pm-a54b2ace-5fdf-452e-bdb2-cd8a48a94e56"])],
    "q126": [(r"compensat|\$|credit", ["pm-b79bbd0b-b4d9-459e-90b6-15cbf95857b2"])],
}


def normalise(text: str) -> str:
    """NFC, case-folded, white space collapsed to single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def contains(haystack_norm: str, needle: str) -> bool:
    """Case-insensitive verbatim match that does not start or end inside a word."""
    needle_norm = normalise(needle)
    if not needle_norm:
        return False
    start = haystack_norm.find(needle_norm)
    while start != -1:
        end = start + len(needle_norm)
        before_ok = start == 0 or not haystack_norm[start - 1].isalnum() or not needle_norm[0].isalnum()
        after_ok = end == len(haystack_norm) or not haystack_norm[end].isalnum() or not needle_norm[-1].isalnum()
        if before_ok and after_ok:
            return True
        start = haystack_norm.find(needle_norm, start + 1)
    return False


def first_existing(paths: list[Path]) -> Path | None:
    return next((p for p in paths if p.is_dir()), None)


def load_corpus(corpus_dir: Path, seeds_dir: Path | None) -> tuple[dict[str, str], dict[str, str]]:
    """doc id -> raw text, and doc id -> source (corpus file name or 'seed')."""
    texts: dict[str, str] = {}
    sources: dict[str, str] = {}
    for path in sorted(corpus_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                record = json.loads(line)
                texts[str(record["id"])] = str(record.get("text") or "")
                sources[str(record["id"])] = path.name
    if seeds_dir is not None:
        for path in sorted(seeds_dir.iterdir()):
            if path.suffix.lower() in SEED_SUFFIXES and path.is_file():
                texts[path.stem] = path.read_text(encoding="utf-8", errors="replace")
                sources[path.stem] = "seed"
    return texts, sources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--corpus-dir", type=Path, default=os.environ.get("EVAL_CORPUS_DIR"))
    parser.add_argument("--seeds-dir", type=Path, default=os.environ.get("EVAL_SEEDS_DIR"))
    parser.add_argument(
        "--extra",
        action="store_true",
        help="an additional, smaller set (questions-2.jsonl, test.jsonl): no minimum mix, and each "
        "unanswerable question carries its own probe in a 'probe' field",
    )
    args = parser.parse_args(argv)

    corpus_dir = args.corpus_dir or first_existing(DEFAULT_CORPUS_DIRS)
    seeds_dir = args.seeds_dir or first_existing(DEFAULT_SEEDS_DIRS)
    if corpus_dir is None or not Path(corpus_dir).is_dir():
        print(f"ERROR: corpus directory not found ({corpus_dir}); use --corpus-dir", file=sys.stderr)
        return 1
    texts, sources = load_corpus(Path(corpus_dir), Path(seeds_dir) if seeds_dir else None)
    normed = {doc_id: normalise(text) for doc_id, text in texts.items()}
    corpus_files = sorted({s for s in sources.values() if s != "seed"})

    problems: list[str] = []
    questions: list[dict] = []
    with Path(args.questions).open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                problems.append(f"line {lineno}: blank line")
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"line {lineno}: not JSON ({exc})")
                continue
            if not isinstance(item, dict):
                problems.append(f"line {lineno}: not a JSON object")
                continue
            questions.append(item)

    seen_ids: set[str] = set()
    kinds: Counter[str] = Counter()
    files_used: Counter[str] = Counter()
    seed_questions = 0
    for number, item in enumerate(questions, 1):
        qid = item.get("id", f"<line {number}>")
        where = f"{qid}"
        allowed = set(FIELDS) | ({"probe"} if args.extra and item.get("kind") == "unanswerable" else set())
        if not set(FIELDS) <= set(item) <= allowed:
            problems.append(f"{where}: fields are {sorted(item)}, expected {sorted(FIELDS)}")
            continue
        probes = [(item["probe"], None)] if "probe" in item else [] if args.extra else UNANSWERABLE_PROBES.get(qid, [])
        if qid != f"q{number:03d}":
            problems.append(f"{where}: id should be q{number:03d} (ids are sequential)")
        if qid in seen_ids:
            problems.append(f"{where}: duplicate id")
        seen_ids.add(qid)
        kind = item["kind"]
        question = item["question"]
        gold = item["gold_doc_ids"]
        answers = item["gold_answers"]
        attribution = item["gold_attribution"]
        if kind not in KINDS:
            problems.append(f"{where}: unknown kind {kind!r}")
            continue
        kinds[kind] += 1
        if not isinstance(question, str) or len(question.strip()) < 10:
            problems.append(f"{where}: question missing or too short")
        if not (isinstance(gold, list) and all(isinstance(g, str) for g in gold)):
            problems.append(f"{where}: gold_doc_ids must be a list of strings")
            continue
        if not (isinstance(answers, list) and all(isinstance(a, str) and a.strip() for a in answers)):
            problems.append(f"{where}: gold_answers must be a list of non-empty strings")
            continue
        if attribution is not None and not (isinstance(attribution, str) and attribution.strip()):
            problems.append(f"{where}: gold_attribution must be a non-empty string or null")
            continue
        if len(set(gold)) != len(gold):
            problems.append(f"{where}: repeated gold doc id")

        if kind == "unanswerable":
            if gold or answers or attribution is not None:
                problems.append(f"{where}: unanswerable questions need empty gold ids/answers and null attribution")
            for pattern, scope in probes:
                regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
                for doc_id in (scope if scope is not None else list(texts)):
                    if doc_id not in texts:
                        problems.append(f"{where}: probe scope names unknown doc {doc_id}")
                    elif regex.search(texts[doc_id]):
                        problems.append(f"{where}: probe /{pattern}/ matches {doc_id}; the corpus may answer it")
            if not probes:
                print(f"note: {where}: unanswerable question without a probe (checked by hand only)")
            continue

        if qid in UNANSWERABLE_PROBES and not args.extra:
            problems.append(f"{where}: has unanswerable probes but kind is {kind}")
        if not gold:
            problems.append(f"{where}: answerable question without gold doc ids")
        if not answers:
            problems.append(f"{where}: answerable question without gold answers")
        if kind == "who" and attribution is None:
            problems.append(f"{where}: 'who' question without gold_attribution")
        if kind == "multi" and len(gold) < 2:
            problems.append(f"{where}: 'multi' question needs at least two gold docs")
        missing = [g for g in gold if g not in texts]
        if missing:
            problems.append(f"{where}: unknown gold doc ids {missing}")
        present = [g for g in gold if g in texts]
        for doc_id in present:
            files_used[sources[doc_id]] += 1
        if any(sources.get(g) == "seed" for g in present):
            seed_questions += 1
        for answer in answers:
            if not any(contains(normed[g], answer) for g in present):
                problems.append(f"{where}: gold answer {answer!r} not found verbatim in any gold doc")
        if attribution is not None and not any(contains(normed[g], attribution) for g in present):
            problems.append(f"{where}: gold_attribution {attribution!r} not found verbatim in any gold doc")
        for doc_id in present:
            if not any(contains(normed[doc_id], a) for a in answers):
                problems.append(f"{where}: gold doc {doc_id} contains none of the gold answers")

    total = sum(kinds.values())
    if not args.extra:  # a small extra set's mix is whatever its author wrote
        if total < MINIMUMS["total"]:
            problems.append(f"only {total} questions; need at least {MINIMUMS['total']}")
        for kind in KINDS:
            if kinds[kind] < MINIMUMS[kind]:
                problems.append(f"only {kinds[kind]} {kind} questions; need at least {MINIMUMS[kind]}")
        if seed_questions < MIN_SEED_QUESTIONS:
            problems.append(f"only {seed_questions} questions on the seed; need at least {MIN_SEED_QUESTIONS}")
        for name in corpus_files:
            if files_used[name] == 0:
                problems.append(f"no question uses a document from {name}")
        for qid in UNANSWERABLE_PROBES:
            if qid not in seen_ids:
                problems.append(f"probe defined for {qid}, which is not in the file")

    print(f"questions: {total}  (corpus: {corpus_dir}; seeds: {seeds_dir})")
    for kind in KINDS:
        print(f"  {kind:<13}{kinds[kind]:>4}")
    print(f"questions on the seed: {seed_questions}")
    print("gold-doc references by source:")
    for name in corpus_files + ["seed"]:
        print(f"  {name:<40}{files_used[name]:>4}")
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
