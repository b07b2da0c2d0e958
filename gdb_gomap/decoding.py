"""What both decoders share: the decode context, options, turning the raw
cells a walk collected into typed, sorted entries, and the ending of a decode
(``finish``: the count check, the entries, the byte counts)."""

import math
from operator import itemgetter
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

from .errors import BadPointer
from .limits import DEFAULT_LIMITS, Limits
from .arch import AMD64, Arch
from .slab import indirect_counts
from .strread import decode_strings
from .valuedecode import ValueDecoder, cut_values
from .values import Unreadable


@dataclass
class DumpOptions:
    """What a caller wants from a decode.

    entries:  decode keys and values (the summary view does not need them)
    limit:    decode at most this many entries (in memory order), None for all
    detail:   keep every bucket/group with its slots (the --buckets view)
    window:   (first, last) bucket or group indices kept in the detail, inclusive
    sort:     sort entries by key when the keys are plain scalars (else walk order)
    raw:      with ``detail``, keep every slot's stored key and elem bytes (hex), live
              or not, so that a diff can tell cleared cells from ones left in place
    json_bytes: string keys and values stay as their bytes (``bytes``; a string
              that could not be read or was cut stays a str or Unreadable); for a
              snapshot that only render.jsonout.write_json will see: it writes
              them without making a Python str of each (see jsonout.py)
    cells:    keep the live cells undecoded in ``snap.cells`` (a slab.Collected of
              'raw' columns: each key and elem cell's bytes, an indirect cell as
              its pointer int; a column of strings is 'str': data pointers, their
              lengths in klens/vlens) instead of building entries (the census walk)
    sink:     stream the entries instead of keeping them: the walk decodes the live
              cells a batch at a time (about STREAM_BATCH, once a table or a run of
              buckets is scanned) and calls ``sink(snap, keys, vals)`` with each
              batch, in walk order; ``snap.entries`` stays empty, so memory does not
              grow with the map.  Only without ``sort``, ``detail`` and ``cells``
              (``streams``; else the entries are kept as usual).  The sink of
              ``--json`` is render.jsonout.JsonStream
    """
    entries: bool = True
    limit: Optional[int] = None
    detail: bool = False
    window: Optional[Tuple[int, int]] = None
    sort: bool = True
    raw: bool = False
    json_bytes: bool = False
    cells: bool = False
    sink: Optional[Callable[[Any, list, list], Any]] = None

    @property
    def streams(self):
        """Whether a decode hands its entries to ``sink`` (else it keeps them)."""
        return (self.sink is not None and self.entries and not self.sort and
                not self.detail and not self.cells)

    def in_window(self, i):
        return self.window is None or self.window[0] <= i <= self.window[1]


class Context:
    """Everything a decoder needs about one target: memory, types, release, bounds."""

    def __init__(self, memory, types, types_base, go_version, limits: Limits = DEFAULT_LIMITS,
                 arch: Arch = AMD64):
        self.mem = memory
        self.arch = arch
        self.types = types
        self.types_base = types_base
        self.go_version = go_version
        self.limits = limits
        self.map_count = None  # set by the target: callable(map GoType, addr) -> int
        self.string_blocks = {}  # strread's cache of string data between batches
        self.func_name = None  # set by the target: callable(code address) -> name or None

    def value_decoder(self, warn):
        return ValueDecoder(self.mem, self.types, self.types_base, self.limits, warn,
                            self.map_count, self.func_name, self.arch)


class Tally:
    """Warnings that corrupt memory can repeat without end (one per bucket, table,
    chunk): the first ``shown`` of each kind are said, then one line with the count.
    Each is a sign of corruption, so it also puts the decode's ``budget`` in force."""

    def __init__(self, snap, budget, shown=3):
        self.snap, self.budget, self.shown = snap, budget, shown
        self.counts = {}

    def warn(self, kind, text):
        self.budget.distrust(kind)
        n = self.counts.get(kind, 0) + 1
        self.counts[kind] = n
        if n <= self.shown:
            self.snap.warn(text)

    def close(self):
        for kind, n in self.counts.items():
            if n > self.shown:
                self.snap.warn(f"... and {n - self.shown} more: {kind}")
        self.counts = {}


