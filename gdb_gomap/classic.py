"""Decoder for classic Go maps (hmap/bmap: Go <= 1.23, 1.24/1.25 noswissmap).

The walk is the hash-free one of the reference (section 2.6): old buckets that
are not yet evacuated, then every new bucket, each along its overflow chain;
a cell is live exactly when its tophash is >= 5.  Bucket arrays are read in
bulk and scanned column-wise (``slab``); overflow buckets are read level by
level in batches.  The --buckets view keeps every bucket and takes the plain
per-cell path.
"""

from .budget import Budget, BudgetSpent
from .decoding import STREAM_READ, Tally, finish, flush, keep_at_most, raw_cells
from .errors import UnreadableMemory
from .fields import header_keys
from .slab import Collected, Scanner, tag_translation
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
CLASSES = [("live", LIVE)] + [(name, v)
                              for v, name in TOPHASH_STATE.items()]


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
        any_live = sc.scan(buf, cnt, take, self.col, self.states, CLASSES)
        self.empty_buckets += any_live.count(0)
        ovf = sc.word_column(buf, cnt, L.overflow_off)
        pending = []
        for j, p in enumerate(ovf):
            if p:
                pending.append((p, 1 if take is None else take[j], None, None))
        if len(pending) < cnt:
            self.longest_chain = max(self.longest_chain, 1)
        self._follow(pending)

    def _follow(self, pending):
        """Follow overflow pointers level by level: (ptr, take, chain, bucket index)."""
        bs, lim, sc = self.L.bucket_size, self.ctx.limits, self.scanner
        level = 1
        while pending:
            self.checkpoint(f"overflow level {level}")
            level += 1
            fresh = []
            for p in pending:
                if p[0] in self.visited:
                    self.tally.warn("overflow chains cut at a bucket reached twice",
                                    f"an overflow chain reaches {p[0]:#x} twice; chain cut "
                                    f"(corrupt memory?)")
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
                    self.tally.warn("overflow buckets unreadable",
                                    f"overflow bucket {p[0]:#x} unreadable; chain cut")
                    continue
                good.append(p)
                bufs.append(data)
            if not good:
                break
            self.overflow_buckets += len(good)
            self.longest_chain = max(self.longest_chain, level)
            nxt = []
            if self.detail:
                for p, data in zip(good, bufs):
                    ovf = self.node(p[2], p[0], data, 0, p[1])
                    if ovf:
                        nxt.append((ovf, p[1], p[2], p[3]))
            else:
                buf = b"".join(bufs)
                n = len(good)
                take = bytes(p[1] for p in good)
                any_live = sc.scan(buf, n, take, self.col, self.states, CLASSES)
                self.empty_buckets += any_live.count(0)
                for p, o in zip(good, sc.word_column(buf, n, self.L.overflow_off)):
                    if o:
                        nxt.append((o, p[1], None, None))
            if nxt and level >= lim.max_chain:
                self.tally.warn("chain cuts at --max-chain",
                                f"overflow chains longer than {lim.max_chain} buckets were "
                                f"cut (raise --max-chain)")
                break
            pending = nxt

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
                buf = self.ctx.mem.read(base + start * bs, cnt * bs)
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

