"""The runtime's map write paths, and the log ``gomap-watch`` keeps of them.

``WRITE_PATHS`` names the runtime functions that change a map, by event kind,
with the name of the parameter that holds the map header.  The symbols that
exist differ by release, layout and by what the program uses (the linker
drops the others), so the watcher matches these patterns against each
binary's symbol table.  Pure: nothing here needs gdb.

``summarize`` reduces a summary MapSnapshot to the few numbers an event
line shows, and ``event_line`` writes one event with what changed since the
previous one.
"""

import re

from .fields import require

SCHEMA_ID = "gomap-watch/1"

# (event kind, symbol regex, map parameter names)
WRITE_PATHS = (
    ("assign", r"runtime\.mapassign(_fast32|_fast32ptr|_fast64|_fast64ptr|_faststr)?", ("h", "m")),
    ("delete", r"runtime\.mapdelete(_fast32|_fast64|_faststr)?", ("h", "m")),
    ("clear", r"runtime\.mapclear", ("h", "m")),
    # classic: a grow starts in hashGrow; growWork evacuates through evacuate*.
    ("grow", r"runtime\.hashGrow", ("h",)),
    ("evacuate", r"runtime\.evacuate(_fast32|_fast64|_faststr)?", ("h",)),
    # swiss: the first group, small map -> table, table doubling, split, pruning.
    ("grow", r"internal/runtime/maps\.\(\*Map\)\.(growToSmall|growToTable)", ("m",)),
    ("grow", r"internal/runtime/maps\.\(\*table\)\.grow", ("m",)),
    ("split", r"internal/runtime/maps\.\(\*table\)\.split", ("m",)),
    ("prune", r"internal/runtime/maps\.\(\*table\)\.pruneTombstones", ("m",)),
)
KINDS = ("assign", "delete", "clear", "grow", "evacuate", "split", "prune")


def match_symbols(names, kinds=KINDS):
    """[(kind, symbol, params)] for the function symbols in ``names`` that are write paths."""
    out = []
    pats = [(k, re.compile(p + r"\Z"), params) for k, p, params in WRITE_PATHS if k in kinds]
    for name in sorted(names):
        for kind, pat, params in pats:
            if pat.match(name):
                out.append((kind, name, params))
                break
    return out


# The header fields an event shows (gdb_gomap/fields.py; a name it lacks fails at import).
require("classic.header", "B", "buckets", "oldbuckets", "nevacuate", "noverflow")
require("swiss.header", "dirLen", "clearSeq")
require("swiss.table", "growthLeft")


def summarize(snap):
    """The numbers of a map state an event shows (from a summary MapSnapshot)."""
    s = snap.stats or {}
    h = snap.header
    if snap.nil:
        return {"count": 0, "nil": True}
    if snap.layout == "classic":
        c = s.get("cells") or {}
        g = snap.growth or {}
        return {
            "count": snap.count, "B": h.get("B"), "buckets": hex(h.get("buckets") or 0),
            "oldbuckets": hex(h.get("oldbuckets") or 0),
            "growth": g.get("kind"), "evacuated": g.get("evacuated"),
            "old_buckets": g.get("old_buckets"),
            "nevacuate": h.get("nevacuate") if h.get("oldbuckets") else None,
            "noverflow": h.get("noverflow"), "overflow": s.get("overflow_buckets", 0),
            "emptyOne": c.get("emptyOne", 0), "emptyRest": c.get("emptyRest", 0),
            "evacuatedX": c.get("evacuatedX", 0), "evacuatedY": c.get("evacuatedY", 0),
            "evacuatedEmpty": c.get("evacuatedEmpty", 0),
            "bytes": (s.get("bytes") or {}).get("total", 0),
        }
    tables = snap.tables or []
    return {
        "count": snap.count, "dirLen": h.get("dirLen"), "tables": len(tables),
        "capacity": s.get("capacity", 0),
        "table_capacities": [t.capacity for t in tables],
        "tombstones": s.get("tombstones", 0),
        "growthLeft": sum(t.growthLeft for t in tables) if tables else None,
        "clearSeq": h.get("clearSeq"),
        "bytes": (s.get("bytes") or {}).get("total", 0),
    }


# What an event line always shows, per layout; anything else is shown when it changes.
SHOWN = {"classic": ("count", "B", "growth", "emptyOne", "overflow"),
         "swiss": ("count", "capacity", "tables", "tombstones", "growthLeft")}
QUIET = ("buckets", "oldbuckets", "old_buckets", "table_capacities", "evacuatedX",
         "evacuatedY", "evacuatedEmpty")


def changes(before, after):
    """{field: [before, after]} for the fields that differ."""
    if before is None:
        return {}
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def event_line(ev, layout):
    """One event as a line of text: number, kind, function, state, changes."""
    st, ch = ev["state"], ev["changes"]
    parts = []
    for k in SHOWN[layout]:
        v = st.get(k)
        if k == "growth":
            if v:
                parts.append(f"growing {v} {st.get('evacuated')}/{st.get('old_buckets')}")
            continue
        if v is None:
            continue
        mark = ""
        if k in ch and isinstance(ch[k][0], int) and isinstance(v, int):
            d = v - ch[k][0]
            mark = f" ({'+' if d > 0 else ''}{d})"
        parts.append(f"{k} {v}{mark}")
    extra = [f"{k} {_s(a)}->{_s(b)}" for k, (a, b) in ch.items()
             if k not in SHOWN[layout] and k not in QUIET and k != "growth"]
    if "growth" in ch and not st.get("growth"):
        extra.append("grow finished")
    fn = ev["function"].replace("internal/runtime/maps.", "maps.")
    line = f"#{ev['n']:<4} {ev['kind']:<8} {fn:<32} " + "  ".join(parts)
    if extra:
        line += "  [" + ", ".join(extra) + "]"
    return line


def _s(v):
    return "none" if v is None else str(v)
