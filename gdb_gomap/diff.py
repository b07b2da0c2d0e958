"""What changed in one Go map between two snapshots.

Pure data in, pure data out: two snapshot JSON dicts (``gomap-snap``, or
``gomap-dump --json --buckets``) give a diff dict (``"schema":
"gomap-diff/1"``) that the text, JSON and SVG views render.

Buckets and groups are matched by address, so the diff sees memory, not
keys: a bucket or group present in both snapshots was *reused* (kept in
place), one only in the first was *released* by the map (replaced, or the
map dropped it) and one only in the second was *allocated*.  Counts are kept
per kind as the first snapshot had it (bucket, overflow, old bucket, old
overflow, group, small group): old buckets released are a grow finishing.  In a reused
bucket or group every slot is compared: its state (tophash or control byte)
and, when the snapshots carry raw cells (``key_raw``/``elem_raw``, which
``gomap-snap`` records), its key and elem bytes, to tell a cell the runtime
zeroed from one it left in place.
"""

from collections import Counter

from .errors import UsageError
from .fields import json_keys

SCHEMA_ID = "gomap-diff/1"
WORD = 8    # bytes of a pointer, an int, a length

LIVE_STATES = ("live", "full")
TOMBSTONE_STATES = ("emptyOne", "deleted")
EVACUATED_STATES = ("evacuatedX", "evacuatedY", "evacuatedEmpty")

# The runtime's header and table fields (gdb_gomap/fields.py), and what gomap adds.
CLASSIC_HEADER = json_keys("classic.header")
SWISS_HEADER = json_keys("swiss.header") + ("group",)
TABLE_FIELDS = json_keys("swiss.table") + json_keys("swiss.groupref") + \
    ("directory_slots", "tombstones")


class DiffError(UsageError):
    """The two snapshots cannot be compared (not snapshots, no bucket detail)."""


# -- the blocks (buckets and groups) of one snapshot ----------------------------

def blocks(snap):
    """Every bucket or group of a snapshot, keyed by address.

    Returns {address: {"kind", "where", "slots", "table"}} where kind is one of
    bucket, overflow, old bucket, old overflow, group, small group.
    """
    out = {}
    if snap.get("layout") == "classic":
        for old, key in ((False, "buckets_detail"), (True, "old_buckets_detail")):
            for chain in snap.get(key) or []:
                for j, b in enumerate(chain["chain"]):
                    kind = ("old " if old else "") + ("bucket" if j == 0 else "overflow")
                    where = f"{'old ' if old else ''}bucket {chain['index']}" + \
                        (f" overflow {j}" if j else "")
                    out[b["address"]] = {"kind": kind, "where": where, "slots": b["slots"],
                                         "table": None, "index": chain["index"], "depth": j}
    else:
        g = snap.get("group_detail")
        if g is not None:
            out[g["address"]] = {"kind": "small group", "where": "group", "slots": g["slots"],
                                 "table": None, "index": 0, "depth": 0}
        for t, table in enumerate(snap.get("tables") or []):
            for g in table.get("groups_detail") or []:
                out[g["address"]] = {"kind": "group", "where": f"table {t} group {g['index']}",
                                     "slots": g["slots"], "table": t, "index": g["index"],
                                     "depth": 0}
    return out


def has_detail(snap):
    """True when the snapshot lists its buckets or groups (taken with --buckets)."""
    if snap.get("nil"):
        return True
    if snap.get("layout") == "classic":
        return "buckets_detail" in snap
    return "group_detail" in snap or any("groups_detail" in t for t in snap.get("tables") or [])


# -- bytes ----------------------------------------------------------------------

def _ranges(offsets):
    """[[lo, hi), ...] runs of consecutive byte offsets."""
    out = []
    for i in offsets:
        if out and out[-1][1] == i:
            out[-1][1] = i + 1
        else:
            out.append([i, i + 1])
    return out


def bytes_change(a_hex, b_hex):
    """How a stored key or elem cell changed: a dict with ``change`` and details.

    change is one of:
      left           the same bytes, not all zero (the old value stays in memory)
      zeroed         all zero now, some byte was not zero before
      partly zeroed  some non-zero bytes became zero, the others stayed as they were
                     (``zeroed_bytes`` and ``left_bytes`` give the ranges, by 8-byte
                     word: a pointer or length is zeroed or left as a whole)
      rewritten      some byte changed to another non-zero value
      zero           all zero before and after (nothing to clear)
      none           a zero-size cell
      unknown        a snapshot has no raw cells
    """
    if a_hex is None or b_hex is None:
        return {"change": "unknown"}
    a, b = bytes.fromhex(a_hex), bytes.fromhex(b_hex)
    d = {"a": a_hex, "b": b_hex}
    if not a and not b:
        d["change"] = "none"
        return d
    if len(a) != len(b):
        d["change"] = "rewritten"
        return d
    if a == b:
        d["change"] = "left" if any(a) else "zero"
        return d
    if not any(b):
        d["change"] = "zeroed"
        return d
    if all(y == 0 or x == y for x, y in zip(a, b)):
        d["change"] = "partly zeroed"
        zeroed, left = [], []
        for lo in range(0, len(a), WORD):
            wa, wb = a[lo:lo + WORD], b[lo:lo + WORD]
            if any(wa) and not any(wb):
                zeroed.extend(range(lo, lo + len(wa)))
            elif any(wa) and wa == wb:
                left.extend(range(lo, lo + len(wa)))
            else:   # a word partly zeroed itself: say which bytes
                zeroed.extend(lo + i for i in range(len(wa)) if wa[i] and not wb[i])
                left.extend(lo + i for i in range(len(wa)) if wa[i] and wa[i] == wb[i])
        d["zeroed_bytes"] = _ranges(zeroed)
        d["left_bytes"] = _ranges(left)
        return d
    d["change"] = "rewritten"
    return d


# -- the diff -------------------------------------------------------------------

def _is_live(state):
    return state in LIVE_STATES


def transition_class(sa, sb):
    """removed, added, evacuated, tombstone pruned, tombstone made, or changed."""
    a, b = sa["state"], sb["state"]
    if _is_live(a) and not _is_live(b):
        return "evacuated" if b in EVACUATED_STATES else "removed"
    if not _is_live(a) and _is_live(b):
        return "added"
    if a in TOMBSTONE_STATES and b not in TOMBSTONE_STATES:
        return "tombstone cleared"
    if b in TOMBSTONE_STATES and a not in TOMBSTONE_STATES:
        return "tombstone made"
    return "changed"


def _entry(s):
    if "key" in s:
        return {"key": s["key"], "value": s.get("value")}
    return None


def _slot_changes(addr, blk_a, blk_b):
    out = []
    for sa, sb in zip(blk_a["slots"], blk_b["slots"]):
        key = bytes_change(sa.get("key_raw"), sb.get("key_raw"))
        elem = bytes_change(sa.get("elem_raw"), sb.get("elem_raw"))
        moved = sa["state"] != sb["state"] or sa["tag"] != sb["tag"]
        rewritten = key["change"] not in ("left", "zero", "none", "unknown") or \
            elem["change"] not in ("left", "zero", "none", "unknown")
        if not (moved or rewritten):
            continue
        c = {"address": addr, "where": blk_b["where"], "kind": blk_b["kind"],
             "table": blk_b["table"], "slot": sa["slot"],
             "a": {"state": sa["state"], "tag": sa["tag"]},
             "b": {"state": sb["state"], "tag": sb["tag"]},
             "transition": f"{sa['state']}->{sb['state']}",
             "class": transition_class(sa, sb) if moved else "rewritten in place",
             "key": key, "elem": elem}
        ea, eb = _entry(sa), _entry(sb)
        if ea is not None:
            c["entry_a"] = ea
        if eb is not None:
            c["entry_b"] = eb
        out.append(c)
    return out


def _header(a, b):
    fields = CLASSIC_HEADER if a.get("layout") == "classic" else SWISS_HEADER
    out = []
    for f in fields:
        if f in a or f in b:
            va, vb = a.get(f), b.get(f)
            if va != vb:
                out.append({"field": f, "a": va, "b": vb})
    if a.get("growth") != b.get("growth"):
        out.append({"field": "growth", "a": a.get("growth"), "b": b.get("growth")})
    return out


def _tables(a, b):
    ta = {t["address"]: (i, t) for i, t in enumerate(a.get("tables") or [])}
    tb = {t["address"]: (i, t) for i, t in enumerate(b.get("tables") or [])}
    out = []
    for addr, (i, t) in ta.items():
        if addr not in tb:
            out.append({"address": addr, "status": "released", "a": i, "b": None,
                        "capacity": t["capacity"], "used": t["used"]})
            continue
        j, u = tb[addr]
        changed = {f: [t.get(f), u.get(f)] for f in TABLE_FIELDS if t.get(f) != u.get(f)}
        out.append({"address": addr, "status": "kept", "a": i, "b": j, "changed": changed,
                    "capacity": u["capacity"], "used": u["used"]})
    for addr, (j, u) in tb.items():
        if addr not in ta:
            out.append({"address": addr, "status": "allocated", "a": None, "b": j,
                        "capacity": u["capacity"], "used": u["used"]})
    return out


def _state_counts(snap):
    s = snap.get("stats") or {}
    if snap.get("layout") == "classic":
        return dict(s.get("cells") or {})
    return dict(s.get("slots") or {})


def _side(snap, name):
    return {"name": name, "type": snap.get("type"), "layout": snap.get("layout"),
            "go_version": snap.get("go_version"), "address": snap.get("address"),
            "count": snap.get("count"), "states": _state_counts(snap),
            "bytes": dict((snap.get("stats") or {}).get("bytes") or {"total": 0}),
            "warnings": list(snap.get("warnings") or [])}


def _summary(changes):
    """Counts over the slot changes: transitions, classes, and what removal did to bytes."""
    trans = Counter(c["transition"] for c in changes)
    classes = Counter(c["class"] for c in changes)
    removed = [c for c in changes if c["class"] == "removed"]
    rem = {"slots": len(removed),
           "key": dict(Counter(c["key"]["change"] for c in removed)),
           "elem": dict(Counter(c["elem"]["change"] for c in removed))}
    for part in ("key", "elem"):
        for what in ("zeroed", "left"):
            spans = Counter(tuple(map(tuple, c[part].get(f"{what}_bytes", [])))
                            for c in removed if c[part]["change"] == "partly zeroed")
            if spans:
                rem[f"{part}_{what}_bytes"] = [list(s) for s in spans.most_common(1)[0][0]]
    return dict(trans), dict(classes), rem


def diff(a, b, name_a="A", name_b="B"):
    """The diff of two snapshot JSON dicts (A before, B after) as a JSON-ready dict."""
    for snap, name in ((a, name_a), (b, name_b)):
        if not isinstance(snap, dict) or "layout" not in snap or "count" not in snap:
            raise DiffError(f"{name} is not a gomap snapshot (no layout/count)")
    notes = []
    if a["layout"] != b["layout"] or a.get("type") != b.get("type"):
        notes.append(f"{name_a} and {name_b} are different maps ({a.get('type')} "
                     f"{a['layout']} vs {b.get('type')} {b['layout']}); only totals compare")
    elif a.get("address") != b.get("address"):
        notes.append(f"the header moved from {a.get('address')} to {b.get('address')}: "
                     f"two different maps, or a stack map whose goroutine stack moved")
    detail = has_detail(a) and has_detail(b)
    if not detail:
        notes.append("a snapshot has no bucket or group detail (take it with gomap-snap or "
                     "--buckets): only the header and totals are compared")
    raw = True
    changes, memory = [], Counter()
    if detail and a["layout"] == b["layout"]:
        ba, bb = blocks(a), blocks(b)
        for addr, blk in ba.items():
            if addr in bb:
                memory[(blk["kind"], "reused")] += 1
                changes.extend(_slot_changes(addr, blk, bb[addr]))
            else:
                memory[(blk["kind"], "released")] += 1
        for addr, blk in bb.items():
            if addr not in ba:
                memory[(blk["kind"], "allocated")] += 1
        raw = any("key_raw" in s for blk in ba.values() for s in blk["slots"][:1]) or not ba
    trans, classes, removed = _summary(changes)
    mem = {}
    for (kind, status), n in sorted(memory.items()):
        mem.setdefault(kind, {"reused": 0, "released": 0, "allocated": 0})[status] = n
    if detail and not raw:
        notes.append("the snapshots have no raw cells (take them with gomap-snap): key and "
                     "elem bytes are not compared")
    sa, sb = _side(a, name_a), _side(b, name_b)
    return {
        "schema": SCHEMA_ID,
        "a": sa, "b": sb,
        "header": _header(a, b),
        "tables": _tables(a, b) if a["layout"] == "swiss" == b["layout"] else [],
        "memory": mem,
        "bytes": {"a": sa["bytes"].get("total", 0), "b": sb["bytes"].get("total", 0),
                  "delta": sb["bytes"].get("total", 0) - sa["bytes"].get("total", 0)},
        "transitions": trans,
        "classes": classes,
        "removed": removed,
        "slots": changes,
        "notes": notes,
    }
