"""The voice service's routes."""
