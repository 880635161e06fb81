"""Logging for both services: plain or JSON lines, a call's ids on every line, no secrets.

* `LOG_FORMAT=json` writes one JSON object per line (for log shippers); the default is text.
* `call_context(job_id=…, provider_id=…, call_sid=…)` puts a call's ids on every line logged
  inside it, including by tasks started inside it (context variables follow tasks).
* Every secret of the settings (keys, tokens, the database password) is replaced by `***` in
  every line, whoever logs it: a library's debug output of request headers included; so is the
  password (or token) of any URL a line holds, and credential-like query parameters.
* Transcripts are personal data: the code logs them at debug only.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from shared.redact import mask_secrets
from shared.settings import Settings

_CONTEXT: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "haggle_log_context", default=None
)
#: Fields a call's lines carry, from the context or from `extra=`.
CONTEXT_FIELDS = ("job_id", "provider_id", "call_sid")
#: Not extras: the record's own attributes, and uvicorn's `color_message` (a copy of the message
#: with terminal colour codes, which would otherwise land in every log line).
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",
}
_HANDLER_NAME = "haggle"


def bind(**fields: Any) -> None:
    """Add ids to the current context (for the rest of the current task and its children)."""
    current = dict(_CONTEXT.get() or {})
    current.update({key: value for key, value in fields.items() if value is not None})
    _CONTEXT.set(current)


@contextlib.contextmanager
def call_context(**fields: Any) -> Iterator[None]:
    """Ids on every line logged inside the block."""
    token = _CONTEXT.set({**(_CONTEXT.get() or {}), **fields})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_CONTEXT.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class _Redactor(logging.Filter):
    """Replaces secret values in the final text of each line."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """`text` without any secret: known values, and the credentials of URLs."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return mask_secrets(text)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _RESERVED and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the call's ids, extras."""

    def __init__(self, redactor: _Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """One JSON object per record, with the call's ids."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self._redactor.scrub(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """`time level logger: message key=value…` with the call's ids and extras at the end."""

    def __init__(self, redactor: _Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        """The plain line, with the call's ids appended."""
        text = super().format(record)
        extras = _extras(record)
        if extras:
            text += " " + " ".join(f"{key}={value}" for key, value in extras.items())
        return self._redactor.scrub(text)


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, as plain text."""
    values = [
        Settings.secret(value)
        for value in (
            settings.supabase_key,
            settings.voice_backend_token,
            settings.twilio_auth_token,
            settings.xai_api_key,
            settings.call_token_secret,
        )
    ]
    password = urlsplit(settings.database_url).password
    if password:
        values += [password, unquote(password)]
    return [value for value in values if value]


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log line to `stream` (stderr) at the configured level and format.

    Calling it again replaces the handler it installed before.
    """
    log_format = settings.log_format
    redactor = _Redactor(secret_values(settings))
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(_ContextFilter())
    formatter: logging.Formatter = (
        JsonFormatter(redactor) if log_format == "json" else TextFormatter(redactor)
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # Alembic (1.17 on) lists each plugin it sets up, at INFO, when it is first imported (the
    # schema check at start-up): seven lines of every start that say nothing to an operator.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # Uvicorn's own loggers go through ours, so its lines are formatted and scrubbed too.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler
