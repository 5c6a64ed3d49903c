"""A scripted, faithful language model behind an OpenAI-compatible server on 127.0.0.1.

It measures the LLM path without an LLM: what a perfect model would answer from the
prompt the engine builds, sent over real HTTP through LangChain's OpenAI client. For
each question it knows the gold answers; it reads the numbered report windows in the
prompt, and answers with the sentence of the window that holds a gold answer, cited by
that window's number, worded the way hosted models write ("First, ...", "According to
the Observatory, ...", "three" for 3, "Syria's" for "Syrias"), or "The reports do not
say." when no window holds one. The model name picks a mode:

- ``faithful``: as above;
- ``plant-figure``: the same answer with one figure changed to one no window gives;
- ``plant-source``: the same answer credited to a source no window names;
- ``plant-citation``: the same answer cited by a window that does not hold it.

    with FaithfulModel(questions) as model:
        Engine(settings.model_copy(update={"llm": "openai:faithful", "llm_base_url": model.base_url}))
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INVENTED_SOURCE = "the Levant Monitor for Civil Rights"
MODES = ("faithful", "plant-figure", "plant-source", "plant-citation")
_WINDOW = re.compile(r"^\[(\d+)\] .*$", re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:,\d{3})*(?![\w,])")
# A small number standing alone (not part of a time, an identifier or a date).
_SMALL_NUMBER = re.compile(r"(?<![\w:.,/\-])(?<!\w )\d{1,2}(?![\w:.,/\-])(?! (?:January|February|March|April|May|June|July|August|September|October|November|December)\b)")
_SMALL = {str(i): w for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}
OPENERS = ("", "First, ", "Later, ", "Meanwhile, ", "About this, ", "Overall, ")
REFUSAL = "The reports do not say."


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _find(text: str, needle: str) -> int:
    match = re.search(r"(?<!\w)" + re.escape(_norm(needle)) + r"(?!\w)", _norm(text))
    return -1 if match is None else match.start()


def parse_prompt(prompt: str) -> tuple[str, dict[int, str], dict[int, str]]:
    """(question, window number -> window text, window number -> its header line) from
    the engine's prompt."""
    question = prompt.rsplit("Question:", 1)[-1].split("\n\nAnswer", 1)[0].strip()
    body = prompt.rsplit("Question:", 1)[0]
    windows: dict[int, str] = {}
    headers: dict[int, str] = {}
    marks = list(_WINDOW.finditer(body))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        windows[int(mark.group(1))] = body[mark.end() : end].strip()
        headers[int(mark.group(1))] = mark.group(0)
    return question, windows, headers


def _sentence_with(text: str, gold: str) -> str:
    """The sentence of text that holds gold (a stretch of words around it where the text
    has no full stops)."""
    normalised = _norm(text)
    at = _find(normalised, gold)
    for sentence in _SENTENCE_END.split(normalised):
        if _find(sentence, gold) >= 0 and len(sentence.split()) <= 60:
            return _original_case(text, sentence)
    words_before = normalised[:at].split()[-12:]
    words_after = normalised[at:].split()[:20]
    return _original_case(text, " ".join(words_before + words_after))


def _original_case(text: str, lowered: str) -> str:
    """lowered as the text writes it (case restored from the text)."""
    flat = " ".join(text.split())
    at = flat.lower().find(lowered)
    return flat[at : at + len(lowered)] if at >= 0 else lowered


def _model_style(sentence: str, window: str, key: int) -> str:
    """How a hosted model restates a sentence: an opener, small numbers in words,
    apostrophes back in the possessives a stripped text lost ("Syrias north" ->
    "Syria's north" where the window names "Syria" too)."""
    sentence = sentence.strip().rstrip(".")
    names = set(re.findall(r"\b[A-Z][a-z]+\b", window))

    def possessive(match: re.Match) -> str:
        return f"{match.group(1)}'s" if match.group(1) in names else match.group(0)

    sentence = re.sub(r"\b([A-Z][a-z]{2,})s\b(?= (?!and\b|of\b|for\b|the\b)[a-z])", possessive, sentence)
    sentence = _SMALL_NUMBER.sub(lambda m: _SMALL.get(m.group(0), m.group(0)), sentence)
    opener = OPENERS[key % len(OPENERS)]
    if opener and sentence[:1].isupper() and not sentence.split()[0].isupper():
        first, _, rest = sentence.partition(" ")
        if first.lower() in ("the", "a", "an", "at", "up", "more", "some"):
            sentence = first.lower() + " " + rest
    return f"{opener}{sentence}"


