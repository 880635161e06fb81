"""The words a negotiation is read by: how people say yes, no, "let me think about it", a trip
fee, a time of day. `reading.py` uses these lists; they live apart so they can grow without
burying the reading logic."""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """A set of single words, written as one space-separated string."""
    return frozenset(text.split())


def phrases(*texts: str) -> list[tuple[str, ...]]:
    """Phrases as token tuples, matched against a turn's tokens."""
    return [tuple(text.split()) for text in texts]


def find(tokens: list[str], phrase: tuple[str, ...]) -> list[int]:
    """Where `phrase` starts in `tokens`."""
    first, size = phrase[0], len(phrase)
    if first not in tokens:  # most phrases, most turns: no Python-level scan
        return []
    if size == 1:
        return [i for i, token in enumerate(tokens) if token == first]
    # Compare the rest only where the first word matches (this runs hundreds of times a turn).
    return [
        i
        for i in range(len(tokens) - size + 1)
        if tokens[i] == first and tuple(tokens[i : i + size]) == phrase
    ]


def has(tokens: list[str], phrases: list[tuple[str, ...]]) -> bool:
    """Whether any of `phrases` is in `tokens`."""
    return any(find(tokens, phrase) for phrase in phrases)


#: Words after "no" that make it an answer, not a thing left out of the price ("no sealing").
NOT_A_THING = words(
    "way thanks thank deal sir maam i we you he she they that thats this it its can cant "
    "sorry no not nope less more lower higher sense chance dice can do good go one ones "
    "longer problem worries doubt offense idea clue"
)
#: "no problem" is a yes: these are taken out before looking for negations.
POSITIVE_IDIOMS = phrases(
    "no problem",
    "not to exceed",  # a cap: "not to exceed $1,350"
    "not a problem",
    "no worries",
    "not bad",
    "not too bad",
    "no doubt",
    "not a big job",
    "no big deal",
    "not a big deal",
    "no need to",
    "with no",
    "no extra",
    "no additional",
)
STRONG_ACCEPT = phrases(
    "works",
    "work for",
    "that's fine",
    "thats fine",
    "is fine",
    "fine by",
    "fine with",
    "sounds good",
    "sounds great",
    "sounds perfect",
    "deal",
    "let's do",
    "lets do",
    "let's go",
    "lets go",
    "go ahead",
    "we'll go",
    "we will go",
    "i'll go",
    "go with",
    "book it",
    "let's book",
    "it is",
    "i'll take",
    "we'll take",
    "agreed",
    "acceptable",
    "that'll work",
    "that would work",
    "fair enough",
    "live with",
    "you got it",
    "can do",
    "no problem",
    "not a problem",
    "throw it in",
    "we're good",
)
WEAK_ACCEPT = phrases(
    "yeah",
    "yes",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "alright",
    "all right",
    "fine",
    "right",
    "correct",
    "perfect",
    "great",
    "i guess",
    "absolutely",
    "of course",
)
NEGATORS = {
    "can't",
    "cant",
    "cannot",
    "won't",
    "wont",
    "not",
    "never",
    "couldn't",
    "couldnt",
    "wouldn't",
    "wouldnt",
    "don't",
    "dont",
    "doesn't",
    "doesnt",
    "isn't",
    "isnt",
    "no",
    "nope",
    "nah",
}
_WHOSE = ("", "the ", "their ", "our ", "my ", "your ")
NEGATIVE = [
    *[(word,) for word in NEGATORS],
    *phrases(
        "sorry",
        "too low",
        "too much",
        "too high",
        "too little",
        "too cheap",
        "too expensive",
        "unfortunately",
        "more than",
        "no way",
        "higher than",
        "steep",
        "pricey",
        *[f"{over} {whose}budget" for over in ("over", "above") for whose in _WHOSE],
    ),
]
#: After a negator, these make the number a floor or a ceiling, said in the affirmative:
#: "I can't go lower than two forty" offers two forty.
COMPARATIVES = {
    "less",
    "lower",
    "below",
    "under",
    "cheaper",
    "more",
    "above",
    "over",
    "higher",
    "least",
    "minimum",
    "exceed",
    "past",
}
#: Said right after a number, these turn it down: "two hundred's too low", "four fifty won't".
AFTER_NEGATIVE = phrases(
    "'s too",
    "is too",
    "too",
    "won't",
    "wont",
    "doesn't",
    "doesnt",
    "isn't",
    "isnt",
    "no",
    "nah",
    "is not",
    "is more than",
    "is above",
    "is over",
    "'s above",
    "'s over",
    "is beyond",
    "is a lot",
    "is out of",
    "is tight",
    "wouldn't",
    "just won't",
)
PROPOSAL_CUES = phrases(
    "could you",
    "would you",
    "can you",
    "will you",
    "how about",
    "what about",
    "budget",
    "max",
    "maximum",
    "hoping",
    "willing",
    "meet",
    "if you can",
    "if you could",
    "looking to",
    "up to",
    "stay under",
    "keep it under",
    "thinking",
    "afford",
    "closer to",
    "any chance",
)

