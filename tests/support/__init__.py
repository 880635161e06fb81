"""Test support: real servers on loopback (Postgres, fakes of outside systems)."""
