"""Decoder for swiss Go maps (internal/runtime/maps: Go 1.24 and later).

A small map (dirLen == 0) is one group or none; otherwise the directory holds
dirLen table pointers, in which one table may fill several consecutive slots.
Every distinct table's group array is read in bulk and scanned column-wise
(``slab``); a slot is full exactly when its control byte has the high bit
clear.  Keys are never looked up or hashed.
"""

from bisect import bisect_left

from .budget import Budget, BudgetSpent
from .decoding import STREAM_READ, Tally, finish, flush, keep_at_most, raw_cells
from .errors import UnreadableMemory
from .fields import header_keys, of_role
from .slab import (LIVE_CLASS, REST_CLASS, Collected, Scanner, live_per_record, ones,
                   tag_translation)
from .snapshot import MapSnapshot, Slot, SlotBlock, Table

CTRL_EMPTY, CTRL_DELETED = 0x80, 0xFE
SLOTS = 8
MAX_TABLE_CAPACITY = 1024
# Group arrays of neighbouring tables closer than this are read together: the
# bytes between them cost less than one more read (through gdb, far less)
GROUPS_GAP = 64 << 10
HEADER = header_keys("swiss")      # the header fields a snapshot keeps, in order
TABLE = tuple(f.name for f in of_role("swiss.table") if f.kind == "int")  # Table's order
GROUPREF = tuple(f.name for f in of_role("swiss.groupref"))                # data, lengthMask

FULL = tag_translation(lambda b: b & 0x80 == 0)
# full: the high bit clear; empty: every other byte but ctrlDeleted (0x80 is the
# runtime's only other one)
CLASSES = [("full", LIVE_CLASS), ("deleted", CTRL_DELETED), ("empty", REST_CLASS)]


def slot_state(c):
    if c & 0x80 == 0:
        return "full"
    return "deleted" if c == CTRL_DELETED else "empty"


