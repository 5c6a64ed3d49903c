"""The one settings object: defaults from ``config/settings.toml``, overridden by ``.env``
and then by environment variables (the names are part of the command-line contract)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "settings.toml"
PROMPTS_DIR = PROJECT_ROOT / "prompts"

IdSet = Annotated[frozenset[int], NoDecode]


class Settings(BaseSettings):
    """Everything the engine and the bot can be told."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        toml_file=DEFAULT_CONFIG_FILE,
    )

    documents_dir: Path = Path("seeds")
    data_dir: Path = Path("data")
    chroma_url: str = ""

    llm: str = "extractive"
    llm_base_url: str = ""
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(30.0, gt=0)

    embeddings: str = "minilm"
    chunk_tokens: int = Field(128, ge=16, le=512)
    chunk_overlap_tokens: int = Field(32, ge=0)
    candidates_per_retriever: int = Field(40, ge=1)
    top_k: int = Field(6, ge=1, le=50)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    bot_admin_ids: IdSet = frozenset()
    bot_allowed_chat_ids: IdSet = frozenset()
    max_question_chars: int = Field(1000, ge=10)
    max_upload_bytes: int = Field(20_000_000, ge=1)

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
            TomlConfigSettingsSource(settings_cls),
        )

    @property
    def index_dir(self) -> Path:
        """Where the catalog, the embedded Chroma store and the BM25 index live."""
        return self.data_dir / "index"

    @property
    def state_dir(self) -> Path:
        """Where the bot keeps feedback and counters."""
        return self.data_dir / "bot"