def keep_at_most(ctx, count):
    """How many live cells a walk keeps: --max-entries, and no more than the header's
    count allows (with room for writes in flight): cells past that cannot all be
    real, and keeping them is how a forged map would exhaust memory."""
    return min(ctx.limits.max_entries, max(count, 0) + 64 + max(count, 0) // 64)


def resolve_indirect(ctx, cells, size, what, warn):
    """Replace pointer cells (ints) with the ``size`` bytes they point at."""
    idx = [i for i, c in enumerate(cells) if isinstance(c, int)]
    if not idx:
        return cells
    out = list(cells)
    reqs = []
    for i in idx:
        p = cells[i]
        if not ctx.arch.plausible(p):
            out[i] = BadPointer(p, size, f"indirect {what}")
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


SORTABLE = ("int", "uint", "float", "string", "bool")


def _finish(ctx, snap, kind, items, lens, gotype, cell, what, as_bytes=False, cache=None):
    """Turn one collected column into decoded values; also say if all are readable.
    ``lens`` holds the string lengths of a 'str' column (``items`` the pointers);
    ``as_bytes`` leaves its strings as bytes (DumpOptions.json_bytes); ``cache``
    keeps string data between batches (see strread.decode_strings)."""
    if kind == "prim":   # plain ints; those equal to a constant of their type get its name
        return ctx.value_decoder(snap.warn).name_constants(gotype, items), True
    if kind == "zero":
        return items, True
    if kind == "str":
        return decode_strings(ctx.mem, items, lens, ctx.limits.max_string, snap.warn,
                              as_bytes, cache, ctx.arch)
    if cell.indirect:
        items = resolve_indirect(ctx, items, gotype.size, what, snap.warn)
    vals = ctx.value_decoder(snap.warn).decode_many(gotype, items)
    return vals, not any(isinstance(v, Unreadable) for v in vals)


def _decode_cells(ctx, snap, layout, col, cells, as_bytes, cache=None):
    """(keys, vals, clean) from raw cells ``(keys, vals, klens, vlens)`` of ``col``'s
    kinds; clean is False when a key could not be read.  ``cache``: see _finish."""
    ks, vs, kl, vl = cells
    if col.kkind == "str" and col.vkind == "str":   # one bulk read for both columns
        both, clean = decode_strings(ctx.mem, ks + vs, kl + vl, ctx.limits.max_string,
                                     snap.warn, as_bytes, cache, ctx.arch)
        keys, vals = both[:len(ks)], both[len(ks):]
        if not clean:
            clean = not any(isinstance(k, Unreadable) for k in keys)
        return keys, vals, clean
    keys, clean = _finish(ctx, snap, col.kkind, ks, kl, layout.key, layout.keys, "key",
                          as_bytes, cache)
    del ks, kl
    vals, _ = _finish(ctx, snap, col.vkind, vs, vl, layout.elem, layout.elems, "elem",
                      as_bytes, cache)
    return keys, vals, clean


def build_entries(ctx, snap, layout, col, opts, want_order=False):
    """Decode the collected cells into ``snap.entries``.

    Entries keep the walk order unless ``opts.sort`` and the keys are scalars.
    ``--limit N`` keeps the first N in walk order.  With ``want_order``, returns
    ``order``: order[i] is the collection index of entry i, for remapping the
    slots of the --buckets view; else None.
    """
    n = len(col.keys)
    cells = col.keys, col.vals, col.klens, col.vlens
    if opts.limit is not None and n > opts.limit:
        cells = tuple(c[:opts.limit] for c in cells)
        snap.entries_complete = False
    col.keys = col.vals = col.klens = col.vlens = None   # raw cells: no longer needed
    as_bytes = opts.json_bytes and not opts.sort and not want_order
    keys, vals, clean = _decode_cells(ctx, snap, layout, col, cells, as_bytes)
    del cells
    cut = cut_values(layout.elem, keys, vals, ctx.limits.max_items)
    if cut:
        snap.warn(cut)
    order = list(range(len(keys))) if want_order else None
    if opts.sort and layout.key.kind in SORTABLE and clean:
        if want_order:
            order.sort(key=lambda i: _sort_key(keys[i]))
            snap.entries = [(keys[i], vals[i]) for i in order]
            return order
        entries = list(zip(keys, vals))
        if layout.key.kind == "float":
            entries.sort(key=lambda e: _sort_key(e[0]))
        else:
            entries.sort(key=itemgetter(0))
        snap.entries = entries
        return None
    snap.entries = list(zip(keys, vals))
    return order


# A streamed decode (DumpOptions.sink) hands on its entries once this many cells
# are collected; the bulk walk of a classic bucket array reads at most
# STREAM_READ bytes at a time, with a sink or without (the same walk order).
STREAM_BATCH = 1 << 16
STREAM_READ = 4 << 20


def flush(ctx, snap, layout, col, opts, last=False):
    """With ``opts.sink``: decode the cells collected since the last flush and hand
    them to the sink, once there are STREAM_BATCH of them (every one when ``last``).
    The walks call it after each table or run of buckets; without a sink it does
    nothing."""
    if not opts.streams or not col.want_cells or (not last and len(col.keys) < STREAM_BATCH):
        return
    before = col.drained
    cells = col.drain(layout)
    if opts.limit is not None and before + len(cells[0]) > opts.limit:
        cells = tuple(c[:max(0, opts.limit - before)] for c in cells)
        snap.entries_complete = False
    if not cells[0]:
        return
    keys, vals, _ = _decode_cells(ctx, snap, layout, col, cells, opts.json_bytes,
                                  ctx.string_blocks)
    del cells
    cut = cut_values(layout.elem, keys, vals, ctx.limits.max_items)
    if cut:     # one warning per batch: a batch names its own cut values
        snap.warn(cut)
    opts.sink(snap, keys, vals)


def raw_cells(slots, buf, off, kc, vc):
    """Attach each slot's stored key and elem cell bytes (hex) to ``slots``.

    ``buf[off:]`` is the bucket or group; ``kc``/``vc`` are the layout's Cells.
    An indirect cell is its 8-byte pointer.
    """
    for s in slots:
        ko = off + kc.offset + s.index * kc.stride
        vo = off + vc.offset + s.index * vc.stride
        s.key_raw = bytes(buf[ko:ko + kc.size]).hex()
        s.elem_raw = bytes(buf[vo:vo + vc.size]).hex()


def remap_slots(buckets_iter, order):
    """After sorting, point each slot's ``entry`` at the entry's new index."""
    inverse = {old: new for new, old in enumerate(order)}
    for b in buckets_iter:
        for s in b.slots:
            if s.entry is not None:
                s.entry = inverse.get(s.entry)


def finish(ctx, snap, layout, walk, opts, count, blocks, stats, held, checks=()):
    """The ending both decoders share, once the walk is done.

    Closes the walk's warnings and budget, checks the live cells (``walk.col``)
    against the header's ``count``, adds the decoder's own ``checks`` (warnings),
    decodes the entries and points the slots of the kept ``blocks`` (SlotBlocks,
    or None without --buckets) at them, and sets ``snap.stats``: the decoder's
    ``stats``, then the cell sizes and the bytes held (``held``: the decoder's own
    byte counts, header first; the indirect keys and elems and the total are added
    here).  Which words (live cells or full slots, count or used, buckets or groups)
    come from ``snap.layout``."""
    classic = snap.layout == "classic"
    cells, what, units = (("live cells", "count", "buckets") if classic else
                          ("full slots", "used", "groups"))
    walk.tally.close()
    walk.budget.close(snap, units)
    col, L = walk.col, layout
    live = col.count
    if col.capped:
        snap.warn(f"only the first {col.kept:,} of {live:,} {cells} are kept "
                  f"(no more than {what} allows, nor max_entries): corrupt memory?")
    if live != count:
        snap.warn(f"MISMATCH: found {live} {cells} but {what} is {count}; the map is "
                  f"corrupt, mid-write, or the decode was cut short (see other warnings)")
    for text in checks:
        snap.warn(text)
    if opts.streams:
        flush(ctx, snap, L, col, opts, last=True)
    ik, iv = indirect_counts(col, L)
    if opts.cells:      # the census: the live cells as they are, no entries
        snap.cells = col
        snap.entries_complete = not col.capped
    elif opts.streams:
        if col.capped:
            snap.entries_complete = False
    elif opts.entries:
        capped = col.capped
        order = build_entries(ctx, snap, L, col, opts, want_order=opts.detail)
        if capped:
            snap.entries_complete = False
        if blocks is not None:
            remap_slots(blocks, order)
    else:
        snap.entries_complete = False
    ikb, ivb = ik * L.key.size, iv * L.elem.size
    held = dict(held, indirect_keys=ikb, indirect_elems=ivb)
    held["total"] = sum(held.values())
    snap.stats = dict(stats, key_cell=L.keys.size, elem_cell=L.elems.size,
                      indirect_key=L.keys.indirect, indirect_elem=L.elems.indirect,
                      bytes=held)
