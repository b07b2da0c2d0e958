"""The JSON rendering of a snapshot, written in pieces (entries stream).

Entries of plain scalar keys and values are written with per-kind encoders
instead of building a dict per entry; anything else goes through to_json.
"""

import json
import math
from json.encoder import encode_basestring_ascii

from ..nogc import no_gc
from ..values import to_json

CHUNK = 5000


def _generic(v):
    return json.dumps(to_json(v))


def _int(v):
    return str(v) if type(v) is int else _generic(v)


def _float(v):
    if type(v) is not float:
        return _generic(v)
    if math.isnan(v):
        return '"NaN"'
    if math.isinf(v):
        return '"+Inf"' if v > 0 else '"-Inf"'
    return repr(v)


def _bool(v):
    return ("true" if v else "false") if type(v) is bool else _generic(v)


def _str(v):
    return encode_basestring_ascii(v) if isinstance(v, str) else _generic(v)


INT_KINDS = ("int", "uint")
ENCODERS = {"int": _int, "uint": _int, "float": _float, "bool": _bool, "string": _str}


def write_json(snap, write, indent=None):
    """Write ``snap`` as one JSON object; entries are written CHUNK at a time."""
    with no_gc():
        _write_json(snap, write, indent)


def _write_json(snap, write, indent):
    head = snap.to_json(entries=False)
    text = json.dumps(head, indent=indent)
    write(text[:-1].rstrip())
    write(', "entries": [')
    ek = ENCODERS.get(snap.key_kind, _generic)
    ev = ENCODERS.get(snap.elem_kind, _generic)
    ints = snap.key_kind in INT_KINDS and snap.elem_kind in INT_KINDS
    entries = snap.entries
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start:start + CHUNK]
        if ints:   # the common case, one f-string per entry (ints are exact already)
            part = ", ".join([f'{{"key": {k}, "value": {v}}}' for k, v in chunk])
        else:
            part = ", ".join(['{"key": ' + ek(k) + ', "value": ' + ev(v) + "}"
                              for k, v in chunk])
        write(part if start == 0 else ", " + part)
    write("]}\n")
