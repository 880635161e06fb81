"""Whether a price is said as a question to confirm rather than as a yes: asked back ("so
$140, right?", "so five fifty is that the final price", "$85, plus parts. Is that right?"), or
said in a sentence the speaker never finished ("so that's $130 including the paint, is"); and
whether a plain yes leads into a sentence never finished ("uh yeah i think we c"). `reading.py`
marks each price and each yes."""

from __future__ import annotations

from pricing import cues, decisions
from pricing import vocabulary as v
from pricing.fragments import is_fragment


def sentence_start(tokens: list[str], index: int) -> str:
    """The first word of the sentence `tokens[index]` is in."""
    start = index
    while start > 0 and tokens[start - 1] not in ".!?":
        start -= 1
    return tokens[start] if start < len(tokens) else ""


def is_cut_off(text: str, final: bool = False) -> bool:
    """Whether a turn stops mid-sentence: on a dash or an ellipsis, or on a word no sentence
    ends on ("so that's $130 including the paint, is"); the provider's last turn (`final`), also
    on a word the hang-up cut ("yeah i think one sev", "sure that wor")."""
    stripped = text.rstrip()
    if stripped.endswith(("\u2014", "\u2013", "-", "...", "\u2026")):
        return True
    words = stripped.lower().split()
    last = words[-1] if words else ""
    # "three fifty it is" ends a sentence; "...including the paint, is" does not
    if last == "is" and len(words) > 1 and words[-2] in ("it", "that", "this", "there", "here"):
        return False
    # "uh yeah i think we c": a word broken off after its first letter
    broken = len(last) == 1 and last.isalpha() and last not in ("a", "i")
    return last in v.DANGLING or broken or (final and is_fragment(last))


def asked_back(tokens: list[str], start: int, end: int, cut_off: bool) -> bool:
    """Whether the price at `tokens[start:end]` is asked back to be confirmed, or said in the
    last sentence of a turn that was cut off (`cut_off`)."""
    first = start
    while first > 0 and tokens[first - 1] not in ".!?":
        first -= 1
    stop = end
    while stop < len(tokens) and tokens[stop] not in ".!?":
        stop += 1
    if stop < len(tokens) and tokens[stop] == "?":
        return True
    if stop >= len(tokens) and cut_off:
        return True
    if stop - 1 >= end and tokens[stop - 1] in ("right", "correct"):
        return True
    if v.has(tokens[first:stop], cues.CONFIRM_CUES):
        return True
    return _confirm_follows(tokens, stop + 1)


def _confirm_follows(tokens: list[str], start: int) -> bool:
    """Whether the sentence from `start` is a short question that asks the price before it
    back ("...eighty five dollars, plus parts. Is that right?", "$300. Correct?")."""
    stop = start
    while stop < len(tokens) and tokens[stop] not in ".!?":
        stop += 1
    words = [t for t in tokens[start:stop] if t not in ",;:"]
    if stop >= len(tokens) or tokens[stop] != "?" or not words or len(words) > 6:
        return False
    return v.has(words, cues.CONFIRM_CUES) or words[-1] in _CONFIRM_WORDS


#: A short question ending on one of these asks back what was said before it.
_CONFIRM_WORDS = v.words("right correct okay ok deal agreed good")


def yes_cut_short(tokens: list[str], cut_off: bool) -> bool:
    """Whether a plain yes ("yeah", "okay") leads into a sentence the speaker never finished
    ("uh yeah i think we c"): what the yes was going to say is unknown."""
    found = [i + len(phrase) for phrase in v.WEAK_ACCEPT for i in v.find(tokens, phrase)]
    if not cut_off or not found:
        return False
    rest = tokens[max(found) :]
    said = [t for t in rest if t not in ".,;:!?"]
    if _answered_first(tokens):
        return False  # "sure, that wor": the yes was whole before the line cut what followed
    # "great, what's the addr—": the yes was given, and the talk moved on
    moved_on = bool(said) and said[0].split("'")[0] in _ASKING
    return len(said) >= 2 and not moved_on and not any(t in ".!?" for t in rest)


#: A sentence starting with these after a yes asks about what comes next.
_ASKING = v.words("what when where which who how")


#: A yes that is a whole answer to "could you do $150?" on its own; "yeah", "right" often only
#: lead into what the speaker goes on to say ("yeah i think we c").
_WHOLE_YES = v.phrases(
    "sure", "yes", "okay", "ok", "deal", "sounds good", "absolutely", "of course"
)
#: Words that put off or soften what follows the yes: the sentence cut off was no yes.
_SOFTENERS = v.phrases("i think", "think", "i guess", "guess", "but", "let me", "probably")
_OPENERS = v.words("uh um oh well hmm , .")


def _answered_first(tokens: list[str]) -> bool:
    """Whether the turn opens with a whole yes ("sure", "okay", "sounds good", after an "uh")
    and goes on with nothing that hedges or puts it off ("sure that wor", not "okay i think
    we c" or "okay let me ch")."""
    start = 0
    while start < len(tokens) and tokens[start] in _OPENERS:
        start += 1
    opening = next((p for p in _WHOLE_YES if tuple(tokens[start : start + len(p)]) == p), None)
    if opening is None:
        return False
    rest = tokens[start + len(opening) :]
    hedged = [*_SOFTENERS, *decisions.HEDGES, *decisions.DEFER]
    return not v.has(rest, hedged)
