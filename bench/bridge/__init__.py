"""The bridge benchmark's parts (`bench/bridge_bench.py` runs it): `config` (constants and
the test tone), `cpu` (CPU accounting and pinning), `processes` (the service, the fake Grok and
the seeded calls), `wsclient` (a lean WebSocket client), `streams` (the calls' senders and the
clock), `measure` (what one step measured), `step` (one step), `report` (the table) and `cli`
(flags and the sweep)."""
