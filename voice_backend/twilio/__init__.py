"""Twilio, in one home: the Media Streams wire format (both directions), the REST client, the
status and answering-machine callbacks, and request signatures."""
