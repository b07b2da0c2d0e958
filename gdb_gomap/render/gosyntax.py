"""Decoded values written the way Go would spell them (for the text view)."""

import math

from ..values import (ByteArray, Func, GoStr, Iface, MapRef, NamedInt, Pointer, Slice,
                      Unreadable, go_quote)

TEXT_ITEMS = 16  # array/slice items shown in text; JSON keeps them all


def _float(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    r = repr(x)
    return r


def fmt(v):
    """One-line Go-like text for a decoded value."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v.const} ({int(v)})" if isinstance(v, NamedInt) else str(v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, str):
        q = go_quote(v)
        if isinstance(v, GoStr):
            q += f"...(len {v.full_len})"
        return q
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return _items(v, len(v))
    if isinstance(v, Func):   # as Delve names it: the function its code is
        return v.name or f"({v.type_name}){v.addr:#x}"
    if isinstance(v, ByteArray):
        return byte_array(v.data)
    if isinstance(v, Pointer):
        return f"({v.type_name}){v.addr:#x}" if v.addr else "nil"
    if isinstance(v, complex):
        return f"({_float(v.real)}{'+' if v.imag >= 0 or math.isnan(v.imag) else ''}" \
               f"{_float(v.imag)}i)"
    if isinstance(v, Slice):
        if v.items is None:
            return "nil"
        return f"[]{v.elem_name} len={v.len} cap={v.cap} {v.addr:#x} " + \
            _items(v.items, v.len, v.cut)
    if isinstance(v, Iface):
        if isinstance(v.value, (Pointer, MapRef)):  # already says its type
            return fmt(v.value)
        return f"{v.type_name}({fmt(v.value)})"
    if isinstance(v, MapRef):
        n = "?" if v.count is None else v.count
        return f"{v.type_name}{{len {n}}} at {v.addr:#x}"
    if isinstance(v, Unreadable):
        return f"<unreadable {v.addr:#x}: {v.why}>"
    return str(v)


def _items(items, total, cut=False):
    """Up to TEXT_ITEMS items; ``cut``: only the first len(items) of ``total`` were decoded."""
    shown = items[:TEXT_ITEMS]
    body = ", ".join(fmt(x) for x in shown)
    if cut:
        body += f", ... (len {total}, first {len(items)} decoded)"
    elif total > len(shown):
        body += f", ... ({total} items)"
    return "[" + body + "]"


_PRINTABLE = bytes(range(0x20, 0x7F))
TEXT_BYTES = 64   # bytes of a [N]byte shown as hex in text; JSON keeps them all


def byte_array(data):
    """A [N]byte as text: quoted when every byte is printable ASCII, else 0x and hex
    (the first TEXT_BYTES, then its length)."""
    if not data.translate(None, _PRINTABLE):
        return go_quote(data.decode("ascii"))
    if len(data) > TEXT_BYTES:
        return f"0x{data[:TEXT_BYTES].hex()}...({len(data)} bytes)"
    return "0x" + data.hex()
