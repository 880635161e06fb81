"""Intake by a Grok chat model, with the offline rules as the fallback.

The model names the trade and writes the questions (one request at `start-job`), then writes
the problem statement from the homeowner's answers (one request at `complete-job`). Its reply is
checked: questions about the address, timing or budget are dropped, the count is brought to
3 to 5 with the trade's fixed questions, and a statement that is not one short line is
replaced by the offline one. Any failure falls back to the offline intake and is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import BaseModel, Field
from xai_sdk.chat import system, user

from api.intake.base import (
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    Clarification,
    is_already_known,
    one_line,
)
from api.intake.offline import OfflineIntake, infer_task, questions_for
from shared.model_errors import describe_failure
from shared.xai import XaiChat

logger = logging.getLogger(__name__)

CLARIFY_PROMPT = """\
You help a homeowner hire a local home-service provider by phone. From their request:
- task: the kind of provider they need, as one word or a short phrase, lower case except \
acronyms: for example plumber, electrician, house cleaner, painter, handyman, HVAC technician, \
locksmith, roofer, landscaper, pest control, appliance repair technician.
- questions: 3 to 5 short clarifying questions, each one sentence, whose answers a provider \
needs to quote a price over the phone (what exactly is wrong, size or quantity, materials, \
access, age of the equipment). The first question asks what exactly is happening, in the \
homeowner's own words.
Never ask about the address or location, the date or timing, or the budget or price: those are \
already known. No numbering. Respond with ONLY the JSON object.
"""

STATEMENT_PROMPT = """\
Write the one line a caller says to a home-service provider to explain the problem, speaking \
for the homeowner in the first person: for example "my toilet keeps running" or "the outlet in \
my kitchen stopped working and the breaker keeps tripping". Use the request and the answers. \
Plain spoken words, at most 30 words, lower case first letter unless it starts with I or a \
name, no greeting, no address, no date, no budget or price, no final full stop. Respond with \
ONLY the JSON object.
"""


class TaskAndQuestions(BaseModel):
    """The reply asked for at `start-job`."""

    task: str = Field(description="The kind of provider needed, e.g. plumber.", max_length=80)
    questions: list[str] = Field(description="3 to 5 clarifying questions.", max_length=10)


class Statement(BaseModel):
    """The reply asked for at `complete-job`."""

    statement: str = Field(description="The one-line problem statement.", max_length=400)


def _task(raw: str, query: str) -> str:
    text = one_line(raw.strip().strip("\"'"), 60)
    if not text or len(text.split()) > 5:
        return infer_task(query)
    return text if any(ch.isupper() for ch in text[1:]) else text.lower()


def _questions(raw: list[str], task: str) -> list[str]:
    """The model's questions, screened, topped up from the trade's set, at most 5."""
    chosen: list[str] = []
    for question in raw:
        text = " ".join(str(question).split())
        if 8 <= len(text) <= 300 and not is_already_known(text) and text not in chosen:
            chosen.append(text if text.endswith("?") else text.rstrip(".") + "?")
    for fallback in questions_for(task):
        if len(chosen) >= MIN_QUESTIONS:
            break
        if fallback not in chosen:
            chosen.append(fallback)
    return chosen[:MAX_QUESTIONS]


def _statement(raw: str) -> str | None:
    text = raw.strip().strip("\"'")
    if "\n" in text.strip() or not 3 <= len(text) <= 300:
        return None
    return one_line(text)


class GrokIntake:
    """Asks Grok, falls back to `OfflineIntake` on any failure."""

    def __init__(self, chat: XaiChat, fallback: OfflineIntake | None = None) -> None:
        self._chat = chat
        self._fallback = fallback or OfflineIntake()

    async def clarify(self, query: str) -> Clarification:
        """The task and questions, by Grok."""
        try:
            reply = await self._chat.ask(
                TaskAndQuestions, [system(CLARIFY_PROMPT), user(f"Request: {query}")]
            )
        except Exception as error:  # the offline rules still give a usable intake
            logger.warning(
                "intake fell back offline: %s", describe_failure(error, self._chat.timeout)
            )
            return await self._fallback.clarify(query)
        task = _task(reply.task, query)
        return Clarification(task=task, questions=_questions(reply.questions, task), source="grok")

    async def problem_statement(
        self, query: str, task: str, answered: Sequence[tuple[str, str]]
    ) -> str:
        """The line the agent says, by Grok."""
        lines = [f"Request: {query}", f"Provider: {task}"]
        lines += [f"Q: {question}\nA: {answer}" for question, answer in answered]
        try:
            reply = await self._chat.ask(
                Statement, [system(STATEMENT_PROMPT), user("\n".join(lines))]
            )
            statement = _statement(reply.statement)
            if statement is None:
                raise ValueError(f"not one short line: {reply.statement[:80]!r}")
        except Exception as error:
            logger.warning(
                "problem statement fell back offline: %s",
                describe_failure(error, self._chat.timeout),
            )
            return await self._fallback.problem_statement(query, task, answered)
        return statement
