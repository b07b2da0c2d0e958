"""``gomap-snap`` and ``gomap-diff``: keep snapshots of a map, and show what changed.

A snapshot is the map's JSON (``gomap-snapshot/1``) with every bucket or
group and the raw bytes of every slot's key and elem, live or not, kept in
this gdb session under a name and, with ``--save``, in a file.  ``gomap-diff``
compares two of them (names or saved files) with ``gdb_gomap.diff``.
"""

import json
import os

import gdb

from .. import options
from ..decode import DumpOptions
from ..diff import diff
from ..errors import UsageError
from ..render import difftext
from ..render.svg import diff_svg, snapshot_svg
from . import commands

SNAPSHOTS = {}   # name -> (snapshot JSON dict, where it was taken)

SNAP_DOC = """Keep a snapshot of a Go map, to compare later with gomap-diff.

Usage: gomap-snap NAME EXPR [--type TYPE] [--save FILE] [--svg FILE]
       gomap-snap --list

Decodes the map EXPR evaluates to with every bucket or group, and keeps it in
this gdb session as NAME (taking NAME again replaces it).  The snapshot also
holds the raw bytes of each slot's key and elem, live or not, so a diff can
tell what the runtime zeroed from what it left in memory.
  --save FILE   also write it as JSON (gomap-snapshot/1, with key_raw/elem_raw)
  --svg FILE    also draw its buckets or groups as an SVG picture
examples:
  gomap-snap before main.cache
  gomap-snap after main.cache --save /tmp/after.json"""

DIFF_DOC = """Show what changed in a Go map between two snapshots.

Usage: gomap-diff A B [--json] [-o FILE] [--svg FILE] [--limit N]

A and B are snapshot names (gomap-snap) or snapshot JSON files.  Shows the
header fields that changed; the buckets or groups (matched by address) that
were reused in place, released or allocated; the bytes held before and after;
and every slot whose state changed (live -> emptyOne/emptyRest, full ->
deleted/empty, live -> evacuated, ...) with whether its key and elem bytes
were zeroed, partly zeroed or left in memory.
  --json        the diff as JSON (gomap-diff/1)
  -o FILE       write the text or JSON to FILE
  --svg FILE    draw both snapshots side by side, changed slots ringed
  --limit N     slot lines shown in the text view (default 40)"""


def _snap_parser():
    p = options.simple_parser("gomap-snap", SNAP_DOC)
    p.add_argument("name", nargs="?", metavar="NAME")
    p.add_argument("expr", nargs="*", metavar="EXPR")
    p.add_argument("--type", metavar="TYPE", help="EXPR is a header address of this map type")
    p.add_argument("--save", metavar="FILE", help="also write the snapshot as JSON")
    p.add_argument("--svg", metavar="FILE", help="also draw it as SVG")
    p.add_argument("--list", action="store_true", help="list the snapshots kept")
    return p


def _diff_parser():
    p = options.simple_parser("gomap-diff", DIFF_DOC)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--json", action="store_true", help="JSON instead of text")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    p.add_argument("--svg", metavar="FILE", help="draw both snapshots side by side")
    p.add_argument("--limit", type=options._positive, default=40, metavar="N",
                   help="slot lines in the text view (default 40)")
    return p


def _write_file(path, text, what):
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {path}: {exc.strerror}") from exc


def _where():
    try:
        f = gdb.selected_frame()
        return f"{f.name() or '??'} pc {f.pc():#x}"
    except gdb.error:
        return ""


def take(target, mt, addr):
    """The snapshot JSON dict of one map, with bucket detail and raw cells."""
    snap = target.dump(mt, addr, DumpOptions(entries=True, detail=True, raw=True))
    return snap.to_json()


class GomapSnap(gdb.Command):
    __doc__ = SNAP_DOC

    def __init__(self):
        super().__init__("gomap-snap", gdb.COMMAND_DATA)
        self.parser = _snap_parser()

    def invoke(self, arg, from_tty):
        commands.run_guarded(self._run, arg)

    def complete(self, text, word):
        return commands.complete_expr(self.parser, text, word)

    def _run(self, arg):
        args = commands.parse(self.parser, arg)
        if args is None:   # --help was shown
            return
        if args.list:
            if not SNAPSHOTS:
                gdb.write("gomap: no snapshots yet ('gomap-snap NAME EXPR' takes one)\n")
            for name, (s, where) in SNAPSHOTS.items():
                gdb.write(f"{name:<16} {s['type']} at {s['address']}  count {s['count']}  "
                          f"{s['stats']['bytes']['total']:,} bytes  ({where})\n")
            return
        if not args.name or not args.expr:
            raise UsageError("gomap-snap: give a NAME and an EXPR (see 'help gomap-snap')")
        target = commands.target_with_memory()
        mt, addr = commands.resolve(target, args.expr, args.type)
        snap = take(target, mt, addr)
        SNAPSHOTS[args.name] = (snap, _where())
        extra = ""
        if args.save:
            _write_file(args.save, json.dumps(snap) + "\n", "the snapshot")
            extra += f"; saved to {args.save}"
        if args.svg:
            _write_file(args.svg, snapshot_svg(snap, f"{args.name}: {' '.join(args.expr)}"),
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


class GomapDiff(gdb.Command):
    __doc__ = DIFF_DOC

    def __init__(self):
        super().__init__("gomap-diff", gdb.COMMAND_DATA)
        self.parser = _diff_parser()

    def invoke(self, arg, from_tty):
        commands.run_guarded(self._run, arg)

    def complete(self, text, word):
        token = text.split()[-1] if text and not text[-1].isspace() else ""
        if token.startswith("-"):
            return commands.complete_expr(self.parser, text, word)
        names = sorted(n for n in SNAPSHOTS if n.startswith(token))
        return names or gdb.COMPLETE_FILENAME

    def _run(self, arg):
        args = commands.parse(self.parser, arg)
        if args is None:   # --help was shown
            return
        a, b = load(args.a), load(args.b)
        d = diff(a, b, args.a, args.b)
        out = None
        if args.output:
            out = commands.open_output(args.output)
        write = out.write if out else gdb.write
        try:
            if args.json:
                write(json.dumps(d, indent=1) + "\n")
            else:
                difftext.render(d, write, limit=args.limit)
        finally:
            if out:
                out.close()
        if args.output:
            gdb.write(f"gomap: wrote the diff ({len(d['slots'])} slot changes) to "
                      f"{args.output}\n")
        if args.svg:
            _write_file(args.svg, diff_svg(a, b, d), "the picture")
            gdb.write(f"gomap: wrote the picture to {args.svg}\n")
