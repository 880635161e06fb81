"""Secrets out of text that people read: error lines, log lines, one-line API errors.

`mask_secrets` hides what a URL carries besides its address: the password (or a lone token) of
its user part, and the value of query parameters named like a credential. It knows nothing of
the settings; `shared.logs` also replaces every configured secret value wherever it appears.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@host — or scheme://token@host. The user part ends at the last `@`
# before the host (passwords may hold `@` when not percent-encoded).
_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^\s/?#'\"<>]*)@"
)
_SECRET_QUERY = re.compile(
    r"(?P<name>[?&;](?:[a-z0-9_\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|key|sig|"
    r"signature|auth|credential)[a-z0-9_\-]*)=)(?P<value>[^&#\s'\"]+)",
    re.IGNORECASE,
)


def _mask_userinfo(match: re.Match[str]) -> str:
    userinfo = match["userinfo"]
    user, colon, _password = userinfo.partition(":")
    shown = f"{user}:{MASK}" if colon and user else MASK
    return f"{match['scheme']}{shown}@"


def mask_secrets(text: str) -> str:
    """`text` with the credentials of every URL in it replaced by `***`."""
    if "://" not in text and "=" not in text:
        return text
    text = _URL_USERINFO.sub(_mask_userinfo, text)
    return _SECRET_QUERY.sub(lambda match: f"{match['name']}{MASK}", text)
