"""Tests of the voice service."""
