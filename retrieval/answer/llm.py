"""The LLM composer: the numbered report windows and the question in a prompt from
``prompts/``, a LangChain chat model, its text as a ``Draft``; and the chain that makes
a follow-up question standalone.
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from retrieval.answer.types import Draft
from retrieval.answer.windows import Window
from retrieval.settings import load_prompt

MAX_ANSWER_TOKENS = 400  # one to three sentences; also bounds a runaway model


def format_windows(windows: list[Window]) -> str:
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


def answer_prompt() -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages(
        [("system", load_prompt("answer_system.txt")), ("human", load_prompt("answer_user.txt"))]
    )


def answer_text_chain(model: BaseChatModel) -> Runnable:
    """{question, windows} -> the model's answer text; ``.stream()`` yields tokens as the
    model produces them."""
    to_prompt_input = RunnableLambda(
        lambda x: {"question": x["question"], "reports": format_windows(x["windows"])}, name="number_windows"
    )
    return to_prompt_input | answer_prompt() | model | StrOutputParser()


def llm_composer(model: BaseChatModel) -> Runnable:
    """prompt | model | text -> Draft (verification needs the whole text)."""
    to_draft = RunnableLambda(lambda text: Draft(text=text.strip()), name="draft")
    return (answer_text_chain(model) | to_draft).with_config(run_name="llm_composer")


def condense_chain(model: BaseChatModel) -> Runnable:
    prompt = ChatPromptTemplate.from_messages([("human", load_prompt("condense_question.txt"))])
    return prompt | model | StrOutputParser()


def make_chat_model(llm: str, base_url: str, api_key: str | None, timeout: float) -> BaseChatModel:
    """A LangChain chat model from an id such as ``openai:gpt-4o-mini``; with a base URL,
    any OpenAI-compatible server (vLLM, llama.cpp, LM Studio)."""
    from langchain.chat_models import init_chat_model

    kwargs: dict = {"timeout": timeout, "max_retries": 1, "temperature": 0, "max_tokens": MAX_ANSWER_TOKENS}
    if base_url:
        kwargs["base_url"] = base_url
        kwargs["api_key"] = api_key or "not-needed"
    elif api_key:
        kwargs["api_key"] = api_key
    model_id = llm if ":" in llm or not base_url else f"openai:{llm}"
    return init_chat_model(model_id, **kwargs)
