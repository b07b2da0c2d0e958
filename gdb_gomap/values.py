"""The value model: what a decoded Go key or elem is made of.

Plain Python data says most of it: ints, floats, complex, bool, str, lists
(arrays), dicts (structs, by field name) and None (a nil map or interface).
The small classes here say what plain data cannot: a pointer, a func value
(named by its function), an integer of a named type that equals one of its
constants, a byte array, a map held as a value, a non-nil interface, a slice
(with its real length when only its first items were decoded), a string cut
at the string limit, and a part of a value that could not be read.

:mod:`gdb_gomap.valuedecode` makes these values from target bytes and
:mod:`gdb_gomap.strread` reads Go strings in bulk; the renderers turn them
into text (render/gosyntax.py) or JSON (render/jsonout.py).
"""

from typing import Any, List, Optional


class Pointer:
    """A Go pointer (also unsafe.Pointer, chan): its address, 0 for nil."""
    __slots__ = ("addr", "type_name")

    def __init__(self, addr: int, type_name: str) -> None:
        self.addr = addr
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pointer) and other.addr == self.addr

    def __hash__(self) -> int:
        return hash(self.addr)

    def __repr__(self) -> str:
        return f"Pointer({self.addr:#x})"


class Func:
    """A non-nil func value: the address of its closure (what the variable holds), the
    code address the closure starts with (None if unreadable) and the name of the
    function there (None when no function of the binary holds it)."""
    __slots__ = ("addr", "entry", "name", "type_name")

    def __init__(self, addr: int, entry: Optional[int], name: Optional[str],
                 type_name: str) -> None:
        self.addr, self.entry, self.name, self.type_name = addr, entry, name, type_name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Func) and (other.addr, other.entry) == (self.addr, self.entry)

    def __hash__(self) -> int:
        return hash(self.addr)

    def __repr__(self) -> str:
        return f"Func({self.name or '?'}, {self.addr:#x})"


class NamedInt(int):
    """An integer of a named type equal to one of the type's constants; ``const`` is
    the constant's name without its package (``AttrStrideSize``).  It is still the
    int: it sorts, compares and hashes as one."""
    const = ""

    def __repr__(self) -> str:
        return f"NamedInt({self.const}={int(self)})"


def named_int(value: int, const: str) -> NamedInt:
    v = NamedInt(value)
    v.const = const
    return v


class ByteArray:
    """A [N]byte (or [N]uint8) value, kept as its bytes rather than N integers."""
    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ByteArray) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)

    def __lt__(self, other: "ByteArray") -> bool:
        return self.data < other.data

    def __repr__(self) -> str:
        return f"ByteArray({self.data.hex()})"


class MapRef:
    """A map held as a value: header address, type and count (None if unreadable)."""
    __slots__ = ("addr", "type_name", "count")

    def __init__(self, addr: int, type_name: str, count: Optional[int]) -> None:
        self.addr, self.type_name, self.count = addr, type_name, count


class Iface:
    """A non-nil interface: the dynamic type's name and its decoded value."""
    __slots__ = ("type_name", "value", "type_addr")

    def __init__(self, type_name: str, value: Any, type_addr: int) -> None:
        self.type_name, self.value, self.type_addr = type_name, value, type_addr


class Slice:
    """A slice header and its first items (``items`` is None for a nil slice).  Fewer
    items than ``len`` means the rest were not decoded (``Limits.max_items``)."""
    __slots__ = ("addr", "len", "cap", "items", "elem_name")

    def __init__(self, addr: int, length: int, cap: int, items: Optional[List[Any]],
                 elem_name: str) -> None:
        self.addr, self.len, self.cap, self.items, self.elem_name = \
            addr, length, cap, items, elem_name

    @property
    def cut(self) -> bool:
        """True when only the first items were decoded."""
        return self.items is not None and len(self.items) < self.len


class Unreadable:
    """A part of a value that could not be read; the rest still decodes."""
    __slots__ = ("addr", "why")

    def __init__(self, addr: int, why: str) -> None:
        self.addr, self.why = addr, why

    def __repr__(self) -> str:
        return f"Unreadable({self.addr:#x})"


# How each character that Go would escape in a quoted string is written: quote and
# backslash, \n and \t, other control bytes, and the invalid bytes that
# surrogateescape kept as U+DC80..U+DCFF.  str.translate applies it at C speed.
_ESCAPES = {ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n", ord("\t"): "\\t"}
_ESCAPES.update({o: f"\\x{o:02x}" for o in [*range(0x20), 0x7F] if o not in _ESCAPES})
_ESCAPES.update({o: f"\\x{o - 0xDC00:02x}" for o in range(0xDC80, 0xDD00)})


def go_quote(s: str) -> str:
    """``s`` quoted as Go's %q writes it (the text view, and keys named in warnings)."""
    return '"' + s.translate(_ESCAPES) + '"'


class GoStr(str):
    """A Go string cut at the string limit; ``full_len`` is its real length."""
    full_len = 0
