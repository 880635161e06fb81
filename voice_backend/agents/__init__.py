"""Voice agents: who speaks for the homeowner on a call (Grok Realtime, or the local agent)."""
