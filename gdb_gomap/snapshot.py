"""The plain-data result of decoding one map, and its JSON form.

Decoders build a :class:`MapSnapshot`; renderers (text, JSON) only read it.
The JSON shape is described by ``schema/snapshot.schema.json``; change both
together and bump ``SCHEMA_ID`` when a change is not backward compatible.
"""

from dataclasses import dataclass, field
from typing import Any, List, Optional

from .values import to_json

SCHEMA_ID = "gomap-snapshot/1"

CLASSIC_FLAGS = ((1, "iterator"), (2, "oldIterator"), (4, "hashWriting"), (8, "sameSizeGrow"))

# Header fields that are addresses (shown in hex).
POINTER_FIELDS = frozenset(("buckets", "oldbuckets", "extra", "dirPtr"))


def hexaddr(a):
    return f"{a:#x}" if a is not None else None


def flag_names(flags):
    return [n for bit, n in CLASSIC_FLAGS if flags & bit]


@dataclass
class Slot:
    """One classic cell or swiss slot.

    state: classic live/emptyOne/emptyRest/evacuatedX/evacuatedY/evacuatedEmpty;
           swiss full/empty/deleted.
    tag:   the tophash byte (classic) or control byte (swiss).
    entry: index into MapSnapshot.entries for live/full slots that were decoded.
    key_raw, elem_raw: the stored key and elem cells as hex (the pointer for an
           indirect one), for every slot, live or not; only with DumpOptions.raw.
    """
    index: int
    state: str
    tag: int
    entry: Optional[int] = None
    key_raw: Optional[str] = None
    elem_raw: Optional[str] = None


@dataclass
class Bucket:
    """A classic bucket in a chain (or a swiss group): address and its 8 slots."""
    address: int
    slots: List[Slot]
    overflow: int = 0     # classic: the overflow pointer; swiss: unused
    ctrl: int = 0         # swiss: the control word
    index: int = 0        # swiss: the group's index in its table


@dataclass
class Chain:
    """A classic bucket index with its overflow chain; ``old`` for the old array."""
    index: int
    old: bool
    buckets: List[Bucket]
    evacuated: Optional[bool] = None


@dataclass
class Table:
    address: int
    used: int
    capacity: int
    growthLeft: int
    localDepth: int
    index: int
    groups_address: int
    lengthMask: int
    directory_slots: List[int]
    full: int = 0
    empty: int = 0
    tombstones: int = 0
    tombstones_expected: Optional[int] = None
    groups: Optional[List[Bucket]] = None


@dataclass
class MapSnapshot:
    layout: str
    type: str
    key_type: str
    elem_type: str
    address: Optional[int]
    go_version: str
    count: int
    header: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    growth: Optional[dict] = None
    entries: List[Any] = field(default_factory=list)   # (key, value) pairs
    entries_complete: bool = True
    chains: Optional[List[Chain]] = None               # classic, with --buckets
    tables: Optional[List[Table]] = None               # swiss
    group: Optional[Bucket] = None                     # swiss small map, with --buckets
    group_address: Optional[int] = None                # swiss small map
    warnings: List[str] = field(default_factory=list)
    split_groups: Optional[bool] = None
    extra: Optional[dict] = None                       # classic: *extra's fields
    key_kind: str = ""                                 # GoType kinds, for fast renderers
    elem_kind: str = ""
    cells: Optional[Any] = None                        # DumpOptions.cells: slab.Collected

    @property
    def nil(self):
        return self.address is None

    def warn(self, text):
        self.warnings.append(text)

    # -- JSON --------------------------------------------------------------------

    def to_json(self, entries=True):
        """The snapshot as a JSON-ready dict (entries may be streamed separately)."""
        out = {
            "schema": SCHEMA_ID,
            "layout": self.layout,
            "type": self.type,
            "key_type": self.key_type,
            "elem_type": self.elem_type,
            "address": hexaddr(self.address),
            "nil": self.nil,
            "go_version": self.go_version,
            "count": self.count,
        }
        for k, v in self.header.items():
            out[k] = hexaddr(v) if k in POINTER_FIELDS else v
        if self.layout == "classic" and "flags" in self.header:
            out["flag_names"] = flag_names(self.header["flags"])
            out["extra_fields"] = None if self.extra is None else \
                {k: hexaddr(v) for k, v in self.extra.items()}
        if self.layout == "swiss" and "tombstonePossible" in self.header:
            out["tombstonePossible"] = bool(self.header["tombstonePossible"])
        if self.split_groups is not None:
            out["split_groups"] = self.split_groups
        out["stats"] = self.stats
        if self.layout == "classic":
            out["growth"] = self.growth
        if self.tables is not None:
            out["tables"] = [self._table_json(t) for t in self.tables]
        if self.layout == "swiss":
            out["group"] = hexaddr(self.group_address)
            if self.group is not None:
                out["group_detail"] = self._bucket_json(self.group, 0)
        if self.chains is not None:
            out["buckets_detail"] = [self._chain_json(c) for c in self.chains if not c.old]
            out["old_buckets_detail"] = [self._chain_json(c) for c in self.chains if c.old]
        out["entries_complete"] = self.entries_complete
        if entries:
            out["entries"] = [entry_json(k, v) for k, v in self.entries]
        out["warnings"] = list(self.warnings)
        return out

    def _slot_json(self, s):
        d = {"slot": s.index, "state": s.state, "tag": s.tag}
        if s.entry is not None and s.entry < len(self.entries):
            k, v = self.entries[s.entry]
            d["key"] = to_json(k)
            d["value"] = to_json(v)
        if s.key_raw is not None:
            d["key_raw"] = s.key_raw
            d["elem_raw"] = s.elem_raw
        return d

    def _bucket_json(self, b, i):
        d = {"address": hexaddr(b.address)}
        if self.layout == "classic":
            d["tophash"] = [s.tag for s in b.slots]
            d["overflow"] = hexaddr(b.overflow)
        else:
            d["index"] = b.index
            d["ctrl"] = f"{b.ctrl:#018x}"
        d["slots"] = [self._slot_json(s) for s in b.slots]
        return d

    def _chain_json(self, c):
        d = {"index": c.index, "chain": [self._bucket_json(b, i) for i, b in enumerate(c.buckets)]}
        if c.old:
            d["evacuated"] = c.evacuated
        return d

    def _table_json(self, t):
        d = {
            "address": hexaddr(t.address), "used": t.used, "capacity": t.capacity,
            "growthLeft": t.growthLeft, "localDepth": t.localDepth, "index": t.index,
            "groups": hexaddr(t.groups_address), "lengthMask": t.lengthMask,
            "directory_slots": t.directory_slots, "full": t.full, "empty": t.empty,
            "tombstones": t.tombstones, "tombstones_expected": t.tombstones_expected,
        }
        if t.groups is not None:
            d["groups_detail"] = [self._bucket_json(g, i) for i, g in enumerate(t.groups)]
        return d


def entry_json(k, v):
    return {"key": to_json(k), "value": to_json(v)}
