"""The JSON rendering of a snapshot, written in pieces (entries stream).

Entries of plain scalar keys and values are written with per-kind encoders
instead of building a dict per entry; anything else goes through to_json.

Strings decoded with ``DumpOptions.json_bytes`` are still bytes.  A chunk of
entries whose strings are all printable ASCII without a quote or backslash
(what JSON writes as it is) is then written by joining bytes, in C, with no
Python str per string; the check is one ``bytes.translate`` over the chunk.
Any other chunk takes the per-entry encoders.
"""

import json
import math
from json.encoder import encode_basestring_ascii
from operator import itemgetter

from ..nogc import no_gc
from ..values import to_json

CHUNK = 16384
# Bytes JSON writes as they are: printable ASCII but the quote and the backslash.
_PLAIN = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')
# How a key or value of each kind sits in the bytes path: quoted, or a decimal.
_QUOTE = {"string": b'"', "int": b"", "uint": b""}
_first, _second = itemgetter(0), itemgetter(1)


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
    if type(v) is bytes:   # DumpOptions.json_bytes
        v = v.decode("utf-8", "surrogateescape")
    return encode_basestring_ascii(v) if isinstance(v, str) else _generic(v)


def _bytes_chunk(chunk, kq, vq):
    """The entries of ``chunk`` as JSON text made by joining bytes, or None when
    a string in it needs escaping or is not bytes (then the caller encodes it).
    kq, vq: b'"' for a string side, b"" for an integer side."""
    try:
        ks = list(map(_first, chunk))
        vs = list(map(_second, chunk))
        if not kq:
            ks = list(map(b"%d".__mod__, ks))
        if not vq:
            vs = list(map(b"%d".__mod__, vs))
        head, mid, tail = b'{"key": ' + kq, kq + b', "value": ' + vq, vq + b"}"
        text = head + (tail + b", " + head).join(map(mid.join, zip(ks, vs))) + tail
    except TypeError:   # a str, an Unreadable or a non-int among them
        return None
    quotes = len(chunk) * (4 + 2 * len(kq) + 2 * len(vq))   # the ones written above
    odd = text.translate(None, _PLAIN)
    if len(odd) != quotes or odd.count(34) != quotes:
        return None
    return text.decode("ascii")


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
    kq, vq = _QUOTE.get(snap.key_kind), _QUOTE.get(snap.elem_kind)
    joined = not ints and kq is not None and vq is not None
    entries = snap.entries
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start:start + CHUNK]
        part = None
        if ints:   # the common case, one f-string per entry (ints are exact already)
            part = ", ".join([f'{{"key": {k}, "value": {v}}}' for k, v in chunk])
        elif joined and type(chunk[0][0 if kq else 1]) is bytes:
            part = _bytes_chunk(chunk, kq, vq)
        if part is None:
            part = ", ".join(['{"key": ' + ek(k) + ', "value": ' + ev(v) + "}"
                              for k, v in chunk])
        write(part if start == 0 else ", " + part)
    write("]}\n")
