"""What people say when a homeowner's assistant phones a tradesperson about a price.

The sentences the recogniser's language model (`lm`) is built from: written for the domain
(greetings, the job, questions about it, quotes, counter-offers, conditions, closings, from
either end of the line), plus every price from $20 to $3,000 in the ways people say them. They
are generic on purpose and not copied from the simulated providers' or the local agent's lines,
so the measured word error rate says how the recogniser does on speech it was not fitted to.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from shared.money import money_phrases

__all__ = ["sentences"]


def _prices() -> Iterator[int]:
    yield from range(20, 1000, 5)
    yield from range(1000, 3001, 50)


# Hand-written lines, both ends of the call. `{price}` takes every price phrase; `{trade}`,
# `{job}`, `{day}` and `{when}` take the lists below.
_LINES = """
hello
hi
hey
yes
yeah
yep
no
nope
okay
ok
alright
sure
right
great
perfect
sounds good
that works
that's fine
thank you
thanks
thanks a lot
bye
goodbye
bye bye
talk to you soon
have a good day
you too
take care
hello who is this
hi is this {trade}
hello is this the {trade} company
yes this is {trade}
yeah speaking
speaking
yes it is
this is {trade} how can i help you
{trade} this is {name}
{trade} {name} speaking
hi this is {name}
good morning {trade}
good afternoon this is {name}
what can i do for you
how can i help you
how can i help
what do you need
what's going on
what seems to be the problem
i'm calling about a job at my house
i'm calling on behalf of a homeowner
i'm calling for a homeowner in the area
i'm calling to get a quote
i'm looking for a quote
i need someone to take a look at {job}
we have {job}
my {job}
the {job}
it's {job}
i've got {job}
we've got {job}
can you help with that
can you help me with that
is that something you can do
is that something you do
do you do that kind of work
yes we can do that
yeah we can take care of that
sure we do that all the time
we do that every day
we can help with that
we can fix that
no problem
we don't do that
sorry we don't do that kind of work
sorry we're booked up
we're not taking new jobs right now
you'll want to call someone else
you should call a plumber
we're electricians
we're plumbers
how old is it
how old is the toilet
how old is the house
is it upstairs or downstairs
is it the original one
where is it
what's the address
what's the zip code
when do you need it done
when would you like us to come out
is it leaking
is there any water on the floor
is it running all the time
is it running all the time or just now and then
just now and then
all the time
it's about ten years old
it's pretty old
it's upstairs
it's downstairs
it's the original one
i'm not sure
i don't know
i'll have to check
let me check
i'll check and get back to you
how much would you charge
how much would that cost
how much do you charge
how much is it
how much will it be
what would it cost
what's the price
what's your price
what's your best price
what would you charge for that
can you give me a price
can you give me an estimate
can you give me a ballpark
do you have a ballpark
roughly how much
what's the total
is that the total
does that include parts
does that include labor
is that parts and labor
parts are extra
parts included
plus parts
plus tax
plus a trip charge
plus a service fee
there's a trip charge
there's a service call fee
the trip charge is {price}
we charge {price} for the service call
hard to say until i see it
i'd have to see it first
it depends on what's wrong
usually not much
it's usually around {price}
it would be {price}
that would be {price}
that'll be {price}
it's {price}
for that it's {price}
we can do that for {price}
we can do it for {price}
i can do it for {price}
i can do {price}
i could do {price}
i'd do it for {price}
we'd charge {price}
we usually charge {price}
the price is {price}
the total would be {price}
it comes to {price}
call it {price}
let's say {price}
how about {price}
what about {price}
would you do {price}
would you take {price}
could you do {price}
can you do {price}
can you do it for {price}
could you come down to {price}
i was hoping for something around {price}
i was hoping to pay around {price}
my budget is {price}
i have a budget of {price}
i got another quote for {price}
another company quoted me {price}
i've been quoted {price} elsewhere
the best i can do is {price}
best i can do is {price}
{price} is the best i can do
{price} is my price
{price} is the lowest i can go
{price} is as low as i go
i can't go below {price}
i can't do {price}
i can't go that low
that's too low for me
that's too low
that's a bit high
that's more than i was hoping
that's more than we wanted to spend
that's over my budget
that's too much
is there any way you could do better
can you do any better
is that your best price
is there any flexibility on that
could you come down a little
can you come down on the price
we're flexible on the day
we're flexible on timing
we can be flexible on scheduling
i could do {price} if i come {when}
i could do {price} {when}
if i come {when}
if you can do {when}
if we can come {when}
only if i come {when}
i can come {when}
we can be there {when}
can you come {when}
{when} works
{when} works for me
{when} is fine
does {when} work
we could do it {day}
how about {day}
{day} works
{day} {when}
we can do {day}
yes i can do that
yes that works
yeah i can do that
alright you got it
okay you got it
okay deal
it's a deal
we have a deal
sounds like a deal
that's right
yep that's right
yes that's correct
so that's {price}
so that's {price} is that right
so that's {price} {when}
so that's {price} plus parts is that right
just to confirm that's {price}
so {price} all in
i'll take it
let's do it
let's go with that
okay let's do {price}
i need to think about it
let me think about it
i'll think about it
thank you for the info
thank you for the info i need to think about it and will call you back
i'll call you back
i will call you back
we'll call you back
thank you for your help
thank you for your help i will reach out to you again shortly
i'll reach out to you again shortly
i'll be in touch
i'll let you go
sorry i have to run
sorry the line is bad
are you still there
hello are you still there
yeah i'm here
i'm still here
sorry what was that
sorry can you say that again
could you repeat that
i didn't catch that
i can't hear you
sorry i can't hear you
come again
pardon
hold on
hang on a second
one second
just a moment
sorry about that
no worries
no problem at all
you've reached {trade}
hi you've reached {trade}
we can't come to the phone right now
we're not available right now
please leave a message
please leave a message after the beep
please leave your name and number
leave a message after the tone
we'll get back to you as soon as we can
is this a recording
are you a robot
are you an ai
yes i'm an ai assistant calling for a homeowner
i'm an assistant calling for a homeowner
i'm calling for a homeowner
i'm calling for a homeowner about a job
i'm an assistant calling for a homeowner
i'm calling on behalf of the homeowner
i'm calling for a client
we're looking for someone to fix it
we need it fixed soon
it's been going on for a week
it started last week
it's been running for a few days
it keeps running after you flush
the water keeps running
it won't stop running
it's the flapper probably
it might be the fill valve
it's probably a simple fix
it's a small job
it's a quick job
that's an easy one
we see that a lot
we fix those all the time
we can take a look
we can send someone out
someone can come out {when}
i can send a tech {when}
we have someone in your area {when}
are you in the area
what area are you in
we cover that area
what part of town are you in
what's the house like
is it a house or an apartment
how many bathrooms do you have
which bathroom is it
is it the upstairs one
how old is the house
it's about {age} years old
it's {age} years old
the toilet is about {age} years old
about {age} years
maybe {age} years
i think it's the original one
it's not the original
it was replaced a few years ago
has anyone worked on it before
have you tried anything yet
did you try to fix it yourself
is the water shut off
is there any damage
no damage that we know of
not that i know of
i don't think so
i'd have to check on that
i'll have to ask the homeowner
i can find out
i'm not sure about that
let me find out
good question
that's a good question
yes it is
no it isn't
yes we do
no we don't
yes we can
no we can't
of course
absolutely
definitely
not a problem
that should be fine
i think so
probably
maybe
it depends
could you give me a rough price
could you give me a rough price for the job
could you give me a rough price estimate for that
just a rough ballpark is fine
a ballpark is fine
roughly what would it cost
any idea what it would cost
what would you charge for a job like that
what do you usually charge for that
is that for parts and labor
does that include the trip
is there a trip fee
is there a service charge
is there a diagnostic fee
do you charge for the visit
we charge a flat rate
it's a flat fee
it's by the hour
we charge by the hour
it's {price} an hour
{price} an hour plus parts
{price} for the first hour
that's just for labor
parts are usually not much
parts are about {price}
the part is about {price}
the parts would be around {price}
plus whatever the parts cost
that's a bit more than i was hoping to spend
that's more than i was hoping to spend
that's a little high
that's a little steep
that's higher than i expected
that's out of our budget
that's above our budget
that's above our budget for now
we're on a tight budget
my budget tops out at {price}
our budget is around {price}
i'm getting a few other quotes
i'm getting other quotes
i've gotten a few other quotes
they came in lower
the other quotes came in lower
someone else quoted lower
i have another quote that's lower
i can be flexible on the day
we can be flexible on the day
we're flexible on when you come
any day this week works
whenever works for you
whatever works for you
could you do better than that
could you meet me in the middle
how about we meet in the middle
can we split the difference
what's the lowest you can go
what's the lowest you'd take
is that the lowest you can go
that's the lowest i can go
that's as low as i can go
i can't go any lower
i can't go lower than that
i can't do any better than that
i really can't go lower
that's my best price
that's already a good price
that's a fair price
that's a good deal
i'm giving you a good deal
i'll knock {price} off
i can take {price} off
i can do it cheaper if i come {when}
it's cheaper if we come {when}
if you can wait until {day}
if you're flexible on the day
only if it's {when}
just to confirm did you say {price}
did you say {price}
sorry did you say {price}
i think you said {price}
was that {price}
yes that's what i said
no i said {price}
yeah that's right
that's correct
correct
exactly
great so we will go with {price}
so we'll go with {price}
great we'll go with {price}
so {price} {when} is that right
so that's {price} plus parts is that right
so that's {price} plus a trip fee
so that's {price} with the trip fee
so the total is {price}
perfect
great
wonderful
awesome
cool
okay great
okay thanks
alright thanks
sounds good talk to you soon
sounds good talk to you soon bye
alright no problem bye
okay no problem
no problem take care
thanks for calling
thanks for calling bye
have a good one
you have a good day
i'll let you know
i'll get back to you
i'll call you back later
we'll be in touch
i'll give you a call back
call me back anytime
give us a call back
okay bye now
bye for now
sorry we don't do plumbing
sorry we don't do that
we only do electrical work
we don't do that here
we don't work in that area
we're too busy right now
we're booked for the next few weeks
you'll want to call a plumber
you'll want to call someone else
try someone else
i can't help you with that
sorry about that
sorry i can't help
sorry wrong number
you have the wrong number
there's no one here by that name
who are you looking for
who's calling
who is this
can i ask who's calling
is this a sales call
what company are you with
how did you get this number
is this about a job
hello can you hear me
can you hear me
i can hear you
the line is bad
you're breaking up
sorry you cut out
say that one more time
one more time please
what did you say
sorry what did you say
i didn't hear you
i didn't get that
i missed that
go ahead
i'm listening
still here
yeah i'm still here
sorry go ahead
"""

_TRADES = (
    "ace plumbing",
    "premier plumbing",
    "quick fix plumbing",
    "reliable plumbing",
    "best plumbing",
    "express plumbing",
    "home services",
    "pro plumbing",
    "a one plumbing",
    "plumbing",
    "the plumber",
    "electric",
    "heating and cooling",
    "drain and sewer",
    "rooter",
    "handyman services",
    "roofing",
    "cleaning",
    "appliance repair",
    "main street plumbing",
    "valley plumbing",
    "city electric",
)
_NAMES = (
    *("joe", "john", "mike", "dave", "steve", "tom", "bob", "jim", "dan", "chris", "mark"),
    *("maria", "linda", "susan", "karen", "lisa", "anna", "rita", "sarah", "amy", "kate"),
    *("marco", "tony", "frank", "dale", "gary", "paul", "rick", "sam", "pete", "ray"),
)
_JOBS = (
    "toilet keeps running",
    "running toilet",
    "toilet that keeps running",
    "leaky faucet",
    "faucet is leaking",
    "clogged drain",
    "drain is clogged",
    "water heater is not working",
    "no hot water",
    "leak under the sink",
    "pipe is leaking",
    "burst pipe",
    "garbage disposal is broken",
    "shower is dripping",
    "toilet is clogged",
    "outlet is not working",
    "light switch is broken",
    "breaker keeps tripping",
    "furnace is not working",
    "air conditioner is broken",
    "roof is leaking",
    "dishwasher is leaking",
    "sewer line is backed up",
)
_DAYS = (
    *("today", "tomorrow", "this week", "next week", "monday", "tuesday", "wednesday"),
    *("thursday", "friday", "saturday", "the weekend"),
)
_WHEN = (
    *("this afternoon", "this morning", "this evening", "today", "tomorrow"),
    *("tomorrow morning", "tomorrow afternoon", "first thing", "in the morning", "later today"),
    *("on a weekday", "on the weekend", "next week"),
)

_AGES = tuple(["one", "two", "three", "five", "ten", "twelve", "fifteen", "twenty", "thirty"])

_NOT_A_WORD = re.compile(r"[^a-z' ]+")


#: Each line with a price takes every fifth price phrase (a different fifth per line).
_PRICE_STRIDE = 5


def _expand(line: str, index: int) -> Iterator[str]:
    slots = {
        "trade": _TRADES,
        "name": _NAMES,
        "job": _JOBS,
        "day": _DAYS,
        "when": _WHEN,
        "age": _AGES,
    }
    names = [name for name in slots if "{" + name + "}" in line]
    if "{price}" in line:
        prices = [phrase for amount in _prices() for phrase in money_phrases(amount)]
        # Every price with a handful of lines is plenty: the model backs off to the rest.
        for n, price in enumerate(prices[index % _PRICE_STRIDE :: _PRICE_STRIDE]):
            values = {name: slots[name][n % len(slots[name])] for name in names}
            yield line.format(price=price, **values)
        return
    for combination in itertools.product(*(slots[name] for name in names)):
        yield line.format(**dict(zip(names, combination, strict=True)))


def sentences() -> Iterator[list[str]]:
    """The corpus, one sentence at a time, as lowercase words."""
    for index, raw in enumerate(_LINES.strip().splitlines()):
        for line in _expand(raw.strip(), index):
            words = _NOT_A_WORD.sub(" ", line.lower()).split()
            if words:
                yield words
    for amount in _prices():
        for phrase in money_phrases(amount):
            yield phrase.split()
