"""The words the dialogue is read by, beyond one turn's prices: a fee that is the job, a line
not heard, a yes taken back, a question to confirm, the agent's closing. `offline.py` and
`reading.py` use these lists."""

from __future__ import annotations

from pricing.vocabulary import phrases, words

#: Fees that are never the job itself, whatever the job: getting there, paperwork, set-up.
TRAVEL_FEE_CUES = words("trip travel fuel dispatch callout permit setup set disposal mileage")
#: Said in the job's description, these make it a job nobody prices under $100 (a roof, a
#: floor): "thirty two fifty" for it is $3,250, not $32.50.
BIG_JOBS = phrases(
    "roof",
    "roofing",
    "reroof",
    "reshingle",
    "reshingled",
    "shingles",
    "siding",
    "flooring",
    "laminate",
    "hardwood",
    "remodel",
    "renovation",
    "repave",
    "paving",
)
#: The price under discussion for a big job before any price is said.
BIG_JOB_SCALE = 1000.0

#: Said in the job's description, these make the job a diagnosis or an inspection: a
#: diagnostic or inspection fee is then the job's price, not a fee on top of it.
FEE_IS_JOB = phrases(
    "diagnose",
    "diagnosed",
    "diagnosis",
    "diagnostic",
    "inspect",
    "inspected",
    "inspection",
    "troubleshoot",
    "troubleshooting",
    "assessment",
    "assess",
    "evaluate",
    "evaluation",
    "find the cause",
    "find out why",
    "find where",
    "figure out why",
    "figure out what",
    "locate",
    "detect",
    "detection",
    "camera",
    "test",
    "tested",
    "testing",
    # a visit that is itself the job: the visit's fee is its price
    "maintenance",
    "tune up",
    "tuneup",
    "checkup",
    "check up",
    "annual service",
    "servicing",
)
#: A fee let go: "I'll waive the trip charge", "no charge for the visit".
WAIVE = phrases("waive", "waived", "waiving", "no charge for", "won't charge", "wont charge")
#: Something more offered after the deal: a plan, an extra job "too".
UPSELL = phrases(
    "we also",
    "i also",
    "also do",
    "also have",
    "also offer",
    "can also",
    "could also",
    "too",
    "as well",
    "plan",
    "membership",
    "while we're",
    "while i'm",
    "want us to",
    "want me to",
    "would they like",
)
#: The provider did not hear, or left the line: nothing said is an answer.
UNHEARD = phrases(
    "what was that",
    "what did you say",
    "say that again",
    "say again",
    "say it again",
    "huh",
    "didn't hear",
    "didnt hear",
    "missed that",
    "lost you",
    "come again",
    "cut out",
    "cutting out",
    "breaking up",
    "didn't catch",
    "didnt catch",
    "you there",
    "hello",
    "pardon",
    "repeat that",
    "can't hear",
    "cant hear",
    "hang on",
    "hold on",
    "one sec",
    "one second",
    "at the door",
    "gotta go",
    "got to go",
    "gotta run",
    "gotta jump",
    "have to go",
    "another call",
    "call coming in",
)
#: Said after a yes, these take it back: what follows is the provider's answer ("wait" alone
#: is not one: "if they can wait until next week").
RETRACT = phrases(
    "actually",
    "oh wait",
    "no wait",
    "wait ,",
    "wait .",
    "wait wait",
    "wait actually",
    "wait no",
    "wait a sec",
    "wait a second",
    "wait a minute",
    "hold on",
    "on second thought",
    "scratch that",
    "never mind",
    "nevermind",
    "come to think of it",
)
#: A number put right in the same breath: "one fifteen, I mean one fifty".
CORRECT = phrases("i mean", "i meant", "make that", "or rather", "correction", "sorry no")
#: A yes withdrawn outright.
CHANGED_MIND = phrases("changed my mind", "change my mind", "take that back", "scratch that")
#: A price said with these is a question to confirm, not a yes (so is one in a sentence that
#: ends in "right" or "correct").
CONFIRM_CUES = phrases(
    "is that right",
    "is that correct",
    "that right",
    "to confirm",
    "make sure",
    "did you say",
    "is that",
    "is it",
    "are we",
    "we're agreed",
    "okay with",
    "is that okay",
    "does that work",
    "that work for you",
    "sound good",
)
#: The agent's closings after a deal, in the script's words and their usual variants.
CLOSING_AGREED = phrases(
    "reach out",
    "reach back out",
    "be in touch",
    "back in touch",
    "get it on the calendar",
    "get back to you shortly",
    "get back to you soon",
    "talk to you soon",
    "talk soon",
    "follow up",
)
