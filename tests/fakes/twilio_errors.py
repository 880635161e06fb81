"""Twilio's REST errors and its checks of the Calls parameters, for the fake Twilio."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.responses import JSONResponse

if TYPE_CHECKING:
    from tests.fakes.twilio_rest import RecordedRequest

__all__ = ["RestError", "validate_create"]

_E164 = re.compile(r"\+[1-9]\d{6,14}")
_PROGRESS_EVENTS = {"initiated", "ringing", "answered", "completed"}


@dataclass(frozen=True)
class RestError:
    """An error answer of the REST API, in Twilio's JSON shape."""

    status: int
    code: int
    message: str

    @classmethod
    def invalid_number(cls, to: str) -> RestError:
        """21211: the `To` number is not a valid phone number."""
        return cls(400, 21211, f"Invalid 'To' Phone Number: {to}")

    @classmethod
    def too_many_requests(cls) -> RestError:
        """20429: rate limited."""
        return cls(429, 20429, "Too Many Requests")

    @classmethod
    def server_error(cls) -> RestError:
        """20500: Twilio's own failure."""
        return cls(500, 20500, "Internal Server Error")

    def response(self) -> JSONResponse:
        """The HTTP answer Twilio gives for this error."""
        body = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        return JSONResponse(body, status_code=self.status)


def validate_create(recorded: RecordedRequest) -> RestError | None:
    """Twilio's checks of the Calls parameters this service uses; None when all pass."""
    value = recorded.value
    to, from_ = value("To"), value("From")
    if not to:
        return RestError(400, 21201, "No 'To' number is specified")
    if not _E164.fullmatch(to):
        return RestError.invalid_number(to)
    if not from_:
        return RestError(400, 21603, "A 'From' phone number is required.")
    if not _E164.fullmatch(from_):
        return RestError(400, 21212, f"Invalid 'From' Phone Number: {from_}")
    return _validate_urls(recorded) or _validate_options(recorded)


def _validate_urls(recorded: RecordedRequest) -> RestError | None:
    value = recorded.value
    if not value("Url") and not value("Twiml"):
        return RestError(400, 21205, "Url parameter is required.")
    for name in ("Url", "StatusCallback", "AsyncAmdStatusCallback"):
        url = value(name)
        if url is not None and not _absolute_url(url):
            return RestError(400, 21205, f"{name} is not a valid URL: {url}")
    for name in ("Method", "StatusCallbackMethod", "AsyncAmdStatusCallbackMethod"):
        method = value(name)
        if method is not None and method.upper() not in {"GET", "POST"}:
            return RestError(400, 20001, f"Invalid {name}: {method}")
    return None


def _validate_options(recorded: RecordedRequest) -> RestError | None:
    value = recorded.value
    unknown = set(recorded.form.get("StatusCallbackEvent", [])) - _PROGRESS_EVENTS
    if unknown:
        return RestError(400, 20001, f"Invalid StatusCallbackEvent: {sorted(unknown)}")
    if not _int_in(value("Timeout"), 1, 600):
        return RestError(400, 20001, f"Invalid Timeout: {value('Timeout')}")
    if not _int_in(value("TimeLimit"), 1, 14400):
        return RestError(400, 20001, f"Invalid TimeLimit: {value('TimeLimit')}")
    if value("MachineDetection") not in {None, "Enable", "DetectMessageEnd"}:
        return RestError(400, 20001, f"Invalid MachineDetection: {value('MachineDetection')}")
    if value("AsyncAmd") not in {None, "true", "false"}:
        return RestError(400, 20001, f"Invalid AsyncAmd: {value('AsyncAmd')}")
    return None


def _int_in(text: str | None, low: int, high: int) -> bool:
    if text is None:
        return True
    with contextlib.suppress(ValueError):
        return low <= int(text) <= high
    return False


def _absolute_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
