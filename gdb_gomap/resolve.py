"""Expressions without a debugger: 'main.srv.shards[3]', '0xADDR:map[K]V'.

An expression is a package variable followed by ``.field`` and ``[index]``
steps; pointers are followed on the way.  It resolves to a (location, GoType)
pair: the address where a value of that type is stored.
"""

import re

from .errors import NoSuchName, NotAMap, UsageError
from .exprcheck import check as check_expression

_STEP = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+)\]")


def _read_u64(mem, addr):
    return int.from_bytes(mem.read(addr, 8), "little")


def split_head(target, expr):
    """Longest prefix of ``expr`` that names a package variable, and the rest."""
    m = re.match(r"[\w./-]+", expr)
    if not m:
        raise UsageError(f"cannot parse {expr!r}; expected e.g. main.cache, "
                         f"main.srv.shards[3] or 0xc000123000:map[string]int")
    head = m.group(0)
    parts = head.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in target.index.variables:
            return name, expr[len(name):]
    raise NoSuchName(f"no package variable starts {expr!r}; name it with its package path, "
                     f"e.g. main.cache ('gomap list' shows the maps there are)")


def resolve(target, expr):
    """(location, GoType) of the value ``expr`` names."""
    name, rest = split_head(target, expr.strip())
    loc, t = target.variable(name)
    pos = 0
    mem = target.memory
    while pos < len(rest):
        m = _STEP.match(rest, pos)
        if not m:
            raise UsageError(f"cannot parse {rest[pos:]!r} in {expr!r}; use .field and [N]")
        pos = m.end()
        if t.kind == "ptr":
            loc, t = _read_u64(mem, loc), t.elem
            if not loc:
                raise NoSuchName(f"{expr}: nil pointer before {m.group(0)!r}")
        if m.group(1):
            f = t.field(m.group(1)) if t.kind == "struct" else None
            if f is None:
                raise NoSuchName(f"{expr}: {t.name} has no field {m.group(1)!r}")
            loc, t = loc + f.offset, f.type
        else:
            i = int(m.group(2))
            if t.kind == "array":
                if i >= t.count:
                    raise NoSuchName(f"{expr}: index {i} out of range [0,{t.count})")
                loc, t = loc + i * t.elem.size, t.elem
            elif t.kind == "slice":
                data = _read_u64(mem, loc)
                n = int.from_bytes(mem.read(loc + 8, 8), "little", signed=True)
                if not 0 <= i < n:
                    raise NoSuchName(f"{expr}: index {i} out of range [0,{n})")
                loc, t = data + i * t.elem.size, t.elem
            else:
                raise NoSuchName(f"{expr}: cannot index a {t.name}")
    return loc, t


def resolve_map(target, expr):
    """(map GoType, header address) for an expression naming a map."""
    at = split_addr_type(expr)
    if at is not None:
        return target.map_type(at[1]), at[0]
    # Nothing here evaluates: the check gives the same one-line refusal as gdb's
    # and Delve's front ends ('main.Big = main.Small' is no path either).
    check_expression(expr, lambda name: name in target.index.types)
    loc, t = resolve(target, expr)
    if t.kind == "ptr" and t.elem is not None and t.elem.kind == "map":
        loc, t = _read_u64(target.memory, loc), t.elem
    if t.kind != "map":
        raise NotAMap(f"{expr} is a {t.name} ({t.kind}), not a Go map")
    return t, _read_u64(target.memory, loc)


def split_addr_type(expr):
    """'0xADDR:map[K]V' -> (addr, type name), else None."""
    if ":" not in expr:
        return None
    a, t = expr.split(":", 1)
    try:
        return int(a, 0), t.strip()
    except ValueError:
        return None
