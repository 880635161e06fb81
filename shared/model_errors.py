"""Why a chat model gave no usable answer, in one line: for the logs, the stored fallback
reason, and the person waiting on intake.

Written without importing grpc, so that code which only reports a failure does not load the
gRPC stack when no xAI key is set.
"""

from __future__ import annotations

from pydantic import ValidationError


def describe_failure(error: BaseException, timeout: float) -> str:
    """One line saying why a model gave no usable answer (a gRPC error is told by its code)."""
    code, details = getattr(error, "code", None), getattr(error, "details", None)
    if callable(code) and callable(details):  # grpc.aio.AioRpcError, without importing grpc
        name = getattr(code(), "name", str(code()))
        if name == "DEADLINE_EXCEEDED":
            text = f"grok timed out after {timeout:g}s"
        else:
            text = f"grok error {name}: {details() or 'no details'}"
    elif isinstance(error, ValidationError):
        first = error.errors()[0]
        text = f"grok reply malformed: {first.get('msg', 'does not match the schema')}"
    elif isinstance(error, TimeoutError):
        text = f"grok timed out after {timeout:g}s"
    else:
        text = f"grok failed: {type(error).__name__}: {error}"
    return " ".join(text.split())[:300]
