"""Whether the LLM settings can work, checked before the engine answers anything.

``check_llm_settings`` raises ``LLMConfigError`` with one line that names the setting
and the fix: an unknown provider (``LLM=foo``), a hosted model without its API key, or a
provider whose LangChain package is not installed. Callers choose what follows: the
command line answers extractively and says why, the bot refuses to start.
"""

from __future__ import annotations

import os
import re

from retrieval.settings import Settings

# The key each hosted provider reads from the environment (LLM_API_KEY replaces it).
API_KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
# Providers whose LangChain package is an extra of incident-bot.
EXTRAS = {"langchain_anthropic": "anthropic", "langchain_ollama": "ollama"}
EXAMPLES = "openai:gpt-4o-mini, anthropic:claude-3-5-haiku-latest or ollama:llama3.1"


class LLMConfigError(ValueError):
    """LLM settings that cannot work; the message is one line naming the setting and the fix."""


def provider_of(llm: str, base_url: str) -> str | None:
    """The provider an LLM id names ("openai:gpt-4o-mini" -> "openai"); an id without one
    is served by the OpenAI-compatible server at LLM_BASE_URL, or left to LangChain to infer."""
    provider, colon, _ = llm.partition(":")
    if colon:
        return provider.strip().lower()
    return "openai" if base_url else None


def check_llm_settings(settings: Settings) -> None:
    """Raises LLMConfigError unless settings.llm is ``extractive`` or a chat model that can
    be built here: its provider known, its package installed, its API key set. Nothing is
    sent over the network."""
    llm = settings.llm.strip()
    if llm == "extractive":
        return
    provider = provider_of(llm, settings.llm_base_url)
    if provider in API_KEY_VARIABLES and _installed(provider) and not _has_key(settings, API_KEY_VARIABLES[provider]):
        key_variable = API_KEY_VARIABLES[provider]
        raise LLMConfigError(
            f"LLM={llm} needs an API key: set {key_variable} or LLM_API_KEY "
            "(or LLM_BASE_URL for an OpenAI-compatible server, or LLM=extractive to answer without a model)"
        )
    from retrieval.answer.compose.llm import make_chat_model

    try:
        make_chat_model(
            llm,
            settings.llm_base_url,
            settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
            settings.llm_timeout_seconds,
        )
    except ImportError as e:
        package = _missing_package(e, provider)
        extra = EXTRAS.get(package.replace("-", "_"))
        install = f"pip install 'incident-bot[{extra}]'" if extra else f"pip install {package}"
        raise LLMConfigError(f"LLM={llm} needs the {package} package: {install} (or set LLM=extractive)") from e
    except ValueError as e:
        if "provider" not in str(e):
            raise LLMConfigError(f"LLM={llm} cannot be used: {_first_line(e)}") from e
        raise LLMConfigError(
            f"LLM={llm} names no model provider LangChain knows; set LLM=extractive or provider:model "
            f"such as {EXAMPLES}"
        ) from e
    except Exception as e:  # the provider's own checks, e.g. a key it cannot find
        raise LLMConfigError(f"LLM={llm} cannot be used: {_first_line(e)}") from e


def _has_key(settings: Settings, key_variable: str) -> bool:
    """A key for the provider: its own variable, LLM_API_KEY, or none needed (LLM_BASE_URL)."""
    given = settings.llm_api_key is not None and settings.llm_api_key.get_secret_value()
    return bool(given or settings.llm_base_url or os.environ.get(key_variable))


def _installed(provider: str) -> bool:
    """Whether the provider's LangChain package is there (a missing one is the first thing to fix)."""
    import importlib.util

    return importlib.util.find_spec(f"langchain_{provider}") is not None


def _missing_package(error: ImportError, provider: str | None) -> str:
    """The pip name of the package LangChain could not import for the provider."""
    named = re.search(r"requires the ([\w.-]+) package", str(error))
    if named:
        return named.group(1)
    module = getattr(error.__cause__, "name", None) or error.name or f"langchain_{provider}"
    return module.split(".")[0].replace("_", "-")


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
