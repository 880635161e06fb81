"""The part of TwiML the simulated Twilio executes: `<Connect><Stream>` and `<Hangup>`.

The document comes from the voice service under test (or the offline demo's own), not from
strangers, so the standard library's XML parser is enough here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

__all__ = ["StreamInstruction", "TwimlError", "parse_twiml"]


@dataclass(frozen=True)
class StreamInstruction:
    """A `<Connect><Stream url>` and its `<Parameter>`s."""

    url: str
    parameters: dict[str, str]


class TwimlError(Exception):
    """The TwiML could not be fetched or read (Twilio: application error, then hang up)."""


def parse_twiml(text: str) -> StreamInstruction | None:
    """The first `<Connect><Stream>` of a TwiML document; None when it hangs up first or
    has none. Raises `TwimlError` for a document Twilio could not execute."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise TwimlError(f"TwiML is not XML: {error}") from None
    if root.tag != "Response":
        raise TwimlError(f"TwiML root is <{root.tag}>, not <Response>")
    for verb in root:
        if verb.tag == "Hangup":
            return None
        stream = verb.find("Stream") if verb.tag == "Connect" else None
        if stream is not None:
            url = stream.get("url")
            if not url:
                raise TwimlError("<Stream> without a url")
            return StreamInstruction(url, _parameters(stream))
    return None


def _parameters(stream: ElementTree.Element) -> dict[str, str]:
    return {
        name: parameter.get("value", "")
        for parameter in stream.iter("Parameter")
        if (name := parameter.get("name"))
    }
