"""``gomap-diff A B``: what changed in a map between two snapshots (``gdb_gomap.diff``)."""

import gdb

from ... import options
from ...diff import diff
from ...render import difftext, output
from ...render.svg import diff_svg
from .. import snapstore
from ..command import Command

DOC = """Show what changed in a Go map between two snapshots.

Usage: gomap-diff A B [--json] [-o FILE] [--svg FILE] [--limit N]

A and B are snapshot names (gomap-snap) or snapshot JSON files.  Shows the
header fields that changed; the buckets or groups (matched by address) that
were reused in place, released or allocated; the bytes held before and after;
and every slot whose state changed (live -> emptyOne/emptyRest, full ->
deleted/empty, live -> evacuated, ...) with whether its key and elem bytes
were zeroed, partly zeroed or left in memory.
  --json        the diff as JSON (gomap-diff/1), on one line
  -o FILE       write the text or JSON to FILE
  --svg FILE    draw both snapshots side by side, changed slots ringed
  --limit N     slot lines shown in the text view (default 40)"""


def parser():
    p = options.simple_parser("gomap-diff", DOC)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--json", action="store_true", help=options.JSON_HELP)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    p.add_argument("--svg", metavar="FILE", help="draw both snapshots side by side")
    p.add_argument("--limit", type=options._positive, default=40, metavar="N",
                   help="slot lines in the text view (default 40)")
    return p


def run(args):
    a, b = snapstore.load(args.a), snapstore.load(args.b)
    d = diff(a, b, args.a, args.b)
    with output.destination(args.output, gdb.write) as write:
        if args.json:
            output.write_document(d, write)
        else:
            difftext.render(d, write, limit=args.limit)
    if args.output:
        gdb.write(f"gomap: wrote the diff ({len(d['slots'])} slot changes) to "
                  f"{args.output}\n")
    if args.svg:
        output.write_file(args.svg, diff_svg(a, b, d), "the picture")
        gdb.write(f"gomap: wrote the picture to {args.svg}\n")


def snapshot_names(token):
    """The snapshots kept whose names start with ``token``, else gdb's file completer."""
    return sorted(n for n in snapstore.SNAPSHOTS if n.startswith(token)) or \
        gdb.COMPLETE_FILENAME


def declare():
    return Command(parser(), run, operands=snapshot_names)
