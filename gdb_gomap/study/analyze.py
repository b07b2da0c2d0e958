"""Answers about delete, clear and growth, computed from one build's runs.

Every answer here is derived from what the runs observed: snapshots at the
checkpoints, their diffs (``gdb_gomap.diff``) and the gomap-watch logs.
Nothing about what the runtime does is written into this module; if a Go
release behaved differently, the answers would say so.  Each ``q_*``
function returns a dict with ``answer`` (a short sentence) and the data it
came from; ``checks`` compares the snapshots with the programs' own truth.
"""

from collections import Counter, defaultdict

from ..diff import EVACUATED_STATES, LIVE_STATES, TOMBSTONE_STATES, diff
from ..fields import seed_keys

KIND_ORDER = ("main.MInt", "main.MI32", "main.MStr", "main.MPtr", "main.MArr", "main.MStruct",
              "main.MBig", "main.MSet", "main.MSmall")


SEEDS = seed_keys()   # hash0, seed


def unit(layout):
    return "bucket" if layout == "classic" else "group"


def size_of(snap):
    """The map's size as the layout counts it: B (classic) or total capacity (swiss)."""
    if snap["layout"] == "classic":
        return {"B": snap.get("B"), "buckets": len(snap.get("buckets_detail") or [])}
    return {"capacity": snap["stats"].get("capacity", 0), "tables": len(snap.get("tables") or [])}


def _size_text(s):
    if "B" in s:
        return f"B={s['B']} ({s['buckets']} buckets)"
    return f"capacity {s['capacity']} in {s['tables']} table{'s' if s['tables'] != 1 else ''}" \
        if s["tables"] else f"capacity {s['capacity']} (small map)"


def _memory_totals(d, old=None):
    """reused/released/allocated summed over kinds; ``old`` True: only old buckets
    (a grow under way), False: only the current buckets or groups, None: all."""
    tot = Counter()
    for kind, m in d["memory"].items():
        if old is None or kind.startswith("old ") == old:
            tot.update(m)
    return tot


def tombstones(snap):
    """emptyOne cells (classic) or deleted slots (swiss)."""
    s = snap.get("stats") or {}
    if snap["layout"] == "classic":
        return (s.get("cells") or {}).get("emptyOne", 0)
    return (s.get("slots") or {}).get("deleted", 0)


def _reseeded(d):
    return any(h["field"] in SEEDS for h in d["header"])


def _spans(spans):
    return " ".join(f"{lo}..{hi - 1}" for lo, hi in spans)


def bytes_verdict(classes, zeroed=None, left=None):
    """Short text for how removed cells' bytes changed: 'left', 'zeroed', 'mixed ...'."""
    classes = {k: v for k, v in classes.items() if v}
    if not classes:
        return "n/a"
    if len(classes) == 1:
        (c, _), = classes.items()
        if c == "partly zeroed" and zeroed:
            return f"bytes {_spans(zeroed)} zeroed" + (f", {_spans(left)} left" if left else "")
        if c in ("none",):
            return "no bytes (zero size)"
        return c
    return ", ".join(f"{c} {n}" for c, n in sorted(classes.items(), key=lambda kv: -kv[1]))


# -- truth checks ---------------------------------------------------------------------

