"""The conditions said with a price, as short clauses in the speaker's words: "if they'll take
an aftermarket motor", "cash", "on a weekday", "throw in a new check valve", "diagnostic
waived". `reading.py` finds them in each turn; `offline.py` keeps the provider's for the deal.
"""

from __future__ import annotations

from pricing import vocabulary as v

#: The longest condition kept, in words: past it, a clause is talk, not a term.
MAX_WORDS = 7
#: Words a condition stops before: the clause has moved on ("if i come this afternoon is the
#: best" is "if i come this afternoon").
_STOP = v.words("is was would will then and but so that that's thats it's its which")
#: When the work is done, said of a price ("$175 on a weekday", "for a weekday I can do $300").
_DANGLING = v.words("with on for the a an to of at by and or")
_WHEN = v.words(
    "weekday weekdays weekend weekends monday tuesday wednesday thursday friday saturday "
    "sunday morning afternoon evening tomorrow today tonight week"
)
_WHEN_LEADS = v.words("on a for by this next in the")
#: What is thrown in with the price.
_EXTRAS = v.phrases("throw in", "throwing in", "thrown in", "include", "including", "with a new")
#: A price credited to a later one: "that goes toward the repair", "applied to the install".
_CREDITS = v.phrases(
    "goes toward",
    "goes towards",
    "go toward",
    "go towards",
    "counts toward",
    "counts towards",
    "applied to",
    "applies to",
    "credited to",
    "credited toward",
    "credit toward",
)
_WAIVED = v.words("waive waived waiving")
_FEE_NOUNS = v.words("fee charge")
_FEE_KINDS = v.words(
    "trip travel diagnostic dispatch fuel service permit setup callout visit emergency weekend "
    "holiday disposal rush overtime truck mileage"
)


def _span(tokens: list[str], start: int, skip: int, stops: set[int]) -> tuple[list[str], int]:
    """The words from `start`, `skip` of them taken as they are, up to a stop; and the index
    of the stop."""
    end = start + skip
    while (
        end < len(tokens)
        and end - start < MAX_WORDS
        and tokens[end] not in ".,;:!?"
        and end not in stops
        and not (tokens[end] in v.SUBJECTS and end > start + skip)
        and tokens[end] not in v.CLAUSE_WORDS
        and not (tokens[end] in v.INTERJECTIONS and end > start + skip + 1)
        # "if the flange is cracked" goes on; "if i come this afternoon is the best" stops
        and not (tokens[end] in _STOP and end > start + skip + 3)
    ):
        end += 1
    stop = end
    while end > start + skip and tokens[end - 1] in _DANGLING:
        end -= 1  # "if we can fit it in with" was cut short: "if we can fit it in"
    return tokens[start:end], stop


def _when(tokens: list[str]) -> list[str]:
    """When the work is done: "on a weekday", "by friday", "this afternoon"."""
    found = []
    for i, token in enumerate(tokens):
        if token not in _WHEN:
            continue
        start = i
        while start > 0 and i - start < 2 and tokens[start - 1] in _WHEN_LEADS:
            start -= 1
        if start < i:
            found.append(" ".join(tokens[start : i + 1]))
    return found


def _waived(tokens: list[str]) -> list[str]:
    """A fee waived, named as it was: "the diagnostic is waived", "I'll waive the trip fee",
    "a $30 travel fee, but I'll waive it"."""
    found = []
    for i, token in enumerate(tokens):
        if token not in _WAIVED:
            continue
        after = tokens[i + 1 : i + 4]
        if after[:1] == ["the"]:
            after = after[1:]
        if after and after[0] in _FEE_NOUNS | _FEE_KINDS:
            noun = after[:2] if after[1:2] and after[1] in _FEE_NOUNS else after[:1]
        else:  # "the diagnostic is waived", "waive it": the fee named last before
            named = [k for k in range(i) if tokens[k] in _FEE_NOUNS | _FEE_KINDS]
            if not named:
                found.append("fee waived")  # named in an earlier turn
                continue
            last = named[-1]
            first = last - 1 if last > 0 and tokens[last - 1] in _FEE_KINDS else last
            noun = tokens[first : last + 1]
        found.append(" ".join([*noun, "waived"]))
    return found


