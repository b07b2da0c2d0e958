"""Comparing a gomap snapshot (JSON) with the example program's own truth.

Every check returns human-readable problems instead of asserting, so one
test can report everything that differs for a map at once.
"""

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import jsonschema

from gdb_gomap.fields import json_keys

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "gdb_gomap" / "schema" / \
    "snapshot.schema.json"

# The runtime's fields (gdb_gomap/fields.py) the truth JSON may carry.
CLASSIC_HEADER = json_keys("classic.header")
SWISS_HEADER = json_keys("swiss.header")
TABLE_FIELDS = tuple(k for k in json_keys("swiss.table") + json_keys("swiss.groupref")
                     if k != "groups") + ("directory_slots",)   # groups: compared as addresses


# The runtime's meaning of a tophash byte (runtime/map.go: emptyRest 0, emptyOne 1,
# evacuatedX 2, evacuatedY 3, evacuatedEmpty 4, minTopHash 5) and of a swiss control
# byte (internal/runtime/maps: ctrlEmpty 0x80, ctrlDeleted 0xFE, full: high bit clear),
# written here from the runtime's definitions, not taken from gomap's decoders: the
# slot states gomap shows are checked against the Go program's own bytes.
TOPHASH_STATES = ("emptyRest", "emptyOne", "evacuatedX", "evacuatedY", "evacuatedEmpty")
MIN_TOPHASH = 5
CTRL_DELETED = 0xFE


def tophash_state(b):
    return "live" if b >= MIN_TOPHASH else TOPHASH_STATES[b]


def ctrl_state(b):
    if b & 0x80 == 0:
        return "full"
    return "deleted" if b == CTRL_DELETED else "empty"


def _slot_states(where, slots, truth_states):
    """Problems where gomap's slot states differ from the states the truth's bytes give."""
    got = [s["state"] for s in slots]
    if got != truth_states:
        return [f"{where}: slot states {got} != the runtime's reading of the program's "
                f"bytes {truth_states}"]
    return []


@lru_cache(maxsize=1)
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema)