def checks(runs):
    """Snapshot vs truth: len at every checkpoint, and the slots a delete-only step emptied."""
    out = []
    for run in runs.values():
        steps = run.steps()
        for i, n in enumerate(steps):
            st = run.step(n)
            for name, t in st["maps"].items():
                snap = run.snap(n, name)
                where = f"{run.scenario} step {n} {name}"
                if snap is None:
                    out.append({"check": "snapshot taken", "where": where, "ok": False,
                                "detail": "no snapshot"})
                    continue
                out.append({"check": "count == len()", "where": where,
                            "ok": snap["count"] == t["len"],
                            "detail": f"count {snap['count']}, len {t['len']}"})
                if i == 0 or run.snap(steps[i - 1], name) is None:
                    continue
                if t["inserted"] or t.get("cleared") or not t["deleted"]:
                    continue
                d = diff(run.snap(steps[i - 1], name), snap)
                if _memory_totals(d)["released"] or run.snap(steps[i - 1], name).get("growth"):
                    continue   # entries moved to memory the diff cannot follow
                removed = [c for c in d["slots"] if c["class"] == "removed"]
                out.append({"check": "removed slots == keys deleted", "where": where,
                            "ok": len(removed) == len(t["deleted"]),
                            "detail": f"{len(removed)} slots, {len(t['deleted'])} deleted"})
                keys = [c["entry_a"]["key"] for c in removed if "entry_a" in c]
                if keys and all(isinstance(k, (int, str)) for k in t["deleted"]) and \
                        snap["key_type"] in ("int64", "int32", "string"):
                    out.append({"check": "removed keys == deleted keys", "where": where,
                                "ok": sorted(keys, key=str) == sorted(t["deleted"], key=str),
                                "detail": f"{len(keys)} keys compared"})
    return out


# -- the questions ------------------------------------------------------------------

def q_release(runs):
    """Is bucket or table memory returned after deleting every key (and after a GC)?"""
    run = runs.get("deleteall")
    if run is None:
        return {"answer": "not run"}
    rows = []
    for name in sorted(run.step(1)["maps"]):
        s1, s2, s3, s4 = (run.snap(n, name) for n in (1, 2, 3, 4))
        if None in (s1, s2, s3):
            continue
        d12, d23 = diff(s1, s2), diff(s2, s3)
        m12, m23 = _memory_totals(d12, old=False), _memory_totals(d23, old=False)
        o12, o23 = _memory_totals(d12, old=True), _memory_totals(d23, old=True)
        row = {"map": name, "type": s1["type"], "count": [s1["count"], s2["count"], s3["count"]],
               "bytes": [d12["bytes"]["a"], d12["bytes"]["b"], d23["bytes"]["b"]],
               "size": [size_of(s1), size_of(s2), size_of(s3)],
               "kept": m12["reused"], "released": m12["released"] + m23["released"],
               "allocated": m12["allocated"] + m23["allocated"],
               "old_released": o12["released"] + o23["released"],
               "growing": [bool(s1.get("growth")), bool(s2.get("growth")), bool(s3.get("growth"))],
               "memory": d12["memory"],
               "reseeded": _reseeded(d12), "unit": unit(s1["layout"])}
        if s4 is not None:
            d34 = diff(s3, s4)
            m34 = _memory_totals(d34)
            row["reinsert"] = {"count": s4["count"], "allocated": m34["allocated"],
                               "released": m34["released"], "bytes": d34["bytes"]["b"]}
        # Memory the deletes gave back: buckets or groups of the map's current array
        # (or its overflow chains) that are gone.  Old buckets released are a grow
        # that was under way when the map was full finishing, and are shown apart.
        returned = row["released"] > 0 or row["size"][2] != row["size"][0]
        row["returned"] = returned
        u = row["unit"]
        grow = (f"; {row['old_released']} old buckets of a grow under way were released "
                f"when it finished") if row["old_released"] else ""
        if returned:
            row["answer"] = (f"yes: {row['released']} {u}s released; held "
                             f"{row['bytes'][0]:,} -> {row['bytes'][2]:,} bytes{grow}")
        else:
            row["answer"] = (f"no: all {row['kept']} {u}s kept in place, "
                             f"{_size_text(row['size'][2])}; {row['bytes'][0]:,} -> "
                             f"{row['bytes'][2]:,} bytes held before the deletes and after "
                             f"runtime.GC(){grow}")
        rows.append(row)
    any_ret = any(r["returned"] for r in rows)
    return {"answer": ("yes" if any_ret else "no") + " (" + "; ".join(
        f"{r['map']}: {r['bytes'][0]:,} -> {r['bytes'][2]:,} bytes" for r in rows) + ")",
        "maps": rows}