#: Words after a number that make it a count or a measure, not money.
NOT_MONEY_AFTER = {
    *words("hour hours hr hrs minute minutes min mins second seconds gallon gallons gal"),
    *words("year years yr yrs day days week weeks month months foot feet ft inch inches"),
    *words("percent % am pm a.m. p.m. o'clock oclock guys guy people men man person workers"),
    *words("amp amps volt volts watt watts degree degrees mile miles square sq story stories"),
    *words("bedroom bedrooms bathroom bathrooms bath baths window windows panel panels units"),
    *words("times psi pound pounds lb lbs ton tons horsepower hp gauge room rooms floor floors"),
    *words("door doors post posts board boards zone zones sheet sheets outlet outlets fans"),
    *words("toilets faucets lights fixtures switches tiles limb limbs trees stumps trucks"),
    *words("trips visits x th st nd rd of minutes"),
    *words("btu btus seer cfm kw kwh kilowatt kilowatts yards liter liters quart quarts cubic"),
}
STREET = words("street st avenue ave road rd drive dr lane ln way court ct boulevard blvd place pl")
NOT_MONEY_BEFORE = words(
    "number apartment apt unit suite ste model zip room route highway exit code ext r"
)
YEAR_BEFORE = {"since", "in", "from", "year", "back", "of"}
#: Things a year is said before ("a twenty fifteen washer", "their nineteen ninety eight house").
YEAR_THINGS = words(
    "washer dryer fridge refrigerator dishwasher oven stove range microwave freezer furnace "
    "boiler heater unit model roof house home building car truck van suv vehicle sedan "
    "mower condo deck pool kitchen bathroom system"
)
#: Said before a year and the thing it dates: an article or a possessive.
YEAR_DETERMINERS = words("a an the my your their his her our its this that")
PRICE_BEFORE = words(
    "for is be do charge charges costs cost about around runs run it's its only just at "
    "price quote total maybe like"
)
TIME_BEFORE = {"at", "around", "by", "until", "till", "after", "before"}
TIME_CONTEXT = words(
    "there come coming came out over arrive swing stop get start back open home available "
    "free tomorrow today tonight morning afternoon evening monday tuesday wednesday "
    "thursday friday saturday sunday"
)
TIME_AFTER = words(
    "am pm o'clock oclock tomorrow today tonight this in on monday tuesday wednesday "
    "thursday friday saturday sunday"
)
SHORT_BEFORE = {"do", "for", "it", "say", "at", "is", "be", "to", "about", "go"}
RATE_UNITS = words(
    "hour hr foot square window panel room day yard sheet outlet visit month week year quarter "
    "treatment "
    "cleaning session service cut mow"
)
FEE_CUES = phrases(
    "trip",
    "service call",
    "service charge",
    "service fee",
    "callout",
    "call out",
    "diagnostic",
    "diagnostics",
    "diagnosis",
    "inspection",
    "assessment",
    "come out",
    "look at it",
    "take a look",
    "dispatch",
    "visit",
    "evaluation",
    "consultation",
    "fee",
    "surcharge",
    "fuel",
    # a charge named for when or how the job is done: "a $40 weekend charge on top"
    "after hours charge",
    "afterhours charge",
    "emergency charge",
    "weekend charge",
    "holiday charge",
    "overtime charge",
    "rush charge",
    "truck charge",
    "truck fee",
    "travel charge",
    "travel fee",
    "mileage",
)
#: A fee that "covers the whole thing" is the job's price.
COVERAGE = phrases(
    "and the repair",
    "and repair",
    "plus the repair",
    "including the repair",
    "covers the whole",
    "covers everything",
    "covers it",
    "whole thing",
    "all in",
    "includes everything",
    "everything included",
    "covers labor",
    "includes labor",
)
#: A fee that covers the first stretch of work ("covers the first half hour") is the job's
#: price when no other price is said with it.
COVERAGE_TIME = phrases("covers the first", "includes the first")
PART_CUES = phrases(
    "alone",
    "deposit",
    "down payment",
    "up front",
    "upfront",
    "for parts",
    "in parts",
    "for the part",
    "for the parts",
    "for materials",
    "in materials",
    "costs me",
    "cost me",
    "my cost",
)
#: No sentence ends on these: a turn that does was cut off.
DANGLING = words("is the a an and with including of for or my your their")
RANGE_LEADS = {"could", "might", "anywhere", "somewhere"}
CLAUSE_WORDS = {"but", "though", "although", "however", "so", "then", "because", "cause", "plus"}
SUBJECTS = words(
    "i i'd i'll i'm we we'd we'll we're it's its it'd it'll that's thats there's theres let's lets"
)
INTERJECTIONS = words("no nope nah sorry yeah yes yep ok okay alright well um uh hmm oh actually")
CONDITION_LEADS = phrases("if", "only if", "as long as", "unless", "assuming", "provided")
CONDITION_PHRASES = phrases(
    "plus parts",
    "plus tax",
    "with tax",
    "including tax",
    "tax included",
    "before tax",
    "plus materials",
    "plus the part",
    "plus the parts",
    "parts extra",
    "parts are extra",
    "for cash",
    "cash only",
    "pay cash",
    "paying cash",
    "in cash",
    "labor only",
    "install only",
    "no warranty",
    "without warranty",
    "without the warranty",
    "without a warranty",
    "no guarantee",
    "without a guarantee",
)
