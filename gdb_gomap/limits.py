"""Bounds on the work one decode may do.

Target memory may be corrupt, so every walk is bounded.  Reaching a bound is
not an error: the decoder stops there and leaves a warning in the snapshot.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds for one decode; every field is a count, ``0`` never means unbounded.

    max_entries:   live entries decoded and kept (the rest are counted only).
    max_buckets:   classic buckets (2^B) or swiss groups per table walked.
    max_chain:     overflow buckets followed in one classic chain.
    max_tables:    distinct swiss tables walked (the directory length is bounded too).
    max_string:    bytes of one Go string read.
    max_items:     items of one slice or array element list shown.
    max_depth:     nesting depth of values (structs in arrays in structs ...).
    max_read:      bytes of one bulk read; larger arrays are read in pieces.
    budget_seconds: seconds of walking, and
    budget_mb:     megabytes of memory growth, that a decode may spend once the map
                   looks corrupt (see budget.py; a consistent map is never cut).
    """

    max_entries: int = 10_000_000
    max_buckets: int = 1 << 26
    max_chain: int = 10_000
    max_tables: int = 1 << 20
    max_string: int = 4096
    max_items: int = 64
    max_depth: int = 8
    max_read: int = 64 << 20
    budget_seconds: float = 3.0
    budget_mb: int = 250


DEFAULT_LIMITS = Limits()