def q_bytes(runs):
    """Which key and elem bytes a delete clears, per key and elem kind."""
    run = runs.get("kinds")
    if run is None:
        return {"answer": "not run"}
    rows = []
    names = sorted(run.step(1)["maps"], key=lambda n: KIND_ORDER.index(n)
                   if n in KIND_ORDER else 99)
    for name in names:
        a, b = run.snap(1, name), run.snap(2, name)
        if a is None or b is None:
            continue
        d = diff(a, b)
        rem = d["removed"]
        st = a["stats"]
        rows.append({
            "map": name, "type": a["type"], "key_type": a["key_type"], "elem_type": a["elem_type"],
            "key_cell": st.get("key_cell"), "elem_cell": st.get("elem_cell"),
            "indirect_key": st.get("indirect_key"), "indirect_elem": st.get("indirect_elem"),
            "small": a["layout"] == "swiss" and not a.get("tables"),
            "removed": rem["slots"], "deleted": len(run.step(2)["maps"][name]["deleted"]),
            "key": rem["key"], "elem": rem["elem"],
            "key_verdict": bytes_verdict(rem["key"], rem.get("key_zeroed_bytes"),
                                         rem.get("key_left_bytes")),
            "elem_verdict": bytes_verdict(rem["elem"], rem.get("elem_zeroed_bytes"),
                                          rem.get("elem_left_bytes")),
            "transitions": d["transitions"],
        })
    return {"answer": "; ".join(f"{r['type']}: key {r['key_verdict']}, elem {r['elem_verdict']}"
                                for r in rows), "maps": rows}


SCENARIO_ORDER = ("deleteall", "deletehalf", "kinds", "clear", "churn", "grow")


def _in_order(runs):
    return sorted(runs, key=lambda s: SCENARIO_ORDER.index(s) if s in SCENARIO_ORDER else 99)


def q_states(runs):
    """Which tophash or control states appear, and where each is first seen.

    Snapshots give every slot with its tag byte; the watch logs add the
    states a map passes through between checkpoints (a grow under way), as
    cell counts."""
    seen = {}
    tags = defaultdict(set)
    for scen in _in_order(runs):
        run = runs[scen]
        for n in sorted(run.snaps):
            for name, snap in sorted(run.snaps[n].items()):
                for blk in _all_slots(snap):
                    for s in blk:
                        st = s["state"]
                        tags[st].add(s["tag"])
                        if st not in seen:
                            seen[st] = {"scenario": scen, "step": n, "map": name,
                                        "label": run.step(n)["label"], "slots": 0}
                        seen[st]["slots"] += 1
    for scen in _in_order(runs):
        for ev in runs[scen].events():
            for st in ("evacuatedX", "evacuatedY", "evacuatedEmpty"):
                n = ev["state"].get(st) or 0
                if n and st not in seen:
                    seen[st] = {"scenario": scen, "step": ev["after_step"], "map": "",
                                "label": f"watch: after {ev['function']} (event {ev['n']})",
                                "slots": 0, "watch": True}
                if n and seen[st].get("watch"):
                    seen[st]["slots"] = max(seen[st]["slots"], n)
    out = {}
    for st, info in seen.items():
        t = sorted(tags[st])
        if info.get("watch"):
            info["tags"] = f"(watch log: up to {info['slots']} cells)"
        elif st in LIVE_STATES:
            info["tags"] = f"{t[0]:#04x}..{t[-1]:#04x} ({len(t)} distinct values)"
        else:
            info["tags"] = " ".join(f"{x:#04x}" for x in t)
        out[st] = info
    order = ("live", "emptyOne", "emptyRest", "evacuatedX", "evacuatedY", "evacuatedEmpty",
             "full", "deleted", "empty")
    states = sorted(out, key=lambda s: order.index(s) if s in order else 99)
    return {"answer": ", ".join(f"{s} ({out[s]['tags']})" for s in states),
            "states": {s: out[s] for s in states}}


def _all_slots(snap):
    if snap["layout"] == "classic":
        for key in ("buckets_detail", "old_buckets_detail"):
            for c in snap.get(key) or []:
                for b in c["chain"]:
                    yield b["slots"]
    else:
        if snap.get("group_detail"):
            yield snap["group_detail"]["slots"]
        for t in snap.get("tables") or []:
            for g in t.get("groups_detail") or []:
                yield g["slots"]


