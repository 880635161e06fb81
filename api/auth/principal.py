"""The caller of a request, once authenticated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.models import Job

#: How the caller proved who they are.
Via = Literal["operator", "key", "session", "local"]


@dataclass(frozen=True)
class Principal:
    """An account acting through one credential.

    The operator (`HAGGLE_API_KEY`) and the local developer opt-in act for the deployment:
    they see every job, manage users, and the jobs they create belong to no user account.
    """

    via: Via
    account_id: str | None  # the user's id; None for the operator
    username: str
    credential_id: str  # what the rate limit counts: a key id, a session id, "operator"

    @property
    def is_operator(self) -> bool:
        """Whether this caller acts for the whole deployment."""
        return self.via in ("operator", "local")

    @property
    def scope(self) -> str | None:
        """The account whose jobs this caller sees; `None`: all of them."""
        return None if self.is_operator else self.account_id

    def owns(self, job: Job) -> bool:
        """Whether the job is this caller's to see and change."""
        return self.is_operator or (
            job.account_id is not None and job.account_id == self.account_id
        )

    @property
    def stream_account(self) -> str:
        """The key live-stream limits are counted under."""
        return self.account_id or "operator"
