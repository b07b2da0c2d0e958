"""Fuzzing the census walk with real heap memory, corrupted.

Memory is captured once per build: tests/progs/heapwalk (maps behind slices,
map values, six pointers, interfaces, a channel buffer, a closure) is walked
from its package globals through a :class:`~gdb_gomap.replay.RecordingMemory`
and every region read is saved (gzip'd JSON, next to the decoders' recordings).
Each case lays a few patches over that recording and walks it again.  The
patches aim at what a corrupt heap looks like to the walk: a pointer word made
to point at another object (another type's), back at its own object or at an
object that reaches it (cycles), into the middle of an object, outside the
heap, or into a megabyte of garbage; a slice's length or capacity made huge;
random bytes over a pointer and its neighbours.  The pointer words are those
the clean walk reads whose value points into the recorded memory.

A case passes when it ends within its time budget with a census result or a
GomapError of one line, and its memory growth stays under MAX_GROWTH_MB.  Any
other exception, a hang, or a result past those bounds is a failure.

    python -m tests.fuzz_walk --cases 2000          # both layouts
"""

import argparse
import random
import struct
import sys
import time
from pathlib import Path

from gdb_gomap.binary import GoBinary
from gdb_gomap.budget import resident_bytes
from gdb_gomap.census.run import CensusBudget
from gdb_gomap.census import walk as walk_mod
from gdb_gomap.census.walk import global_roots, walk
from gdb_gomap.memory import Memory
from gdb_gomap.replay import ReplayMemory, load
from gdb_gomap.target import Target

from tests import harness
from tests.fuzz_decoders import (ARENA_ADDR, ARENA_SIZE, BUILDS, DEFAULT_DIR, Outcome, arena,
                                 guarded, record)

PROG = harness.REPO / "tests" / "progs" / "heapwalk"
CASE_BUDGET = 20.0        # seconds: a case still running then is a hang
WALK_BUDGET = CensusBudget(seconds=10, mb=200)    # the walk's own budget in every case
MAX_GROWTH_MB = 300       # resident memory a case may add (the walk's budget is 200)


def _read_walk(target, truth):
    roots, _ = global_roots(target)
    result = walk(target, roots)
    return {"maps": len(result.maps), "objects": result.stats["objects"]}


def capture(build, dest_dir=DEFAULT_DIR):
    """Record the memory a census walk of heapwalk reads for ``build``; the file's path."""
    return record(PROG, build, dest_dir, "walk-", _read_walk)


class _ReadLog(Memory):
    """Memory that notes every (address, size) read through it."""

    def __init__(self, inner):
        self.inner, self.reads = inner, []

    def read(self, addr, size):
        self.reads.append((addr, size))
        return self.inner.read(addr, size)


def _bytes_read(binary, memory):
    """[(address, bytes)] of what a clean walk reads itself, read by read: the walk's
    block cache is left out for it, since its blocks (which the recording holds)
    are mostly memory the walk never looks at."""
    log = _ReadLog(memory)
    target = Target(binary, log)
    cache, walk_mod.BlockCache = walk_mod.BlockCache, lambda inner, **_: inner
    try:
        walk(target, global_roots(target)[0])
    finally:
        walk_mod.BlockCache = cache
    return [(a, memory.read(a, n)) for a, n in sorted(set(log.reads)) if n >= 8]


class WalkFixture:
    """A recording, its binary's Target, the roots, and the pointer words to corrupt:
    those the clean walk reads whose value points into the recorded memory."""

    def __init__(self, path):
        recorded, self.meta = load(path)
        self.memory = ReplayMemory(recorded.regions + [(ARENA_ADDR, arena())])
        binary = GoBinary(Path(self.meta["binary"]))
        self.target = Target(binary, self.memory)
        self.roots, _ = global_roots(self.target)
        regions = recorded.regions
        lo, hi = regions[0][0], regions[-1][0] + len(regions[-1][1])
        found = {}                  # address of the word -> its value
        for addr, data in _bytes_read(binary, self.memory):
            start = (-addr) % 8
            for off in range(start, len(data) - 7, 8):
                v, = struct.unpack_from("<Q", data, off)
                if lo <= v < hi and v % 8 == 0:
                    found[addr + off] = v
        self.pointers = sorted(found.items())
        self.clean = run(self, {})


def load_fixture(build, dest_dir=DEFAULT_DIR):
    return WalkFixture(capture(build, dest_dir))


def _q(v):
    return struct.pack("<Q", v % (1 << 64))