def _norm(x):
    """JSON numbers compare by value: 1 and 1.0 are the same number."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 2 ** 63:
        return int(x)
    if isinstance(x, dict):
        return {k: _norm(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_norm(v) for v in x]
    return x


def canon(entry):
    return json.dumps(_norm(entry), sort_keys=True)


BYTE_ARRAY = re.compile(r"^\[\d+\](uint8|byte)$")
SLICE_KEYS = {"len", "cap", "items"}


def go_json(v, type_name=None):
    """A value of gomap's JSON in the shape the example programs write their truth
    (Go's encoding/json): a slice as its items, a [N]byte (hex) as its byte list, a
    named integer as the integer.  ``type_name``: the value's Go type, where known."""
    if isinstance(v, str) and type_name and BYTE_ARRAY.match(type_name):
        return list(bytes.fromhex(v))
    if isinstance(v, list):
        return [go_json(x) for x in v]
    if not isinstance(v, dict):
        return v
    if set(v) == SLICE_KEYS:
        return [go_json(x) for x in v["items"]]
    if set(v) == {"value", "const"}:
        return v["value"]
    if set(v) == {"type", "value"}:
        return {"type": v["type"], "value": go_json(v["value"], v["type"])}
    return {k: go_json(x) for k, x in v.items()}


def truth_entries(snap):
    """The snapshot's entries in the shape of the truth (see go_json)."""
    return [{"key": go_json(e["key"], snap["key_type"]),
             "value": go_json(e["value"], snap["elem_type"])} for e in snap["entries"]]


def schema_problems(snap):
    return [f"schema: {e.message} at {list(e.absolute_path)}"
            for e in validator().iter_errors(snap)]


def _hexint(v):
    if isinstance(v, str) and v.startswith("0x"):
        return int(v, 16)
    return v


def compare(truth, snap):
    """Problems found comparing one map's snapshot with its truth (empty: equal)."""
    probs = schema_problems(snap)
    if truth["nil"]:
        if not snap["nil"] or snap["count"] != 0 or snap["entries"]:
            probs.append(f"nil map shown as non-nil: count={snap['count']}")
        return probs
    if snap["nil"]:
        return probs + ["non-nil map shown as nil"]
    if _hexint(snap["address"]) != _hexint(truth["address"]):
        probs.append(f"address {snap['address']} != truth {truth['address']}")
    if snap["count"] != truth["len"]:
        probs.append(f"count {snap['count']} != len {truth['len']}")
    want = Counter(canon(e) for e in truth["entries"])
    got = Counter(canon(e) for e in truth_entries(snap))
    if want != got:
        missing = list((want - got).elements())[:3]
        extra = list((got - want).elements())[:3]
        probs.append(f"entries differ: {sum((want - got).values())} missing e.g. {missing}, "
                     f"{sum((got - want).values())} unexpected e.g. {extra}")
    for w in snap["warnings"]:
        if w.startswith("MISMATCH"):
            probs.append("warning: " + w)
    fields = CLASSIC_HEADER if snap["layout"] == "classic" else SWISS_HEADER
    for f in fields:
        if f in truth["header"]:
            if f not in snap:
                probs.append(f"header field {f} missing")
            elif _hexint(snap[f]) != _hexint(truth["header"][f]):
                probs.append(f"{f} {snap[f]} != truth {truth['header'][f]}")
    if snap["layout"] == "classic":
        probs += _classic(truth, snap)
    else:
        probs += _swiss(truth, snap)
    return probs


def _chains_by_index(chains):
    return {c["index"]: c for c in chains}


def _classic(truth, snap):
    probs = []
    for key, tkey in (("buckets_detail", "buckets_detail"), ("old_buckets_detail", "old_buckets")):
        if tkey not in truth:
            continue
        ours = _chains_by_index(snap.get(key, []))
        for tb in truth[tkey]:
            c = ours.get(tb["index"])
            if c is None:
                probs.append(f"{key}: bucket {tb['index']} missing")
                continue
            t_tops = [n["tophash"] for n in tb["chain"]]
            o_tops = [n["tophash"] for n in c["chain"]]
            if t_tops != o_tops:
                probs.append(f"{key}[{tb['index']}]: tophash chain {o_tops} != truth {t_tops}")
            t_addr = [_hexint(n["address"]) for n in tb["chain"]]
            o_addr = [_hexint(n["address"]) for n in c["chain"]]
            if t_addr != o_addr:
                probs.append(f"{key}[{tb['index']}]: chain addresses differ")
            if "evacuated" in tb and c.get("evacuated") != tb["evacuated"]:
                probs.append(f"old bucket {tb['index']}: evacuated {c.get('evacuated')} != "
                             f"truth {tb['evacuated']}")
            for j, (tn, node) in enumerate(zip(tb["chain"], c["chain"])):
                probs += _slot_states(f"{key}[{tb['index']}] node {j}", node["slots"],
                                      [tophash_state(b) for b in tn["tophash"]])
    if truth["header"].get("oldbuckets", "0x0") not in ("0x0", 0):
        g = snap.get("growth")
        if not g:
            probs.append("map is growing but the snapshot shows no growth")
        else:
            want_kind = "same-size" if truth["header"]["flags"] & 8 else "doubling"
            if g["kind"] != want_kind:
                probs.append(f"growth kind {g['kind']} != {want_kind}")
            if "old_buckets" in truth:
                ev = sum(1 for b in truth["old_buckets"] if b["evacuated"])
                if g["evacuated"] != ev:
                    probs.append(f"evacuated old buckets {g['evacuated']} != truth {ev}")
    return probs


def _ctrl_states(word):
    """The runtime's state of each of a group's 8 slots, from its control word."""
    return [ctrl_state((word >> (8 * i)) & 0xFF) for i in range(8)]


def _ctrl_counts(words):
    states = Counter(s for w in words for s in _ctrl_states(w))
    return states["full"], states["deleted"], states["empty"]


def _swiss(truth, snap):
    probs = []
    ttables = truth.get("tables", [])
    otables = snap.get("tables") or []
    if len(ttables) != len(otables):
        probs.append(f"{len(otables)} tables != truth {len(ttables)}")
    for tt, ot in zip(ttables, otables):
        if _hexint(ot["address"]) != _hexint(tt["address"]):
            probs.append(f"table order/address {ot['address']} != truth {tt['address']}")
            continue
        for f in TABLE_FIELDS:
            if f in tt and ot[f] != tt[f]:
                probs.append(f"table {tt['address']} {f} {ot[f]} != truth {tt[f]}")
        if _hexint(ot["groups"]) != _hexint(tt["groups"]):
            probs.append(f"table {tt['address']} groups {ot['groups']} != truth {tt['groups']}")
        if "ctrl" in tt:
            full, deleted, empty = _ctrl_counts(tt["ctrl"])
            if (ot["full"], ot["tombstones"], ot["empty"]) != (full, deleted, empty):
                probs.append(f"table {tt['address']}: full/deleted/empty "
                             f"{(ot['full'], ot['tombstones'], ot['empty'])} != truth "
                             f"{(full, deleted, empty)}")
            if "groups_detail" in ot:
                words = [int(g["ctrl"], 16) for g in ot["groups_detail"]]
                if words != tt["ctrl"]:
                    probs.append(f"table {tt['address']}: ctrl words differ from truth")
                for g in ot["groups_detail"]:
                    if g["index"] < len(tt["ctrl"]):
                        probs += _slot_states(f"table {tt['address']} group {g['index']}",
                                              g["slots"], _ctrl_states(tt["ctrl"][g["index"]]))
    if "group_ctrl" in truth:
        gc = truth["group_ctrl"]
        if gc is None:
            if snap.get("group") is not None:
                probs.append(f"small map shows group {snap['group']} but dirPtr is nil")
        else:
            d = snap.get("group_detail")
            if d is None or int(d["ctrl"], 16) != gc:
                probs.append(f"small-map ctrl {d and d['ctrl']} != truth {gc:#018x}")
            if d is not None:
                probs += _slot_states("small-map group", d["slots"], _ctrl_states(gc))
    return probs
