"""Audio as it travels on the two wires: base64 text, decoded only when someone asks.

Twilio and Grok both carry audio as base64 inside JSON. With `AUDIO_FORMAT=pcmu` both speak
μ-law 8 kHz, so the bridge can hand the text from one to the other as it came: `Base64Audio`
holds either form, converts on first use and keeps the result, and knows the decoded length
from the text alone (the bridge's playback accounting needs only that).
"""

from __future__ import annotations

import base64
import binascii
import string
from typing import Final

#: Standard base64's characters and its padding, the only form either wire uses.
_CHARACTERS: Final = (string.ascii_letters + string.digits + "+/=").encode("ascii")


def is_base64(text: str) -> bool:
    """Whether `text` is padded standard base64, checked without decoding it (cheaper than
    decoding: whole groups of four, its characters only, at most two `=` at the very end).
    Such text needs no escaping inside a JSON string."""
    size = len(text)
    if size % 4 or not text.isascii() or text.encode("ascii").translate(None, _CHARACTERS):
        return False
    padding = text.find("=")
    return padding == -1 or padding == size - 1 or (padding == size - 2 and text[-1] == "=")


def decoded_length(text: str) -> int:
    """Bytes that valid padded base64 `text` decodes to, without decoding it."""
    if not text:
        return 0
    return len(text) // 4 * 3 - (2 if text[-2] == "=" else 1 if text[-1] == "=" else 0)


class Base64Audio:
    """Audio bytes, held as raw bytes, as base64 text, or both.

    Build it from bytes (`Base64Audio(b"...")`) or from text already checked with `is_base64`
    (`Base64Audio(b64="...")`); `payload` and `b64` convert on first use. Equality compares the
    audio itself, whichever form each side holds.
    """

    __slots__ = ("_b64", "_raw")

    def __init__(self, payload: bytes | None = None, *, b64: str | None = None) -> None:
        if payload is None and b64 is None:
            payload = b""
        self._raw = payload
        self._b64 = b64

    @property
    def payload(self) -> bytes:
        """The audio bytes (decoded from the text the first time)."""
        if self._raw is None:
            assert self._b64 is not None
            try:
                self._raw = binascii.a2b_base64(self._b64, strict_mode=True)
            except binascii.Error:  # built from unchecked text: no audio rather than a crash
                self._raw = b""
        return self._raw

    @property
    def b64(self) -> str:
        """The audio as base64 text (encoded from the bytes the first time)."""
        if self._b64 is None:
            assert self._raw is not None
            self._b64 = base64.b64encode(self._raw).decode("ascii")
        return self._b64

    @property
    def nbytes(self) -> int:
        """Length of the audio in bytes, without decoding it."""
        if self._raw is not None:
            return len(self._raw)
        assert self._b64 is not None
        return decoded_length(self._b64)

    def __bool__(self) -> bool:
        return self.nbytes > 0

    def _key(self) -> tuple[object, ...]:
        return (self.payload,)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Base64Audio)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self), self._key()))

    def __repr__(self) -> str:
        fields = ", ".join(repr(value) for value in self._key()[1:])
        return f"{type(self).__name__}({self.nbytes} bytes{', ' if fields else ''}{fields})"


class ItemAudio(Base64Audio):
    """Audio of one model response item: `item_id` and `response_id` (either may be unknown)."""

    __slots__ = ("item_id", "response_id")

    def __init__(
        self,
        payload: bytes | None = None,
        item_id: str | None = None,
        response_id: str | None = None,
        *,
        b64: str | None = None,
    ) -> None:
        super().__init__(payload, b64=b64)
        self.item_id = item_id
        self.response_id = response_id

    def _key(self) -> tuple[object, ...]:
        return (self.payload, self.item_id, self.response_id)
