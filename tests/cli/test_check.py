"""`haggle check` against the fakes: Twilio's REST API, the voice service behind
PUBLIC_BASE_URL, Grok Realtime and the gRPC chat model, all on loopback. It passes when all
work, names each broken part on its own line, and never places a call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from shared.settings import load_settings
from tests.cli.conftest import HAGGLE, cli_env
from tests.fakes.grok_realtime import FakeGrok
from tests.fakes.twilio_account import FakeTwilioAccount, OwnedNumber
from tests.pricing.fake_chat import Fail, FakeChat, Reply, running_fake_chat
from tests.support.servers import bound_socket, serve
from voice_backend.app import create_app as create_voice

CALLER_ID = "+15005550006"


@dataclass
class World:
    """The outside systems `haggle check` reaches, and the environment pointing at them."""

    twilio: FakeTwilioAccount
    grok: FakeGrok
    chat: FakeChat
    env: dict[str, str]


@asynccontextmanager
async def world(tmp_path: Path, **voice_settings: Any) -> AsyncIterator[World]:
    """Fakes of Twilio, Grok and the chat model, and a voice service configured for them
    (`voice_settings` change the voice service's settings only)."""
    async with AsyncExitStack() as stack:
        twilio = FakeTwilioAccount()
        twilio.numbers.append(OwnedNumber(CALLER_ID))
        twilio_url = await stack.enter_async_context(twilio.serve())
        grok = await stack.enter_async_context(FakeGrok())
        chat = await stack.enter_async_context(running_fake_chat())
        sock, voice_url = bound_socket()
        env = {
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_PHONE_NUMBER": CALLER_ID,
            "TWILIO_API_BASE_URL": twilio_url,
            "PUBLIC_BASE_URL": voice_url,
            "VOICE_BACKEND_TOKEN": "voice-token-for-check",
            "XAI_API_KEY": grok.api_key,
            "GROK_REALTIME_URL": grok.url,
            "XAI_API_HOST": chat.host,
            "DATABASE_URL": f"sqlite:///{tmp_path}/haggle.db",
            "DATA_DIR": str(tmp_path),
        }
        settings = load_settings(
            **{key.lower(): value for key, value in env.items()} | voice_settings
        )
        await stack.enter_async_context(serve(create_voice(settings), sock=sock))
        yield World(twilio, grok, chat, env)


async def haggle_check(env: dict[str, str]) -> tuple[int, list[str], str]:
    """Run `haggle check` as a user would; its exit status, stdout lines and stderr."""
    process = await asyncio.create_subprocess_exec(
        str(HAGGLE),
        "check",
        "--timeout",
        "10",
        env=cli_env(None) | env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode is not None
    return process.returncode, out.decode().splitlines(), err.decode()


def _lines_by_check(lines: list[str]) -> dict[str, str]:
    """`{"twilio account": "ok    twilio account   …"}`."""
    named = {}
    for line in lines:
        for name in ("twilio account", "twilio number", "twilio webhook", "grok realtime"):
            if f" {name} " in line:
                named[name] = line
        if " grok chat " in line:
            named["grok chat"] = line
    return named


async def test_check_passes_against_working_fakes_and_places_no_call(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.chat.script = [Reply('{"ok": true}')]
        status, lines, err = await haggle_check(w.env)

        assert status == 0, (lines, err)
        named = _lines_by_check(lines)
        assert len(lines) == 5 and all(line.startswith("ok ") for line in lines), lines
        assert w.twilio.account_sid in named["twilio account"]
        assert CALLER_ID in named["twilio number"]
        assert "accepts Twilio-signed requests" in named["twilio webhook"]
        assert "audio/pcmu confirmed" in named["grok realtime"]
        assert "grok-4.20-non-reasoning answers" in named["grok chat"]
        # Read-only at Twilio: two GETs, no call created or changed.
        assert w.twilio.creates == [] and w.twilio.updates == []
        assert {request.method for request in w.twilio.requests} == {"GET"}
        # The realtime session was configured as a call's is, and the model never asked to speak.
        (session,) = w.grok.sessions
        assert session.config is not None
        assert session.config["audio"]["output"]["format"] == {"type": "audio/pcmu"}
        assert session.received("response.create") == []
        assert len(w.chat.requests) == 1
        # No secret in what it printed.
        assert w.twilio.auth_token not in "\n".join(lines) + err
        assert w.grok.api_key not in "\n".join(lines) + err


async def test_check_names_each_broken_part_on_its_own_line(tmp_path: Path) -> None:
    # The voice service runs with another auth token, so Twilio's signature fails there.
    async with world(tmp_path, twilio_auth_token="another-auth-token-0123") as w:
        w.twilio.numbers.clear()  # the caller ID is not the account's
        w.grok.ignore_formats = True  # Grok answers 24 kHz PCM whatever we ask
        w.chat.script = [Fail(grpc.StatusCode.UNAUTHENTICATED, "bad key")]
        status, lines, err = await haggle_check(w.env)

    assert status == 1
    named = _lines_by_check(lines)
    assert named["twilio account"].startswith("ok ")
    assert (
        named["twilio number"].startswith("FAIL")
        and "not a number of account" in (named["twilio number"])
    )
    assert (
        named["twilio webhook"].startswith("FAIL")
        and "refused Twilio's signature" in (named["twilio webhook"])
    )
    assert (
        named["grok realtime"].startswith("FAIL")
        and "ignored the audio format" in (named["grok realtime"])
    )
    assert named["grok chat"].startswith("FAIL") and "UNAUTHENTICATED" in named["grok chat"]
    assert len(lines) == 5
    assert err.strip().startswith("haggle: check: 4 failed")


async def test_bad_credentials_fail_every_check_that_needs_them(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        env = w.env | {"TWILIO_AUTH_TOKEN": "wrong-token-0123456789", "XAI_API_KEY": "xai-wrong"}
        w.chat.script = [Fail(grpc.StatusCode.UNAUTHENTICATED, "bad key")]
        status, lines, err = await haggle_check(env)

    assert status == 1
    named = _lines_by_check(lines)
    assert "refused the credentials (HTTP 401)" in named["twilio account"]
    assert "refused the credentials (HTTP 401)" in named["twilio number"]
    assert "HTTP 401" in named["grok realtime"] and "XAI_API_KEY" in named["grok realtime"]
    assert "wrong-token-0123456789" not in "\n".join(lines) + err


async def test_an_unreachable_public_base_url_is_one_failed_line(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        w.chat.script = [Reply('{"ok": true}')]
        env = w.env | {"PUBLIC_BASE_URL": "http://127.0.0.1:9"}
        status, lines, _ = await haggle_check(env)

    assert status == 1
    named = _lines_by_check(lines)
    assert named["twilio webhook"].startswith("FAIL")
    assert "cannot reach the voice service at http://127.0.0.1:9/twiml" in named["twilio webhook"]
    assert sum(line.startswith("FAIL") for line in lines) == 1


async def test_a_voice_service_that_cannot_place_calls_says_why(tmp_path: Path) -> None:
    # A half-configured voice service no longer starts at all; one that started and then lost
    # its database is the case left: its webhook answers 503 with the reason.
    async with world(tmp_path) as w:
        w.chat.script = [Reply('{"ok": true}')]
        (tmp_path / "haggle.db").unlink()
        status, lines, _ = await haggle_check(w.env)

    assert status == 1
    webhook = _lines_by_check(lines)["twilio webhook"]
    assert webhook.startswith("FAIL") and "answered 503" in webhook
    assert "storage unavailable" in webhook


@pytest.mark.parametrize(
    "variable", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"]
)
async def test_missing_twilio_settings_fail_by_name(tmp_path: Path, variable: str) -> None:
    twilio = {
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_AUTH_TOKEN": "token-0123456789",
        "TWILIO_PHONE_NUMBER": "+14155550123",
    }
    env = {"TELEPHONY": "twilio", "AGENT": "local"}
    env |= {name: value for name, value in twilio.items() if name != variable}
    status, lines, _ = await haggle_check(env)
    assert status == 1
    assert sum(f"needs {variable}" in line for line in lines) == 3
