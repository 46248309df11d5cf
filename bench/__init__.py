"""Benchmarks against the real broker and database: ``python -m bench.bus``."""
