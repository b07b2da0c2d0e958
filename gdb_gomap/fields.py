"""The runtime map fields gomap mirrors: one table per map layout.

Each :class:`Field` names one member of a runtime struct (as DWARF spells
it), the key it has in gomap's JSON (``None``: not shown as such), what kind
of value it holds, which struct it belongs to (its *role*), and the Go
releases that have it when not all do.  Everything else reads this table:
the layout check (``layout.StructFields``), both decoders (which header
fields they copy), the snapshot's JSON (which are addresses), the diff
(which header and table fields it compares), the text view, the watcher and
the tests (``tests/mapcheck.py``; ``tests/test_runtime_fields.py`` checks the
table against the DWARF of every release of the matrix, and
``tests/test_fast.py`` the JSON schema against it).

``NOT_READ`` lists, per role, the members that DWARF shows and gomap
deliberately does not read; a member of a mirrored struct in neither the
table nor ``NOT_READ`` is one a new Go release added, and the guard test
fails naming it.
"""

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

CLASSIC_ROLES = ("classic.header", "classic.bucket", "classic.mapextra")
SWISS_ROLES = ("swiss.header", "swiss.table", "swiss.groupref", "swiss.group")
ROLES = CLASSIC_ROLES + SWISS_ROLES

# The kinds of value a field holds (how it is shown):
#   int      an integer shown in decimal      pointer  an address, shown in hex
#   flags    classic hmap.flags (bit names)   seed     a hash seed
#   bool     a boolean stored as a byte       array    an array (cells, tophash)
#   struct   an embedded struct (swiss table.groups)
#   ctrl     the swiss control word
KINDS = ("int", "pointer", "flags", "seed", "bool", "array", "struct", "ctrl")


@dataclass(frozen=True)
class Field:
    """One runtime struct member that gomap reads."""
    name: str                     # the member's name in the runtime (and DWARF)
    json: Optional[str]           # its key in gomap's JSON; None: not a key of its own
    kind: str                     # one of KINDS
    role: str                     # one of ROLES: the struct it belongs to
    since: Optional[str] = None   # first Go release that has it (None: all of the matrix)
    until: Optional[str] = None   # last Go release that has it (None: still there)
    variant: Optional[str] = None  # swiss group: "interleaved" (slots) or "split" only

    @property
    def optional(self) -> bool:
        """Absent from some release or group variant: read only when DWARF has it."""
        return self.since is not None or self.until is not None or self.variant is not None

    def in_release(self, version: str, variant: Optional[str] = None) -> bool:
        """Whether Go ``version`` ("1.25.5") has this member (for the group ``variant``)."""
        v = _release(version)
        if self.since is not None and v < _release(self.since):
            return False
        if self.until is not None and v > _release(self.until):
            return False
        return self.variant is None or variant is None or self.variant == variant


def _release(version: str) -> Tuple[int, int]:
    """(major, minor) of "1.25.5", "go1.25.5" or "1.25"."""
    parts = version.lstrip("go").split(".")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


_F = Field

CLASSIC = (
    # runtime.hmap (Go <= 1.23, and 1.24/1.25 with GOEXPERIMENT=noswissmap)
    _F("count", "count", "int", "classic.header"),
    _F("flags", "flags", "flags", "classic.header"),
    _F("B", "B", "int", "classic.header"),
    _F("noverflow", "noverflow", "int", "classic.header"),
    _F("hash0", "hash0", "seed", "classic.header"),
    _F("buckets", "buckets", "pointer", "classic.header"),
    _F("oldbuckets", "oldbuckets", "pointer", "classic.header"),
    _F("nevacuate", "nevacuate", "int", "classic.header"),
    # The noswiss hmap of 1.24 and 1.25 has it; 1.26 dropped classic maps.
    _F("clearSeq", "clearSeq", "int", "classic.header", since="1.24", until="1.25"),
    _F("extra", "extra", "pointer", "classic.header"),
    # runtime.bmap as the compiler lays it out for one map type
    _F("tophash", "tophash", "array", "classic.bucket"),
    _F("keys", None, "array", "classic.bucket"),
    _F("values", None, "array", "classic.bucket"),
    _F("overflow", "overflow", "pointer", "classic.bucket"),
    # runtime.mapextra (JSON: the members of extra_fields)
    _F("overflow", "overflow", "pointer", "classic.mapextra"),
    _F("oldoverflow", "oldoverflow", "pointer", "classic.mapextra"),
    _F("nextOverflow", "nextOverflow", "pointer", "classic.mapextra"),
)

