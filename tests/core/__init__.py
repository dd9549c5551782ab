"""Tests of the Python core: spec, binder, conversion, operation over HTTP, Python API, CLI."""
