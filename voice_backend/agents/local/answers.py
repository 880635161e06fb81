"""The local agent's answers to the provider's questions about the job, from what the
homeowner wrote: the problem, the address or zip code, the context's question-and-answer lines.

Functions of the provider's record only: they keep no state of the call.
"""

from __future__ import annotations

from shared.context import answer_lines
from shared.models import Provider
from shared.money import spoken_number
from shared.words import has
from voice_backend.agents.local.hearing import content_words
from voice_backend.agents.local.phrases import ADDRESS_WORDS, BUDGET, PROBLEM_WORDS, SCHEDULE

__all__ = ["answer_text", "from_context", "problem_sentence"]

#: What the agent says to a question neither the job nor the homeowner's answers cover.
_NOT_KNOWN = "I'd have to check on that with the homeowner."


def problem_sentence(problem: str | None) -> str:
    """The job's problem as the agent states it: "my toilet runs" → "The toilet runs."."""
    text = (problem or "").strip().rstrip(".!")
    if not text:
        return "It's a job around the house."
    # Said for the homeowner: "my toilet keeps running" → "The toilet keeps running."
    if text.lower().startswith("my "):
        text = "the " + text[3:]
    return text[0].upper() + text[1:] + "."


def answer_text(provider: Provider, words: list[str]) -> str:
    """The answer to the question in `words` (the provider's words, lowercase)."""
    asked = set(words)
    if asked & ADDRESS_WORDS or (
        asked & {"where", "where's"} and not from_context(provider, words)
    ):
        if provider.house_address:
            return f"It's at {provider.house_address}."
        if provider.zip_code:
            digits = " ".join(spoken_number(int(d)) for d in provider.zip_code if d.isdigit())
            return f"It's in zip code {digits}."
        return _NOT_KNOWN
    if has(words, *BUDGET):
        return "We don't have a set budget. We're just looking for a fair price."
    if has(words, *SCHEDULE):
        return "We're flexible on timing, any day this week."
    if asked & PROBLEM_WORDS or has(words, "going on", "what do you need"):
        return problem_sentence(provider.problem)
    return from_context(provider, words) or _NOT_KNOWN


def from_context(provider: Provider, words: list[str]) -> str | None:
    """The sentence of the job's context (or its problem) that best answers the question."""
    asked = content_words(" ".join(words))
    # (what is matched, what is said): the answer alone is said, never its question
    candidates = answer_lines(provider.context_pairs)
    # The problem answers a question about the thing itself ("is it running all the time"),
    # not one that only names it ("how old is the toilet").
    problem = problem_sentence(provider.problem)
    candidates.append((problem, problem))
    best, score = None, 0
    named = content_words(provider.problem or "")
    for matched, said in candidates:
        overlap = len(asked & content_words(matched))
        if said is problem and not (asked & content_words(matched)) - named:
            continue
        if overlap > score:
            best, score = said, overlap
    if best is None:
        return None
    shortened = " ".join(best.split()[:25])
    return shortened if shortened[-1] in ".!?" else shortened + "."
