"""Tests of one call's parts: playback accounting, outcome rules, transcript."""
