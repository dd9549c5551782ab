"""Reliability and security tests (issue 8): bad input, secrets, transport, faults, concurrency."""