def conditions_in(tokens: list[str], mention_spans: list[tuple[int, int]]) -> list[str]:
    """The conditions said in a turn's `tokens` (`mention_spans`: where its prices are)."""
    found: list[str] = []
    in_mention = {i for start, end in mention_spans for i in range(start, end)}
    for phrase in v.CONDITION_LEADS:
        for start in v.find(tokens, phrase):
            if start > 0 and tuple(tokens[start - 1 : start + 1]) == ("only", "if"):
                continue  # said with "only": the "only if" lead has it
            words, stop = _span(tokens, start, len(phrase), in_mention)
            # "if you can do it for two hundred" is the proposal itself, not a condition on it
            if len(words) > len(phrase) and stop not in in_mention:
                found.append(" ".join(words))
    for phrase in _EXTRAS:
        for start in v.find(tokens, phrase):
            words, _ = _span(tokens, start, len(phrase), in_mention)
            if len(words) > len(phrase) + (phrase[-1] == "new"):
                found.append(" ".join(words))
    # "that goes toward the repair if you go with us": the credit, and its "if" on its own
    leads = {i for i, token in enumerate(tokens) if token in ("if", "unless")}
    for phrase in _CREDITS:
        for start in v.find(tokens, phrase):
            words, _ = _span(tokens, start, len(phrase), in_mention | leads)
            if len(words) > len(phrase):
                found.append(" ".join(words))
    for phrase in v.CONDITION_PHRASES:
        if v.find(tokens, phrase):
            found.append(" ".join(phrase))
    # "one forty five cash": cash said right after a price
    if any(end < len(tokens) and tokens[end] == "cash" for _, end in mention_spans):
        found.append("cash")
    found += _when(tokens) + _waived(tokens)
    return tidy(found)


def tidy(found: list[str]) -> list[str]:
    """Each condition once: one said inside another is dropped, and so is one heard again
    with a word misheard ("if i come this afternoon; if i come later afternoon": the first)."""
    found = list(dict.fromkeys(f.strip() for f in found if f.strip()))
    found = [f for f in found if not any(f != g and f" {f} " in f" {g} " for g in found)]
    kept: list[str] = []
    for condition in found:
        if not any(_one_word_apart(condition, earlier) for earlier in kept):
            kept.append(condition)
    return kept


def _one_word_apart(one: str, other: str) -> bool:
    """Two clauses of four words or more that differ in a single word, in the same place."""
    a, b = one.split(), other.split()
    return len(a) == len(b) >= 4 and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def fee_name(tokens: list[str], start: int, end: int) -> str | None:
    """What a fee said at `tokens[start:end]` is for, as said ("trip charge", "permit")."""
    window = range(max(0, start - 5), min(len(tokens), end + 4))
    named = [k for k in window if tokens[k] in _FEE_KINDS | {"permit", "surcharge"}]
    named += [k for k in window if k > 0 and tokens[k - 1 : k + 1] == ["after", "hours"]]
    if not named:
        return None
    k = min(named, key=lambda index: abs(index - start))
    first = k - 1 if tokens[k] == "hours" else k  # "after hours"
    follows = k + 1 < len(tokens) and tokens[k + 1] in _FEE_NOUNS
    return " ".join(tokens[first : k + 2 if follows else k + 1])


def repeated(conditions: list[str], tokens: list[str]) -> list[str]:
    """The conditions whose words a later turn repeats ("a weekday is fine", "booked by
    Friday, no travel fee")."""
    said = {t for t in tokens if t.isalpha() and len(t) > 3}
    return [c for c in conditions if {w for w in c.split() if len(w) > 3} & said]


#: Work done besides the job, said as a price on top of it ("thirty five to haul the old one").
_SERVICES = v.words(
    "haul hauling haulaway disposal dispose disposing removal remove removing pickup delivery "
    "deliver cleanup"
)
#: Words before the verb of a service said "to <verb>": these say the price is for a thing.
_NOT_VERBS = v.words("the a an it its this that them their your my our")


def service_on_top(tokens: list[str], start: int, end: int) -> str | None:
    """The extra service a price said on top of the job is for, in the provider's words
    ("plus thirty five to haul the old one": "thirty five to haul the old one"; "forty for
    disposal"), or None when it is a thing the job needs ("forty for the roof cap")."""
    after = tokens[end : end + 3]
    infinitive = after[:1] == ["to"] and len(after) > 1 and after[1] not in _NOT_VERBS
    if not (infinitive or _SERVICES & set(after)):
        return None
    stop = end
    while stop < len(tokens) and stop - end < MAX_WORDS and tokens[stop] not in ".,;:!?":
        stop += 1
    return " ".join(tokens[start:stop])