SWISS = (
    # internal/runtime/maps.Map
    _F("used", "used", "int", "swiss.header"),
    _F("seed", "seed", "seed", "swiss.header"),
    _F("dirPtr", "dirPtr", "pointer", "swiss.header"),
    _F("dirLen", "dirLen", "int", "swiss.header"),
    _F("globalDepth", "globalDepth", "int", "swiss.header"),
    _F("globalShift", "globalShift", "int", "swiss.header"),
    _F("writing", "writing", "int", "swiss.header"),
    _F("tombstonePossible", "tombstonePossible", "bool", "swiss.header", since="1.25"),
    _F("clearSeq", "clearSeq", "int", "swiss.header"),
    # internal/runtime/maps.table
    _F("used", "used", "int", "swiss.table"),
    _F("capacity", "capacity", "int", "swiss.table"),
    _F("growthLeft", "growthLeft", "int", "swiss.table"),
    _F("localDepth", "localDepth", "int", "swiss.table"),
    _F("index", "index", "int", "swiss.table"),
    _F("groups", None, "struct", "swiss.table"),
    # internal/runtime/maps.groupReference (table.groups); data is the table's "groups"
    _F("data", "groups", "pointer", "swiss.groupref"),
    _F("lengthMask", "lengthMask", "int", "swiss.groupref"),
    # the group the compiler lays out for one map type
    _F("ctrl", "ctrl", "ctrl", "swiss.group"),
    _F("slots", None, "array", "swiss.group", variant="interleaved"),
    _F("keys", None, "array", "swiss.group", variant="split"),
    _F("elems", None, "array", "swiss.group", variant="split"),
)

TABLE: Dict[str, Tuple[Field, ...]] = {"classic": CLASSIC, "swiss": SWISS}

# Members DWARF shows in a mirrored struct that gomap deliberately does not read,
# per role.  Empty today: every member of every mirrored struct of the matrix is
# read.  A member a new release adds goes in the table above or here.
NOT_READ: Dict[str, Tuple[str, ...]] = {role: () for role in ROLES}


def of_role(role: str) -> Tuple[Field, ...]:
    """The fields of one struct role, in the runtime's member order."""
    return tuple(f for f in CLASSIC + SWISS if f.role == role)


def names(role: str, optional: bool = True) -> Tuple[str, ...]:
    """Member names of a role; without the optional ones when ``optional`` is False."""
    return tuple(f.name for f in of_role(role) if optional or not f.optional)


def required(role: str) -> Tuple[str, ...]:
    """The members every release of the role has (a layout without one is unknown)."""
    return names(role, optional=False)


def json_keys(role: str) -> Tuple[str, ...]:
    """The JSON keys of a role's fields that have one, in member order."""
    return tuple(f.json for f in of_role(role) if f.json is not None)


def header_keys(layout: str) -> Tuple[Tuple[str, str], ...]:
    """(member name, JSON key) of a layout's header fields, in member order."""
    return tuple((f.name, f.json) for f in of_role(header_role(layout)) if f.json is not None)


def pointer_keys() -> frozenset:
    """JSON keys of header fields that hold addresses (shown in hex)."""
    return frozenset(f.json for f in CLASSIC + SWISS
                     if f.role in ("classic.header", "swiss.header") and f.kind == "pointer")


def seed_keys() -> frozenset:
    """JSON keys of the header fields that hold the map's hash seed."""
    return frozenset(f.json for f in CLASSIC + SWISS if f.kind == "seed")


def header_role(layout: str) -> str:
    """The role of a layout's map header: "classic" -> "classic.header"."""
    return f"{layout}.header"


def require(role: str, *keys: str) -> Tuple[str, ...]:
    """``keys`` when each is a JSON key of ``role``; raise (at import) otherwise.

    For modules that pick a few fields of the table by name: a field renamed
    here then fails where it is used, not silently as a missing key."""
    known = json_keys(role)
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise KeyError(f"{', '.join(unknown)}: not JSON keys of {role} in gdb_gomap/fields.py")
    return keys
