"""Call tokens, Twilio signatures and the bearer check."""

from __future__ import annotations

import base64

import pytest
from twilio.request_validator import RequestValidator

from voice_backend.security import CallTokens, InvalidCallToken, bearer_ok
from voice_backend.twilio.signatures import TwilioSignatures

SID = "CA" + "0" * 32
OTHER_SID = "CA" + "1" * 32
AUTH_TOKEN = "twilio-auth-token"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tokens(clock: Clock) -> CallTokens:
    return CallTokens(b"secret-key", ttl_seconds=900, clock=clock)


# --- call tokens -------------------------------------------------------------------------


def test_token_round_trip(tokens: CallTokens) -> None:
    token = tokens.issue(7, SID)
    tokens.verify(token, 7, SID)  # no exception


def test_token_is_compact_and_url_safe(tokens: CallTokens) -> None:
    token = tokens.issue(123456789, SID)
    assert len(token) < 200
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_token_for_another_provider_is_refused(tokens: CallTokens) -> None:
    token = tokens.issue(7, SID)
    with pytest.raises(InvalidCallToken) as error:
        tokens.verify(token, 8, SID)
    assert error.value.reason == "signature does not match this call"


def test_token_for_another_call_is_refused(tokens: CallTokens) -> None:
    token = tokens.issue(7, SID)
    with pytest.raises(InvalidCallToken):
        tokens.verify(token, 7, OTHER_SID)


def test_token_from_another_secret_is_refused(clock: Clock) -> None:
    token = CallTokens(b"other-key", ttl_seconds=900, clock=clock).issue(7, SID)
    with pytest.raises(InvalidCallToken):
        CallTokens(b"secret-key", ttl_seconds=900, clock=clock).verify(token, 7, SID)


def test_tampered_token_is_refused(tokens: CallTokens) -> None:
    version, expiry, mac = tokens.issue(7, SID).split(".")
    later = f"{version}.{int(expiry) + 3600}.{mac}"  # stretch the expiry
    with pytest.raises(InvalidCallToken):
        tokens.verify(later, 7, SID)
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    with pytest.raises(InvalidCallToken):
        tokens.verify(f"{version}.{expiry}.{flipped}", 7, SID)


def test_token_expires(tokens: CallTokens, clock: Clock) -> None:
    token = tokens.issue(7, SID)
    clock.now += 899
    tokens.verify(token, 7, SID)
    clock.now += 1
    with pytest.raises(InvalidCallToken) as error:
        tokens.verify(token, 7, SID)
    assert error.value.reason == "expired"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "x",
        "1..",
        "1.abc.def",
        "2.1800000000.AAAA",
        "1.-5.AAAA",
        "1.1800000000.not base64!",
        "1.1800000000." + base64.urlsafe_b64encode(b"short").decode(),
        "1.1800000000.AAAA.extra",
        "1." + "9" * 40 + ".AAAA",
        "1.\u0661\u0662.AAAA",  # non-ASCII digits
        "x" * 500,
    ],
)
def test_garbage_tokens_are_refused(tokens: CallTokens, garbage: str) -> None:
    with pytest.raises(InvalidCallToken) as error:
        tokens.verify(garbage, 7, SID)
    assert error.value.reason == "malformed"
    assert garbage not in str(error.value) or garbage == ""


def test_non_string_token_is_refused(tokens: CallTokens) -> None:
    with pytest.raises(InvalidCallToken):
        tokens.verify(None, 7, SID)  # type: ignore[arg-type]


def test_token_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        CallTokens(b"", ttl_seconds=900)
    with pytest.raises(ValueError):
        CallTokens(b"k", ttl_seconds=0)


# --- Twilio signatures ------------------------------------------------------------------

PARAMS = {"CallSid": SID, "CallStatus": "in-progress", "From": "+15550001111", "To": "+15550002222"}


def test_signature_valid_for_url_rebuilt_from_public_base() -> None:
    signatures = TwilioSignatures(AUTH_TOKEN, "https://voice.example.com/")
    # What Twilio does: sign the full public URL it requested.
    twilio_side = RequestValidator(AUTH_TOKEN).compute_signature(
        "https://voice.example.com/twiml?provider_id=7", PARAMS
    )
    # What the app sees behind the tunnel: only the path and query.
    assert signatures.check("/twiml?provider_id=7", PARAMS, twilio_side)


