"""The fake Twilio REST API plus the read-only resources `haggle check` looks up: the account
(`GET /2010-04-01/Accounts/{sid}.json`) and its incoming phone numbers
(`GET …/IncomingPhoneNumbers.json?PhoneNumber=…`), in Twilio's JSON shapes and paging."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.twilio_rest import FakeTwilio, RestError

_ACCOUNT = "/2010-04-01/Accounts/{account_sid}"


@dataclass
class OwnedNumber:
    """A number the account holds."""

    phone_number: str
    voice: bool = True
    sid: str = field(default="PN" + "1" * 32)


class FakeTwilioAccount(FakeTwilio):
    """`FakeTwilio` that also answers the account and its numbers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status = "active"
        self.type = "Full"
        self.numbers: list[OwnedNumber] = []

    def app(self) -> Starlette:
        """The Calls API's routes, with the account's before its catch-all."""
        base = super().app()
        routes = [
            Route(_ACCOUNT + ".json", self._account, methods=["GET"]),
            Route(_ACCOUNT + "/IncomingPhoneNumbers.json", self._numbers, methods=["GET"]),
            *base.routes,
        ]
        return Starlette(routes=routes, lifespan=self._lifespan)

    async def _account(self, request: Request) -> Response:
        recorded = await self._record(request)
        if not recorded.authorized:
            return RestError(401, 20003, "Authenticate").response()
        return JSONResponse(
            {
                "sid": self.account_sid,
                "owner_account_sid": self.account_sid,
                "friendly_name": "Haggle",
                "status": self.status,
                "type": self.type,
                "date_created": "Thu, 01 Jan 2026 00:00:00 +0000",
                "date_updated": "Thu, 01 Jan 2026 00:00:00 +0000",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}.json",
            }
        )

    async def _numbers(self, request: Request) -> Response:
        recorded = await self._record(request)
        if not recorded.authorized:
            return RestError(401, 20003, "Authenticate").response()
        wanted = request.query_params.get("PhoneNumber")
        rows = [n for n in self.numbers if wanted is None or n.phone_number == wanted]
        uri = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return JSONResponse(
            {
                "incoming_phone_numbers": [self._number(n) for n in rows],
                "start": 0,
                "end": max(len(rows) - 1, 0),
                "page": 0,
                "page_size": 50,
                "uri": uri,
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
            }
        )

    def _number(self, number: OwnedNumber) -> dict[str, Any]:
        return {
            "sid": number.sid,
            "account_sid": self.account_sid,
            "phone_number": number.phone_number,
            "friendly_name": number.phone_number,
            "capabilities": {"voice": number.voice, "sms": True, "mms": False, "fax": False},
            "status": "in-use",
            "voice_url": None,
        }
