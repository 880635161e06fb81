"""The voice service (port 6000): places the calls and bridges each to the voice agent."""
