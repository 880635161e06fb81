"""One phone call, from the stream's `start` to its stored result: the bridge between Twilio's
media stream and the agent, and what it needs around it."""
