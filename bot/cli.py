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
from pathlib import Path

from pydantic import ValidationError

log = logging.getLogger("incident_bot")


def _settings():
    from retrieval.settings import Settings

    try:
        return Settings()
    except ValidationError as e:
        raise SystemExit(f"incident-bot: invalid settings:\n{e}") from e


def _engine(settings, rebuild: bool = False):
    from retrieval.engine import Engine
    from retrieval.vector_store import IndexMismatchError

    try:
        return Engine(settings, rebuild=rebuild)
    except (IndexMismatchError, ConnectionError, ValueError) as e:
        raise SystemExit(f"incident-bot: {e}") from e


def cmd_ingest(args: argparse.Namespace) -> int:
    from retrieval.documents import DocumentError
    from retrieval.index import IngestBusyError

    settings = _settings()
    engine = _engine(settings, rebuild=args.rebuild)
    try:
        summary = engine.ingest([Path(p) for p in args.paths] or None, rebuild=args.rebuild, progress=True)
    except (DocumentError, IngestBusyError) as e:
        print(f"incident-bot: {e}", file=sys.stderr)
        return 2
    for error in summary.errors:
        print(f"skipped: {error}", file=sys.stderr)
    print(json.dumps(summary.to_json()) if args.json else summary.line())
    return 1 if summary.errors else 0


def _ensure_indexed(engine) -> None:
    """A fresh clone answers out of the box: index DOCUMENTS_DIR on first use."""
    if engine.stats()["reports"] == 0 and engine.settings.documents_dir.exists():
        summary = engine.ingest(progress=True)
        print(f"indexed {engine.settings.documents_dir}: {summary.line()}", file=sys.stderr)


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.render import answer_as_text

    settings = _settings()
    engine = _engine(settings)
    _ensure_indexed(engine)
    if args.question:
        questions = [" ".join(args.question)]
    elif sys.stdin.isatty():
        return _console(engine, args.json)
    else:
        questions = (line.strip() for line in sys.stdin)
    for question in questions:
        if not question:
            continue
        if len(question) > settings.max_question_chars:
            print(f"incident-bot: question longer than {settings.max_question_chars} characters skipped", file=sys.stderr)
            continue
        answer = engine.ask(question)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            print(answer_as_text(answer) + "\n", flush=True)
    return 0


def _console(engine, as_json: bool) -> int:
    """Interactive questions on a terminal until an empty line or Ctrl-D."""
    from bot.render import answer_as_text

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
        answer = engine.ask(question)
        print((json.dumps(answer.to_json(), ensure_ascii=False) if as_json else answer_as_text(answer)) + "\n")


def cmd_sources(args: argparse.Namespace) -> int:
    settings = _settings()
    engine = _engine(settings)
    reports = engine.reports()
    if args.json:
        for report in reports:
            print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    for report in reports:
        date = report.published or "undated"
        print(f"{report.doc_id}\t{date}\t{report.source or ''}\t{report.title}")
    print(f"{len(reports)} reports", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import run

    settings = _settings()
    if settings.telegram_bot_token is None:
        raise SystemExit("incident-bot: set TELEGRAM_BOT_TOKEN (from @BotFather) to run the bot; `incident-bot ask` works without it")
    return run(settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incident-bot", description="Cited answers about incident reports.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="index files and folders (default: DOCUMENTS_DIR)")
    ingest.add_argument("paths", nargs="*", help=".txt .md .html .pdf .docx .jsonl files or folders")
    ingest.add_argument("--rebuild", action="store_true", help="drop the index and re-index everything")
    ingest.add_argument("--json", action="store_true", help="print the summary as JSON")
    ingest.set_defaults(func=cmd_ingest)

    ask = sub.add_parser("ask", help="answer a question (no QUESTION: one per line from stdin)")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.set_defaults(func=cmd_ask)

    sources = sub.add_parser("sources", help="list the indexed reports")
    sources.add_argument("--json", action="store_true", help="one JSON object per report")
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
    for chatty in ("httpx", "bm25s", "chromadb"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
