"""Decoder for classic Go maps (hmap/bmap: Go <= 1.23, 1.24/1.25 noswissmap).

The walk is the hash-free one of the reference (section 2.6): old buckets that
are not yet evacuated, then every new bucket, each along its overflow chain;
a cell is live exactly when its tophash is >= 5.  Bucket arrays are read in
bulk and scanned column-wise (``slab``); overflow buckets are read level by
level in batches (for the summary, which hands on no cells, those of every
run of buckets together at the end).  The --buckets view keeps every bucket and takes the plain
per-cell path.
"""

from collections import Counter
from itertools import compress

from .budget import Budget, BudgetSpent
from .decoding import STREAM_READ, Tally, finish, flush, keep_at_most, raw_cells
from .errors import UnreadableMemory
from .fields import header_keys
from .slab import LIVE_CLASS, Collected, Scanner, ones, tag_translation
from .snapshot import Chain, MapSnapshot, Slot, SlotBlock

EMPTY_REST, EMPTY_ONE, EVAC_X, EVAC_Y, EVAC_EMPTY, MIN_TOPHASH = 0, 1, 2, 3, 4, 5
TOPHASH_STATE = {EMPTY_REST: "emptyRest", EMPTY_ONE: "emptyOne", EVAC_X: "evacuatedX",
                 EVAC_Y: "evacuatedY", EVAC_EMPTY: "evacuatedEmpty"}
FLAG_HASH_WRITING, FLAG_SAME_SIZE = 4, 8
MAX_B = 40
OVERFLOW_GAP = 32 << 10
HEADER = header_keys("classic")   # the header fields a snapshot keeps, in order

LIVE = tag_translation(lambda b: b >= MIN_TOPHASH)
EVACUATED = tag_translation(lambda b: EVAC_X <= b <= EVAC_EMPTY)
NOT_EVACUATED = tag_translation(lambda b: not EVAC_X <= b <= EVAC_EMPTY)
# every tophash below MIN_TOPHASH is a state of its own; the others are live
CLASSES = [("live", LIVE_CLASS)] + [(name, v) for v, name in TOPHASH_STATE.items()]


def state_of(tophash):
    return "live" if tophash >= MIN_TOPHASH else TOPHASH_STATE[tophash]


