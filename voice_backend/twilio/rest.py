"""Twilio's REST API through twilio-python's asynchronous client (never blocks the event loop).

Every request goes to `api_base_url` (Twilio's `https://api.twilio.com`, or a local stand-in):
the `api` domain's base URL is replaced, and any `TWILIO_EDGE`/`TWILIO_REGION` in the
environment is ignored, since either would rewrite the host.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Final

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from voice_backend.telephony.base import DialError, DialFailure, DialRequest, DirectoryEntry

__all__ = ["CALL_PROGRESS_EVENTS", "TwilioDialError", "TwilioTelephony"]

logger = logging.getLogger(__name__)

#: The status-callback events we ask for (Twilio sends only `completed` by default).
CALL_PROGRESS_EVENTS: Final = ("initiated", "ringing", "answered", "completed")

_ALREADY_ENDED_CODES: Final = frozenset({20404})
_CALL_SID = re.compile(r"[A-Za-z0-9]{1,64}")
_MAX_REASON: Final = 300


class TwilioDialError(DialError):
    """Twilio refused the request or could not be reached.

    `status` is the HTTP status (None when Twilio was not reached), `code` Twilio's error
    code when it gave one. The message is one line and never carries a credential.
    """

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        code: int | None = None,
        failure: DialFailure = DialFailure.OTHER,
    ):
        super().__init__(reason, failure=failure)
        self.status = status
        self.code = code

    @property
    def retryable(self) -> bool:
        """Worth trying again later: rate limited, Twilio's own failure, or unreachable."""
        return self.status is None or self.status == 429 or self.status >= 500


def async_client(
    account_sid: str, auth_token: str, base_url: str
) -> tuple[Client, AsyncTwilioHttpClient]:
    """twilio-python's client on its asynchronous HTTP client, pointed at `base_url` (Twilio's
    REST API, or a stand-in of it); its aiohttp session needs a running event loop."""
    http = AsyncTwilioHttpClient()
    client = Client(
        username=account_sid, password=auth_token, account_sid=account_sid, http_client=http
    )
    client.edge = None
    client.region = None
    client.api.base_url = base_url
    return client, http


class TwilioTelephony:
    """Places and ends calls with Twilio's Calls resource (the `Telephony` protocol)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        api_base_url: str = "https://api.twilio.com",
        *,
        request_timeout_seconds: float = 15.0,
    ) -> None:
        if not account_sid or not auth_token or not from_number:
            raise ValueError("Twilio needs an account SID, an auth token and a from number")
        if request_timeout_seconds <= 0:
            raise ValueError("request_timeout_seconds must be positive")
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._from = from_number
        self._base_url = api_base_url.rstrip("/")
        self._timeout = request_timeout_seconds
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    def _twilio(self) -> Client:
        """The client, built on first use: its aiohttp session needs a running loop."""
        if self._client is None:
            self._client, self._http = async_client(
                self._account_sid, self._auth_token, self._base_url
            )
        return self._client

    def directory_entries(self) -> list[DirectoryEntry] | None:
        """None: the real phone network has no directory of simulated providers."""
        return None

    async def place_call(self, request: DialRequest) -> str:
        """Create the call (ringing, answering-machine detection, status callbacks on every
        progress event) and return its SID; raises `DialError` with a one-line reason."""
        calls = self._twilio().calls
        try:
            async with asyncio.timeout(self._timeout):
                call = await calls.create_async(
                    to=request.to,
                    from_=self._from,
                    url=request.twiml_url,
                    method="POST",
                    status_callback=request.status_callback_url,
                    status_callback_event=list(CALL_PROGRESS_EVENTS),
                    status_callback_method="POST",
                    timeout=request.ring_timeout_seconds,
                    time_limit=request.time_limit_seconds,
                    machine_detection="Enable",
                    async_amd="true",
                    async_amd_status_callback=request.amd_callback_url,
                    async_amd_status_callback_method="POST",
                )
        except Exception as error:
            raise self._dial_error(error) from None
        if not call.sid:
            raise TwilioDialError("twilio: the created call has no SID")
        logger.info("placed call %s for provider %s", call.sid, request.provider_id)
        return call.sid

    async def hang_up(self, call_sid: str) -> None:
        """End the call (`Status=completed`). A call Twilio no longer knows (404, error
        20404) has already ended: that is success. Raises `DialError` otherwise."""
        if not _CALL_SID.fullmatch(call_sid):
            raise TwilioDialError("twilio: not a call SID")
        context = self._twilio().calls(call_sid)
        try:
            async with asyncio.timeout(self._timeout):
                await context.update_async(status="completed")
        except (TwilioRestException, TwilioServiceException) as error:
            if error.status == 404 or error.code in _ALREADY_ENDED_CODES:
                logger.info("call %s had already ended", call_sid)
                return
            raise self._dial_error(error) from None
        except Exception as error:
            raise self._dial_error(error) from None
        logger.info("hung up call %s", call_sid)

    async def call_status(self, call_sid: str) -> str | None:
        """The call's status from its Calls resource (`GET …/Calls/{sid}.json`); `None` for a
        call Twilio does not know (404). Raises `DialError` when Twilio cannot be asked."""
        if not _CALL_SID.fullmatch(call_sid):
            raise TwilioDialError("twilio: not a call SID")
        context = self._twilio().calls(call_sid)
        try:
            async with asyncio.timeout(self._timeout):
                call = await context.fetch_async()
        except (TwilioRestException, TwilioServiceException) as error:
            if error.status == 404 or error.code in _ALREADY_ENDED_CODES:
                return None
            raise self._dial_error(error) from None
        except Exception as error:
            raise self._dial_error(error) from None
        status = call.status
        return str(getattr(status, "value", status)) if status is not None else None

    async def close(self) -> None:
        """Close the HTTP session (idempotent)."""
        http, self._http, self._client = self._http, None, None
        if http is not None:
            await http.close()

    def _dial_error(self, error: BaseException) -> TwilioDialError:
        """One line saying what went wrong, with any credential blanked out."""
        if isinstance(error, TwilioRestException):
            message = _strip_prefix(str(error.msg))
            code = error.code if isinstance(error.code, int) else None
            return self._error(f"twilio {code or error.status}: {message}", error.status, code)
        if isinstance(error, TwilioServiceException):
            message = f"{error.title}: {error.detail}" if error.detail else error.title
            return self._error(f"twilio {error.code}: {message}", error.status, error.code)
        if isinstance(error, TimeoutError):
            return self._error(f"twilio: no answer within {self._timeout:g} s", None, None)
        if isinstance(error, aiohttp.ClientError | OSError):
            reason = f"twilio unreachable: {type(error).__name__}: {error}"
            return TwilioDialError(self._one_line(reason), failure=DialFailure.UNREACHABLE)
        logger.warning("unexpected Twilio failure: %s", type(error).__name__)
        return self._error(f"twilio: unexpected {type(error).__name__}", None, None)

    def _error(self, reason: str, status: int | None, code: int | None) -> TwilioDialError:
        return TwilioDialError(self._one_line(reason), status=status, code=code)

    def _one_line(self, text: str) -> str:
        text = " ".join(text.split()).replace(self._auth_token, "***")
        return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def _strip_prefix(message: str) -> str:
    """twilio-python prefixes Twilio's message with what it was doing; keep Twilio's part."""
    for prefix in ("Unable to create record: ", "Unable to update record: "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
