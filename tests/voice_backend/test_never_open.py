"""The voice service never runs open: Twilio without the shared token, a part of Twilio's
credentials, or Twilio without xAI (unless AGENT=local on purpose) stop it at start-up with
one line naming the variable; it never falls back to simulated calls or the offline agent."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from shared.settings import load_settings
from tests.support.servers import REPO, VENV_BIN, serve
from voice_backend.app import NotConfigured, create_app

TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "twilio-auth-token-123",
    "TWILIO_PHONE_NUMBER": "+14155550199",
    "PUBLIC_BASE_URL": "https://voice.example",
}


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "uvicorn"), "voice_backend.app:app", "--port", "0"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HAGGLE_ENV_FILE": ""} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        # A typo leaves out the auth token: no silent simulated calls.
        (
            {k: v for k, v in TWILIO.items() if k != "TWILIO_AUTH_TOKEN"}
            | {"VOICE_BACKEND_TOKEN": "t0ken-abcdef", "XAI_API_KEY": "x"},
            "TWILIO_AUTH_TOKEN",
        ),
        # Twilio without the job API's shared secret: anyone could make it dial.
        (TWILIO | {"XAI_API_KEY": "x"}, "VOICE_BACKEND_TOKEN"),
        # Twilio without xAI: real tradespeople would hear the offline robot voice.
        (TWILIO | {"VOICE_BACKEND_TOKEN": "t0ken-abcdef"}, "XAI_API_KEY"),
    ],
)
def test_a_half_configured_voice_service_does_not_start(env: dict[str, str], named: str) -> None:
    result = _start(env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert named in lines[0] and "Traceback" not in result.stderr


async def test_agent_local_on_purpose_is_allowed_and_the_token_is_required(tmp_path) -> None:  # type: ignore[no-untyped-def]
    values = {key.lower(): value for key, value in TWILIO.items()}
    without_choice = load_settings(
        database_url=f"sqlite:///{tmp_path}/h.db", voice_backend_token="t0ken-abcdef", **values
    )
    with pytest.raises(NotConfigured, match="XAI_API_KEY"):
        create_app(without_choice)
    chosen = load_settings(
        database_url=f"sqlite:///{tmp_path}/h.db",
        voice_backend_token="t0ken-abcdef",
        agent="local",
        **values,
    )
    async with serve(create_app(chosen)) as url, httpx.AsyncClient(base_url=url) as client:
        anonymous = await client.post("/start-job/any-job")
        assert anonymous.status_code == 401
        cancel = await client.post("/cancel-job/any-job")
        assert cancel.status_code == 401
