"""The census's fast path for small maps: one bucket or one group, nothing else.

A process holds most of its maps small: a classic map with ``B == 0``, no
old buckets and no overflow bucket, a swiss map with ``dirLen == 0`` (one
group or none).  For those the full decoder (``classic.decode``,
``swiss.decode``) does what a census does not need (a snapshot, warnings,
per-state counts, a column scan of one record), and its fixed cost is most of
a census of 200,000 small maps.  :class:`SmallMaps` reads the header and the
one bucket or group and gives what the walk takes from a decode: the
header's count, the bytes the map holds (the decoder's
``stats["bytes"]["total"]``: header, the bucket or group, indirect keys and
elems) and the live cells as ``slab.Collected`` 'raw' columns in slot order,
the order the decoder keeps them.  Anything else (a bigger map, a growing
one, an overflow bucket, a negative count, unreadable memory) returns None:
the caller then takes the full decoder, which says what is wrong.

tests/test_census_smallmap.py checks it against the full decoder on real
maps of both layouts.
"""

from ..errors import UnreadableMemory
from ..slab import Collected

SLOTS = 8
MIN_TOPHASH = 5          # classic: a cell is live when its tophash is at least this
EMPTY_ONE = 1            # classic: a deleted cell with live cells after it
CTRL_DELETED = 0xFE      # swiss: a tombstone's control byte


class _Plan:
    """What one map type's fast path needs from its layout."""

    __slots__ = ("swiss", "hsize", "unpack", "rec", "tag", "kc", "vc", "ksize", "vsize",
                 "ovf", "order", "ptr", "tags")

    def __init__(self, lay):
        self.swiss = lay.kind == "swiss"
        self.hsize = lay.header.size
        if self.swiss:
            self.unpack = lay.header.unpacker(("used", "dirPtr", "dirLen"))
            self.rec, self.tag, self.ovf = lay.group_size, lay.ctrl_off, None
        else:
            self.unpack = lay.header.unpacker(("count", "B", "buckets", "oldbuckets"))
            self.rec, self.tag, self.ovf = lay.bucket_size, lay.tophash_off, lay.overflow_off
        self.kc, self.vc = lay.keys, lay.elems
        self.ksize, self.vsize = lay.key.size, lay.elem.size
        self.order, self.ptr = lay.arch.order, lay.arch.ptr
        # where slot i's tag byte is: a swiss control word is a uint64 whose value's
        # byte i is slot i's, so on a big-endian machine it sits at 7 - i
        rev = self.swiss and self.order == "big"
        self.tags = [self.tag + (SLOTS - 1 - i if rev else i) for i in range(SLOTS)]


class SmallMaps:
    """Decodes the small maps of one target (see the module)."""

    def __init__(self, memory, limits):
        self.mem = memory
        self.limits = limits
        self._plans = {}

    def plan(self, lay):
        p = self._plans.get(id(lay))
        if p is None:
            p = self._plans[id(lay)] = _Plan(lay)
        return p

    def decode(self, lay, addr, want_cells):
        """(count, own bytes, Collected or None, slots, tombstones) of the small map
        whose header is at ``addr`` (layout ``lay``), or None when it is not one (see
        the module).  ``slots``: the cells its storage has room for (8, or 0 without
        a group or bucket); ``tombstones``: the deleted cells among them (swiss
        ctrlDeleted, classic emptyOne)."""
        if self.limits.max_entries < SLOTS:
            return None
        p = self.plan(lay)
        try:
            hdr = self.mem.read(addr, p.hsize)
        except UnreadableMemory:
            return None
        if p.swiss:
            count, data, dir_len = p.unpack(hdr)
            if dir_len != 0:
                return None
        else:
            count, b, data, old = p.unpack(hdr)
            if b != 0 or old:
                return None
        if count < 0 or count > SLOTS:
            return None
        own = p.hsize
        if not data:
            if count:
                return None
            return count, own, (Collected("raw", "raw") if want_cells else None), 0, 0
        try:
            rec = self.mem.read(data, p.rec)
        except UnreadableMemory:
            return None
        tags = [rec[t] for t in p.tags]
        if p.swiss:
            live = [i for i in range(SLOTS) if not tags[i] & 0x80]
            tombstones = tags.count(CTRL_DELETED)
        else:
            if int.from_bytes(rec[p.ovf:p.ovf + p.ptr], p.order):
                return None
            live = [i for i in range(SLOTS) if tags[i] >= MIN_TOPHASH]
            tombstones = tags.count(EMPTY_ONE)
        own += p.rec
        kc, vc = p.kc, p.vc
        col = None
        if want_cells or kc.indirect or vc.indirect:
            col = Collected("raw", "raw", order=p.order)
            col.count = len(live)
            col.keys = [_cell(rec, kc, i, p.order) for i in live]
            col.vals = [_cell(rec, vc, i, p.order) for i in live]
            if kc.indirect:
                own += p.ksize * sum(1 for k in col.keys if k)
            if vc.indirect:
                own += p.vsize * sum(1 for v in col.vals if v)
        return count, own, (col if want_cells else None), SLOTS, tombstones


def _cell(rec, cell, i, order):
    """Slot ``i``'s key or elem cell: its bytes, or its pointer when indirect."""
    o = cell.offset + i * cell.stride
    if cell.indirect:
        return int.from_bytes(rec[o:o + cell.size], order)
    return rec[o:o + cell.size]
