"""The words a speaker answers with when the answer is not yet a price: hedging ("no
promises"), putting the decision off ("let me check with my boss", "pending their okay"),
passing the news on, or turning the job down. `reading.py` marks each turn by them."""

from __future__ import annotations

from pricing.vocabulary import phrases

HEDGES = phrases(
    "hmm",
    "might",
    "maybe",
    "possibly",
    "no promises",
    "not sure",
    "have to see",
    "we'll see",
    "depends",
)
#: Thinking aloud over a price: no yes by itself ("let me think, three fifty").
MUSING = phrases("let me think", "lemme think", "let me see")
DELIBERATE = phrases(
    "think about it",
    "think it over",
    # "talk to the homeowner", not "talk to you soon"
    "talk to the",
    "talk to them",
    "talk to my",
    "talk to her",
    "talk to him",
    "talk with the",
    "talk with them",
    "talk it over",
    "check with",
    "confirm with",
    "run it by",
    "go over it with",
    "go over that with",
    "discuss",
    "let me check",
    "let me see",
    "if they want to",
    "if they decide",
    "see what they",
    "let them decide",
    "wait for your call",
    "wait to hear",
    "hear back",
    "hear from you",
)
#: Passing the news on: before a deal it puts the decision off; after one, it only reports it
#: ("Deal, $440. I'll pass it along and we'll be in touch").
RELAY = phrases(
    "pass that along",
    "pass it along",
    "pass that on",
    "pass it on",
    "share that with",
    "share it with",
)
#: A yes that waits on someone else's: "$450 pending their okay", "once your boss signs off".
PENDING = phrases(
    "pending",
    "once they confirm",
    "once you confirm",
    "once you check",
    "once your",
    "once you hear",
    "when you hear back",
    "if your boss",
    "if your supervisor",
    "if your manager",
)
#: A call-back or a word to the homeowner promised: after the agent says a price back in the
#: same turn ("Okay, $160. I'll get back to you to schedule."), it is no putting off; alone
#: ("Okay, I'll let them know."), it is.
CALL_BACK = phrases(
    "call you back",
    "get back to you",
    "let you know",
    "get back with you",
    "let them know",
    "let the homeowner know",
)
DEFER = [*DELIBERATE, *RELAY, *PENDING, *CALL_BACK]
DECLINE = phrases(
    "we don't do",
    "we dont do",
    "we do not do",
    "we don't go",
    "we dont go",
    "we don't service",
    "we dont service",
    "booked solid",
    "fully booked",
    "booked up",
    "can't help",
    "cant help",
    "have to pass",
    "gonna pass",
    "i'll pass",
    "going to pass",
    "not interested",
    "someone else",
    "can't make it",
    "cant make it",
    "can't do it this week",
    "cant do it this week",
    "not taking",
    "need a licensed",
    "booked out",
    "can't take it",
    "cant take it",
    "won't be able to",
    "wont be able to",
)
#: The agent giving the job up: with a turn-about ("actually, sorry"), it takes back its yes.
WITHDRAW = phrases(
    "we'll pass",
    "we will pass",
    "they'll pass",
    "they will pass",
    "found someone",
    "someone else",
    "someone cheaper",
    "went with",
    "going with",
    "won't need",
    "wont need",
    "don't need",
    "dont need",
    "no longer need",
    "one more quote",
    "another quote before",
    "before committing",
    "before we commit",
)
