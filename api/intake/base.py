"""Job intake: what a homeowner's request becomes before any provider is called.

Two small interfaces, each with a Grok and an offline implementation:

* `Intake` infers the kind of provider (the task), asks 3 to 5 clarifying questions, and writes
  the one-line problem statement the voice agent says on the call;
* `ProviderSearch` finds providers to call when the homeowner gives none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from shared.models import Job

#: How many clarifying questions a job gets.
MIN_QUESTIONS, MAX_QUESTIONS = 3, 5

#: Questions about what the job API already knows (address, timing, budget) are not asked.
_ALREADY_KNOWN = re.compile(
    r"\b(?:address|zip|postcode|postal code|what city|neighbou?rhood|where do you live|"
    r"where is (?:your|the) (?:home|house|property)|"
    r"what (?:time|day)|which day|date|schedule|deadline|how soon|availab\w*|"
    r"when (?:do|would|should|can|will) (?:you|this|it|the work)|"
    r"budget|afford|price|cost|costs|pay|spend|quote|rate)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Clarification:
    """What `start-job` answers: the task and the questions, and who wrote them."""

    task: str
    questions: list[str]
    source: Literal["grok", "offline"]


@dataclass(frozen=True)
class FoundProvider:
    """A provider a search found: a name and a phone number as written (not yet checked)."""

    name: str
    phone: str


class Intake(Protocol):
    """Turns a homeowner's request into a task, questions and a problem statement."""

    async def clarify(self, query: str) -> Clarification:
        """The task inferred from `query` and 3 to 5 clarifying questions."""
        ...

    async def problem_statement(
        self, query: str, task: str, answered: Sequence[tuple[str, str]]
    ) -> str:
        """One line the agent can say about the problem ("my toilet keeps running"), from the
        request and the (question, answer) pairs."""
        ...


class ProviderSearch(Protocol):
    """Finds local providers for a job."""

    async def search(self, job: Job, limit: int) -> list[FoundProvider]:
        """Up to `limit` providers for `job`; raises on failure (the route reports it)."""
        ...


def is_already_known(question: str) -> bool:
    """Whether a question asks about the location, the timing or the budget."""
    return bool(_ALREADY_KNOWN.search(question))


def numbered(questions: Sequence[str]) -> list[dict[str, str]]:
    """`[{"id": "q1", "question": …}, …]`, the original's shape."""
    return [{"id": f"q{index}", "question": text} for index, text in enumerate(questions, 1)]


def answered_pairs(
    questions: Sequence[Mapping[str, str]], answers: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(question, answer) pairs in the questions' order, then answers to ids not asked; blank
    answers are left out."""
    by_id = {question["id"]: question["question"] for question in questions}
    order = [question["id"] for question in questions] + [
        key for key in answers if key not in by_id
    ]
    pairs = []
    for key in order:
        answer = " ".join(str(answers.get(key) or "").split())
        if answer:
            pairs.append((by_id.get(key, key), answer))
    return pairs


def one_line(text: str, limit: int = 300) -> str:
    """Whitespace collapsed, trailing full stop dropped (the prompt adds its own), at most
    `limit` characters."""
    line = " ".join(text.split()).strip().rstrip(".")
    return line[:limit].rstrip()
