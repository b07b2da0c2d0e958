"""The value model: what a decoded Go key or elem is made of.

Plain Python data says most of it: ints, floats, complex, bool, str, lists
(arrays), dicts (structs, by field name) and None (a nil map or interface).
The small classes here say what plain data cannot: a pointer, a map held as
a value, a non-nil interface, a slice, a string cut at the string limit, and
a part of a value that could not be read.

:mod:`gdb_gomap.valuedecode` makes these values from target bytes and
:mod:`gdb_gomap.strread` reads Go strings in bulk; the renderers turn them
into text (render/gosyntax.py) or JSON (render/jsonout.py).
"""

from typing import Any, List, Optional


class Pointer:
    """A Go pointer (also unsafe.Pointer, chan, func): its address, 0 for nil."""
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
    """A slice header and the first items (``items`` is None for a nil slice)."""
    __slots__ = ("addr", "len", "cap", "items", "elem_name")

    def __init__(self, addr: int, length: int, cap: int, items: Optional[List[Any]],
                 elem_name: str) -> None:
        self.addr, self.len, self.cap, self.items, self.elem_name = \
            addr, length, cap, items, elem_name


class Unreadable:
    """A part of a value that could not be read; the rest still decodes."""
    __slots__ = ("addr", "why")

    def __init__(self, addr: int, why: str) -> None:
        self.addr, self.why = addr, why

    def __repr__(self) -> str:
        return f"Unreadable({self.addr:#x})"


class GoStr(str):
    """A Go string cut at the string limit; ``full_len`` is its real length."""
    full_len = 0