def q_tombstones(runs):
    """When tombstones (emptyOne cells, deleted slots) appear, and what removes them."""
    first = None
    series = {}
    flows = Counter()
    where = Counter()
    small = None
    for scen in ("deleteall", "deletehalf", "kinds", "clear", "churn"):
        run = runs.get(scen)
        if run is None:
            continue
        steps = run.steps()
        for name in sorted({m for n in steps for m in run.step(n)["maps"]}):
            counts = []
            prev = None
            for n in steps:
                s = run.snap(n, name)
                if s is None:
                    continue
                counts.append(tombstones(s))
                if first is None and tombstones(s):
                    st = run.step(n)["maps"].get(name, {})
                    first = {"scenario": scen, "step": n, "map": name,
                             "label": run.step(n)["label"], "tombstones": tombstones(s),
                             "deleted": len(st.get("deleted", [])), "count": s["count"]}
                if prev is not None:
                    d = diff(prev, s)
                    for c in d["slots"]:
                        flows[_flow(c)] += 1
                    st = run.step(n)["maps"].get(name, {})
                    if st.get("deleted") and not st.get("inserted") and not st.get("cleared"):
                        where.update(_tombstone_blocks(prev, d))   # delete-only steps
                    for kind, m in d["memory"].items():
                        if m["released"]:
                            flows["tombstones dropped with released " + kind + "s"] += \
                                _released_tombstones(prev, s)
                            break
                prev = s
            if scen in ("churn", "deletehalf"):
                series[f"{scen} {name}"] = counts
            if name == "main.MSmall" and scen == "kinds":
                small = {"tombstones": counts,
                         "transitions": diff(run.snap(steps[0], name),
                                             run.snap(steps[-1], name))["transitions"]}
    churn = _churn_events(runs.get("churn"))
    flows = {k: v for k, v in flows.items() if k}
    appear = (f"first after '{first['label']}' ({first['scenario']} step {first['step']}, "
              f"{first['map']}): {first['tombstones']} tombstones for {first['deleted']} "
              f"deletes") if first else "never seen"
    gone = ", ".join(f"{k} {v}" for k, v in sorted(flows.items(), key=lambda kv: -kv[1])
                     if v and k.startswith(("tombstone reused", "tombstone cleared",
                                            "tombstones dropped"))) or "never removed"
    blocks_txt = (f"; in steps that only deleted, the buckets or groups that got a new "
                  f"tombstone had an empty slot before in {where['with empty']} of "
                  f"{where['with empty'] + where['full']} cases") if where else ""
    return {"answer": f"appear: {appear}; removed by: {gone}{blocks_txt}", "first": first,
            "series": series, "flows": flows, "small_map": small, "churn": churn,
            "new_tombstone_blocks": dict(where)}


def _tombstone_blocks(a, d):
    """For each bucket or group where the step made a tombstone: did it have an empty
    slot (emptyRest, empty) in the snapshot before?  Counter of 'with empty'/'full'."""
    from ..diff import blocks
    ba = blocks(a)
    out = Counter()
    for addr in {c["address"] for c in d["slots"]
                 if c["a"]["state"] in LIVE_STATES and c["b"]["state"] in TOMBSTONE_STATES}:
        blk = ba.get(addr)
        if blk is not None:
            empty = any(s["state"] in ("emptyRest", "empty") for s in blk["slots"])
            out["with empty" if empty else "full"] += 1
    return out


def _flow(c):
    a, b = c["a"]["state"], c["b"]["state"]
    if a in LIVE_STATES and b in TOMBSTONE_STATES:
        return "tombstone made by delete"
    if a in LIVE_STATES and b not in LIVE_STATES and b not in EVACUATED_STATES:
        return "deleted without tombstone"
    if a in TOMBSTONE_STATES and b in LIVE_STATES:
        return "tombstone reused by insert"
    if a in TOMBSTONE_STATES and b not in TOMBSTONE_STATES:
        return f"tombstone cleared ({a}->{b})"
    return ""


