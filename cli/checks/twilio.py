"""Twilio, read-only: the account is active, the caller ID is one of its voice numbers, and the
voice service answers a webhook signed as Twilio signs it at `PUBLIC_BASE_URL`.

Nothing here places a call or changes anything at Twilio.
"""

from __future__ import annotations

from typing import Any

import httpx
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from cli.checks.base import CheckFailed
from voice_backend.twilio.callbacks import TwilioCallStatus
from voice_backend.twilio.rest import async_client
from voice_backend.twilio.signatures import TwilioSignatures

#: The provider id of the signed check request: no provider has it, so the service answers
#: with a hang-up TwiML and nothing else happens.
CHECK_PROVIDER_ID = 0
CHECK_CALL_SID = "CA" + "0" * 32


class TwilioChecks:
    """The three Twilio checks, sharing one REST client (close it with `close`)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        phone_number: str,
        api_base_url: str,
        public_base_url: str | None,
    ) -> None:
        self._sid = account_sid
        self._token = auth_token
        self._number = phone_number
        self._base_url = api_base_url.rstrip("/")
        self._public_base_url = public_base_url
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    def _twilio(self) -> Client:
        if self._client is None:
            self._client, self._http = async_client(self._sid, self._token, self._base_url)
        return self._client

    async def close(self) -> None:
        """Close the REST client's HTTP session."""
        http, self._http, self._client = self._http, None, None
        if http is not None:
            await http.close()

    async def account(self) -> str:
        """The account exists, the credentials open it, and it is active."""
        try:
            account = await self._twilio().api.v2010.accounts(self._sid).fetch_async()
        except TwilioRestException as error:
            raise CheckFailed(_rest_failure(error)) from None
        except Exception as error:
            raise CheckFailed(_unreachable(self._base_url, error)) from None
        if account.status != "active":
            raise CheckFailed(f"account {self._sid} is {account.status}, not active")
        kind = f" ({account.type} account" + (
            ": it can call verified numbers only)" if account.type == "Trial" else ")"
        )
        return f"{self._sid} is active{kind}"

    async def number(self) -> str:
        """TWILIO_PHONE_NUMBER is one of the account's numbers, and it can place voice calls."""
        try:
            numbers = await self._twilio().incoming_phone_numbers.list_async(
                phone_number=self._number, limit=20
            )
        except TwilioRestException as error:
            raise CheckFailed(_rest_failure(error)) from None
        except TwilioException as error:  # a list page Twilio refused
            raise CheckFailed(_page_failure(error, self._base_url)) from None
        except Exception as error:
            raise CheckFailed(_unreachable(self._base_url, error)) from None
        mine = [number for number in numbers if number.phone_number == self._number]
        if not mine:
            raise CheckFailed(
                f"TWILIO_PHONE_NUMBER {self._number} is not a number of account {self._sid}"
            )
        capabilities: dict[str, Any] = mine[0].capabilities or {}
        if not capabilities.get("voice", False):
            raise CheckFailed(f"{self._number} cannot place voice calls (no voice capability)")
        return f"{self._number} belongs to the account and takes voice calls"

    async def webhook(self) -> str:
        """The voice service, at PUBLIC_BASE_URL, accepts a request signed with the auth token
        (Twilio's TwiML fetch, for a provider that does not exist: it answers a hang-up)."""
        if not self._public_base_url:
            raise CheckFailed("PUBLIC_BASE_URL (or DOMAIN) is not set: Twilio could not reach us")
        signatures = TwilioSignatures(self._token, self._public_base_url)
        path = f"/twiml?provider_id={CHECK_PROVIDER_ID}"
        form = {
            "AccountSid": self._sid,
            "CallSid": CHECK_CALL_SID,
            "CallStatus": TwilioCallStatus.IN_PROGRESS.value,
        }
        url = signatures.public_url(path)
        headers = {"X-Twilio-Signature": signatures.sign(url, form)}
        try:
            async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as http:
                answer = await http.post(url, data=form, headers=headers)
        except httpx.HTTPError as error:
            raise CheckFailed(
                f"cannot reach the voice service at {url}: {type(error).__name__}: {error}"
            ) from None
        if answer.status_code == 403:
            raise CheckFailed(
                f"the voice service at {self._public_base_url} refused Twilio's signature: it "
                "runs with another TWILIO_AUTH_TOKEN, or sees another PUBLIC_BASE_URL"
            )
        if answer.status_code != 200 or "<Response" not in answer.text:
            raise CheckFailed(f"{url} answered {answer.status_code}: {_why(answer)}")
        return f"{self._public_base_url}/twiml accepts Twilio-signed requests"


def _why(answer: httpx.Response) -> str:
    """The voice service's own reason (its JSON `detail`), else a guess at what answered."""
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    return "is the voice service behind it?"


def _rest_failure(error: TwilioRestException) -> str:
    return _refused(error.status, error.code, str(error.msg))


def _page_failure(error: TwilioException, base_url: str) -> str:
    """twilio-python reports a refused list page as `("Unable to fetch page", response)`."""
    response = error.args[1] if len(error.args) > 1 else None
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        return _unreachable(base_url, error)
    return _refused(status, None, str(getattr(response, "text", "")))


def _refused(status: int, code: int | None, message: str) -> str:
    if status in (401, 403):
        return (
            f"Twilio refused the credentials (HTTP {status}): check "
            "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        )
    message = " ".join(message.split())[:200]
    return f"Twilio answered {status}" + (f" (code {code})" if code else "") + f": {message}"


def _unreachable(base_url: str, error: Exception) -> str:
    return f"cannot reach Twilio at {base_url}: {type(error).__name__}: {error}"
