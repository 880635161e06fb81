"""No error or log line shows a URL's password, a token in a URL, or the database password."""

from __future__ import annotations

import io
import logging

import pytest

from shared.logs import configure_logging
from shared.redact import mask_secrets
from shared.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mysql://user:secret@host/db", "mysql://user:***@host/db"),
        (
            "postgresql://u:p@ss@h:5432/d?sslmode=require",
            "postgresql://u:***@h:5432/d?sslmode=require",
        ),
        ("cloning https://ghp_token@github.com/x", "cloning https://***@github.com/x"),
        ("wss://h/v1/realtime?model=m&api_key=abc123", "wss://h/v1/realtime?model=m&api_key=***"),
        ("http://127.0.0.1:8000/api/jobs", "http://127.0.0.1:8000/api/jobs"),
        ("write to ops@example.com", "write to ops@example.com"),
    ],
)
def test_mask_secrets(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked


def test_a_rejected_url_setting_names_the_variable_but_not_the_password() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(supabase_url="ftp://admin:hunter2-secret@db.example", supabase_key="k")
    message = str(refused.value)
    assert "SUPABASE_URL" in message and "hunter2-secret" not in message
    assert "ftp://admin:***@db.example" in message


def test_log_lines_never_show_the_database_password_or_any_url_password() -> None:
    settings = load_settings(database_url="postgresql://haggle:pg-pass%2Fword@db:5432/haggle")
    stream = io.StringIO()
    configure_logging(settings, stream)
    try:
        log = logging.getLogger("tests.redact")
        log.warning("cannot connect: password pg-pass/word refused")
        log.warning("retrying %s", "https://bot:other-secret@hooks.example/x")
    finally:
        configure_logging(load_settings())
    text = stream.getvalue()
    assert "pg-pass" not in text and "other-secret" not in text
    assert "https://bot:***@hooks.example/x" in text
