"""Conformance cases: one module per integration, each defining ``CASES``."""
