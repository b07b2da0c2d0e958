"""How much time and memory one decode may spend on a map that looks corrupt.

The count bounds of :mod:`gdb_gomap.limits` stop a walk from running forever,
but inside them a forged map can still cost minutes and gigabytes: thousands
of tables whose groups read as full over zeroed memory are all readable and
all within bounds.  A real map is never cut short by this budget, however
large: the budget only applies once the walk has seen a sign that the memory
is not a consistent map (a warning of the decoder's :class:`~decoding.Tally`, a
header that disagrees with its tables, more full slots than the header
counts).  From then on, the decode stops at the first check after
``budget_seconds`` of walking or ``budget_mb`` of memory growth, and says so.

A decode that stops keeps what it walked: the snapshot comes back with its
entries so far, ``entries_complete`` false and a warning naming the cause.
"""

import os
import time

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_parts():
    """(this process's resident set size, the part of it that is pages of mapped
    files) now, in bytes: a core read through a mapping counts in the second;
    (0, 0) where /proc cannot tell."""
    try:
        with open("/proc/self/statm", "rb") as f:
            fields = f.read().split()
        return int(fields[1]) * _PAGE, int(fields[2]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0, 0


def resident_bytes():
    """This process's resident set size now (0 where /proc cannot tell)."""
    return resident_parts()[0]


class BudgetSpent(Exception):
    """Raised inside a decoder's walk when the budget is spent; the decoder
    catches it, warns and finishes the snapshot with what it has."""


# Buckets or groups the --buckets detail still keeps once the map looks corrupt.
DETAIL_AFTER_DOUBT = 4096


class Budget:
    """The clock and memory meter of one decode."""

    def __init__(self, limits):
        self.seconds = limits.budget_seconds
        self.max_bytes = limits.budget_mb << 20
        self.start = time.monotonic()
        self.rss0 = None
        self.suspect = None        # the first sign of corruption, once seen
        self.detail_left = DETAIL_AFTER_DOUBT
        self.detail_cut = 0

    def distrust(self, why):
        """Record a sign that the memory is not a consistent map; from now on the
        budget applies."""
        if self.suspect is None:
            self.suspect = why
            self.rss0 = resident_bytes()

    def keep_detail(self):
        """Whether the --buckets view may keep one more bucket or group: always for a
        map that looks consistent, DETAIL_AFTER_DOUBT more once it does not (each one
        costs a few hundred bytes, and their JSON more)."""
        if self.suspect is None:
            return True
        if self.detail_left > 0:
            self.detail_left -= 1
            return True
        self.detail_cut += 1
        return False

    def close(self, snap, what):
        """Say in ``snap`` what the detail left out."""
        if self.detail_cut:
            snap.warn(f"the detail of {self.detail_cut:,} more {what} was not kept: the "
                      f"map looks corrupt ({self.suspect})")

    def check(self, where):
        """Raise BudgetSpent if the map looks corrupt and the budget is spent.
        ``where`` says how far the walk got, for the warning."""
        if self.suspect is None:
            return
        spent = time.monotonic() - self.start
        if spent > self.seconds:
            raise BudgetSpent(
                f"decode stopped after {spent:.1f} s (--budget-seconds {self.seconds:g}) "
                f"at {where}: the map looks corrupt ({self.suspect}); what was walked is "
                f"shown")
        grown = resident_bytes() - self.rss0
        if grown > self.max_bytes:
            raise BudgetSpent(
                f"decode stopped after growing {grown >> 20} MB (--budget-mb "
                f"{self.max_bytes >> 20}) at {where}: the map looks corrupt "
                f"({self.suspect}); what was walked is shown")
