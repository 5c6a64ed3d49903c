"""The ``incident-bot`` command: ingest, ask, sources, run.

    incident-bot ingest [PATH ...]          index files and folders (default DOCUMENTS_DIR)
    incident-bot ask "QUESTION" [--json]    answer one question; no QUESTION: one per stdin line
    incident-bot sources [--json]           list the indexed reports
    incident-bot run                        start the Telegram bot

Settings come from config/settings.toml, .env and the environment (see README).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from pydantic import ValidationError


def _settings():
    from retrieval import Settings

    try:
        return Settings()
    except ValidationError as e:
        problems = "; ".join(_setting_problem(error) for error in e.errors())
        print(f"incident-bot: invalid settings: {problems}", file=sys.stderr)
        raise SystemExit(2) from e


def _setting_problem(error: dict) -> str:
    """One invalid setting as its variable, the value given (unless secret) and what is wrong."""
    name = ".".join(str(part) for part in error["loc"]).upper()
    secret = any(word in name for word in ("TOKEN", "KEY", "SECRET"))
    return f"{name}{'' if secret else '=' + repr(error['input'])}: {error['msg']}"


def _model_or_extractive(settings):
    """The settings, with LLM=extractive in place of a model that cannot work (said once
    on stderr), and the note each answer then carries (or None)."""
    from retrieval import LLMConfigError, check_llm_settings

    try:
        check_llm_settings(settings)
    except LLMConfigError as e:
        print(f"incident-bot: {e}; answering without a language model", file=sys.stderr)
        return settings.model_copy(update={"llm": "extractive"}), f"Answered without a language model: {e}."
    return settings, None


def _engine(settings, rebuild: bool = False):
    from retrieval import Engine, IndexMismatchError

    try:
        return Engine(settings, rebuild=rebuild)
    except (IndexMismatchError, ConnectionError, ValueError) as e:
        raise SystemExit(f"incident-bot: {e}") from e


def cmd_ingest(args: argparse.Namespace) -> int:
    from retrieval import DocumentError, IngestBusyError

    if args.rebuild and args.paths:
        print("incident-bot: --rebuild re-indexes DOCUMENTS_DIR as a whole; give no PATH", file=sys.stderr)
        return 2
    settings = _settings()
    engine = _engine(settings, rebuild=args.rebuild)
    try:
        summary = engine.ingest([Path(p) for p in args.paths] or None, rebuild=args.rebuild, progress=ProgressDisplay())
    except (DocumentError, IngestBusyError) as e:
        print(f"incident-bot: {e}", file=sys.stderr)
        return 2
    for error in summary.errors:
        print(f"skipped: {error}", file=sys.stderr)
    print(json.dumps(summary.to_json()) if args.json else summary.line())
    if summary.interrupted:
        return 130
    return 1 if summary.errors else 0


class ProgressDisplay:
    """Ingest progress on stderr: a bar with an estimate on a terminal, otherwise a line
    every few seconds."""

    LINE_EVERY_SECONDS = 5.0

    def __init__(self) -> None:
        self._bar = None
        self._started = time.monotonic()
        self._last_line = 0.0

    def __call__(self, done: int, expected: int) -> None:
        if sys.stderr.isatty():
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=expected, unit="report", desc="indexing", file=sys.stderr)
            self._bar.total = max(expected, done)
            self._bar.update(done - self._bar.n)
            if done >= expected:
                self._bar.close()
            return
        now = time.monotonic()
        if done < expected and now - self._last_line < self.LINE_EVERY_SECONDS:
            return
        self._last_line = now
        elapsed = now - self._started
        left = f", about {elapsed / done * (expected - done):.0f} s left" if 0 < done < expected else ""
        print(f"indexing: {done} of {expected} reports{left}", file=sys.stderr, flush=True)


def _ensure_indexed(engine) -> None:
    """A fresh clone answers out of the box: index DOCUMENTS_DIR on first use, showing
    progress, and say what was skipped."""
    from retrieval import DocumentError

    if engine.stats()["reports"] == 0:
        folder = engine.settings.documents_dir
        print(f"indexing {folder} for the first use (Ctrl-C stops and keeps what is done)", file=sys.stderr)
        try:
            summary = engine.ingest(progress=ProgressDisplay())
        except DocumentError as e:
            print(f"incident-bot: {e}; set DOCUMENTS_DIR or run `incident-bot ingest PATH`", file=sys.stderr)
            return
        for error in summary.errors:
            print(f"skipped: {error}", file=sys.stderr)
        print(f"indexed {folder}: {summary.line()}", file=sys.stderr)


def cmd_ask(args: argparse.Namespace) -> int:
    from retrieval import SearchFilter

    settings, note = _model_or_extractive(_settings())
    engine = _engine(settings)
    _ensure_indexed(engine)
    where = SearchFilter(args.source, args.since, args.until)
    if args.question:
        questions = [" ".join(args.question)]
    elif sys.stdin.isatty():
        return _console(engine, args.json, where, note)
    else:
        questions = (line.strip() for line in sys.stdin)
    for question in questions:
        if question:
            _answer(engine, question, args.json, where, note)
    return 0


def _answer(engine, question: str, as_json: bool, where, note: str | None = None) -> None:
    """Print the answer to one question, or say why there is none, in the chosen format."""
    from bot.render import answer_as_text

    limit = engine.settings.max_question_chars
    if len(question) > limit:
        message = f"The question is longer than {limit} characters; please shorten it."
        if as_json:
            print(json.dumps({"question": question, "answer": message, "refused": True, "citations": [], "error": "too_long"}))
        else:
            print(message + "\n", flush=True)
        return
    answer = engine.ask(question, where=None if where.empty else where)
    if note:
        answer.notes.append(note)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
    else:
        print(answer_as_text(answer) + "\n", flush=True)


def _console(engine, as_json: bool, where, note: str | None) -> int:
    """Interactive questions on a terminal until an empty line or Ctrl-D."""
    stats = engine.stats()
    print(f"{stats['reports']} reports indexed. Ask a question (empty line to quit).")
    while True:
        try:
            question = input("? ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question:
            return 0
        _answer(engine, question, as_json, where, note)


def cmd_sources(args: argparse.Namespace) -> int:
    from retrieval import SearchFilter

    settings = _settings()
    engine = _engine(settings)
    reports = engine.reports(SearchFilter(args.source, args.since, args.until))
    if args.json:
        for report in reports:
            print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    for report in reports:
        date = report.published or "undated"
        copy = f"\tcopy of {report.copy_of}" if report.copy_of else ""
        print(f"{report.doc_id}\t{date}\t{report.source or ''}\t{report.title}{copy}")
    print(f"{len(reports)} reports", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import StartupError, run
    from retrieval import LLMConfigError

    try:
        return run(_settings(), verbose=args.verbose)
    except (StartupError, LLMConfigError) as e:
        print(f"incident-bot: {e}", file=sys.stderr)
        return 2


def _iso_date(value: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected a date like 2016-10-31, got {value!r}") from e


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incident-bot", description="Cited answers about incident reports.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="index files and folders (default: DOCUMENTS_DIR)")
    ingest.add_argument("paths", nargs="*", help=".txt .md .html .pdf .docx .jsonl files or folders")
    ingest.add_argument(
        "--rebuild", action="store_true", help="drop the whole index and re-index DOCUMENTS_DIR (no PATH allowed)"
    )
    ingest.add_argument("--json", action="store_true", help="print the summary as JSON")
    ingest.set_defaults(func=cmd_ingest)

    ask = sub.add_parser("ask", help="answer a question (no QUESTION: one per line from stdin)")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--source", help="only reports from this outlet (substring, e.g. Reuters)")
    ask.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD", help="only reports published on or after this date")
    ask.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD", help="only reports published on or before this date")
    ask.set_defaults(func=cmd_ask)

    sources = sub.add_parser("sources", help="list the indexed reports")
    sources.add_argument("--json", action="store_true", help="one JSON object per report")
    sources.add_argument("--source", help="only reports from this outlet (substring)")
    sources.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD", help="only reports published on or after this date")
    sources.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD", help="only reports published on or before this date")
    sources.set_defaults(func=cmd_sources)

    run = sub.add_parser("run", help="start the Telegram bot")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for chatty in ("httpx", "chromadb"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        return args.func(args)
    except ConnectionError as e:  # a Chroma server that is down, found when first needed
        print(f"incident-bot: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
