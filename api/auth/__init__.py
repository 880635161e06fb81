"""Who is asking: API keys, the operator key, dashboard sessions, and the checks around them."""
