"""The corpus's lines about money: asking for a price, quotes, fees and parts, counter-offers,
conditions, and the deal said back. `{price}` takes price phrases (`slots.py`).
"""

from __future__ import annotations

__all__ = ["PRICE"]

PRICE = """
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
great so we will go with {price}
so we'll go with {price}
great we'll go with {price}
so {price} {when} is that right
so that's {price} plus parts is that right
so that's {price} plus a trip fee
so that's {price} with the trip fee
so the total is {price}
"""