def _released_tombstones(a, b):
    """Tombstones in blocks of ``a`` that ``b`` no longer has."""
    from ..diff import blocks
    ba, bb = blocks(a), blocks(b)
    return sum(1 for addr, blk in ba.items() if addr not in bb
               for s in blk["slots"] if s["state"] in TOMBSTONE_STATES)


def _churn_events(run):
    if run is None or not run.watch:
        return None
    evs = run.events()
    ops = sum(run.step(n)["ops"] for n in run.steps()[1:])
    grows = [e for e in evs if e["kind"] in ("grow", "split")]
    prunes = [e for e in evs if e["kind"] == "prune"]
    effective = [e for e in prunes if (e["state"].get("tombstones") or 0) <
                 (e["before"].get("tombstones") or 0)]
    same = [e for e in grows if e["before"].get("B") is not None and
            e["state"].get("B") == e["before"].get("B")]
    watched = {w["kind"] for log in run.watch.values() for w in log.get("watched", [])}
    return {
        "operations": ops, "live": run.step(run.steps()[0])["maps"]["main.MChurn"]["len"],
        "prune_in_binary": "prune" in watched,
        "grows": len(grows), "same_size": len(same),
        "same_size_noverflow": sorted({e["before"].get("noverflow") for e in same}),
        "same_size_counts": sorted({e["before"].get("count") for e in same}),
        "prunes": len(prunes), "prunes_effective": len(effective),
        "pruned": sum(e["before"]["tombstones"] - e["state"]["tombstones"] for e in effective),
        "capacity": [e["state"].get("capacity") for e in grows if "capacity" in e["state"]],
        "evacuations": sum(1 for e in evs if e["kind"] == "evacuate"),
        "tombstones_at_grow": [e["before"].get("tombstones", e["before"].get("emptyOne"))
                               for e in grows],
    }


def q_clear(runs):
    """Does clear keep the size, and what does it do to the memory."""
    run = runs.get("clear")
    if run is None:
        return {"answer": "not run"}
    rows = []
    for name in sorted(run.step(1)["maps"]):
        s1, s2, s3 = (run.snap(n, name) for n in (1, 2, 3))
        if None in (s1, s2):
            continue
        d = diff(s1, s2)
        m = _memory_totals(d)
        row = {"map": name, "type": s1["type"], "size": [size_of(s1), size_of(s2)],
               "count": [s1["count"], s2["count"]], "bytes": [d["bytes"]["a"], d["bytes"]["b"]],
               "kept": m["reused"], "released": m["released"], "memory": d["memory"],
               "header": {h["field"]: [h["a"], h["b"]] for h in d["header"]},
               "transitions": d["transitions"],
               "key": bytes_verdict(d["removed"]["key"], d["removed"].get("key_zeroed_bytes"),
                                    d["removed"].get("key_left_bytes")),
               "elem": bytes_verdict(d["removed"]["elem"], d["removed"].get("elem_zeroed_bytes"),
                                     d["removed"].get("elem_left_bytes"))}
        row["keeps_size"] = row["size"][0] == row["size"][1]
        if s3 is not None:
            d3 = diff(s2, s3)
            row["after_inserts"] = {"count": s3["count"], "size": size_of(s3),
                                    "allocated": _memory_totals(d3)["allocated"]}
        rows.append(row)
    return {"answer": "; ".join(
        f"{r['type']}: {'keeps' if r['keeps_size'] else 'does not keep'} its size "
        f"({_size_text(r['size'][0])} -> {_size_text(r['size'][1])}; {memory_text(r['memory'])})"
        f", key bytes {r['key']}, elem bytes {r['elem']}" for r in rows), "maps": rows}


def memory_text(mem):
    """'16 buckets kept in place, 2 overflow buckets released' from a diff's memory."""
    parts = []
    for kind, m in mem.items():
        name = {"bucket": "buckets", "overflow": "overflow buckets", "group": "groups",
                "small group": "small-map groups", "old bucket": "old buckets",
                "old overflow": "old overflow buckets"}.get(kind, kind + "s")
        for status, verb in (("reused", "kept in place"), ("released", "released"),
                             ("allocated", "allocated")):
            if m[status]:
                parts.append(f"{m[status]} {name} {verb}")
    return ", ".join(parts) or "no buckets or groups"