class _Walk:
    """Accumulates what the bucket walk finds."""

    def __init__(self, ctx, layout, snap, opts, count):
        self.ctx, self.L, self.snap, self.opts = ctx, layout, snap, opts
        self.scanner = Scanner(layout.bucket_size, layout.tophash_off, LIVE, layout.key,
                               layout.keys, layout.elem, layout.elems, layout.arch)
        self.detail = opts.detail
        self.count = count
        keep = keep_at_most(ctx, count)
        if self.detail:
            self.col = Collected("raw", "raw", max_keep=keep, order=layout.arch.order)
        elif opts.cells:
            self.col = Collected(*self.scanner.cell_kinds(), max_keep=keep,
                                 order=layout.arch.order)
        else:
            self.col = Collected(self.scanner.kkind, self.scanner.vkind,
                                 opts.entries, keep, layout.arch.order)
        self.budget = Budget(ctx.limits)
        self.tally = Tally(snap, self.budget)
        self.states = dict.fromkeys(("live", "emptyOne", "emptyRest", "evacuatedX",
                                     "evacuatedY", "evacuatedEmpty"), 0)
        self.overflow_buckets = 0
        self.longest_chain = 0
        self.chains = [] if opts.detail else None
        self.old_evacuated = 0
        self.empty_buckets = 0
        self.visited = set()      # overflow buckets seen, against cycles
        # Without cells to hand on in walk order (the summary), the overflow chains
        # of every run of buckets are followed together after the last run: their
        # buckets sit close together (most in the array's preallocated tail), so a
        # few large reads serve them instead of one per run's scattered few.
        self.deferred = ([], bytearray()) if not (self.detail or self.col.want_cells) \
            else None

    # -- the --buckets path: every cell visited, every bucket kept -----------------

    def node(self, chain, addr, buf, off, take):
        """Record one bucket at ``buf[off:]``; return its overflow pointer."""
        L = self.L
        th = buf[off + L.tophash_off:off + L.tophash_off + 8]
        slots = []
        kc, vc = L.keys, L.elems
        for i in range(8):
            t = th[i]
            st = state_of(t)
            self.states[st] += 1
            entry = None
            if t >= MIN_TOPHASH and take:
                entry = self.col.take(buf, off, i, kc, vc)
            slots.append(Slot(i, st, t, entry))
        if self.opts.raw:
            raw_cells(slots, buf, off, kc, vc)
        if all(t < MIN_TOPHASH for t in th):
            self.empty_buckets += 1
        ovf = L.arch.word(buf, off + L.overflow_off)
        if chain is not None:
            chain.buckets.append(SlotBlock(addr, slots, ovf))
        return ovf

    def _chunk_detail(self, base, start, cnt, buf, old):
        bs = self.L.bucket_size
        pending = []
        for j in range(cnt):
            i = start + j
            off = j * bs
            evac = None
            take = True
            if old:
                evac = EVAC_X <= buf[off + self.L.tophash_off] <= EVAC_EMPTY
                take = not evac
                self.old_evacuated += evac
            chain = None
            if (old or self.opts.in_window(i)) and self.budget.keep_detail():
                chain = Chain(i, old, [], evac)
                self.chains.append(chain)
            ovf = self.node(chain, base + i * bs, buf, off, take)
            if ovf:
                pending.append((ovf, 1 if take else 0, chain, i))
            else:
                self.longest_chain = max(self.longest_chain, 1)
        self._follow(pending)

    # -- the bulk path -------------------------------------------------------------

    def _chunk_bulk(self, cnt, buf, old):
        sc, L = self.scanner, self.L
        take = None
        if old:
            t0 = sc.tags(buf, cnt, 0)
            self.old_evacuated += t0.translate(EVACUATED).count(1)
            take = t0.translate(NOT_EVACUATED)
        self.empty_buckets += sc.scan(buf, cnt, take, self.col, self.states, CLASSES)
        ovf = sc.word_column(buf, cnt, L.overflow_off)
        at = list(compress(range(cnt), ovf))          # the buckets with an overflow
        if len(at) < cnt:
            self.longest_chain = max(self.longest_chain, 1)
        ptrs = [ovf[j] for j in at]
        takes = b"\x01" * len(at) if take is None else bytes(take[j] for j in at)
        if self.deferred is not None:
            self.deferred[0].extend(ptrs)
            self.deferred[1].extend(takes)
        else:
            self._follow_bulk(ptrs, takes)

    def _follow(self, pending):
        """The --buckets path: follow overflow pointers level by level, keeping every
        bucket: (ptr, take, chain, bucket index)."""
        bs = self.L.bucket_size
        level = 1
        while pending:
            self.checkpoint(f"overflow level {level}")
            level += 1
            fresh = []
            for p in pending:
                if p[0] in self.visited:
                    self._cycle(p[0])
                    continue
                self.visited.add(p[0])
                fresh.append(p)
            # Overflow buckets come from the heap's spans, close to one another:
            # a wider gap makes fewer reads (a debugger's read costs far more than
            # the bytes between them).
            reads = self.ctx.mem.read_many([(p[0], bs) for p in fresh], gap=OVERFLOW_GAP)
            good, bufs = [], []
            for p, data in zip(fresh, reads):
                if isinstance(data, Exception):
                    self._unreadable(p[0])
                    continue
                good.append(p)
                bufs.append(data)
            if not good:
                break
            self.overflow_buckets += len(good)
            self.longest_chain = max(self.longest_chain, level)
            nxt = []
            for p, data in zip(good, bufs):
                ovf = self.node(p[2], p[0], data, 0, p[1])
                if ovf:
                    nxt.append((ovf, p[1], p[2], p[3]))
            if nxt and self._too_long(level):
                break
            pending = nxt

    def _follow_bulk(self, ptrs, takes):
        """The bulk path: follow overflow pointers ``ptrs`` level by level, scanning
        each level's buckets in one batch (``takes``: 1 where the cells count as
        entries, 0 in evacuated old buckets)."""
        bs, sc = self.L.bucket_size, self.scanner
        level = 1
        while ptrs:
            self.checkpoint(f"overflow level {level}")
            level += 1
            seen = self.visited
            every = takes.find(0) < 0        # no evacuated old bucket among them
            if every and not self.col.want_cells:
                # a count in address order, with set operations: the common summary
                fresh = sorted(set(ptrs))
                if len(fresh) < len(ptrs):
                    for p, c in Counter(ptrs).items():
                        for _ in range(c - 1):
                            self._cycle(p)
                again = seen.intersection(fresh)
                if again:
                    for p in sorted(again):
                        self._cycle(p)
                    fresh = [p for p in fresh if p not in again]
                seen.update(fresh)
                ftakes = None
            else:
                # cells handed on keep the walk order; a count may read in address order
                order = range(len(ptrs)) if self.col.want_cells else \
                    sorted(range(len(ptrs)), key=ptrs.__getitem__)
                fresh, ftakes = [], bytearray()
                for k in order:
                    p = ptrs[k]
                    if p in seen:
                        self._cycle(p)
                        continue
                    seen.add(p)
                    fresh.append(p)
                    ftakes.append(takes[k])
            if self.col.want_cells:
                reads = self.ctx.mem.read_many([(p, bs) for p in fresh], gap=OVERFLOW_GAP)
                ok = bytearray(not isinstance(d, Exception) for d in reads)
                data = b"".join(d for d in reads if not isinstance(d, Exception))
            else:
                data, ok = self.ctx.mem.gather(fresh, bs, OVERFLOW_GAP)
            n = ones(ok)
            if n < len(fresh):
                for p in compress(fresh, (not b for b in ok)):
                    self._unreadable(p)
                if ftakes is not None:
                    ftakes = bytearray(compress(ftakes, ok))
            if not n:
                break
            self.overflow_buckets += n
            self.longest_chain = max(self.longest_chain, level)
            take = None if ftakes is None else bytes(ftakes)
            self.empty_buckets += sc.scan(data, n, take, self.col, self.states, CLASSES)
            nxt = sc.word_column(data, n, self.L.overflow_off)
            at = list(compress(range(n), nxt))
            ptrs = [nxt[j] for j in at]
            takes = b"\x01" * len(at) if take is None else bytes(take[j] for j in at)
            if ptrs and self._too_long(level):
                break

    def _cycle(self, p):
        self.tally.warn("overflow chains cut at a bucket reached twice",
                        f"an overflow chain reaches {p:#x} twice; chain cut (corrupt memory?)")

    def _unreadable(self, p):
        self.tally.warn("overflow buckets unreadable",
                        f"overflow bucket {p:#x} unreadable; chain cut")

    def _too_long(self, level):
        """True (and a warning) once the chains reach --max-chain."""
        lim = self.ctx.limits
        if level < lim.max_chain:
            return False
        self.tally.warn("chain cuts at --max-chain",
                        f"overflow chains longer than {lim.max_chain} buckets were "
                        f"cut (raise --max-chain)")
        return True

    def array(self, base, n, old):
        """Walk buckets 0..n-1 of the array at ``base`` with their chains."""
        bs = self.L.bucket_size
        per = max(1, self.ctx.limits.max_read // bs)
        if self.detail:   # a SlotBlock per bucket kept: see the budget more often
            per = min(per, 1024)
        else:   # runs of buckets: a streamed decode hands on entries after each, and
            # the walk order (see slab.Collected) is the same with a sink or without
            per = max(1, min(per, STREAM_READ // bs))
        for start in range(0, n, per):
            cnt = min(per, n - start)
            try:
                # a count (no cell kept) scans the bytes once: gdb's own buffer will
                # do, uncopied; cells kept are slices of it, so they get a copy
                if self.detail or self.col.want_cells:
                    buf = self.ctx.mem.read(base + start * bs, cnt * bs)
                else:
                    buf = self.ctx.mem.read_buffer(base + start * bs, cnt * bs)
            except UnreadableMemory as exc:
                what = f"{'old ' if old else ''}buckets"
                self.tally.warn(f"unreadable pieces of the {what} array",
                                f"{what} {start}..{start + cnt - 1} "
                                f"unreadable at {base + start * bs:#x}: {exc}")
                continue
            if self.detail:
                self._chunk_detail(base, start, cnt, buf, old)
            else:
                self._chunk_bulk(cnt, buf, old)
                flush(self.ctx, self.snap, self.L, self.col, self.opts)
            self.checkpoint(f"{'old ' if old else ''}bucket {start + cnt:,} of {n:,}")
        if self.deferred is not None and self.deferred[0]:
            (ptrs, takes), self.deferred = self.deferred, ([], bytearray())
            self._follow_bulk(ptrs, takes)

    def checkpoint(self, where):
        """Distrust the map once it holds more live cells than its count; then
        stop when the budget is spent."""
        if self.col.count > self.count:
            self.budget.distrust(f"{self.col.count:,} live cells but count is "
                                 f"{self.count:,}")
        self.budget.check(where)


def decode(ctx, layout, addr, opts):
    """Decode the classic map whose header is at ``addr`` into a MapSnapshot."""
    L = layout
    snap = MapSnapshot("classic", L.map_type.name, L.key.name, L.elem.name, addr,
                       ctx.go_version, 0, key_kind=L.key.kind, elem_kind=L.elem.kind)
    hdr = ctx.mem.read(addr, L.header.size)
    h = L.header.read_all(hdr)
    snap.header = {k: h[n] for n, k in HEADER if n in h}
    if h.get("extra") and L.extra is not None:
        try:
            snap.extra = L.extra.read_all(ctx.mem.read(h["extra"], L.extra.size))
        except UnreadableMemory as exc:
            snap.warn(f"extra at {h['extra']:#x} unreadable: {exc}")
    count, flags, B = h["count"], h["flags"], h["B"]
    snap.count = count
    buckets, oldbuckets = h["buckets"], h["oldbuckets"]
    if flags & FLAG_HASH_WRITING:
        snap.warn("hashWriting is set: the snapshot was taken in the middle of a write; "
                  "the map may be inconsistent")
    if count < 0:
        snap.warn(f"count is negative ({count}): corrupt header?")
    if B > MAX_B:
        snap.warn(f"B={B} is impossible (corrupt header?); buckets not walked")
        buckets = oldbuckets = 0
    nb = 1 << B
    if nb > ctx.limits.max_buckets:
        snap.warn(f"2^B = {nb} buckets exceeds --max-buckets {ctx.limits.max_buckets}; "
                  f"walking only the first {ctx.limits.max_buckets}")
    walk = _Walk(ctx, L, snap, opts, count)
    nold = 0
    if oldbuckets:
        nold = nb if flags & FLAG_SAME_SIZE else nb >> 1
    try:
        if oldbuckets:
            walk.array(oldbuckets, min(nold, ctx.limits.max_buckets), old=True)
        if buckets:
            walk.array(buckets, min(nb, ctx.limits.max_buckets), old=False)
    except BudgetSpent as exc:
        snap.warn(str(exc))
        snap.entries_complete = False
    snap.chains = walk.chains
    bs = L.bucket_size
    stats = {
        "live": walk.states["live"], "cells": dict(walk.states),
        "buckets": nb if buckets else 0, "old_buckets": nold,
        "overflow_buckets": walk.overflow_buckets, "longest_chain": walk.longest_chain,
        "empty_buckets": walk.empty_buckets,
        "load_factor": round(count / nb, 3) if buckets else 0.0,
        "bucket_size": bs,
    }
    held = {"header": L.header.size, "buckets": nb * bs if buckets else 0,
            "old_buckets": nold * bs if oldbuckets else 0,
            "overflow": walk.overflow_buckets * bs}
    blocks = None if walk.chains is None else [b for c in walk.chains for b in c.buckets]
    finish(ctx, snap, L, walk, opts, count, blocks, stats, held)
    snap.growth = None
    if oldbuckets:
        snap.growth = {"kind": "same-size" if flags & FLAG_SAME_SIZE else "doubling",
                       "old_buckets": nold, "evacuated": walk.old_evacuated,
                       "nevacuate": h["nevacuate"]}
    return snap

