"""One census run, shared by ``gomap census`` and ``gomap-census``: roots
(package globals and goroutine stacks), the typed walk, the dominator tree,
the groups; and the two outputs (text and the ``gomap-census/1`` JSON).
"""

import json
import re
import sys
import time
from dataclasses import dataclass
from typing import Optional

from ..errors import GomapError
from . import groups as groups_mod
from .model import Root, RootReport, Unread

SCHEMA = "gomap-census/1"


@dataclass
class CensusBudget:
    """How long and how much memory the walk may spend (None: no limit)."""

    seconds: Optional[float] = None
    mb: Optional[int] = None


class CensusNotAvailable(GomapError):
    """A part of the census is missing from this installation."""


def global_roots(target):
    """A Root for every package variable with a fixed address in DWARF."""
    roots, report = [], []
    for name in sorted(target.index.variables):
        try:
            addr, gotype = target.variable(name)
        except GomapError as exc:
            report.append(Unread(name, str(exc)))
            continue
        except Exception as exc:    # a DIE the type table cannot build: say so, go on
            report.append(Unread(name, f"{type(exc).__name__}: {exc}"))
            continue
        roots.append(Root(label=name, gotype=gotype, addr=addr, kind="global"))
    return roots, report


class Progress:
    """A progress line on stderr for walks longer than a second, only on a tty.

    The walk calls it with whatever counts it has (keyword arguments or a
    dict); the line is redrawn at most five times a second and erased by
    :meth:`done`.  Never written to stdout, so --json stays clean.
    """

    def __init__(self, stream=None, delay=1.0):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.monotonic()
        self.delay = delay
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


def _walker():
    try:
        from . import walk
    except ImportError as exc:
        raise CensusNotAvailable(f"the census walk is not part of this gomap ({exc})") from None
    return walk


def _stack_roots(target, threads=None):
    try:
        from .stacks import stack_roots
    except ImportError as exc:
        report = RootReport()
        report.unread.append(Unread("goroutine stacks", f"stack roots not available: {exc}"))
        return [], report
    if threads is not None:
        try:
            return stack_roots(target, threads=threads)
        except TypeError:
            pass
    return stack_roots(target)


def run(target, budget=None, progress=None, threads=None):
    """Roots, walk, dominators, groups: a :class:`groups.Census` with ``.roots``
    (the RootReport, globals included) attached."""
    walk_mod = _walker()
    if progress is not None:
        progress(phase="roots")
    groots, gunread = getattr(walk_mod, "global_roots", global_roots)(target)
    sroots, report = _stack_roots(target, threads)
    if progress is not None:
        progress(phase="walking", roots=len(groots) + len(sroots))
    report.globals_read = len(groots)
    report.unread = list(gunread) + list(report.unread)
    result = walk_mod.walk(target, groots + sroots, budget=budget, progress=progress)
    if progress is not None:
        progress(phase="dominators", maps=len(result.maps))
    c = groups_mod.census(result)
    c.roots = report
    return c


def _stat(stats, *names, default=0):
    for n in names:
        if isinstance(stats, dict) and n in stats:
            return stats[n]
        if hasattr(stats, n):
            return getattr(stats, n)
    return default


def _unread_all(c):
    out = list(getattr(c.roots, "unread", []))
    out.extend(getattr(c.result, "unread", []) or [])
    return out


def _reasons(unread):
    """[(what, reason)] lines for people: one per reason, most frequent first.

    An entry whose ``what`` is a count ("12 locals") adds to the count; any
    other entry is one thing, named when it is alone."""
    by_reason = {}
    for u in unread:
        reason = u.reason if hasattr(u, "reason") else str(u)
        what = getattr(u, "what", "")
        counts, names = by_reason.setdefault(reason, ({}, []))
        m = re.match(r"^(\d+) (\S.*)$", what)
        if m:
            counts[m.group(2)] = counts.get(m.group(2), 0) + int(m.group(1))
        else:
            names.append(what)
    lines = []
    for reason, (counts, names) in by_reason.items():
        weight = sum(counts.values()) + len(names)
        parts = [f"{n:,} {noun}" for noun, n in sorted(counts.items())]
        if len(names) == 1:
            parts.append(names[0])
        elif names:
            parts.append(f"{len(names):,} more ({names[0]}, ...)" if parts else
                         f"{len(names):,} ({names[0]}, ...)")
        lines.append((weight, ", ".join(parts), reason))
    lines.sort(key=lambda x: (-x[0], x[2]))
    return [(what, reason) for _, what, reason in lines]


