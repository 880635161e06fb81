"""Settings for both services: one pydantic-settings class, read from the environment and `.env`.

Only this module reads the environment. Everything else receives a `Settings` (or the values
it needs) as arguments, so tests build their own settings instead of patching globals.
"""

from __future__ import annotations

import os
import socket
import sys
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.redact import mask_secrets

#: The Grok Realtime model we pin: a versioned name, not `grok-voice-latest`, which moves.
GROK_REALTIME_MODEL = "grok-voice-think-fast-1.0"
DEFAULT_GROK_REALTIME_URL = f"wss://api.x.ai/v1/realtime?model={GROK_REALTIME_MODEL}"

#: `HAGGLE_ENV_FILE` names the dotenv file to read (default `.env`); empty means none.
ENV_FILE_VARIABLE = "HAGGLE_ENV_FILE"


class AudioFormat(StrEnum):
    """How audio travels between the voice service and Grok."""

    PCMU = "pcmu"  # μ-law 8 kHz end to end: no conversion at all
    PCM24K = "pcm24k"  # the original's 16-bit PCM at 24 kHz, resampled both ways


class Telephony(StrEnum):
    """Who places the calls."""

    TWILIO = "twilio"
    SIM = "sim"


class ProviderSearch(StrEnum):
    """Who finds providers for a job when the homeowner gives none."""

    OFF = "off"  # providers are added by hand (the dashboard, or the API)
    GROK = "grok"  # a Grok chat model with web search


class AgentKind(StrEnum):
    """Who speaks for the homeowner."""

    GROK = "grok"
    LOCAL = "local"


