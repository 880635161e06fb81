"""Whether the last word of a call is a word cut off by the hang-up.

Speech-to-text writes what it heard of a word the line cut ("yeah i think one sev", "sure that
wor", "yeah that's ri"): a stretch of letters that is no English word but the start of one. A
yes that leads into such a fragment is no yes, whatever the fragment's length, unless it was
a whole answer before the cut ("sure that wor": see `questions.py`). Finished words
("yep", "sure", "gotcha", "bud") are in the English dictionary of `pyspellchecker`, a
frequency list of about 160,000 words, loaded once, the first time a call ends on a word the
reader's own vocabulary does not know. A fragment said inside a price and then said whole at
once ("one twenty fi five") is a restart: the word after it is the word meant.
"""

from __future__ import annotations

import re
from functools import cache

from spellchecker import SpellChecker

from pricing import vocabulary as v
from pricing.tokens import NUMBER_WORDS

#: Words a cut fragment may be the start of: the number words, and the English words at least
#: this frequent in the dictionary's counts (about the 6,000 most common).
_COMMON = 8000
#: A dictionary word rarer than this (a share of all words counted: "th", "tues") is heard as
#: the start of a longer one.
_RARE = 1e-7
#: Clipped words said as words ("no prob", "see you fri"): finished, though no dictionary has them.
_CLIPPED = frozenset(
    [
        "prob",
        "probs",
        "sched",
        "fri",
        "thur",
        "thurs",
        "tues",
        "weds",
        "sat",
        "mornin",
        "evenin",
        "nothin",
        "somethin",
        "ima",
        "appt",
        "info",
        "approx",
        "est",
        "min",
        "mins",
        "sec",
        "secs",
    ]
)
_LETTERS = re.compile(r"^[a-z][a-z']*$")


def is_fragment(word: str) -> bool:
    """Whether `word` (lower case) is a word cut short: two letters or more, not a word of its
    own, and the start of a number word or of a common English word ("sev", "wor", "ri")."""
    if len(word) < 2 or not _LETTERS.match(word) or word in _known_here():
        return False
    if _dictionary().word_usage_frequency(word) >= _RARE:
        return False
    return any(number.startswith(word) for number in NUMBER_WORDS) or word in _common_prefixes()


def cuts_number(tokens: list[str]) -> bool:
    """Whether the last word is a number word cut off ("yeah one seventy fi": one seventy-five,
    or more; "i can do two tw"): the price being said is unknown."""
    word = tokens[-1] if tokens else ""
    return is_fragment(word) and any(number.startswith(word) for number in NUMBER_WORDS)


def without_restarts(tokens: list[str]) -> list[str]:
    """`tokens` without the words cut off and said again at once: a fragment right before the
    number word it starts ("one twenty fi five": one twenty-five; "two thir thirty")."""
    following = [*tokens[1:], ""]
    return [token for i, token in enumerate(tokens) if not _restarted(token, following[i])]


def _restarted(token: str, following: str) -> bool:
    """Whether `token` is the start of the number word `following`, cut off and said again."""
    return (
        following in NUMBER_WORDS
        and following != token
        and following.startswith(token)
        and is_fragment(token)
    )


@cache
def _known_here() -> frozenset[str]:
    """The words of the reader's own phrase lists and the number words: finished words."""
    said: set[str] = set(NUMBER_WORDS) | _CLIPPED
    for name in dir(v):
        value = getattr(v, name)
        if isinstance(value, frozenset | set):
            said |= {w for w in value if isinstance(w, str)}
        elif isinstance(value, list):
            said |= {w for phrase in value if isinstance(phrase, tuple) for w in phrase}
    return frozenset(said)


@cache
def _dictionary() -> SpellChecker:
    return SpellChecker()


@cache
def _common_prefixes() -> frozenset[str]:
    """Every proper start, two letters or more, of a common English word."""
    counts = _dictionary().word_frequency.dictionary
    return frozenset(
        word[:end]
        for word, count in counts.items()
        if count >= _COMMON
        for end in range(2, len(word))
    )
