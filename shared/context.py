"""The homeowner's answers to the clarifying questions, kept as data: question/answer pairs.

The original stored them as one flat string ("What happens? it runs How old? ten years"), so an
answer typed without a full stop ran into the next question, and the agent read a question
aloud. Here they are pairs (`ContextAnswer`), stored as JSON; `pairs_from_text` migrates an old
string; `knowledge` turns the pairs into sentences for the agent's instructions, and
`answer_lines` into what the local agent may say back. Neither ever contains a question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, Field


class ContextAnswer(BaseModel):
    """One clarifying question and the homeowner's answer (`question` is empty for a note
    given without a question)."""

    question: str = Field(default="", max_length=500)
    answer: str = Field(max_length=2000)


#: Where a question starts in an old flat string: a capitalised question word.
_QUESTION_START = re.compile(
    r"\s+(?=(?:How|What|Which|Where|When|Who|Why|Is|Are|Do|Does|Did|Can|"
    r"Could|Has|Have|Will|Would|Should)\b)"
)


_LABEL = re.compile(r"(?:^|(?<=\s))[QA]\s*[:.)]\s+")


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def pairs_from_answers(
    questions: Sequence[Mapping[str, str]], answers: Mapping[str, str]
) -> list[ContextAnswer]:
    """The pairs of a job's questions (`[{id, question}]`) and its answers (`{id: answer}`), in
    the questions' order, then answers to ids not asked; blank answers are left out."""
    by_id = {question["id"]: question["question"] for question in questions}
    order = [question["id"] for question in questions]
    order += [key for key in answers if key not in by_id]
    pairs = []
    for key in order:
        answer = _clean(answers.get(key) or "")
        if answer:
            pairs.append(ContextAnswer(question=_clean(by_id.get(key, "")), answer=answer))
    return pairs


def pairs_from_text(text: str | None) -> list[ContextAnswer]:
    """An old flat string as pairs: each "…?" is a question and the text up to the next
    question is its answer (a question also starts at a capitalised question word, where an
    answer typed without a full stop ran into it); text before any question is a note."""
    text = _LABEL.sub(" ", _clean(text or ""))
    chunks: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", _clean(text)):
        chunks += [piece.strip() for piece in _QUESTION_START.split(sentence) if piece.strip()]
    pairs: list[ContextAnswer] = []
    for chunk in chunks:
        if chunk.endswith("?"):
            pairs.append(ContextAnswer(question=chunk, answer=""))
        elif pairs and pairs[-1].question and not pairs[-1].answer:
            pairs[-1] = ContextAnswer(question=pairs[-1].question, answer=chunk)
        elif pairs and not pairs[-1].question:
            pairs[-1] = ContextAnswer(answer=f"{pairs[-1].answer} {chunk}")
        else:
            pairs.append(ContextAnswer(answer=chunk))
    return [pair for pair in pairs if pair.answer]


def as_pairs(value: object) -> list[ContextAnswer]:
    """Pairs from what a row or a request holds: a list of pairs or of `{question, answer}`, a
    mapping of question to answer, an old flat string, or nothing."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return pairs_from_text(value)
    if isinstance(value, Mapping):
        return [
            ContextAnswer(question=_clean(q), answer=_clean(a))
            for q, a in value.items()
            if _clean(a or "")
        ]
    if isinstance(value, Iterable):
        pairs = [ContextAnswer.model_validate(item) for item in value]
        return [pair for pair in pairs if pair.answer.strip()]
    raise ValueError("context answers must be question/answer pairs")


def _sentence(text: str) -> str:
    """`text` as a sentence: capitalised, ending in a full stop, never a question."""
    text = _clean(text).rstrip("?").rstrip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!" else text + "."


def knowledge(pairs: Sequence[ContextAnswer]) -> list[str]:
    """The pairs as sentences for the agent's instructions: each answer as a statement, with
    the question it answers quoted ('Asked "How old is the toilet?", the homeowner said: Ten
    years.')."""
    lines = []
    for pair in pairs:
        answer = _sentence(pair.answer)
        if not answer:
            continue
        question = _clean(pair.question)
        lines.append(f'Asked "{question}", the homeowner said: {answer}' if question else answer)
    return lines


def answer_lines(pairs: Sequence[ContextAnswer]) -> list[tuple[str, str]]:
    """For the local agent: (what the line is about, what to say) per pair. What is said is the
    answer alone, as a sentence; the question only helps find it."""
    lines: list[tuple[str, str]] = []
    for pair in pairs:
        if pair.question:
            if _sentence(pair.answer):
                lines.append((f"{pair.question} {pair.answer}", _sentence(pair.answer)))
            continue
        # a note: each of its sentences on its own (a question in it is never said)
        for sentence in re.split(r"(?<=[.!?])\s+", _clean(pair.answer)):
            if sentence and not sentence.endswith("?"):
                lines.append((sentence, _sentence(sentence)))
    return lines