def to_json(c, info, top=None, min_bytes=None, expand=None):
    """The ``gomap-census/1`` document (gdb_gomap/schema/census.schema.json)."""
    r = c.roots
    stats = getattr(c.result, "stats", {}) or {}
    rows = groups_mod.select(c.groups, top, min_bytes)
    wanted = set()
    if expand:
        wanted = {g.pattern for g in groups_mod.expanded(c.groups, expand)}
        rows = rows + [g for g in c.groups if g.pattern in wanted and g not in rows]
    unread = _unread_all(c)
    budget_hit = _stat(stats, "budget_hit", "stopped", default=None)
    doc = {
        "schema": SCHEMA,
        "executable": info.get("executable"),
        "core": info.get("core"),
        "pid": info.get("pid"),
        "go_version": info.get("go_version"),
        "layout": info.get("layout"),
        "warnings": list(info.get("warnings", [])),
        "roots": {"globals": r.globals_read, "goroutines": r.goroutines,
                  "goroutines_unwound": r.goroutines_unwound, "frames": r.frames,
                  "locals": r.locals_read},
        "walk": {"objects": len(c.tree.order) - 1, "heap_bytes": c.heap_bytes,
                 "maps": sum(g.maps for g in c.groups),
                 "maps_own": sum(g.own for g in c.groups),
                 "maps_retained": c.map_retained,
                 "complete": not budget_hit,
                 "stopped_by": str(budget_hit) if budget_hit else None,
                 "skipped": {str(k): int(v) for k, v in
                             (_stat(stats, "skipped", default={}) or {}).items()}},
        "unread": [{"what": getattr(u, "what", str(u)), "reason": getattr(u, "reason", "")}
                   for u in unread],
        "groups": [],
        "by_type": [{"type": t.type_name, "objects": t.objects, "bytes": t.bytes}
                    for t in c.by_type],
    }
    for g in rows:
        row = {"pattern": g.pattern, "maps": g.maps, "entries": g.entries, "own": g.own,
               "retained": g.retained, "share": round(c.share(g.retained), 6)}
        if g.pattern in wanted:
            row["members"] = [{"path": m.path, "type": m.type_name, "header": m.header,
                               "entries": m.entries, "own": m.own, "retained": m.retained}
                              for m in g.members]
        doc["groups"].append(row)
    return doc


def write_json(c, info, write, **kw):
    write(json.dumps(to_json(c, info, **kw), indent=1) + "\n")


def write_text(c, info, write, top=None, min_bytes=None, expand=None):
    """Header (release, layout, files, what was walked and what not), then the groups."""
    r = c.roots
    stats = getattr(c.result, "stats", {}) or {}
    for w in info.get("warnings", []):
        write(f"warning: {w}\n")
    where = f"core {info['core']}" if info.get("core") else \
        (f"pid {info['pid']}" if info.get("pid") is not None else "gdb")
    write(f"{info.get('executable')}: {info.get('go_version')}, {info.get('layout')} maps; "
          f"{where}\n")
    write(f"roots: {r.globals_read:,} globals; {r.goroutines:,} goroutines, "
          f"{r.goroutines_unwound:,} unwound, {r.frames:,} frames, {r.locals_read:,} locals\n")
    nmaps = sum(g.maps for g in c.groups)
    write(f"walked: {len(c.tree.order) - 1:,} objects, {groups_mod.human(c.heap_bytes)} of heap; "
          f"{nmaps:,} maps hold {groups_mod.human(sum(g.own for g in c.groups))} themselves "
          f"and retain {groups_mod.human(c.map_retained)} "
          f"({100.0 * c.share(c.map_retained):.1f}% of the walked heap)\n")
    if c.by_type:
        top_types = ", ".join(f"{t.type_name} {groups_mod.human(t.bytes)} "
                              f"({100.0 * c.share(t.bytes):.0f}%)" for t in c.by_type[:5])
        write(f"largest types: {top_types}\n")
    budget_hit = _stat(stats, "budget_hit", "stopped", default=None)
    if budget_hit:
        write(f"INCOMPLETE: the walk stopped early ({budget_hit}); what it had not reached "
              f"is not counted\n")
    unread = _unread_all(c)
    if unread:
        write("not read:\n")
        reasons = _reasons(unread)
        for what, reason in reasons[:12]:
            write(f"  {what}: {reason}\n")
        if len(reasons) > 12:
            write(f"  ... {len(reasons) - 12:,} more reasons (--json lists everything)\n")
    else:
        write("not read: nothing\n")
    skipped = _stat(stats, "skipped", default={}) or {}
    if skipped:
        write(f"not followed: {sum(skipped.values()):,}\n")
        for reason, count in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            write(f"  {count:>7,}  {reason}\n")
    write("\n")
    rows = groups_mod.select(c.groups, top, min_bytes)
    groups_mod.text_table(rows, c.heap_bytes, write)
    hidden = len(c.groups) - len(rows)
    if hidden:
        write(f"({hidden:,} more groups not shown: --top, --min-bytes)\n")
    if expand:
        found = groups_mod.expanded(c.groups, expand)
        if not found:
            write(f"\n--expand {expand}: no group has that pattern\n")
        for g in found:
            groups_mod.members_text(g, write)