class _Walk:
    def __init__(self, ctx, layout, snap, opts, used):
        self.ctx, self.L, self.snap, self.opts = ctx, layout, snap, opts
        self.scanner = Scanner(layout.group_size, layout.ctrl_off, FULL, layout.key,
                               layout.keys, layout.elem, layout.elems, layout.arch,
                               ctrl_word=True)
        self.detail = opts.detail
        self.used = used
        keep = keep_at_most(ctx, used)
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
        self.groups_seen = 0
        self.empty_groups = 0
        self.spans = []           # (start, end) of the group arrays walked, sorted

    def group(self, addr, buf, off, keep):
        """Visit one group at ``buf[off:]`` slot by slot (the --buckets path).

        Returns {full, empty, deleted} counts and the SlotBlock (None unless keep)."""
        L = self.L
        # slot i's control byte is byte i of the word's value, in either byte order
        ctrl = int.from_bytes(buf[off + L.ctrl_off:off + L.ctrl_off + 8], L.arch.order)
        kc, vc = L.keys, L.elems
        counts = {"full": 0, "empty": 0, "deleted": 0}
        slots = []
        for i in range(SLOTS):
            c = (ctrl >> (8 * i)) & 0xFF
            st = slot_state(c)
            counts[st] += 1
            entry = None
            if st == "full":
                entry = self.col.take(buf, off, i, kc, vc)
            slots.append(Slot(i, st, c, entry))
        if self.opts.raw:
            raw_cells(slots, buf, off, kc, vc)
        if not counts["full"]:
            self.empty_groups += 1
        return counts, (SlotBlock(addr, slots, 0, ctrl) if keep else None)

    def groups(self, base, ngroups, counts, kept):
        """Walk ``ngroups`` groups at ``base``; add to ``counts``; append kept groups."""
        gs, lim = self.L.group_size, self.ctx.limits
        per = max(1, lim.max_read // gs)
        for start in range(0, ngroups, per):
            cnt = min(per, ngroups - start)
            addr = base + start * gs
            try:
                buf = self.ctx.mem.read(addr, cnt * gs)
            except UnreadableMemory as exc:
                self.tally.warn("unreadable pieces of group arrays",
                                f"groups {start}..{start + cnt - 1} at {addr:#x} "
                                f"unreadable: {exc}")
                continue
            if self.detail:
                for j in range(cnt):
                    keep = (self.opts.in_window(self.groups_seen + j) and
                            self.budget.keep_detail())
                    c, b = self.group(addr + j * gs, buf, j * gs, keep)
                    for k, v in c.items():
                        counts[k] += v
                    if b is not None:
                        b.index = start + j
                        kept.append(b)
            else:
                self.empty_groups += self.scanner.scan(buf, cnt, None, self.col, counts,
                                                       CLASSES)
                flush(self.ctx, self.snap, self.L, self.col, self.opts)
            self.groups_seen += cnt

    def claim(self, t):
        """Whether the plausible table ``t`` (a Table) may be walked: not when its
        groups overlap a table walked before (then a warning says so)."""
        span = (t.groups_address, t.groups_address + (t.lengthMask + 1) * self.L.group_size)
        i = bisect_left(self.spans, span)
        if (i and self.spans[i - 1][1] > span[0]) or \
                (i < len(self.spans) and self.spans[i][0] < span[1]):
            self.tally.warn("tables whose groups overlap another table's",
                            f"table {t.address:#x}: its groups at {span[0]:#x} overlap "
                            f"another table's (corrupt?); not walked")
            return False
        self.spans.insert(i, span)
        self.budget.check(f"table {t.address:#x}")
        return True

    def table(self, t):
        """Walk every group of the table ``t`` slot by slot (the --buckets path),
        filling its counters, if it may be walked (:meth:`claim`)."""
        if not self.claim(t):
            return False
        counts = {"full": 0, "empty": 0, "deleted": 0}
        kept = []
        self.groups(t.groups_address, t.lengthMask + 1, counts, kept)
        t.full, t.empty, t.tombstones = counts["full"], counts["empty"], counts["deleted"]
        t.groups = kept
        self.distrust_excess()
        return True

    def distrust_excess(self):
        if self.col.count > self.used:
            self.budget.distrust(f"{self.col.count:,} full slots but used is {self.used:,}")

    def tables(self, tables):
        """Walk the tables' groups in bulk: the group arrays of as many tables as
        fill STREAM_READ bytes are read together and scanned as one array, and each
        table's counters come from its control bytes.  Returns the tables walked
        (an unreadable one too, with no slots counted, as the --buckets path does)."""
        if self.detail:
            return [t for t in tables if self.table(t)]
        gs = self.L.group_size
        walked = []
        batch = []
        size = 0
        all_claimed = self.claim_all(tables)
        for n, t in enumerate(tables):
            if all_claimed or self.claim(t):
                batch.append(t)
                size += (t.lengthMask + 1) * gs
            if batch and (size >= STREAM_READ or n == len(tables) - 1):
                self.budget.check(f"table {t.address:#x}")
                walked += self._bulk(batch)
                batch, size = [], 0
        return walked

    def claim_all(self, tables):
        """:meth:`claim` of every table at once, True, when no two group arrays
        overlap and none was walked before (the runtime never shares them); else
        False, and each table is claimed in turn."""
        if self.spans:
            return False
        gs = self.L.group_size
        spans = sorted((t.groups_address, t.groups_address + (t.lengthMask + 1) * gs)
                       for t in tables)
        if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
            return False
        self.spans = spans
        return True

    def _bulk(self, batch):
        gs, L = self.L.group_size, self.L
        reads = self.ctx.mem.read_many([(t.groups_address, (t.lengthMask + 1) * gs)
                                        for t in batch], gap=GROUPS_GAP)
        good, bufs = [], []
        for t, data in zip(batch, reads):
            if isinstance(data, Exception):
                self.tally.warn("unreadable pieces of group arrays",
                                f"groups 0..{t.lengthMask} at {t.groups_address:#x} "
                                f"unreadable: {data}")
                continue
            good.append(t)
            bufs.append(data)
        if not good:
            return batch
        buf = b"".join(bufs)
        del bufs, reads
        n = len(buf) // gs
        ctrl = self.scanner.tag_words(buf, n)      # each group's control word
        if ctrl is None:                           # not castable in place: one by one
            ctrl = b"".join(buf[j * gs + L.ctrl_off:j * gs + L.ctrl_off + 8] for j in range(n))
        full = ctrl.translate(FULL)     # 1 per full slot, 8 bytes a group
        if self.col.want_cells:
            counts = {"full": 0, "empty": 0, "deleted": 0}
            self.scanner.scan(buf, n, None, self.col, counts, CLASSES)
        else:           # the summary: the control bytes say it all
            self.col.count += ones(full)
        del buf
        self.empty_groups += live_per_record(full).count(0)   # groups with no full slot
        self.groups_seen += n
        at = 0
        tombstones = ctrl.count(CTRL_DELETED) > 0
        for t in good:
            end = at + (t.lengthMask + 1) * 8
            t.full = ones(full[at:end])
            t.tombstones = ctrl.count(CTRL_DELETED, at, end) if tombstones else 0
            t.empty = end - at - t.full - t.tombstones
            at = end
        self.distrust_excess()
        flush(self.ctx, self.snap, self.L, self.col, self.opts)
        return batch


def implausible(f, g, global_depth, limits):
    """Why a table cannot be one the runtime made, or '' when it can: a capacity
    that is a power of two from 8 to 1024 slots, filled by lengthMask+1 groups,
    used and growthLeft within it, a localDepth within the directory's depth.
    ``f`` is (used, capacity, growthLeft, localDepth, index), ``g`` (data, lengthMask)."""
    used, cap, growth_left, local_depth, _ = f
    data, mask = g
    if cap < SLOTS or cap > MAX_TABLE_CAPACITY or cap & (cap - 1):
        return f"capacity {cap} is not a power of two from {SLOTS} to {MAX_TABLE_CAPACITY}"
    if mask + 1 != cap // SLOTS:
        return f"{mask + 1} groups for capacity {cap}"
    if mask + 1 > limits.max_buckets:
        return f"{mask + 1} groups exceed --max-buckets"
    if used > cap or growth_left > cap:
        return f"used {used} or growthLeft {growth_left} exceeds capacity {cap}"
    if local_depth > global_depth:
        return f"localDepth {local_depth} exceeds the directory's globalDepth {global_depth}"
    if data % 8 or not data:
        return f"group array pointer {data:#x} is nil or misaligned"
    return ""


def decode(ctx, layout, addr, opts):
    """Decode the swiss map whose header is at ``addr`` into a MapSnapshot."""
    L = layout
    snap = MapSnapshot("swiss", L.map_type.name, L.key.name, L.elem.name, addr,
                       ctx.go_version, 0, split_groups=L.split, key_kind=L.key.kind,
                       elem_kind=L.elem.kind)
    h = L.header.read_all(ctx.mem.read(addr, L.header.size))
    snap.header = {k: h[n] for n, k in HEADER if n in h}
    used, dir_ptr, dir_len = h["used"], h["dirPtr"], h["dirLen"]
    snap.count = used
    if h["writing"]:
        snap.warn("writing is set: the snapshot was taken in the middle of a write; "
                  "the map may be inconsistent")
    walk = _Walk(ctx, L, snap, opts, used)
    gs = L.group_size
    tables = []
    dir_bytes = groups_bytes = 0
    slots = {"full": 0, "empty": 0, "deleted": 0}
    if dir_len == 0:
        snap.group_address = dir_ptr or None
        if dir_ptr:
            kept = [] if opts.detail else None
            walk.groups(dir_ptr, 1, slots, kept)
            snap.group = kept[0] if kept else None
            groups_bytes = gs
            if slots["deleted"]:
                snap.warn(f"a small map has {slots['deleted']} tombstones; the runtime never "
                          f"makes them there (corrupt group?)")
    elif dir_len < 0 or dir_len > ctx.limits.max_tables:
        snap.warn(f"dirLen={dir_len} is implausible (corrupt header?) or exceeds "
                  f"--max-tables; directory not walked")
    else:
        if dir_len != 1 << h["globalDepth"]:
            snap.warn(f"dirLen={dir_len} but globalDepth={h['globalDepth']} "
                      f"(expected 2^globalDepth): corrupt header?")
        try:
            tables, dir_bytes = _directory(ctx, L, dir_ptr, dir_len, h["globalDepth"],
                                           snap, walk)
            if sum(t.used for t in tables) != used:
                walk.budget.distrust("the tables' used disagree with the map's")
            for t in walk.tables(tables):
                groups_bytes += (t.lengthMask + 1) * gs
                _check_table(t, walk.tally)
            for t in tables:
                slots["full"] += t.full
                slots["empty"] += t.empty
                slots["deleted"] += t.tombstones
        except BudgetSpent as exc:
            snap.warn(str(exc))
            snap.entries_complete = False
        snap.tables = tables
    checks = []
    if tables and sum(t.used for t in tables) != used:
        checks.append(f"MISMATCH: tables' used add up to {sum(t.used for t in tables)} but "
                      f"the map's used is {used}")
    capacity = sum(t.capacity for t in tables) if tables else (SLOTS if dir_ptr else 0)
    stats = {
        "live": walk.col.count, "slots": slots,
        "tables": len(tables), "groups": walk.groups_seen, "empty_groups": walk.empty_groups,
        "capacity": capacity, "load": round(used / capacity, 3) if capacity else 0.0,
        "tombstones": slots["deleted"], "group_size": gs,
        "slot_size": None if L.split else L.keys.stride,
    }
    held = {"header": L.header.size, "directory": dir_bytes,
            "tables": len(tables) * L.table.size, "groups": groups_bytes}
    blocks = None
    if opts.detail:
        blocks = [g for t in tables for g in (t.groups or [])]
        if snap.group is not None:
            blocks.append(snap.group)
    finish(ctx, snap, L, walk, opts, used, blocks, stats, held, checks)
    return snap


def _directory(ctx, L, dir_ptr, dir_len, global_depth, snap, walk):
    """Read the directory; return the distinct plausible tables in order and the
    directory bytes.  Tables are read and checked a batch at a time, so that a
    forged directory of a million tables costs no more than the budget allows."""
    tally = walk.tally
    try:
        raw = ctx.mem.read(dir_ptr, dir_len * L.arch.ptr)
    except UnreadableMemory as exc:
        snap.warn(f"directory at {dir_ptr:#x} unreadable: {exc}")
        return [], 0
    ptrs = L.arch.words(raw)
    del raw
    runs = _runs(ptrs)        # [pointer, first slot, slots], one per run of equal slots
    if len(runs) != len(set(ptrs)):   # a table in non-consecutive slots: corrupt
        runs = _merge_runs(runs, tally)
    del ptrs
    if len(runs) > ctx.limits.max_tables:
        snap.warn(f"{len(runs)} distinct tables exceed --max-tables; only the first "
                  f"{ctx.limits.max_tables} are walked")
        del runs[ctx.limits.max_tables:]
    tables = []
    goff = L.table.fields["groups"][0]
    fields = L.table.unpacker(TABLE)
    groupref = L.groupref.unpacker(GROUPREF, goff)
    batch = 4096
    for first in range(0, len(runs), batch):
        walk.budget.check(f"table {first:,} of {len(runs):,} in the directory")
        part = runs[first:first + batch]
        reads = ctx.mem.read_many([(r[0], L.table.size) for r in part])
        for (p, start, n), data in zip(part, reads):
            dslots = list(range(start, start + n)) if isinstance(n, int) else n
            if isinstance(data, Exception):
                tally.warn("tables unreadable", f"table {p:#x} (directory slots "
                                                f"{_slot_list(dslots)}) unreadable; skipped")
                continue
            f, g = fields(data), groupref(data)
            why = implausible(f, g, global_depth, ctx.limits)
            if why:
                tally.warn("implausible tables not walked",
                           f"table {p:#x}: {why} (corrupt?); not walked")
                continue
            tables.append(Table(p, *f, *g, dslots))
    return tables, dir_len * L.arch.ptr


def _runs(ptrs):
    """[pointer, first slot, count] for each run of equal directory slots."""
    runs = []
    prev = None
    for i, p in enumerate(ptrs):
        if p == prev:
            runs[-1][2] += 1
        else:
            runs.append([p, i, 1])
            prev = p
    return runs


def _merge_runs(runs, tally):
    """Join the runs of a table that fills non-consecutive slots: [pointer, first
    slot, list of slots], in the order each table first appears."""
    merged = {}
    for p, start, n in runs:
        slots = range(start, start + n)
        if p in merged:
            merged[p][2].extend(slots)
        else:
            merged[p] = [p, start, list(slots)]
    for p, _, slots in merged.values():
        if slots[-1] - slots[0] != len(slots) - 1:
            tally.warn("tables in non-consecutive directory slots",
                       f"table {p:#x} fills non-consecutive directory slots "
                       f"{_slot_list(slots)}")
    return list(merged.values())


def _slot_list(slots, shown=8):
    """A directory slot list for a warning, cut when long."""
    if len(slots) <= shown:
        return str(slots)
    return f"[{', '.join(map(str, slots[:shown]))}, ... {len(slots)} slots]"


def _check_table(t, tally):
    if t.full != t.used:
        tally.warn("tables whose full slots disagree with used",
                   f"MISMATCH: table {t.address:#x} has {t.full} full slots but used is "
                   f"{t.used}")
    if t.capacity != (t.lengthMask + 1) * SLOTS:
        tally.warn("tables whose capacity disagrees with their groups",
                   f"table {t.address:#x}: capacity {t.capacity} but {t.lengthMask + 1} groups")
    max_growth = t.capacity - 1 if t.capacity <= SLOTS else t.capacity * 7 // 8
    t.tombstones_expected = max_growth - t.used - t.growthLeft
    if t.tombstones_expected != t.tombstones:
        tally.warn("tables whose tombstones disagree with capacity, used and growthLeft",
                   f"table {t.address:#x}: {t.tombstones} tombstones in control bytes but "
                   f"capacity*7/8 - used - growthLeft = {t.tombstones_expected}")
    if t.directory_slots and t.index != t.directory_slots[0]:
        tally.warn("tables whose index disagrees with the directory",
                   f"table {t.address:#x}: index {t.index} but first directory slot "
                   f"{t.directory_slots[0]}")