def mutation(rnd, fx):
    """(patches, description) of one corruption."""
    where, value = rnd.choice(fx.pointers)
    kind = rnd.choice(("other", "self", "cycle", "mid", "outside", "arena", "length",
                       "bytes"))
    if kind == "other":        # another object, of another type
        target = rnd.choice(fx.pointers)[1]
        return {where: _q(target)}, f"{where:#x} -> {target:#x} (another object)"
    if kind == "self":         # the object points at itself
        return {where: _q(where - where % 16)}, f"{where:#x} -> itself"
    if kind == "cycle":        # the object it points at points back
        back = [(w, v) for w, v in fx.pointers if value <= w < value + 256]
        if back:
            w, _ = rnd.choice(back)
            return {w: _q(where)}, f"{w:#x} -> {where:#x} (a cycle through {value:#x})"
        return {where: _q(where)}, f"{where:#x} -> itself"
    if kind == "mid":
        off = rnd.choice((1, 3, 8, 24, 4095, 4096, -8))
        return {where: _q(value + off)}, f"{where:#x} -> {value:#x}{off:+d}"
    if kind == "outside":
        v = rnd.choice((1, 0xDEADBEEF, 0xFFFF_FFFF_FFFF_FFF8, 1 << 47, value << 12))
        return {where: _q(v)}, f"{where:#x} -> {v:#x} (outside the heap)"
    if kind == "arena":
        v = ARENA_ADDR + 8 * rnd.randrange(ARENA_SIZE // 8)
        return {where: _q(v)}, f"{where:#x} -> {v:#x} (a megabyte of garbage)"
    if kind == "length":       # the words after a pointer: a slice's len and cap
        n = rnd.choice((1 << 62, 1 << 40, 1 << 31, 10_000_000, -1))
        return {where + 8: _q(n), where + 16: _q(max(n, 0) + 1)}, \
            f"{where:#x}: length and capacity {n:,}"
    n = rnd.choice((8, 16, 32, 64))
    raw = bytes(rnd.getrandbits(8) for _ in range(n))
    return {where - 8 * rnd.randrange(4): raw}, f"{n} random bytes at {where:#x}"


def case(rnd, fx):
    patches, what = {}, []
    for _ in range(rnd.choice((1, 1, 2, 3, 8))):
        p, w = mutation(rnd, fx)
        patches.update(p)
        what.append(w)
    return patches, what


def run(fx, patches, budget=CASE_BUDGET):
    """Walk the corrupted recording once; an Outcome (kind: result, error, crash,
    hang, unbounded)."""
    def body(t0):
        rss0 = resident_bytes()
        result = walk(fx.target, fx.roots, budget=WALK_BUDGET)
        grew = (resident_bytes() - rss0) >> 20
        if grew > MAX_GROWTH_MB:
            return Outcome(False, "unbounded", time.perf_counter() - t0,
                           f"memory grew by {grew} MB")
        return Outcome(True, "result", time.perf_counter() - t0,
                       f"{len(result.maps)} maps, {result.stats['objects']} objects, "
                       f"{sum(result.stats['skipped'].values())} not followed, "
                       f"{len(result.unread)} unread")

    return guarded(fx, patches, budget, body)


def fuzz(fx, cases, seed=0, budget=CASE_BUDGET):
    """(kinds {kind: count}, failures [(what, Outcome)], slowest Outcome) of ``cases``;
    kinds["changed"] counts the cases whose walk differs from the clean one."""
    rnd = random.Random(seed)
    kinds, failures, slowest = {"changed": 0}, [], None
    for _ in range(cases):
        patches, what = case(rnd, fx)
        out = run(fx, patches, budget)
        kinds[out.kind] = kinds.get(out.kind, 0) + 1
        kinds["changed"] += out.detail != fx.clean.detail
        if not out.ok:
            failures.append(("; ".join(what), out))
        if slowest is None or out.seconds > slowest.seconds:
            slowest = out
    return kinds, failures, slowest


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz_walk",
                                 description="Fuzz the census walk with corrupted real "
                                             "heap memory.")
    ap.add_argument("--cases", type=int, default=500, help="cases per layout (default 500)")
    ap.add_argument("--layout", choices=sorted(BUILDS), action="append",
                    help="only this layout (repeatable; default both)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--dir", default=str(DEFAULT_DIR), help="where recordings are kept")
    ap.add_argument("--show", type=int, default=3, help="failures to print in full")
    args = ap.parse_args(argv)
    harness.become_subreaper()
    failed = 0
    try:
        for layout in args.layout or sorted(BUILDS):
            fx = load_fixture(BUILDS[layout], args.dir)
            print(f"{BUILDS[layout].id}: {len(fx.pointers):,} pointer words; clean walk: "
                  f"{fx.clean.kind}, {fx.clean.detail}", flush=True)
            t0 = time.perf_counter()
            kinds, failures, slowest = fuzz(fx, args.cases, args.seed)
            failed += len(failures)
            print(f"  outcomes {kinds}, failures {len(failures)}, "
                  f"{time.perf_counter() - t0:.1f} s; slowest case {slowest.seconds:.2f} s")
            for what, out in failures[:args.show]:
                print(f"  FAILED ({out.kind}): {what}\n{out.detail}")
    finally:
        harness.kill_all()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
