"""Reliability and security tests (issue 8): the product keeps working under faults and bad input,
loses no update and leaks nothing.

=====================  ===========================================================================
``test_bad_input``     the table in ``bad_input.py``: PowerShell, Python and CLI rows; an error by id
                       and zero requests for each invalid row, one escaped path segment for each odd id
``test_secrets``       canary tokens and client secrets through every surface and stream
``test_transport``     https except loopback, TLS verification, redirects, timeouts
``test_fault_soak``    2,000 Python and 500 pwsh calls with ~20% injected faults; RetriesTimeLimit
``test_concurrency``   16 threads on one connection; 500 calls through ``ForEach-Object -Parallel``
=====================  ===========================================================================

Everything runs against emulators and small servers on 127.0.0.1, seeded, with a private HOME
(``tests/conftest.py``: ``session_home``, ``private_home``). Run with ``scripts/test -q tests/reliability`` (about a minute);
``-s`` prints the soak and concurrency figures.
"""
