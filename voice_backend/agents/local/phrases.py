"""What the local agent listens for in the provider's words: keyword and phrase lists.

Matched on keywords, not sentences, as speech recognition garbles the rest (`shared.words`
matches them). Written as one string per list, so they read like the words they are.
"""

from __future__ import annotations

from shared.words import phrases, word_set

# What the provider's words are matched on: keywords, not sentences, as speech recognition
# garbles the rest.
VOICEMAIL_SURE = phrases(
    "voicemail; voice mail; mailbox; beep; after the tone; at the tone; leave a message; leave "
    "your message; leave me a message; leave us a message; record your message"
)
VOICEMAIL_HINTS = phrases(
    "not available; unavailable; come to the phone; you've reached; you have reached; your "
    "call; message; leave; name and number"
)
WRONG_NUMBER = phrases("wrong number; no one by that name; nobody by that name; the wrong")
REPEAT_PLEASE = phrases(
    "say that again; say again; repeat that; come again; didn't catch; didnt catch; what was "
    "that; pardon; didn't hear; didnt hear; can't hear; cant hear; what did you say; sorry what"
)
HOLD = phrases("hold on; hang on; one sec; one second; one moment; just a sec; bear with")
BYE = phrases("bye; goodbye; gotta go; have to go")
PRESENCE = word_set("yes yeah yep yup i'm im i am here still there hello hi sorry uh um")
VAGUE = phrases(
    "over the phone; without seeing; have to see; need to see; have to look; take a look; come "
    "out; come by; depends; hard to say; can't say; cant say; not sure; no idea; couldn't tell; "
    "can't tell"
)
CAN_HELP = phrases("we can; i can; we do; can help; we could; i could; we handle")
IDENTITY_SIGNS = word_set(
    "speaking hello hi hey morning afternoon evening help this who calling yes yeah yep yup "
    "sure speak can do"
)
NAME_FILLER = word_set("the and of inc llc co company services service & a")
AI_WORDS = word_set("robot ai bot computer recording automated machine")
ADDRESS_WORDS = word_set("address located location zip street")
SCHEDULE = phrases(
    "when do you need; how soon; what day; when would you; when are you; what time; when works; "
    "when can; when should; when do you want; schedule; availability"
)
BUDGET = phrases("budget; spend; afford; looking to pay; hoping to pay; want to pay")
PROBLEM_WORDS = word_set("problem issue wrong happening")
PARTS_WORDS = word_set("parts part materials")

QUESTION_LEAD = word_set(
    "ok okay so and alright well um uh yeah yes sure great right now also but hmm oh"
)
WH = word_set("what what's whats how how's when where where's which who who's whom why")
AUX = word_set("is are does do did can could would will have has was were should")
AUX_SUBJECT = word_set("it you the there this that they he she your its a")
WH_NEXT = word_set(
    "is are was old long many much big soon kind type size brand time day do does did about "
    "year make model floor the of 's would should can"
)
STOP = word_set(
    "a an the is are was were be been it its it's this that there their they you your we our "
    "i my me of to in on at for with and or but so if do does did done have has had how what "
    "what's when where which who why can could would will should any some just about like get "
    "got need needs know any one much many"
)
TO_SECOND_PERSON = {
    "i": "you",
    "i'm": "you're",
    "im": "you're",
    "i'll": "you'll",
    "i'd": "you'd",
    "me": "you",
    "my": "your",
    "we": "you",
    "we're": "you're",
    "we'll": "you'll",
    "our": "your",
    "us": "you",
}

#: Words that end a condition the reader took too far: "if I come this afternoon is the best".
CONDITION_ENDS = word_set("is was that's thats would will works and but or ok okay alright so then")
