"""Tests of Twilio in one home: the REST client and the lean reads of the media frames."""
