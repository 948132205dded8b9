"""Benchmarks (never collected by the test suite): python -m bench.<name>."""
