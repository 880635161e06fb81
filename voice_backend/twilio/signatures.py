"""`X-Twilio-Signature`: checks it on Twilio's webhooks and makes it for the simulated Twilio.

The signed URL is rebuilt from the configured public base URL, never from the request's own
`Host` or forwarding headers, which a caller controls.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

__all__ = ["TwilioSignatures"]


class TwilioSignatures:
    """Checks and makes `X-Twilio-Signature` values (HMAC-SHA1 with the auth token).

    Twilio signs the full URL it requested plus the sorted POST parameters. Behind a tunnel
    or a proxy the URL the app sees differs from that one, so `check` rebuilds it from
    `public_base_url` and the request's path and query.
    """

    def __init__(self, auth_token: str, public_base_url: str) -> None:
        if not auth_token:
            raise ValueError("the Twilio auth token must not be empty")
        parts = urlsplit(public_base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"{public_base_url!r} is not an http(s):// URL")
        self._validator = RequestValidator(auth_token)
        self._base = public_base_url.rstrip("/")

    @property
    def public_base_url(self) -> str:
        """The base URL the signed URLs are rebuilt from (no trailing slash)."""
        return self._base

    def public_url(self, path_and_query: str, *, websocket: bool = False) -> str:
        """The URL Twilio requested, given the path and query the app received
        (`websocket`: the `ws://`/`wss://` form Twilio signs on a stream's upgrade)."""
        if not path_and_query.startswith("/"):
            path_and_query = "/" + path_and_query
        base = self._base
        if websocket:
            scheme, rest = base.split("://", 1)
            base = ("wss" if scheme == "https" else "ws") + "://" + rest
        return base + path_and_query

    def check(
        self,
        path_and_query: str,
        params: Mapping[str, str],
        signature: str | None,
        *,
        websocket: bool = False,
    ) -> bool:
        """Whether `signature` is Twilio's for this request (form `params`; `{}` for none).
        `websocket=True` checks a Media Stream's upgrade request, signed over its `wss://` URL."""
        if not signature:
            return False
        url = self.public_url(path_and_query, websocket=websocket)
        return bool(self._validator.validate(url, params, signature))

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """The signature Twilio would send when requesting `url` with form `params`."""
        return str(self._validator.compute_signature(url, params))
