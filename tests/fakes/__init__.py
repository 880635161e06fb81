"""Fakes of outside systems: real servers on loopback speaking the real protocols."""
