"""Decoded values written the way Go would spell them (for the text view)."""

import math

from ..values import GoStr, Iface, MapRef, Pointer, Slice, Unreadable

TEXT_ITEMS = 16  # array/slice items shown in text; JSON keeps them all


def _float(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    r = repr(x)
    return r


# How each character that Go would escape is written: quote and backslash,
# \n and \t, other control bytes, and the invalid bytes that surrogateescape
# kept as U+DC80..U+DCFF.  str.translate applies it at C speed.
_ESCAPES = {ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n", ord("\t"): "\\t"}
_ESCAPES.update({o: f"\\x{o:02x}" for o in [*range(0x20), 0x7F] if o not in _ESCAPES})
_ESCAPES.update({o: f"\\x{o - 0xDC00:02x}" for o in range(0xDC80, 0xDD00)})


def _quote(s):
    return '"' + s.translate(_ESCAPES) + '"'


def fmt(v):
    """One-line Go-like text for a decoded value."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, str):
        q = _quote(v)
        if isinstance(v, GoStr):
            q += f"...(len {v.full_len})"
        return q
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return _items(v, len(v))
    if isinstance(v, Pointer):
        return f"({v.type_name}){v.addr:#x}" if v.addr else "nil"
    if isinstance(v, complex):
        return f"({_float(v.real)}{'+' if v.imag >= 0 or math.isnan(v.imag) else ''}" \
               f"{_float(v.imag)}i)"
    if isinstance(v, Slice):
        if v.items is None:
            return "nil"
        return f"[]{v.elem_name} len={v.len} cap={v.cap} {v.addr:#x} " + _items(v.items, v.len)
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


def _items(items, total):
    shown = items[:TEXT_ITEMS]
    body = ", ".join(fmt(x) for x in shown)
    if total > len(shown):
        body += f", ... ({total} items)"
    return "[" + body + "]"
