"""Tests of the voice agents."""