class Settings(BaseSettings):
    """Every setting of both services, named as in the outside interface."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        # `VAR=` (as in .env.example) means unset, not an empty value.
        env_ignore_empty=True,
    )

    # Storage
    database_url: str = "sqlite:///./data/haggle.db"
    supabase_url: str | None = None
    supabase_key: SecretStr | None = None

    # Service wiring
    call_backend_url: str = "http://localhost:6000"
    voice_backend_token: SecretStr | None = None
    public_base_url: str | None = None
    domain: str | None = None

    # Twilio
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_phone_number: str | None = None
    twilio_api_base_url: str = "https://api.twilio.com"

    # xAI
    xai_api_key: SecretStr | None = None
    grok_realtime_url: str = DEFAULT_GROK_REALTIME_URL
    grok_voice: str = "Rex"
    xai_api_host: str = "api.x.ai"
    price_model: str = "grok-4.20-non-reasoning"
    price_timeout_seconds: float = Field(default=20.0, gt=0)
    # Job intake: the task, clarifying questions and problem statement, and provider search.
    intake_model: str = "grok-4.20-non-reasoning"
    intake_timeout_seconds: float = Field(default=20.0, gt=0)
    provider_search: ProviderSearch = ProviderSearch.OFF

    # Audio, telephony and agent choice
    audio_format: AudioFormat = AudioFormat.PCMU
    telephony: Telephony | None = None
    agent: AgentKind | None = None
    # Simulated providers (TELEPHONY=sim): their persona files, and how fast their calls run.
    sim_personas_dir: str | None = None
    sim_speed: float = Field(default=1.0, gt=0, le=20)

    # Dialing limits
    calls_per_second: float = Field(default=1.0, gt=0)
    max_concurrent_calls: int = Field(default=10, ge=1)
    ring_timeout_seconds: int = Field(default=30, ge=5, le=600)
    call_time_limit_seconds: int = Field(default=600, ge=5, le=14400)
    silence_limit_seconds: float = Field(default=30.0, gt=0)
    call_token_ttl_seconds: int = Field(default=900, ge=30)
    call_token_secret: SecretStr | None = None
    instance_id: str = Field(default_factory=socket.gethostname, min_length=1)
    lease_seconds: float = Field(default=30.0, ge=1)
    dispatch_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # Costs: estimated from per-minute rates, and an optional cap per account and day.
    telephony_cost_per_minute: float = Field(default=0.014, ge=0)
    model_cost_per_minute: float = Field(default=0.05, ge=0)
    daily_spend_cap: float | None = Field(default=None, gt=0)

    # A signed notice to the homeowner's own app when a job's calls have all ended.
    job_webhook_url: str | None = None
    job_webhook_secret: SecretStr | None = None
    job_webhook_attempts: int = Field(default=5, ge=1, le=20)

    # Access (see the README's "Security")
    haggle_api_key: SecretStr | None = None
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1"]
    )
    metrics_token: SecretStr | None = None
    #: A developer's opt-in: the job API serves anonymous requests from this machine only.
    local_anonymous_access: bool = False
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    requests_per_minute: int = Field(default=300, ge=1)
    max_streams_per_account: int = Field(default=8, ge=1)

    # Dialing guardrails
    dial_countries: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Calling hours in the callee's local time (`00:00-24:00`: any hour); queued calls and
    # follow-ups wait for them. Simulated providers are called at any hour.
    calling_hours: str = "08:00-21:00"
    max_providers_per_job: int = Field(default=25, ge=1)
    daily_call_limit: int = Field(default=200, ge=0)

    # Job API
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://localhost:3000", "http://localhost:8000"]
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    max_providers_per_request: int = Field(default=50, ge=1)
    default_region: str = "US"

    # Operations
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"
    data_dir: str = "./data"

    #: Whether AGENT was set (rather than derived from XAI_API_KEY).
    _agent_chosen: bool = PrivateAttr(default=False)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts", "dial_countries", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        if "*" in value:
            raise ValueError("'*' is not allowed; list the host names the API answers to")
        return [host.lower().strip("[]") for host in value]

    @field_validator("dial_countries")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        import phonenumbers

        regions = [region.upper() for region in value]
        known = phonenumbers.SUPPORTED_REGIONS
        unknown = [region for region in regions if region not in known]
        if unknown:
            raise ValueError(f"unknown ISO region {unknown[0]!r} (use codes such as US, CA, GB)")
        return regions

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, value: list[str]) -> list[str]:
        # Browsers refuse `*` with credentials, and we send credentials: name the origins.
        if "*" in value:
            raise ValueError("'*' is not allowed; list the dashboard's origins, comma-separated")
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme.split("+", 1)[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError(
                f"unknown scheme {scheme or '(none)'!r}; "
                "use sqlite:///path/to/file.db or postgresql://user:pass@host/db"
            )
        return value

    @field_validator("calling_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        from shared.calling_hours import parse_window

        parse_window(value)  # raises ValueError naming the problem
        return value

    @field_validator(
        "call_backend_url",
        "twilio_api_base_url",
        "public_base_url",
        "supabase_url",
        "job_webhook_url",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None if value == "" else value
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s):// URL")
        return value.rstrip("/")

    @field_validator("grok_realtime_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"ws", "wss"} or not parts.netloc:
            raise ValueError(f"{value!r} is not a ws(s):// URL")
        return value

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if not self.public_base_url and self.domain:
            self.public_base_url = f"https://{self.domain.strip('/')}"
        if self.telephony is None:
            has_twilio = bool(self.twilio_account_sid and self.twilio_auth_token)
            self.telephony = Telephony.TWILIO if has_twilio else Telephony.SIM
        self._agent_chosen = self.agent is not None
        if self.agent is None:
            self.agent = AgentKind.GROK if self.xai_api_key else AgentKind.LOCAL
        if self.provider_search is ProviderSearch.GROK and not self.xai_api_key:
            raise ValueError("PROVIDER_SEARCH=grok needs XAI_API_KEY")
        if self.job_webhook_url and not self.job_webhook_secret:
            raise ValueError("JOB_WEBHOOK_SECRET must be set too: the job webhook is signed")
        if not self.dial_countries:
            self.dial_countries = _home_regions(self.twilio_phone_number)
        if bool(self.supabase_url) != bool(self.supabase_key):
            missing = "SUPABASE_KEY" if self.supabase_url else "SUPABASE_URL"
            raise ValueError(f"{missing} must be set too: Supabase needs both URL and key")
        return self

    @property
    def agent_chosen(self) -> bool:
        """Whether `AGENT` was set on purpose (not derived from `XAI_API_KEY`)."""
        return self._agent_chosen

    @property
    def uses_supabase(self) -> bool:
        """Storage goes through Supabase's REST API when both its URL and key are set."""
        return bool(self.supabase_url and self.supabase_key)

    @property
    def stream_url(self) -> str | None:
        """The media-stream WebSocket URL Twilio connects to (`http://` gives `ws://`)."""
        if not self.public_base_url:
            return None
        base = self.public_base_url
        if base.startswith("https://"):
            return "wss://" + base[len("https://") :] + "/media-stream"
        return "ws://" + base[len("http://") :] + "/media-stream"

    @staticmethod
    def secret(value: SecretStr | None) -> str | None:
        """The plain value of an optional secret."""
        return value.get_secret_value() if value is not None else None


def _home_regions(caller_id: str | None) -> list[str]:
    """The region of the caller ID, else the US and Canada."""
    import phonenumbers

    if caller_id:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(caller_id, None))
        except phonenumbers.NumberParseException:
            region = None
        if region and region in phonenumbers.SUPPORTED_REGIONS:
            return [region]
    return ["US", "CA"]


class SettingsError(Exception):
    """A setting is malformed. The message is one line naming the variable."""


def _describe(error: ValidationError) -> str:
    """The first error as one line, credentials of any URL in it masked."""
    return mask_secrets(_first_error(error))


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    name = "_".join(str(part) for part in first.get("loc", ()) if part != "__root__").upper()
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if not name:
        return f"invalid settings: {message}"
    return f"invalid setting {name}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment and the dotenv file, plus explicit overrides.

    Raises `SettingsError` with one line naming the offending variable.
    """
    env_file = os.environ.get(ENV_FILE_VARIABLE, ".env") or None
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()


def settings_or_exit() -> Settings:
    """The process's settings; a malformed one ends the process with one clear line."""
    try:
        return get_settings()
    except SettingsError as error:
        print(f"haggle: {error}", file=sys.stderr)
        raise SystemExit(2) from None
