"""What a job is about, in the words a tradesperson asks with: "how old is the sink?".

A simulated provider hears the job's problem from the homeowner's words ("the kitchen sink is
clogged") and names the thing in its questions; without one it says "it".
"""

from __future__ import annotations

import re

__all__ = ["the_thing"]

# Longer names first: "water heater" before "heater", "kitchen sink" before "sink".
_THINGS = (
    "garbage disposal", "water heater", "kitchen sink", "bathroom sink", "air conditioner",
    "heat pump", "light switch", "ceiling fan", "front door", "back door", "washing machine",
    "sewer line", "ac unit", "toilet", "sink", "faucet", "drain", "shower", "tub", "bathtub",
    "pipe", "outlet", "breaker", "panel", "switch", "furnace", "heater", "thermostat", "boiler",
    "roof", "gutter", "gutters", "chimney", "skylight", "lock", "door", "deadbolt", "window",
    "dishwasher", "washer", "dryer", "fridge", "refrigerator", "freezer", "oven", "stove",
    "microwave", "fence", "lawn", "yard", "hedge", "tree", "deck", "wall", "walls", "ceiling",
    "room", "kitchen", "bathroom", "house", "garage",
)  # fmt: skip
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(t) for t in _THINGS) + r")\b")


def the_thing(job: str | None) -> str:
    """`the sink` for "my kitchen sink is clogged"; `it` when no known thing is named."""
    found = _PATTERN.search((job or "").lower())
    return f"the {found.group(1)}" if found else "it"
