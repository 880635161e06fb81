"""The corpus's lines that are not about money, by topic: greetings, the job, yes and no,
closings, and the repairs of a bad line (both ends of the call). One line per sentence; slots
in braces (`slots.py`).
"""

from __future__ import annotations

__all__ = ["CLOSING", "GREETING", "JOB", "LINE", "YES_NO"]

#: Picking up, asking who it is, voicemail greetings.
GREETING = """
hello
hi
hey
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
you've reached {trade}
hi you've reached {trade}
we can't come to the phone right now
we're not available right now
please leave a message
please leave a message after the beep
please leave your name and number
leave a message after the tone
we'll get back to you as soon as we can
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
"""

#: The job: stating it, whether they do it, their questions about it and the answers.
JOB = """
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
"""

#: Yes, no, and their variants.
YES_NO = """
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
yes that's what i said
no i said {price}
yeah that's right
that's correct
correct
exactly
"""

#: Thanks, goodbyes, and "I'll call you back".
CLOSING = """
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
"""

#: A bad line: say that again, are you still there, hold on.
LINE = """
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
