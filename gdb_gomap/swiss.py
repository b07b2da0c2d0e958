"""Decoder for swiss Go maps (internal/runtime/maps: Go 1.24 and later).

A small map (dirLen == 0) is one group or none; otherwise the directory holds
dirLen table pointers, in which one table may fill several consecutive slots.
Every distinct table's group array is read in bulk; a slot is full exactly when
its control byte has the high bit clear.  Keys are never looked up or hashed.
"""

from .decode import build_entries, remap_slots
from .errors import UnreadableMemory
from .snapshot import Bucket, MapSnapshot, Slot, Table

CTRL_EMPTY, CTRL_DELETED = 0x80, 0xFE
SLOTS = 8
MAX_TABLE_CAPACITY = 1024


def slot_state(c):
    if c & 0x80 == 0:
        return "full"
    return "deleted" if c == CTRL_DELETED else "empty"


class _Walk:
    def __init__(self, ctx, layout, snap, opts):
        self.ctx, self.L, self.snap, self.opts = ctx, layout, snap, opts
        self.keys, self.vals = [], []
        self.indirect_keys = self.indirect_vals = 0
        self.groups_seen = 0
        self.empty_groups = 0

    def group(self, addr, buf, off, keep):
        """Record one group at ``buf[off:]``; return (full, empty, deleted, Bucket|None)."""
        L = self.L
        ctrl = int.from_bytes(buf[off + L.ctrl_off:off + L.ctrl_off + 8], "little")
        kc, vc = L.keys, L.elems
        full = empty = deleted = 0
        slots = [] if keep else None
        for i in range(SLOTS):
            c = (ctrl >> (8 * i)) & 0xFF
            entry = None
            if c & 0x80 == 0:
                full += 1
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
            elif c == CTRL_DELETED:
                deleted += 1
            else:
                empty += 1
            if keep:
                slots.append(Slot(i, slot_state(c), c, entry))
        if not full:
            self.empty_groups += 1
        return full, empty, deleted, (Bucket(addr, slots, 0, ctrl) if keep else None)

    def table(self, t):
        """Walk every group of table ``t`` (a Table), filling its counters."""
        L, lim = self.L, self.ctx.limits
        gs = L.group_size
        ngroups = t.lengthMask + 1
        if ngroups > lim.max_buckets or ngroups * SLOTS > MAX_TABLE_CAPACITY * 64:
            self.snap.warn(f"table {t.address:#x}: {ngroups} groups is implausible "
                           f"(corrupt?); not walked")
            return
        if t.groups is None and self.opts.detail:
            t.groups = []
        per = max(1, lim.max_read // gs)
        for start in range(0, ngroups, per):
            cnt = min(per, ngroups - start)
            base = t.groups_address + start * gs
            try:
                buf = self.ctx.mem.read(base, cnt * gs)
            except UnreadableMemory as exc:
                self.snap.warn(f"table {t.address:#x}: groups {start}..{start + cnt - 1} "
                               f"unreadable: {exc}")
                continue
            for j in range(cnt):
                gi = start + j
                keep = t.groups is not None and self.opts.in_window(self.groups_seen)
                self.groups_seen += 1
                f, e, d, b = self.group(base + j * gs, buf, j * gs, keep)
                t.full += f
                t.empty += e
                t.tombstones += d
                if b is not None:
                    b.index = gi
                    t.groups.append(b)


def _header(ctx, L, addr, snap):
    hdr = ctx.mem.read(addr, L.header.size)
    h = L.header.read_all(hdr)
    keep = ("used", "seed", "dirPtr", "dirLen", "globalDepth", "globalShift", "writing",
            "tombstonePossible", "clearSeq")
    snap.header = {k: h[k] for k in keep if k in h}
    return h


def decode(ctx, layout, addr, opts):
    """Decode the swiss map whose header is at ``addr`` into a MapSnapshot."""
    L = layout
    snap = MapSnapshot("swiss", L.map_type.name, L.key.name, L.elem.name, addr,
                       ctx.go_version, 0, split_groups=L.split)
    h = _header(ctx, L, addr, snap)
    used, dir_ptr, dir_len = h["used"], h["dirPtr"], h["dirLen"]
    snap.count = used
    if h["writing"]:
        snap.warn("writing is set: the snapshot was taken in the middle of a write; "
                  "the map may be inconsistent")
    walk = _Walk(ctx, L, snap, opts)
    gs = L.group_size
    tables = []
    dir_bytes = 0
    groups_bytes = 0
    full = empty = deleted = 0
    if dir_len == 0:
        snap.group_address = dir_ptr or None
        if dir_ptr:
            try:
                buf = ctx.mem.read(dir_ptr, gs)
            except UnreadableMemory as exc:
                snap.warn(f"small-map group at {dir_ptr:#x} unreadable: {exc}")
            else:
                full, empty, deleted, b = walk.group(dir_ptr, buf, 0, opts.detail)
                snap.group = b
                groups_bytes = gs
            if deleted:
                snap.warn(f"a small map has {deleted} tombstones; the runtime never makes "
                          f"them there (corrupt group?)")
    elif dir_len < 0 or dir_len > ctx.limits.max_tables:
        snap.warn(f"dirLen={dir_len} is implausible (corrupt header?) or exceeds "
                  f"--max-tables; directory not walked")
    else:
        if dir_len != 1 << h["globalDepth"]:
            snap.warn(f"dirLen={dir_len} but globalDepth={h['globalDepth']} "
                      f"(expected 2^globalDepth): corrupt header?")
        tables, dir_bytes = _directory(ctx, L, dir_ptr, dir_len, snap)
        for t in tables:
            walk.table(t)
            full += t.full
            empty += t.empty
            deleted += t.tombstones
            groups_bytes += (t.lengthMask + 1) * gs
            _check_table(t, snap)
        snap.tables = tables
    live = len(walk.keys)
    if live != used:
        snap.warn(f"MISMATCH: found {live} full slots but used is {used}; the map is "
                  f"corrupt, mid-write, or the decode was cut short (see other warnings)")
    if tables and sum(t.used for t in tables) != used:
        snap.warn(f"MISMATCH: tables' used add up to {sum(t.used for t in tables)} but the "
                  f"map's used is {used}")
    if opts.entries:
        order = build_entries(ctx, snap, L, walk.keys, walk.vals, opts)
        groups = [g for t in tables for g in (t.groups or [])]
        if snap.group is not None:
            groups.append(snap.group)
        remap_slots(groups, order)
    else:
        snap.entries_complete = False
    capacity = sum(t.capacity for t in tables) if tables else (SLOTS if dir_ptr else 0)
    ik = walk.indirect_keys * L.key.size
    iv = walk.indirect_vals * L.elem.size
    tables_bytes = len(tables) * L.table.size
    snap.stats = {
        "live": live, "slots": {"full": full, "empty": empty, "deleted": deleted},
        "tables": len(tables), "groups": walk.groups_seen, "empty_groups": walk.empty_groups, "capacity": capacity,
        "load": round(used / capacity, 3) if capacity else 0.0,
        "tombstones": deleted, "group_size": gs, "slot_size": L.keys.stride if not L.split
        else None, "key_cell": L.keys.size, "elem_cell": L.elems.size,
        "indirect_key": L.keys.indirect, "indirect_elem": L.elems.indirect,
        "bytes": {"header": L.header.size, "directory": dir_bytes, "tables": tables_bytes,
                  "groups": groups_bytes, "indirect_keys": ik, "indirect_elems": iv,
                  "total": L.header.size + dir_bytes + tables_bytes + groups_bytes + ik + iv},
    }
    return snap


def _directory(ctx, L, dir_ptr, dir_len, snap):
    """Read the directory; return the distinct tables in order and the directory bytes."""
    try:
        raw = ctx.mem.read(dir_ptr, dir_len * 8)
    except UnreadableMemory as exc:
        snap.warn(f"directory at {dir_ptr:#x} unreadable: {exc}")
        return [], 0
    ptrs = [int.from_bytes(raw[i * 8:i * 8 + 8], "little") for i in range(dir_len)]
    order, slots = [], {}
    for i, p in enumerate(ptrs):
        if p not in slots:
            slots[p] = []
            order.append(p)
        slots[p].append(i)
    tables = []
    reads = ctx.mem.read_many([(p, L.table.size) for p in order])
    T, G = L.table, L.groupref
    goff = T.fields["groups"][0]
    for p, data in zip(order, reads):
        if isinstance(data, Exception):
            snap.warn(f"table {p:#x} (directory slots {slots[p]}) unreadable; skipped")
            continue
        f = T.read_all(data)
        tables.append(Table(p, f["used"], f["capacity"], f["growthLeft"], f["localDepth"],
                            f["index"], G.read(data, "data", goff),
                            G.read(data, "lengthMask", goff), slots[p]))
        run = slots[p]
        if run != list(range(run[0], run[0] + len(run))):
            snap.warn(f"table {p:#x} fills non-consecutive directory slots {run}")
    return tables, dir_len * 8


def _check_table(t, snap):
    if t.full != t.used:
        snap.warn(f"MISMATCH: table {t.address:#x} has {t.full} full slots but used is {t.used}")
    if t.capacity != (t.lengthMask + 1) * SLOTS:
        snap.warn(f"table {t.address:#x}: capacity {t.capacity} but {t.lengthMask + 1} groups")
    max_growth = t.capacity - 1 if t.capacity <= SLOTS else t.capacity * 7 // 8
    t.tombstones_expected = max_growth - t.used - t.growthLeft
    if t.tombstones_expected != t.tombstones:
        snap.warn(f"table {t.address:#x}: {t.tombstones} tombstones in control bytes but "
                  f"capacity*7/8 - used - growthLeft = {t.tombstones_expected}")
    if t.directory_slots and t.index != t.directory_slots[0]:
        snap.warn(f"table {t.address:#x}: index {t.index} but first directory slot "
                  f"{t.directory_slots[0]}")
