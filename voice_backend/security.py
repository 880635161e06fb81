"""Who may talk to the voice service: per-call tokens and the bearer token (Twilio's
signatures: `voice_backend.twilio.signatures`).

* `CallTokens` issues a short-lived token bound to one provider and one call SID. The TwiML
  hands it to Twilio as a `<Parameter>`, and the media stream checks it at `start`, so a
  stranger who reaches `/media-stream` cannot open a model session for any provider.
* `bearer_ok` checks the job API's shared secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Final

__all__ = ["CallTokens", "InvalidCallToken", "bearer_ok"]

_TOKEN_VERSION: Final = "1"
_MAX_TOKEN_LENGTH: Final = 200
_MAX_EXPIRY_DIGITS: Final = 12


class InvalidCallToken(Exception):
    """A call token that does not admit this call; `reason` says why (never the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CallTokens:
    """Issues and verifies per-call tokens: HMAC-SHA256 over provider, call SID and expiry.

    A token reads `1.<expiry>.<mac>` (about 60 URL-safe characters). The provider id and the
    call SID are not in it: the verifier already knows both (from the stream's `start`), and
    a token for one call or provider does not verify for another.
    """

    def __init__(
        self, secret: bytes, ttl_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        if not secret:
            raise ValueError("the call-token secret must not be empty")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._secret = secret
        self._ttl = ttl_seconds
        self._clock = clock

    def issue(self, provider_id: int, call_sid: str) -> str:
        """A token admitting `call_sid` for `provider_id` until the TTL runs out."""
        expiry = int(self._clock()) + self._ttl
        mac = self._mac(provider_id, call_sid, expiry)
        return f"{_TOKEN_VERSION}.{expiry}.{_b64url(mac)}"

    def verify(self, token: str, provider_id: int, call_sid: str) -> None:
        """Return if `token` admits this call now; raise `InvalidCallToken` otherwise."""
        expiry, mac = _split_token(token)
        expected = self._mac(provider_id, call_sid, expiry)
        if not hmac.compare_digest(mac, expected):
            raise InvalidCallToken("signature does not match this call")
        if self._clock() >= expiry:
            raise InvalidCallToken("expired")

    def _mac(self, provider_id: int, call_sid: str, expiry: int) -> bytes:
        # Length-free fields joined by a separator that none of them can contain.
        message = f"{_TOKEN_VERSION}|{int(provider_id)}|{call_sid}|{expiry}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _split_token(token: object) -> tuple[int, bytes]:
    """Parse `1.<expiry>.<mac>` strictly; anything else is malformed."""
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidCallToken("malformed")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _TOKEN_VERSION:
        raise InvalidCallToken("malformed")
    expiry_text, mac_text = parts[1], parts[2]
    if not expiry_text.isascii() or not expiry_text.isdigit():
        raise InvalidCallToken("malformed")
    if len(expiry_text) > _MAX_EXPIRY_DIGITS:
        raise InvalidCallToken("malformed")
    try:
        mac = base64.urlsafe_b64decode(mac_text + "=" * (-len(mac_text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCallToken("malformed") from None
    if len(mac) != hashlib.sha256().digest_size:
        raise InvalidCallToken("malformed")
    return int(expiry_text), mac


def bearer_ok(header_value: str | None, token: str | None) -> bool:
    """Whether an `Authorization` header carries `Bearer <token>`; no token configured: yes."""
    if not token:
        return True
    if not header_value:
        return False
    scheme, _, credentials = header_value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credentials.strip().encode(), token.encode())
