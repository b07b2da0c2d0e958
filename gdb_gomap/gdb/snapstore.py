"""The snapshots this gdb session keeps (``gomap-snap``), by name, for ``gomap-diff``.

A snapshot is the map's JSON (``gomap-snapshot/2``) with every bucket or
group and the raw bytes of every slot's key and elem, live or not, kept under
a name and, with ``--save``, in a file.
"""

import json
import os

import gdb

from ..decoding import DumpOptions
from ..errors import UsageError
from ..render.jsonout import snapshot_json

SNAPSHOTS = {}   # name -> (snapshot JSON dict, where it was taken)


def take(target, mt, addr):
    """The snapshot JSON dict of one map, with bucket detail and raw cells."""
    snap = target.dump(mt, addr, DumpOptions(entries=True, detail=True, raw=True))
    return snapshot_json(snap)


def keep(name, snap):
    """Keep ``snap`` as ``name`` (replacing one of that name), noting the frame it was taken in."""
    SNAPSHOTS[name] = (snap, _where())


def _where():
    try:
        f = gdb.selected_frame()
        return f"{f.name() or '??'} pc {f.pc():#x}"
    except gdb.error:
        return ""


def load(ref):
    """A snapshot JSON dict by name (this session) or from a file."""
    if ref in SNAPSHOTS:
        return SNAPSHOTS[ref][0]
    if os.path.isfile(ref):
        try:
            with open(ref) as f:
                return json.load(f)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read the snapshot file {ref}: {exc}") from exc
    names = ", ".join(SNAPSHOTS) or "none yet"
    raise UsageError(f"gomap-diff: no snapshot named {ref!r} and no such file (snapshots: "
                     f"{names}; 'gomap-snap NAME EXPR' takes one)")
