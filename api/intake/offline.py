"""Intake without a model: keyword rules for the trade, fixed questions per trade, and a
problem statement rewritten from the request (and the homeowner's own words about it).

It is the intake when no `XAI_API_KEY` is set, and what Grok's intake falls back to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from api.intake.base import Clarification, one_line

DEFAULT_TASK = "handyman"


@dataclass(frozen=True)
class Trade:
    """A kind of provider: its name, the words that point to it, and what to ask."""

    task: str
    keywords: tuple[str, ...]
    questions: tuple[str, ...]


# Specific trades come first: on a tie ("dishwasher won't drain") the earlier one wins.
# The first question of each set asks what is wrong, in the homeowner's words: its answer is
# what the problem statement is built from. No question asks about the address, the date or
# the budget: the job already has them.
# fmt: off
TRADES: tuple[Trade, ...] = (
    Trade(
        "appliance repair technician",
        (
            "washer", "washing machine", "dryer", "dishwasher", "refrigerator", "fridge",
            "freezer", "oven", "stove", "range", "microwave", "appliance", "ice maker",
        ),
        (
            "Which appliance is it, and what is it doing or not doing?",
            "What brand is it, and roughly how old is it?",
            "Does it show an error code or make an unusual noise?",
            "Is it gas or electric?",
        ),
    ),
    Trade(
        "HVAC technician",
        (
            "hvac", "ac", "a/c", "air conditioning", "air conditioner", "furnace", "heating",
            "heater", "heat pump", "thermostat", "duct", "ducts", "vent", "vents", "boiler",
            "no heat", "cooling",
        ),
        (
            "What is the system doing: not cooling, not heating, making noise, or leaking?",
            "What kind of system is it: central air, a heat pump, a furnace or a window unit?",
            "Roughly how old is the system, and what brand is it?",
            "When was it last serviced?",
            "Is the unit easy to reach, or is it in an attic or crawl space?",
        ),
    ),
    Trade(
        "roofer",
        (
            "roof", "roofing", "roofer", "shingle", "shingles", "skylight", "flashing",
            "roof leak",
        ),
        (
            "What is wrong with the roof: a leak, missing shingles, or storm damage?",
            "What is the roof made of: asphalt shingles, tile, metal or flat?",
            "Roughly how large is the damaged area?",
            "Is the house one storey or more, and how steep is the roof?",
            "Is water coming inside, and where?",
        ),
    ),
    Trade(
        "pest control",
        (
            "pest", "pests", "termite", "termites", "ant", "ants", "roach", "roaches",
            "cockroach", "cockroaches", "mice", "mouse", "rat", "rats", "rodent", "rodents",
            "bed bugs", "bedbugs", "wasp", "wasps", "exterminator",
        ),
        (
            "What pest are you seeing, and how many?",
            "Where in the home do you see them?",
            "How long has this been going on?",
            "Are there pets or children in the home we should mention?",
        ),
    ),
    Trade(
        "locksmith",
        (
            "lock", "locks", "locked out", "lockout", "key", "keys", "rekey", "re-key",
            "deadbolt", "locksmith",
        ),
        (
            "What happened: are you locked out, is a lock broken, or do you want locks "
            "changed or rekeyed?",
            "How many locks are involved, and on which doors?",
            "What kind of locks are they: a deadbolt, a knob lock, a smart lock?",
            "Do you want to keep the existing locks or replace them?",
        ),
    ),
    Trade(
        "electrician",
        (
            "outlet", "outlets", "socket", "wiring", "wire", "electrical", "electric",
            "breaker", "circuit", "fuse", "light fixture", "light switch", "switch", "panel",
            "ceiling fan", "sparks", "sparking", "flickering", "ev charger", "power",
        ),
        (
            "What exactly is the problem: no power, flickering, sparking, or something new to "
            "install?",
            "How many outlets, switches or fixtures are involved?",
            "Does a breaker keep tripping, and have you tried resetting it?",
            "Is there easy access, such as an attic, a basement or an open wall?",
            "Roughly how old is the house's wiring or electrical panel?",
        ),
    ),
    Trade(
        "plumber",
        (
            "toilet", "sink", "faucet", "tap", "drain", "drains", "clog", "clogged", "unclog",
            "pipe", "pipes", "leak", "leaking", "leaky", "water heater", "shower", "bathtub",
            "tub", "garbage disposal", "sewer", "plumbing", "water pressure", "sump pump",
        ),
        (
            "What exactly is happening: a leak, a clog, something running, or something not "
            "working?",
            "Which fixture or pipe is it, and where in the house is it?",
            "How long has this been going on, and is water damaging anything?",
            "Do you have the replacement part, or should the plumber bring it?",
            "Is the fixture easy to reach, or is it behind a wall or cabinet?",
        ),
    ),
    Trade(
        "painter",
        (
            "paint", "painting", "painter", "painters", "repaint", "primer", "wallpaper",
            "stain", "staining",
        ),
        (
            "What needs painting: which rooms, walls, ceilings or exterior surfaces?",
            "Roughly how large is the area, in square feet or number of rooms?",
            "Is it inside or outside, and what are the surfaces made of?",
            "Is there damage to repair first, such as cracks, holes or peeling paint?",
            "Have you chosen the colours, and will you supply the paint?",
        ),
    ),
    Trade(
        "house cleaner",
        (
            "clean", "cleaning", "cleaner", "cleaners", "maid", "deep clean", "tidy",
            "move-out", "move out", "dust", "dusting", "vacuum", "mop", "housekeeping",
        ),
        (
            "What kind of cleaning do you need: a regular clean, a deep clean, or a move-out "
            "clean?",
            "How many bedrooms and bathrooms does the home have?",
            "Roughly how large is the home, in square feet?",
            "Are there pets, or any areas that need special attention like the oven or "
            "windows?",
            "Will you provide cleaning supplies, or should the cleaner bring them?",
        ),
    ),
    Trade(
        "landscaper",
        (
            "lawn", "yard", "garden", "gardener", "mow", "mowing", "hedge", "hedges", "weeds",
            "landscaping", "landscaper", "tree trimming", "trees", "sprinkler", "sprinklers",
            "leaves",
        ),
        (
            "What work do you need: mowing, trimming, weeding, planting or a clean-up?",
            "Roughly how large is the yard?",
            "Is it a one-off job or something you want done regularly?",
            "Should the green waste be hauled away?",
        ),
    ),
    Trade(
        DEFAULT_TASK,
        (
            "handyman", "shelf", "shelves", "mount", "tv", "drywall", "door", "doors",
            "furniture", "assemble", "assembly", "hang", "fence", "caulk", "gutter", "gutters",
            "repair", "fix",
        ),
        (
            "What exactly needs doing? Please describe each task.",
            "What materials are involved, and will you supply them?",
            "Roughly how big is the job: how many items, or how large an area?",
            "Are any tools or ladders needed to reach the work?",
        ),
    ),
)
# fmt: on

_BY_TASK = {trade.task.lower(): trade for trade in TRADES}
_WORDS = re.compile(r"[a-z0-9/'-]+")


def _score(trade: Trade, text: str, words: set[str]) -> int:
    """Keyword hits: a phrase counts double, so "water heater" beats "heater"."""
    score = 0
    for keyword in trade.keywords:
        if " " in keyword:
            score += 2 * bool(re.search(rf"\b{re.escape(keyword)}\b", text))
        else:
            score += keyword in words
    return score


def infer_task(query: str) -> str:
    """The kind of provider a request needs, by keyword; `handyman` when nothing matches."""
    text = " ".join(query.lower().split())
    words = set(_WORDS.findall(text))
    best, best_score = DEFAULT_TASK, 0
    for trade in TRADES:
        score = _score(trade, text, words)
        if trade.task == DEFAULT_TASK:
            score = min(score, 1)  # "fix" alone says little about the trade
        if score > best_score:
            best, best_score = trade.task, score
    return best


def questions_for(task: str) -> list[str]:
    """The fixed questions of a trade (the handyman's for an unknown one)."""
    return list(_BY_TASK.get(task.strip().lower(), _BY_TASK[DEFAULT_TASK]).questions)


# -- the problem statement ------------------------------------------------------------------

_POLITE = re.compile(r"^(?:(?:hi|hello|hey|please|pls|so|um|uh)\b[,!.]?\s*)+", re.IGNORECASE)
_WANT = re.compile(
    r"^(?:i|we)\s+(?:really\s+)?(?:need|want|would like|'d like|am looking for|'m looking for)"
    r"\s+(?:(?:a|an|some|someone|somebody|help|a\s+\w+|an\s+\w+)\s+)?to\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_ASK = re.compile(
    r"^(?:can|could|would)\s+(?:you|someone|somebody)\s+(?:please\s+)?(?P<rest>.+?)\??$",
    re.IGNORECASE,
)
_HELP = re.compile(r"^help\s+(?:me\s+)?(?:to\s+)?(?P<rest>.+)$", re.IGNORECASE)
_IMPERATIVE = re.compile(
    r"^(?P<verb>fix|repair|unclog|clean|paint|repaint|replace|mow|service|rekey|re-key|"
    r"inspect|patch|trim|spray|treat)\s+(?P<object>(?:my|our|the)\s+.+)$",
    re.IGNORECASE,
)
_GERUND = {"re-key": "rekeying", "rekey": "rekeying", "unclog": "unclogging", "trim": "trimming"}
#: Verbs a request may start with: "install a ceiling fan" → "I need someone to install …".
_ACTION_WORDS = (
    "add assemble build change check clean cut deep do fix get hang haul install inspect "
    "move mount mow paint patch power pressure put rekey remove repaint repair replace "
    "seal service set spray take treat trim tune unclog upgrade wash"
)
_ACTIONS = frozenset(_ACTION_WORDS.split())
_PRONOUN = re.compile(r"^(?:it|they)(?P<verb>'s|'re| is| are| keeps| keep|\s)", re.IGNORECASE)


def _gerund(verb: str) -> str:
    verb = verb.lower()
    if verb in _GERUND:
        return _GERUND[verb]
    return (verb[:-1] if verb.endswith("e") else verb) + "ing"


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the first word looks like a name or acronym."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (first.isupper() or first[1:].lower() != first[1:]):
        return text
    if first == "I" or first.startswith("I'"):
        return text
    return text[:1].lower() + text[1:]


def _object_of(query: str) -> tuple[str | None, str]:
    """The request as a statement, and the thing it is about ("my toilet"), if it says."""
    text = _POLITE.sub("", one_line(query)).strip(" ,!?")
    for pattern in (_WANT, _ASK, _HELP):
        match = pattern.match(text)
        if match:
            text = match.group("rest").strip(" ,!?")
            break
    match = _IMPERATIVE.match(text)
    if match:
        thing = _lower_first(match.group("object"))
        return thing, f"{thing} needs {_gerund(match.group('verb'))}"
    first = text.split(" ", 1)[0].lower()
    if re.match(r"^(?:my|our|the|there|i|we|it)\b", text, re.IGNORECASE):
        return None, _lower_first(text)
    if first in _ACTIONS:
        return None, f"I need someone to {_lower_first(text)}"
    if first in {"need", "want", "looking"}:
        return None, f"I {_lower_first(text)}"
    if first in {"locked", "stuck", "having"}:
        return None, f"I'm {_lower_first(text)}"
    return None, f"I need help with {_lower_first(text)}"


def problem_statement(query: str, answered: Sequence[tuple[str, str]] = ()) -> str:
    """One line the agent can say about the problem.

    "fix my toilet" → "my toilet needs fixing"; with the answer "it keeps running" to the first
    question (what is happening), "my toilet keeps running".
    """
    thing, statement = _object_of(query)
    if thing and answered:
        detail = one_line(answered[0][1], 200)
        match = _PRONOUN.match(detail)
        if match:
            verb = match.group("verb").strip().lower()
            verb = {"'s": "is", "'re": "are"}.get(verb, verb)
            rest = detail[match.end() :].strip()
            if rest:
                statement = f"{thing} {verb} {rest}".replace("  ", " ")
    return one_line(statement)


class OfflineIntake:
    """The intake without a model."""

    async def clarify(self, query: str) -> Clarification:
        """The task by keyword and that trade's questions."""
        task = infer_task(query)
        return Clarification(task=task, questions=questions_for(task), source="offline")

    async def problem_statement(
        self, query: str, task: str, answered: Sequence[tuple[str, str]]
    ) -> str:
        """The request rewritten as a statement (see `problem_statement`)."""
        return problem_statement(query, answered)
