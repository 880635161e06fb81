"""The credential test job APIs run with: an operator key, and the header that sends it."""

from __future__ import annotations

OPERATOR_KEY = "hgl_test-operator-key-0123456789"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_KEY}"}
