"""The LLM composer: the numbered report windows and the question in a prompt from
``prompts/``, a LangChain chat model, and its answer as claims.

A model that can answer in a structure (LangChain's ``with_structured_output``: JSON
schema or tool calling, which OpenAI, Anthropic, Ollama, vLLM and llama.cpp servers
offer) answers with claims, each copying the quote it rests on. A model that cannot, or
that answers in prose anyway, is read as plain text with [n] markers. Either way one
model call per question.
"""

from __future__ import annotations

import logging

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, Field, ValidationError

from retrieval.answer.compose.parse import claims_of, looks_like_refusal
from retrieval.answer.draft import Draft, DraftClaim
from retrieval.answer.windows import Reading, Window
from retrieval.settings import load_prompt

log = logging.getLogger(__name__)

MAX_ANSWER_TOKENS = 800  # six claims with their quotes; also bounds a runaway model


class ClaimOut(BaseModel):
    """One claim of the answer, backed by the words of one report."""

    statement: str = Field(description="One sentence of the answer. Copy every number, date and name exactly as the report gives it.")
    report: int = Field(description="The number n of the report [n] the statement comes from.")
    quote: str = Field(description="The exact words of that report that support the statement, copied character for character.")
    said_by: str | None = Field(
        default=None,
        description="Who in the report makes the claim, as the report names them (a person, an organisation, "
        "an outlet, or a source named by its role such as 'a medical source'); null if the report does not say.",
    )
    figures: list[str] = Field(default_factory=list, description="Every figure in the statement, as the report writes it.")


class AnswerOut(BaseModel):
    """The answer as claims; no claims when the reports do not answer the question."""

    claims: list[ClaimOut] = Field(default_factory=list)


def format_windows(windows: tuple[Window, ...] | list[Window]) -> str:
    """The windows as the prompt numbers them: [n] title (outlet, date), then the text."""
    template = load_prompt("report_window.txt")
    return "\n".join(
        template.format(
            n=w.n,
            title=w.report.title,
            source=w.report.source or "unknown outlet",
            published=w.report.published or "undated",
            also=f"; also published by {', '.join(c.source or c.doc_id for c in w.copies)}" if w.copies else "",
            text=w.text,
        )
        for w in windows
    )


def answer_prompt(structured: bool) -> ChatPromptTemplate:
    system = load_prompt("answer_rules.txt") + load_prompt("answer_claims.txt" if structured else "answer_text.txt")
    return ChatPromptTemplate.from_messages([("system", system), ("human", load_prompt("answer_user.txt"))])


def prompt_messages(reading: Reading, structured: bool) -> list[BaseMessage]:
    return answer_prompt(structured).format_messages(question=reading.question.search, reports=format_windows(reading.windows))


class LLMComposer:
    def __init__(self, model: BaseChatModel) -> None:
        self.model = model
        try:
            self._structured = model.with_structured_output(AnswerOut, include_raw=True)
        except (NotImplementedError, ValueError, TypeError):  # no tool calling or JSON mode
            self._structured = None

    @property
    def structured(self) -> bool:
        return self._structured is not None

    def run(self, reading: Reading) -> Draft:
        if self._structured is not None:
            try:
                result = self._structured.invoke(prompt_messages(reading, structured=True))
            except ValidationError as e:
                # OpenAI's client parses a JSON-schema reply itself and raises on prose;
                # the prose it could not parse is in the error: read it as text.
                written = next((err.get("input") for err in e.errors() if isinstance(err.get("input"), str)), None)
                if written is None:
                    raise
                log.info("the model answered in prose when asked for claims; reading its text")
                return self._from_text(reading, written)
            except Exception as e:  # noqa: BLE001 - only a refused response format is handled here
                if "response_format" not in str(e):
                    raise
                # A server that cannot answer in a JSON schema (llama-cpp-python's accepts
                # only text and json_object): ask in text from now on; this once, twice.
                log.warning("the model server refused structured output (%s); asking for text with [n] markers", _first_line(e))
                self._structured = None
                return self._from_text(reading, _text(self.model.invoke(prompt_messages(reading, structured=False))))
            parsed: AnswerOut | None = result.get("parsed")
            if parsed is not None:
                claims = tuple(
                    DraftClaim(c.statement.strip(), (c.report,), c.quote.strip() or None, None, (c.said_by or "").strip() or None)
                    for c in parsed.claims
                    if c.statement.strip()
                )
                return Draft(reading, claims, "llm", declined=not claims)
            log.info("the model answered without the structure (%s); reading its text", result.get("parsing_error"))
            return self._from_text(reading, _text(result.get("raw")))
        return self._from_text(reading, _text(self.model.invoke(prompt_messages(reading, structured=False))))

    @staticmethod
    def _from_text(reading: Reading, text: str) -> Draft:
        text = text.strip()
        if not text or looks_like_refusal(text):
            return Draft(reading, (), "llm", declined=True)
        return Draft(reading, tuple(claims_of(text)), "llm")


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _text(message) -> str:
    if message is None:
        return ""
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content blocks (Anthropic)
        return "".join(block.get("text", "") if isinstance(block, dict) else str(block) for block in content)
    return str(content)


def make_chat_model(llm: str, base_url: str, api_key: str | None, timeout: float) -> BaseChatModel:
    """A LangChain chat model from an id such as ``openai:gpt-4o-mini``; with a base URL,
    any OpenAI-compatible server (vLLM, llama.cpp, LM Studio). The request itself gives
    up after timeout seconds, with no retry: LLM_TIMEOUT_SECONDS is the total a question
    waits for the model."""
    from langchain.chat_models import init_chat_model

    kwargs: dict = {"timeout": timeout, "max_retries": 0, "temperature": 0, "max_tokens": MAX_ANSWER_TOKENS}
    if base_url:
        kwargs["base_url"] = base_url
        kwargs["api_key"] = api_key or "not-needed"
    elif api_key:
        kwargs["api_key"] = api_key
    model_id = llm if ":" in llm or not base_url else f"openai:{llm}"
    if model_id.startswith("ollama:"):
        kwargs.pop("timeout")
        kwargs.pop("max_retries")
        kwargs["client_kwargs"] = {"timeout": timeout}
        kwargs["num_predict"] = kwargs.pop("max_tokens")
    return init_chat_model(model_id, **kwargs)
