"""Settings: the interface's variables, their defaults, and clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.settings import (
    AgentKind,
    AudioFormat,
    Settings,
    SettingsError,
    Telephony,
    load_settings,
)

REPO = Path(__file__).resolve().parents[2]


def test_defaults_follow_the_interface() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./data/haggle.db"
    assert settings.call_backend_url == "http://localhost:6000"
    assert settings.twilio_api_base_url == "https://api.twilio.com"
    assert settings.grok_realtime_url.startswith("wss://api.x.ai/v1/realtime?model=")
    assert settings.grok_voice == "Rex" and settings.xai_api_host == "api.x.ai"
    assert settings.audio_format is AudioFormat.PCMU
    assert settings.telephony is Telephony.SIM and settings.agent is AgentKind.LOCAL
    assert settings.public_base_url is None


def test_credentials_choose_twilio_and_grok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.setenv("XAI_API_KEY", "key")
    monkeypatch.setenv("DOMAIN", "haggle.example.com")
    settings = load_settings()
    assert settings.telephony is Telephony.TWILIO and settings.agent is AgentKind.GROK
    assert settings.public_base_url == "https://haggle.example.com"
    assert settings.stream_url == "wss://haggle.example.com/media-stream"


def test_http_base_gives_ws_stream() -> None:
    assert load_settings(public_base_url="http://127.0.0.1:6000").stream_url == (
        "ws://127.0.0.1:6000/media-stream"
    )


def test_secrets_do_not_print() -> None:
    settings = load_settings(xai_api_key="xai-very-secret", twilio_auth_token="tw-secret")
    assert "very-secret" not in repr(settings) and "tw-secret" not in str(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://root@db/haggle"),
        ("MAX_CONCURRENT_CALLS", "many"),
        ("AUDIO_FORMAT", "mp3"),
        ("TELEPHONY", "carrier-pigeon"),
        ("CALL_BACKEND_URL", "localhost:6000"),
        ("GROK_REALTIME_URL", "https://api.x.ai/v1/realtime"),
    ],
)
def test_malformed_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert name in message and "\n" not in message


def test_supabase_needs_both() -> None:
    with pytest.raises(SettingsError, match="SUPABASE_KEY"):
        load_settings(supabase_url="https://x.supabase.co")


def test_env_file_is_read_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("GROK_VOICE=Eve\n")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("GROK_VOICE=Ara\n")
    assert load_settings().grok_voice == "Rex"  # tests disable .env
    monkeypatch.setenv("HAGGLE_ENV_FILE", str(env_file))
    assert load_settings().grok_voice == "Eve"


def test_env_example_lists_every_variable() -> None:
    example = (REPO / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z_]+)=", example, flags=re.MULTILINE))
    fields = {name.upper() for name in Settings.model_fields}
    assert fields <= listed, fields - listed
    interface = {
        "DATABASE_URL",
        "SUPABASE_URL",
        "SUPABASE_KEY",
        "CALL_BACKEND_URL",
        "VOICE_BACKEND_TOKEN",
        "PUBLIC_BASE_URL",
        "DOMAIN",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_PHONE_NUMBER",
        "TWILIO_API_BASE_URL",
        "XAI_API_KEY",
        "GROK_REALTIME_URL",
        "GROK_VOICE",
        "XAI_API_HOST",
        "AUDIO_FORMAT",
        "TELEPHONY",
        "AGENT",
        "HAGGLE_API_KEY",
        "ALLOWED_HOSTS",
        "DIAL_COUNTRIES",
        "CALLING_HOURS",
        "MAX_PROVIDERS_PER_JOB",
        "DAILY_CALL_LIMIT",
        "CALLS_PER_SECOND",
        "MAX_CONCURRENT_CALLS",
        "METRICS_TOKEN",
    }
    assert interface <= listed


def test_env_example_as_is_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text((REPO / ".env.example").read_text())
    monkeypatch.setenv("HAGGLE_ENV_FILE", str(env_file))
    settings = load_settings()
    assert settings.telephony is Telephony.SIM and settings.agent is AgentKind.LOCAL
    assert not settings.uses_supabase and settings.public_base_url is None
    assert settings.database_url == "sqlite:///./data/haggle.db"


def test_env_example_leaves_the_database_to_compose() -> None:
    # Compose passes ${DATABASE_URL:-postgresql://…}: a value in .env would override its
    # Postgres, so the example leaves it empty (empty is unset for both Compose and us).
    example = (REPO / ".env.example").read_text()
    assert re.findall(r"^DATABASE_URL=.*$", example, flags=re.MULTILINE) == ["DATABASE_URL="]


def test_new_settings_and_their_checks() -> None:
    settings = load_settings()
    assert settings.calling_hours == "08:00-21:00" and settings.daily_spend_cap is None
    assert settings.telephony_cost_per_minute > 0 and settings.model_cost_per_minute > 0
    with pytest.raises(SettingsError, match="CALLING_HOURS"):
        load_settings(calling_hours="9-5")
    with pytest.raises(SettingsError, match="JOB_WEBHOOK_SECRET"):
        load_settings(job_webhook_url="https://example.com/hook")
