"""Decoder for classic Go maps (hmap/bmap: Go <= 1.23, 1.24/1.25 noswissmap).

The walk is the hash-free one of the reference (section 2.6): old buckets that
are not yet evacuated, then every new bucket, each along its overflow chain;
a cell is live exactly when its tophash is >= 5.  Bucket arrays are read in
bulk and overflow buckets level by level in batches.
"""

from .decode import build_entries, remap_slots
from .errors import UnreadableMemory
from .snapshot import Bucket, Chain, MapSnapshot, Slot, flag_names

EMPTY_REST, EMPTY_ONE, EVAC_X, EVAC_Y, EVAC_EMPTY, MIN_TOPHASH = 0, 1, 2, 3, 4, 5
TOPHASH_STATE = {EMPTY_REST: "emptyRest", EMPTY_ONE: "emptyOne", EVAC_X: "evacuatedX",
                 EVAC_Y: "evacuatedY", EVAC_EMPTY: "evacuatedEmpty"}
FLAG_HASH_WRITING, FLAG_SAME_SIZE = 4, 8
MAX_B = 40


def state_of(tophash):
    return "live" if tophash >= MIN_TOPHASH else TOPHASH_STATE[tophash]


class _Walk:
    """Accumulates what the bucket walk finds."""

    def __init__(self, ctx, layout, snap, opts):
        self.ctx, self.L, self.snap, self.opts = ctx, layout, snap, opts
        self.keys, self.vals = [], []
        self.states = dict.fromkeys(("live", "emptyOne", "emptyRest", "evacuatedX",
                                     "evacuatedY", "evacuatedEmpty"), 0)
        self.overflow_buckets = 0
        self.longest_chain = 0
        self.indirect_keys = self.indirect_vals = 0
        self.chains = [] if opts.detail else None
        self.old_evacuated = 0
        self.unreadable = 0
        self.empty_buckets = 0

    def node(self, chain, addr, buf, off, take):
        """Record one bucket at ``buf[off:]``; return its overflow pointer."""
        L = self.L
        th = buf[off + L.tophash_off:off + L.tophash_off + 8]
        keep = chain is not None
        slots = [] if keep else None
        kc, vc = L.keys, L.elems
        for i in range(8):
            t = th[i]
            st = "live" if t >= MIN_TOPHASH else TOPHASH_STATE[t]
            self.states[st] += 1
            entry = None
            if t >= MIN_TOPHASH and take:
                ko = off + kc.offset + i * kc.stride
                vo = off + vc.offset + i * vc.stride
                if kc.indirect:
                    k = int.from_bytes(buf[ko:ko + 8], "little")
                    self.indirect_keys += k != 0
                else:
                    k = buf[ko:ko + kc.size]
                if vc.indirect:
                    v = int.from_bytes(buf[vo:vo + 8], "little")
                    self.indirect_vals += v != 0
                else:
                    v = buf[vo:vo + vc.size]
                entry = len(self.keys)
                self.keys.append(k)
                self.vals.append(v)
            if keep:
                slots.append(Slot(i, st, t, entry))
        if not any(t >= MIN_TOPHASH for t in th):
            self.empty_buckets += 1
        ovf = int.from_bytes(buf[off + L.overflow_off:off + L.overflow_off + 8], "little")
        if keep:
            chain.buckets.append(Bucket(addr, slots, ovf))
        return ovf

    def array(self, base, n, old):
        """Walk buckets 0..n-1 of the array at ``base`` with their chains."""
        L, lim = self.L, self.ctx.limits
        bs = L.bucket_size
        per = max(1, lim.max_read // bs)
        for start in range(0, n, per):
            cnt = min(per, n - start)
            try:
                buf = self.ctx.mem.read(base + start * bs, cnt * bs)
            except UnreadableMemory as exc:
                self.unreadable += cnt
                self.snap.warn(f"{'old ' if old else ''}buckets {start}..{start + cnt - 1} "
                               f"unreadable at {base + start * bs:#x}: {exc}")
                continue
            pending = []  # (chain index, chain object, take, visited, next pointer)
            for j in range(cnt):
                i = start + j
                off = j * bs
                take = True
                evac = None
                if old:
                    evac = EVAC_X <= buf[off + L.tophash_off] <= EVAC_EMPTY
                    take = not evac
                    self.old_evacuated += evac
                chain = None
                if self.chains is not None and (old or self.opts.in_window(i)):
                    chain = Chain(i, old, [], evac)
                    self.chains.append(chain)
                ovf = self.node(chain, base + i * bs, buf, off, take)
                if ovf:
                    pending.append([i, chain, take, {base + i * bs}, ovf, 1])
                else:
                    self.longest_chain = max(self.longest_chain, 1)
            self._follow(pending)

    def _follow(self, pending):
        bs, lim = self.L.bucket_size, self.ctx.limits
        while pending:
            nxt = []
            reads = self.ctx.mem.read_many([(p[4], bs) for p in pending])
            for p, data in zip(pending, reads):
                i, chain, take, visited, ptr, length = p
                if isinstance(data, Exception):
                    self.snap.warn(f"bucket {i}: overflow bucket {ptr:#x} unreadable; chain cut")
                    self.longest_chain = max(self.longest_chain, length)
                    continue
                visited.add(ptr)
                self.overflow_buckets += 1
                length += 1
                ovf = self.node(chain, ptr, data, 0, take)
                if ovf and ovf in visited:
                    self.snap.warn(f"bucket {i}: overflow chain loops back to {ovf:#x}; "
                                   f"chain cut (corrupt memory?)")
                elif ovf and length >= lim.max_chain:
                    self.snap.warn(f"bucket {i}: overflow chain longer than {lim.max_chain}; "
                                   f"cut (raise --max-chain)")
                elif ovf:
                    nxt.append([i, chain, take, visited, ovf, length])
                    continue
                self.longest_chain = max(self.longest_chain, length)
            pending = nxt


def decode(ctx, layout, addr, opts):
    """Decode the classic map whose header is at ``addr`` into a MapSnapshot."""
    L = layout
    snap = MapSnapshot("classic", L.map_type.name, L.key.name, L.elem.name, addr,
                       ctx.go_version, 0)
    hdr = ctx.mem.read(addr, L.header.size)
    h = L.header.read_all(hdr)
    snap.header = {k: h[k] for k in ("count", "flags", "B", "noverflow", "hash0", "buckets",
                                     "oldbuckets", "nevacuate", "clearSeq", "extra") if k in h}
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
    walk = _Walk(ctx, L, snap, opts)
    nold = 0
    if oldbuckets:
        nold = nb if flags & FLAG_SAME_SIZE else nb >> 1
        walk.array(oldbuckets, min(nold, ctx.limits.max_buckets), old=True)
    if buckets:
        walk.array(buckets, min(nb, ctx.limits.max_buckets), old=False)
    live = len(walk.keys)
    if live != count:
        snap.warn(f"MISMATCH: found {live} live cells but count is {count}; the map is "
                  f"corrupt, mid-write, or the decode was cut short (see other warnings)")
    if opts.entries:
        order = build_entries(ctx, snap, L, walk.keys, walk.vals, opts)
        if walk.chains is not None:
            remap_slots((b for c in walk.chains for b in c.buckets), order)
    else:
        snap.entries_complete = False
    snap.chains = walk.chains
    bs = L.bucket_size
    array_bytes = nb * bs if buckets else 0
    old_bytes = nold * bs if oldbuckets else 0
    ik = walk.indirect_keys * L.key.size
    iv = walk.indirect_vals * L.elem.size
    snap.stats = {
        "live": walk.states["live"], "cells": dict(walk.states),
        "buckets": nb if buckets else 0, "old_buckets": nold,
        "overflow_buckets": walk.overflow_buckets, "longest_chain": walk.longest_chain,
        "empty_buckets": walk.empty_buckets,
        "load_factor": round(count / nb, 3) if buckets else 0.0,
        "bucket_size": bs, "key_cell": L.keys.size, "elem_cell": L.elems.size,
        "indirect_key": L.keys.indirect, "indirect_elem": L.elems.indirect,
        "bytes": {"header": L.header.size, "buckets": array_bytes, "old_buckets": old_bytes,
                  "overflow": walk.overflow_buckets * bs, "indirect_keys": ik,
                  "indirect_elems": iv,
                  "total": L.header.size + array_bytes + old_bytes +
                  walk.overflow_buckets * bs + ik + iv},
    }
    snap.growth = None
    if oldbuckets:
        snap.growth = {"kind": "same-size" if flags & FLAG_SAME_SIZE else "doubling",
                       "old_buckets": nold, "evacuated": walk.old_evacuated,
                       "nevacuate": h["nevacuate"]}
    return snap


def describe_flags(flags):
    names = flag_names(flags)
    return "|".join(names) if names else "0"
