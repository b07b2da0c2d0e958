"""What both decoders share: the decode context, options, and turning the raw
cells a walk collected into typed, sorted entries."""

import math
from dataclasses import dataclass
from typing import Optional, Tuple

from .errors import UnreadableMemory
from .limits import DEFAULT_LIMITS, Limits
from .memory import check_pointer
from .values import Unreadable, ValueDecoder


@dataclass
class DumpOptions:
    """What a caller wants from a decode.

    entries:  decode keys and values (the summary view does not need them)
    limit:    decode at most this many entries (in memory order), None for all
    detail:   keep every bucket/group with its slots (the --buckets view)
    window:   (first, last) bucket or group indices kept in the detail, inclusive
    sort:     sort entries by key when the keys are plain scalars
    """
    entries: bool = True
    limit: Optional[int] = None
    detail: bool = False
    window: Optional[Tuple[int, int]] = None
    sort: bool = True

    def in_window(self, i):
        return self.window is None or self.window[0] <= i <= self.window[1]


class Context:
    """Everything a decoder needs about one target: memory, types, release, bounds."""

    def __init__(self, memory, types, types_base, go_version, limits: Limits = DEFAULT_LIMITS):
        self.mem = memory
        self.types = types
        self.types_base = types_base
        self.go_version = go_version
        self.limits = limits
        self.map_count = None  # set by the target: callable(map GoType, addr) -> int

    def value_decoder(self, warn):
        return ValueDecoder(self.mem, self.types, self.types_base, self.limits, warn,
                            self.map_count)


def resolve_indirect(ctx, cells, size, what, warn):
    """Replace pointer cells (ints) with the ``size`` bytes they point at."""
    idx = [i for i, c in enumerate(cells) if isinstance(c, int)]
    if not idx:
        return cells
    out = list(cells)
    reqs = []
    for i in idx:
        p = cells[i]
        if not check_pointer(p):
            out[i] = UnreadableMemory(p, size, f"nil or bad indirect {what} pointer")
        else:
            reqs.append(i)
    if size == 0:
        for i in reqs:
            out[i] = b""
        return out
    results = ctx.mem.read_many([(cells[i], size) for i in reqs])
    bad = 0
    for i, r in zip(reqs, results):
        out[i] = r
        bad += isinstance(r, Exception)
    if bad:
        warn(f"{bad} indirect {what}s could not be read")
    return out


def _sort_key(v):
    if isinstance(v, float) and math.isnan(v):
        return (1, 0.0)
    return (0, v)


def build_entries(ctx, snap, layout, raw_keys, raw_vals, opts):
    """Decode raw cells into ``snap.entries``; return the permutation applied.

    raw_keys/raw_vals hold bytes for inline cells and ints for indirect ones.
    Returns ``order`` with ``order[i]`` = position in memory order of entry i.
    """
    n = len(raw_keys)
    if opts.limit is not None and n > opts.limit:
        raw_keys, raw_vals = raw_keys[:opts.limit], raw_vals[:opts.limit]
        snap.entries_complete = False
    if layout.keys.indirect:
        raw_keys = resolve_indirect(ctx, raw_keys, layout.key.size, "key", snap.warn)
    if layout.elems.indirect:
        raw_vals = resolve_indirect(ctx, raw_vals, layout.elem.size, "elem", snap.warn)
    vd = ctx.value_decoder(snap.warn)
    keys = vd.decode_many(layout.key, raw_keys)
    vals = vd.decode_many(layout.elem, raw_vals)
    order = list(range(len(keys)))
    if opts.sort and layout.key.kind in ("int", "uint", "float", "string", "bool"):
        if all(not isinstance(k, Unreadable) for k in keys):
            order.sort(key=lambda i: _sort_key(keys[i]))
    snap.entries = [(keys[i], vals[i]) for i in order]
    return order


def remap_slots(buckets_iter, order):
    """After sorting, point each slot's ``entry`` at the entry's new index."""
    inverse = [0] * len(order)
    for new, old in enumerate(order):
        inverse[old] = new
    for b in buckets_iter:
        for s in b.slots:
            if s.entry is not None:
                s.entry = inverse[s.entry] if s.entry < len(inverse) else None