def _absent_number(n: int, windows: dict[int, str]) -> str:
    """A figure near n that no window gives, in digits or in words (so giving it is a
    fabrication)."""
    from text_to_num import alpha2digit

    texts = [w + "\n" + alpha2digit(w, "en", threshold=0) for w in windows.values()]
    candidate = n * 2 + 7
    while any(re.search(rf"(?<![\d,.]){candidate}(?![\d,])", t) for t in texts):
        candidate += 13
    return str(candidate)


class FaithfulModel:
    """The stand-in server; a context manager that serves on a free port."""

    def __init__(self, questions: list[dict]) -> None:
        self.gold = {_norm(q["question"]): q for q in questions}
        self.planted: dict[str, str | None] = {}  # question -> what was planted in its last answer
        self.last_answers: dict[str, str] = {}  # question -> the last faithful answer
        self.prompts_seen = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FaithfulModel:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, prompt: str, mode: str) -> str:
        question, windows, headers = parse_prompt(prompt)
        gold = self.gold.get(_norm(question))
        if gold is None or not gold["gold_answers"]:
            return REFUSAL
        holding = [
            (n, g) for n, text in sorted(windows.items()) for g in gold["gold_answers"] if _find(text, g) >= 0
        ]
        if not holding:
            return REFUSAL
        key = zlib.crc32(gold["id"].encode())
        n, found = holding[0]
        sentence = _model_style(_sentence_with(windows[n], found), windows[n], key)
        attribution = gold.get("gold_attribution")
        if attribution and _find(windows[n], attribution) >= 0 and _find(sentence, attribution) < 0:
            sentence = f"According to {attribution}, {sentence[0].lower() + sentence[1:]}"
        lines = [f"{sentence} [{n}]."]
        others = [(m, g) for m, g in holding if m != n and _find(windows[m], found) < 0]
        if others and gold.get("kind") == "multi":
            m, other = others[0]
            lines.append(f"{_model_style(_sentence_with(windows[m], other), windows[m], key + 1)} [{m}].")
        text = " ".join(lines)
        planted = None
        if mode == "plant-figure":
            match = _NUMBER.search(text)
            spelled = {w: d for d, w in _SMALL.items()}
            word = next((w for w in re.findall(r"\b\w+\b", text) if w.lower() in spelled), None)
            if match:
                planted = _absent_number(int(match.group(0).replace(",", "")), windows)
                text = text[: match.start()] + planted + text[match.end() :]
            elif word:
                planted = _absent_number(int(spelled[word.lower()]), windows)
                text = re.sub(rf"\b{word}\b", planted, text, count=1)
        elif mode == "plant-source":
            planted = INVENTED_SOURCE
            text = f"According to {INVENTED_SOURCE}, {text[0].lower() + text[1:]}"
        elif mode == "plant-citation":
            wrong = [m for m in sorted(windows) if all(_find(windows[m], g) < 0 for g in gold["gold_answers"])]
            if wrong:
                planted = headers[wrong[0]]  # "[m] title (outlet, date)": which report was cited
                text = re.sub(rf"\[{n}\]", f"[{wrong[0]}]", text)
        self.planted[_norm(question)] = planted
        return text

    def _handler(self):
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                prompt = "\n".join(str(m.get("content", "")) for m in request.get("messages", []))
                mode = request.get("model", "faithful")
                model.prompts_seen += 1
                text = model.answer(prompt, mode if mode in MODES else "faithful")
                if mode == "faithful":
                    question = _norm(parse_prompt(prompt)[0])
                    model.last_answers[question] = text
                body = json.dumps(
                    {
                        "id": "chatcmpl-faithful",
                        "object": "chat.completion",
                        "created": 0,
                        "model": mode,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
