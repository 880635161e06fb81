"""Telephony: who places and ends calls (Twilio's REST API, or simulated providers)."""