def test_sign_matches_what_check_accepts() -> None:
    signatures = TwilioSignatures(AUTH_TOKEN, "http://127.0.0.1:6000")
    signature = signatures.sign("http://127.0.0.1:6000/call-status", PARAMS)
    assert signatures.check("/call-status", PARAMS, signature)
    assert signatures.public_url("call-status") == "http://127.0.0.1:6000/call-status"


def test_signature_invalid_when_a_param_changes() -> None:
    signatures = TwilioSignatures(AUTH_TOKEN, "https://voice.example.com")
    signature = signatures.sign("https://voice.example.com/call-status", PARAMS)
    assert not signatures.check("/call-status", PARAMS | {"CallStatus": "completed"}, signature)
    assert not signatures.check("/call-status", PARAMS | {"Extra": "1"}, signature)


def test_signature_invalid_when_the_query_or_path_changes() -> None:
    signatures = TwilioSignatures(AUTH_TOKEN, "https://voice.example.com")
    signature = signatures.sign("https://voice.example.com/twiml?provider_id=7", PARAMS)
    assert not signatures.check("/twiml?provider_id=8", PARAMS, signature)
    assert not signatures.check("/other?provider_id=7", PARAMS, signature)


def test_signature_for_another_host_is_invalid() -> None:
    # A request signed for the host an attacker claims does not pass: the base is configured.
    signatures = TwilioSignatures(AUTH_TOKEN, "https://voice.example.com")
    forged = RequestValidator(AUTH_TOKEN).compute_signature("https://evil.example/twiml", PARAMS)
    assert not signatures.check("/twiml", PARAMS, forged)


def test_signature_with_another_token_is_invalid() -> None:
    signatures = TwilioSignatures(AUTH_TOKEN, "https://voice.example.com")
    other = TwilioSignatures("other-token", "https://voice.example.com")
    signature = other.sign("https://voice.example.com/twiml", PARAMS)
    assert not signatures.check("/twiml", PARAMS, signature)


@pytest.mark.parametrize("missing", [None, ""])
def test_missing_signature_is_invalid(missing: str | None) -> None:
    signatures = TwilioSignatures(AUTH_TOKEN, "https://voice.example.com")
    assert not signatures.check("/twiml", PARAMS, missing)


def test_signature_without_params_signs_the_url_alone() -> None:
    # Twilio signs the WebSocket upgrade this way (no body).
    signatures = TwilioSignatures(AUTH_TOKEN, "https://voice.example.com")
    signature = signatures.sign("https://voice.example.com/media-stream", {})
    assert signatures.check("/media-stream", {}, signature)


def test_websocket_upgrade_signature_is_over_the_wss_url() -> None:
    signatures = TwilioSignatures(AUTH_TOKEN, "https://voice.example.com")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(
        "wss://voice.example.com/media-stream", {}
    )
    assert signatures.check("/media-stream", {}, signature, websocket=True)
    assert not signatures.check("/media-stream", {}, signature)
    local = TwilioSignatures(AUTH_TOKEN, "http://127.0.0.1:6000")
    assert local.public_url("/media-stream", websocket=True) == "ws://127.0.0.1:6000/media-stream"


def test_signature_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        TwilioSignatures("", "https://voice.example.com")
    with pytest.raises(ValueError):
        TwilioSignatures(AUTH_TOKEN, "voice.example.com")


# --- bearer -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "token", "ok"),
    [
        (None, None, True),
        ("anything", None, True),
        (None, "", True),
        ("Bearer s3cret", "s3cret", True),
        ("bearer s3cret", "s3cret", True),
        ("  Bearer   s3cret ", "s3cret", True),
        (None, "s3cret", False),
        ("", "s3cret", False),
        ("Bearer", "s3cret", False),
        ("Bearer wrong", "s3cret", False),
        ("Bearer s3cret2", "s3cret", False),
        ("Basic s3cret", "s3cret", False),
        ("s3cret", "s3cret", False),
        ("Bearer s3crét", "s3cret", False),
    ],
)
def test_bearer_ok(header: str | None, token: str | None, ok: bool) -> None:
    assert bearer_ok(header, token) is ok