def q_growth(runs):
    """At which count each growth starts (from the grow scenario's watch log)."""
    run = runs.get("grow")
    if run is None or not run.watch:
        return {"answer": "not run"}
    rows = []
    evs = run.events()
    for i, e in enumerate(evs):
        if e["kind"] not in ("grow", "split"):
            continue
        b, a = e["before"], e["state"]
        row = {"function": e["function"], "count": b["count"]}
        if "B" in b:
            row.update(size_before=1 << b["B"], size_after=1 << a["B"], unit="buckets",
                       what="same-size" if a["B"] == b["B"] else "doubling",
                       ratio=round(b["count"] / (1 << b["B"]), 3))
            fin = next((j for j in range(i + 1, len(evs))
                        if evs[j]["kind"] == "evacuate" and not evs[j]["state"].get("growth")),
                       None)
            if fin is not None:
                row["evacuations"] = sum(1 for x in evs[i + 1:fin + 1] if x["kind"] == "evacuate")
                row["finished_at_count"] = evs[fin]["state"]["count"]
        else:
            cap_b, cap_a = b.get("capacity", 0), a.get("capacity", 0)
            row.update(size_before=cap_b, size_after=cap_a, unit="slots",
                       what=e["function"].rsplit(".", 1)[-1],
                       ratio=round(b["count"] / cap_b, 3) if cap_b else None,
                       tables=[b.get("tables"), a.get("tables")])
        rows.append(row)
    ratios = Counter(r["ratio"] for r in rows if r["ratio"] is not None and
                     r.get("what") not in ("growToSmall",))
    common = ratios.most_common(1)[0][0] if ratios else None
    unit_ = "entries per bucket" if rows and rows[0]["unit"] == "buckets" else "of capacity"
    starts = ", ".join(f"{r['count']} ({r['size_before']}->{r['size_after']})" for r in rows)
    return {"answer": f"grows when an insert finds count = {starts}; most common "
                      f"count/size at a grow: {common} {unit_}",
            "events": rows, "load_factor": common}


def q_same_size(runs):
    """Same-size growth: does churn at a constant size trigger it, and when."""
    c = _churn_events(runs.get("churn"))
    if c is None:
        return {"answer": "not run"}
    if c["same_size"]:
        ans = (f"yes: {c['same_size']} same-size grows in {c['operations']:,} operations at "
               f"{c['live']} live keys (count {', '.join(map(str, c['same_size_counts']))} at "
               f"the start, noverflow {', '.join(map(str, c['same_size_noverflow']))})")
    else:
        grows = (f"{c['grows']} table grow{'s' if c['grows'] != 1 else ''} to capacity "
                 f"{', '.join(map(str, c['capacity']))} with "
                 f"{', '.join(map(str, c['tombstones_at_grow']))} tombstones"
                 if c["grows"] else "no table grow")
        prunes = (f"{c['prunes_effective']} of {c['prunes']} pruneTombstones calls removed "
                  f"{c['pruned']} tombstones" if c["prune_in_binary"] else
                  "the binary has no pruneTombstones")
        ans = (f"none in {c['operations']:,} operations at {c['live']} live keys; {grows}; "
               f"{prunes}")
    return {"answer": ans, "churn": c}


def analyze(runs, build):
    """All answers for one build: {question: result} plus the truth checks."""
    layout = None
    for run in runs.values():
        for snaps in run.snaps.values():
            for s in snaps.values():
                layout = s["layout"]
                break
    chk = checks(runs)
    return {
        "build": build, "layout": layout,
        "go_version": next((r.truth["go_version"] for r in runs.values()), None),
        "release": q_release(runs), "bytes": q_bytes(runs), "states": q_states(runs),
        "tombstones": q_tombstones(runs), "clear": q_clear(runs), "growth": q_growth(runs),
        "same_size": q_same_size(runs),
        "checks": {"passed": sum(c["ok"] for c in chk), "failed": [c for c in chk if not c["ok"]],
                   "total": len(chk)},
    }
