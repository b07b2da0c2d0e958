"""The plain-data result of decoding one map.

Decoders build a :class:`MapSnapshot`; renderers (text, JSON, SVG) only read
it.  Its JSON form is made in render/jsonout.py (``snapshot_json``).
"""

from dataclasses import dataclass, field
from typing import Any, List, Optional

from .fields import pointer_keys

CLASSIC_FLAGS = ((1, "iterator"), (2, "oldIterator"), (4, "hashWriting"), (8, "sameSizeGrow"))

# Header fields that are addresses (shown in hex).
POINTER_FIELDS = pointer_keys()
NAMED_INT = "named int"   # the key_kind/elem_kind of an integer type with constants


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
class SlotBlock:
    """Eight slots at one address: a classic bucket in a chain, or a swiss group."""
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
    buckets: List[SlotBlock]
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
    groups: Optional[List[SlotBlock]] = None


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
    group: Optional[SlotBlock] = None                     # swiss small map, with --buckets
    group_address: Optional[int] = None                # swiss small map
    warnings: List[str] = field(default_factory=list)
    split_groups: Optional[bool] = None
    extra: Optional[dict] = None                       # classic: *extra's fields
    # GoType kinds, for fast renderers; NAMED_INT for an integer type with constants
    # (its values may be values.NamedInt, which no fast path writes).
    key_kind: str = ""
    elem_kind: str = ""
    cells: Optional[Any] = None                        # DumpOptions.cells: slab.Collected

    @property
    def nil(self) -> bool:
        """A nil map: no header."""
        return self.address is None

    def warn(self, text: str) -> None:
        """Add one warning line (shown after the map, and in the JSON)."""
        self.warnings.append(text)
