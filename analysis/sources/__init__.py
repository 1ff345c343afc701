"""Readers: one module per input format, each returning the canonical frames."""
