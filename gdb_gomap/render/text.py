"""The text views of a snapshot: summary, entries, buckets/groups.

Renderers write lines through a ``write`` callable so that a huge map never
sits in one string; front ends pass gdb.write or a file's write.
"""

from ..fields import json_keys, require
from ..snapshot import flag_names
from .gosyntax import fmt

CLASSIC_MARK = {"live": "L", "emptyOne": "1", "emptyRest": "0", "evacuatedX": "X",
                "evacuatedY": "Y", "evacuatedEmpty": "E"}


# The runtime fields the summaries show (a name the table lacks fails at import).
require("classic.header", "count", "flags", "B", "noverflow", "hash0", "buckets", "oldbuckets",
        "nevacuate", "clearSeq", "extra")
require("swiss.header", "used", "seed", "dirPtr", "dirLen", "globalDepth", "globalShift",
        "writing", "tombstonePossible", "clearSeq")
require("swiss.table", "used", "capacity", "growthLeft", "localDepth", "index")
EXTRA = json_keys("classic.mapextra")


def _n(x):
    return f"{x:,}"


def _bytes(b):
    parts = [f"{k} {_n(v)}" for k, v in b.items() if k != "total" and v]
    return f"{_n(b['total'])} bytes" + (f"  ({', '.join(parts)})" if parts else "")


# A swiss map with more tables than this gets a summary of its tables instead of
# one line each (a 10M-entry map has 16,384); --tables lists them all.
TABLE_LINES = 64
FILL_BINS = 10      # the fill histogram's bins: 0-10%, ..., 90-100%


def render(snap, write, entries=False, buckets=False, tables=False):
    """Write the summary, then the entries and/or bucket views asked for.
    ``tables``: one line per swiss table however many there are."""
    summary(snap, write, tables)
    if buckets:
        (classic_buckets if snap.layout == "classic" else swiss_groups)(snap, write)
    if entries:
        entry_lines(snap, write)
    warnings(snap, write)


def summary(snap, write, tables=False):
    where = "nil map" if snap.nil else f"at {snap.address:#x}"
    extra = ""
    if snap.layout == "swiss" and snap.split_groups is not None:
        extra = ", split groups" if snap.split_groups else ", interleaved groups"
    write(f"{snap.type} {where}  ({snap.layout}, {snap.go_version}{extra})\n")
    if snap.nil:
        write("  count      0  (a nil map: reads work, writes panic)\n")
        return
    if snap.layout == "classic":
        _classic_summary(snap, write)
    else:
        _swiss_summary(snap, write, tables)


def _classic_summary(snap, write):
    h, s = snap.header, snap.stats
    flags = h["flags"]
    names = "|".join(flag_names(flags)) or "none"
    write(f"  count      {_n(h['count'])}\n")
    stale = "  (iterator bits stay set once a range loop ran)" if flags & 3 else ""
    write(f"  flags      {flags:#x} {names}{stale}\n")
    write(f"  B          {h['B']}  ({_n(1 << h['B'])} buckets)\n")
    write(f"  noverflow  {h['noverflow']}\n")
    write(f"  hash0      {h['hash0']:#010x}\n")
    write(f"  buckets    {h['buckets']:#x}\n")
    write(f"  oldbuckets {h['oldbuckets']:#x}\n")
    write(f"  nevacuate  {h['nevacuate']}" +
          ("" if h["oldbuckets"] else "  (stale: meaningful only while growing)") + "\n")
    if "clearSeq" in h:
        write(f"  clearSeq   {h['clearSeq']}\n")
    x = snap.extra
    if x is None:
        write(f"  extra      {h['extra']:#x}\n")
    else:
        write(f"  extra      {h['extra']:#x}  " +
              " ".join(f"{k}={x.get(k, 0):#x}" for k in EXTRA) + "\n")
    if not s:
        return
    c = s["cells"]
    write(f"  load       {s['load_factor']} entries per bucket\n")
    write(f"  cells      {_n(c['live'])} live, {_n(c['emptyOne'])} emptyOne, "
          f"{_n(c['emptyRest'])} emptyRest")
    ev = c["evacuatedX"] + c["evacuatedY"] + c["evacuatedEmpty"]
    write(f", {_n(ev)} evacuated (X {c['evacuatedX']}, Y {c['evacuatedY']}, "
          f"empty {c['evacuatedEmpty']})\n" if ev else "\n")
    write(f"  overflow   {_n(s['overflow_buckets'])} buckets, longest chain "
          f"{s['longest_chain']}\n")
    g = snap.growth
    if g:
        write(f"  growth     {g['kind']} in progress: {g['evacuated']} of {g['old_buckets']} "
              f"old buckets evacuated (nevacuate {g['nevacuate']})\n")
    else:
        write("  growth     none\n")
    write(f"  layout     bucket {s['bucket_size']} bytes, key cell {s['key_cell']}"
          f"{' (indirect)' if s['indirect_key'] else ''}, elem cell {s['elem_cell']}"
          f"{' (indirect)' if s['indirect_elem'] else ''}\n")
    write(f"  held       {_bytes(s['bytes'])}\n")


def _table_line(i, t):
    slots = t.directory_slots
    d = f"dir[{slots[0]}]" if len(slots) == 1 else f"dir[{slots[0]}..{slots[-1]}]"
    return (f"table {i:<4} {t.address:#x} {d:<12} used {t.used} capacity {t.capacity} "
            f"growthLeft {t.growthLeft} localDepth {t.localDepth} index {t.index} "
            f"groups {t.lengthMask + 1} at {t.groups_address:#x} tombstones {t.tombstones}")


