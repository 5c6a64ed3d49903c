"""The one settings object: defaults from ``config/settings.toml``, overridden by ``.env``
and then by environment variables (the names are part of the command-line contract).

Also where the files that ship with the product are found: ``config/``, ``prompts/`` and
``seeds/`` of the checkout when running from one (an editable install), or their copies
packaged inside ``retrieval`` when installed from a wheel; and where state lives by
default: ``data/`` and ``seeds/`` of the working directory in a checkout, the platform's
user data folder (``platformdirs.user_data_dir``) for an installed command, so running it
creates nothing in whatever directory it is run from.
"""

from __future__ import annotations

import logging
import re
import shutil
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated

from platformdirs import user_data_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
IN_CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file()
# The checkout's folder and the package that carries its copy in a wheel (pyproject.toml
# maps one to the other).
_RESOURCES = {"config": "retrieval.defaults", "prompts": "retrieval.prompts", "seeds": "retrieval.seeds"}
if IN_CHECKOUT:
    DEFAULT_DATA_DIR = Path("data")
    DEFAULT_DOCUMENTS_DIR = Path("seeds")
else:
    DEFAULT_DATA_DIR = Path(user_data_dir("incident-bot", appauthor=False))
    DEFAULT_DOCUMENTS_DIR = DEFAULT_DATA_DIR / "documents"


def resource_dir(name: str) -> Traversable:
    """``config``, ``prompts`` or ``seeds`` as shipped: the checkout's folder, or the
    packaged copy."""
    if IN_CHECKOUT:
        return PROJECT_ROOT / name
    return files(_RESOURCES[name])


def config_files() -> list[Path]:
    """The shipped defaults, then ``config/settings.toml`` of the working directory if
    there is one (later files override earlier ones)."""
    shipped = resource_dir("config") / "settings.toml"
    found = [Path(str(shipped))]
    local = Path("config") / "settings.toml"
    if local.is_file() and local.resolve() != found[0].resolve():
        found.append(local)
    return found


@lru_cache(maxsize=None)
def load_prompt(name: str) -> str:
    """A prompt template from ``prompts/``, read once per process."""
    return (resource_dir("prompts") / name).read_text(encoding="utf-8")


def provide_seeds(documents_dir: Path) -> bool:
    """Fill a missing default documents folder with the seed documents that ship with the
    product, so a fresh install answers out of the box. True if it did."""
    if documents_dir != DEFAULT_DOCUMENTS_DIR or documents_dir.exists():
        return False
    shipped = resource_dir("seeds")
    documents_dir.mkdir(parents=True)
    for item in shipped.iterdir():
        if item.is_file() and not item.name.startswith("."):
            with item.open("rb") as source, (documents_dir / item.name).open("wb") as target:
                shutil.copyfileobj(source, target)
    log.info("created %s with the seed documents that ship with incident-bot", documents_dir)
    return True

IdSet = Annotated[frozenset[int], NoDecode]


class Settings(BaseSettings):
    """Everything the engine and the bot can be told."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    documents_dir: Path = DEFAULT_DOCUMENTS_DIR
    data_dir: Path = DEFAULT_DATA_DIR
    chroma_url: str = ""

    llm: str = "extractive"
    llm_base_url: str = ""
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(30.0, gt=0)

    embeddings: str = "minilm"
    chunk_tokens: int = Field(128, ge=16, le=512)
    chunk_overlap_tokens: int = Field(16, ge=0)
    candidates_per_retriever: int = Field(100, ge=1)
    top_k: int = Field(8, ge=1, le=50)  # reports whose windows the composer reads
    context_tokens: int = Field(4000, ge=200)  # what the windows may hold in all (tiktoken)
    max_document_bytes: int = Field(20_000_000, ge=1)  # a file, or one report of a .jsonl
    max_report_tokens: int = Field(500_000, ge=100)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    bot_admin_ids: IdSet = frozenset()
    bot_allowed_chat_ids: IdSet = frozenset()
    max_question_chars: int = Field(1000, ge=10)
    max_upload_bytes: int = Field(20_000_000, ge=1)
    # Webhook mode: with webhook_url set, Telegram posts updates to it instead of being polled.
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_secret_token: SecretStr | None = None

    @field_validator("bot_admin_ids", "bot_allowed_chat_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as e:
                raise ValueError(f"expected comma-separated Telegram ids, got {value!r}") from e
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("chunk_overlap_tokens")
    @classmethod
    def _overlap_smaller_than_chunk(cls, value: int, info) -> int:
        chunk = info.data.get("chunk_tokens", 128)
        if value >= chunk:
            raise ValueError(f"chunk_overlap_tokens ({value}) must be smaller than chunk_tokens ({chunk})")
        return value

    @field_validator("telegram_bot_token", "llm_api_key", "webhook_secret_token", mode="before")
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        # An empty line in .env (as copied from .env.example) means not set.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError(f"expected the public https:// address Telegram posts updates to, got {value!r}")
        return value

    @field_validator("webhook_secret_token")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("expected 1 to 256 characters A-Z, a-z, 0-9, _ or - (what Telegram accepts)")
        return value

    @field_validator("telegram_api_base_url", "chroma_url", "llm_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_files()),
        )

    @property
    def index_dir(self) -> Path:
        """Where the catalog, the embedded Chroma store and the BM25 index live."""
        return self.data_dir / "index"

    @property
    def state_dir(self) -> Path:
        """Where the bot keeps feedback and counters."""
        return self.data_dir / "bot"
