"""The JSON rendering of a snapshot, written in pieces (entries stream)."""

import json

from ..snapshot import entry_json

CHUNK = 2000


def write_json(snap, write, indent=None):
    """Write ``snap`` as one JSON object; entries are written CHUNK at a time."""
    head = snap.to_json(entries=False)
    text = json.dumps(head, indent=indent)
    write(text[:-1].rstrip())
    write(', "entries": [')
    buf = []
    first = True
    for k, v in snap.entries:
        buf.append(json.dumps(entry_json(k, v)))
        if len(buf) >= CHUNK:
            write(("" if first else ", ") + ", ".join(buf))
            first = False
            buf = []
    if buf:
        write(("" if first else ", ") + ", ".join(buf))
    write("]}\n")
