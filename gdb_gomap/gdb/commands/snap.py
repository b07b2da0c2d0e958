"""``gomap-snap NAME EXPR``: keep a snapshot of a map, to compare later with ``gomap-diff``."""

import json

import gdb

from ... import options
from ...errors import UsageError
from ...render import output
from ...render.svg import snapshot_svg
from .. import snapstore
from ..command import Command
from ..evaluate import resolve
from ..program import target_with_memory

DOC = """Keep a snapshot of a Go map, to compare later with gomap-diff.

Usage: gomap-snap NAME EXPR [--type TYPE] [--save FILE] [--svg FILE]
       gomap-snap --list

Decodes the map EXPR evaluates to with every bucket or group, and keeps it in
this gdb session as NAME (taking NAME again replaces it).  The snapshot also
holds the raw bytes of each slot's key and elem, live or not, so a diff can
tell what the runtime zeroed from what it left in memory.
  --save FILE   also write it as JSON (gomap-snapshot/2, with key_raw/elem_raw)
  --svg FILE    also draw its buckets or groups as an SVG picture
examples:
  gomap-snap before main.cache
  gomap-snap after main.cache --save /tmp/after.json"""


def parser():
    p = options.simple_parser("gomap-snap", DOC)
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("expr", nargs="*", metavar="EXPR")
    p.add_argument("--type", metavar="TYPE", help="EXPR is a header address of this map type")
    p.add_argument("--save", metavar="FILE", help="also write the snapshot as JSON")
    p.add_argument("--svg", metavar="FILE", help="also draw it as SVG")
    p.add_argument("--list", action="store_true", help="list the snapshots kept")
    return p


def run(args):
    if args.list:
        if not snapstore.SNAPSHOTS:
            gdb.write("gomap: no snapshots yet ('gomap-snap NAME EXPR' takes one)\n")
        for name, (s, where) in snapstore.SNAPSHOTS.items():
            gdb.write(f"{name:<16} {s['type']} at {s['address']}  count {s['count']}  "
                      f"{s['stats']['bytes']['total']:,} bytes  ({where})\n")
        return
    if not args.name or not args.expr:
        raise UsageError("gomap-snap: give a NAME and an EXPR (see 'help gomap-snap')")
    target = target_with_memory()
    mt, addr = resolve(target, args.expr, args.type)
    snap = snapstore.take(target, mt, addr)
    snapstore.keep(args.name, snap)
    extra = ""
    if args.save:
        output.write_file(args.save, json.dumps(snap) + "\n", "the snapshot")
        extra += f"; saved to {args.save}"
    if args.svg:
        output.write_file(args.svg, snapshot_svg(snap, f"{args.name}: {' '.join(args.expr)}"),
                          "the picture")
        extra += f"; picture in {args.svg}"
    n = len(snap.get("buckets_detail") or []) if snap["layout"] == "classic" else \
        sum(t["lengthMask"] + 1 for t in snap.get("tables") or []) or \
        (1 if snap.get("group") else 0)
    unit = "buckets" if snap["layout"] == "classic" else "groups"
    gdb.write(f"gomap: snapshot {args.name}: {snap['type']} at {snap['address']}, count "
              f"{snap['count']}, {n} {unit}, {snap['stats']['bytes']['total']:,} bytes "
              f"held{extra}\n")
    for w in snap["warnings"]:
        gdb.write(f"warning: {w}\n")


def declare():
    return Command(parser(), run)
