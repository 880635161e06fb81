"""Word lists written as strings, and matching them against what someone said.

Keyword lists are written as one string (`word_set("yes yeah yep")`, `phrases("hold on; one
sec")`) and matched against a turn's words, in order, as consecutive words. Tokenising is the
caller's (`pricing.tokens.tokenize` for speech): this module only sees the tokens.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["has", "phrases", "plain_words", "word_set"]

_PUNCTUATION = frozenset(".,;:!?")


def word_set(text: str) -> frozenset[str]:
    """Words written as one space-separated string."""
    return frozenset(text.split())


def phrases(text: str) -> tuple[str, ...]:
    """Phrases written as one `;`-separated string."""
    return tuple(phrase.strip() for phrase in text.split(";"))


def plain_words(tokens: Iterable[str]) -> list[str]:
    """The tokens that are words: punctuation tokens dropped."""
    return [t for t in tokens if t not in _PUNCTUATION]


def has(words: list[str], *wanted: str) -> bool:
    """Whether any of the phrases `wanted` occurs in `words` as consecutive words."""
    for phrase in wanted:
        parts = phrase.split()
        size = len(parts)
        if any(words[i : i + size] == parts for i in range(len(words) - size + 1)):
            return True
    return False
