"""One census run, shared by ``gomap census`` and ``gomap-census``: roots
(package globals and goroutine stacks), the typed walk, the dominator tree,
the groups.  Its text and ``gomap-census/1`` JSON are made in
render/census.py.
"""

import os
import sys
import time
from dataclasses import dataclass
from typing import Optional

from . import groups as groups_mod
from .stacks import stack_roots
from .walk import global_roots, walk



@dataclass
class CensusBudget:
    """How long and how much memory the walk may spend (None: no limit)."""

    seconds: Optional[float] = None
    mb: Optional[int] = None


def progress_delay():
    """Seconds a walk runs before its progress line shows: $GOMAP_PROGRESS_AFTER
    (0 shows it at once), else 1."""
    try:
        return max(0.0, float(os.environ.get("GOMAP_PROGRESS_AFTER", "1")))
    except ValueError:
        return 1.0


class Progress:
    """A progress line on stderr for walks longer than a second, only on a tty.

    The walk calls it with whatever counts it has (keyword arguments or a
    dict); the line is redrawn at most five times a second and erased by
    :meth:`done`.  Never written to stdout, so --json stays clean.
    """

    def __init__(self, stream=None, delay=None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.monotonic()
        self.delay = progress_delay() if delay is None else delay
        self.last = 0.0
        self.shown = False
        self.phase = "walking"

    def __call__(self, *args, **counts):
        if not self.enabled:
            return
        phase = counts.pop("phase", None)
        if phase:
            self.phase = phase
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last < 0.2:
            return
        self.last = now
        for a in args:
            if isinstance(a, dict):
                counts.update(a)
            elif hasattr(a, "__dict__"):
                counts.update(vars(a))
        parts = []
        for k, v in counts.items():
            if isinstance(v, int) and not isinstance(v, bool):
                parts.append(f"{k.replace('_', ' ')} {v:,}")
        line = f"gomap census: {now - self.start:.0f}s {self.phase}: " + ", ".join(parts)
        self.stream.write("\r" + line[:150] + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def done(self):
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def run(target, budget=None, progress=None, threads=None):
    """Roots, walk, dominators, groups: a :class:`groups.Census` with ``.roots``
    (the RootReport, globals included) attached."""
    if progress is not None:
        progress(phase="roots")
    groots, gunread = global_roots(target)
    sroots, report = stack_roots(target, threads=threads)
    if progress is not None:
        progress(phase="walking", roots=len(groots) + len(sroots))
    report.globals_read = len(groots)
    report.unread = list(gunread) + list(report.unread)
    result = walk(target, groots + sroots, budget=budget, progress=progress)
    if progress is not None:
        progress(phase="dominators", maps=len(result.maps))
    c = groups_mod.census(result)
    c.roots = report
    return c