def _fill(t):
    return t.used / t.capacity if t.capacity else 0.0


def fill_histogram(tables):
    """How many tables are 0-10%, 10-20%, ... 90-100% full (used / capacity; a
    corrupt table over 100% counts in the last bin)."""
    bins = [0] * FILL_BINS
    for t in tables:
        bins[min(int(_fill(t) * FILL_BINS), FILL_BINS - 1)] += 1
    return bins


def _tables_summary(tables, write):
    """The tables of a map with many: the fill histogram, the fullest and the
    emptiest table, the tombstones."""
    bins = fill_histogram(tables)
    write(f"  tables     {_n(len(tables))} (more than {TABLE_LINES}: summarized; --tables "
          f"lists each), fill = used / capacity:\n")
    width = 40
    top = max(bins)
    step = 100 // FILL_BINS
    for b, n in enumerate(bins):
        bar = "#" * (-(-n * width // top) if n else 0)
        label = f"{b * step}-{b * step + step}%"
        write(f"    {label:>7} {_n(n):>9}" + (f"  {bar}" if bar else "") + "\n")
    by_fill = range(len(tables))
    fullest = max(by_fill, key=lambda i: _fill(tables[i]))    # the first of equals
    emptiest = min(by_fill, key=lambda i: _fill(tables[i]))
    for name, i in (("fullest", fullest), ("emptiest", emptiest)):
        write(f"  {name:<10} {_table_line(i, tables[i])}\n")
    tomb = [t.tombstones for t in tables if t.tombstones]
    write(f"  tombstones {_n(sum(tomb))} in {_n(len(tomb))} tables\n")


def _swiss_summary(snap, write, list_tables=False):
    h, s = snap.header, snap.stats
    write(f"  used       {_n(h['used'])}\n")
    write(f"  seed       {h['seed']:#018x}\n")
    write(f"  dirPtr     {h['dirPtr']:#x}\n")
    write(f"  dirLen     {h['dirLen']}" + ("  (small map: dirPtr is the one group)"
                                           if h["dirLen"] == 0 else "") + "\n")
    write(f"  globalDepth {h['globalDepth']}  globalShift {h['globalShift']}\n")
    write(f"  writing    {h['writing']}\n")
    if "tombstonePossible" in h:
        write(f"  tombstonePossible {str(bool(h['tombstonePossible'])).lower()}\n")
    write(f"  clearSeq   {h['clearSeq']}\n")
    if not s:
        return
    sl = s["slots"]
    write(f"  slots      {_n(sl['full'])} full, {_n(sl['empty'])} empty, "
          f"{_n(sl['deleted'])} deleted (tombstones)\n")
    write(f"  capacity   {_n(s['capacity'])} slots in {s['tables']} tables, "
          f"load {s['load']}\n")
    lay = f"group {s['group_size']} bytes"
    if s.get("slot_size") is not None:
        lay += f", slot {s['slot_size']}"
    write(f"  layout     {lay}, key {s['key_cell']}"
          f"{' (indirect)' if s['indirect_key'] else ''}, elem {s['elem_cell']}"
          f"{' (indirect)' if s['indirect_elem'] else ''}\n")
    tables = snap.tables or []
    if len(tables) > TABLE_LINES and not list_tables:
        _tables_summary(tables, write)
    else:
        for i, t in enumerate(tables):
            write(f"  {_table_line(i, t)}\n")
    write(f"  held       {_bytes(s['bytes'])}\n")


def entry_lines(snap, write):
    n = len(snap.entries)
    more = "" if snap.entries_complete else f" (first {n} of {_n(snap.count)} in memory order)"
    write(f"entries: {_n(n)}{more}\n")
    for k, v in snap.entries:
        write(f"  {fmt(k)}: {fmt(v)}\n")


def _slot_lines(snap, b, write, indent):
    for s in b.slots:
        if s.entry is not None and s.entry < len(snap.entries):
            k, v = snap.entries[s.entry]
            write(f"{indent}[{s.index}] {fmt(k)}: {fmt(v)}\n")


def classic_buckets(snap, write):
    chains = snap.chains or []
    for c in chains:
        tag = "old bucket" if c.old else "bucket"
        ev = "" if not c.old else ("  evacuated" if c.evacuated else "  not evacuated")
        for j, b in enumerate(c.buckets):
            strip = "".join(CLASSIC_MARK[s.state] for s in b.slots)
            tops = " ".join(f"{s.tag:02x}" for s in b.slots)
            head = f"{tag} {c.index}" if j == 0 else "  overflow"
            write(f"{head:<14} {b.address:#x} [{strip}] tophash {tops}{ev if j == 0 else ''}\n")
            _slot_lines(snap, b, write, "      ")


def swiss_groups(snap, write):
    groups = []
    if snap.group is not None:
        groups.append(("group", snap.group))
    for i, t in enumerate(snap.tables or []):
        for g in t.groups or []:
            groups.append((f"table {i} group {g.index}", g))
    for name, g in groups:
        strip = " ".join(f"{s.tag:02x}" if s.state == "full" else
                         (" D" if s.state == "deleted" else " .") for s in g.slots)
        write(f"{name:<20} {g.address:#x} [{strip}]\n")
        _slot_lines(snap, g, write, "      ")


def warnings(snap, write):
    for w in snap.warnings:
        write(f"warning: {w}\n")
