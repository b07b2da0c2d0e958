"""``gomap census``: every map of a core or a live process, grouped by path
pattern, with the bytes each group holds and retains (gdb_gomap.census)."""

import argparse
import sys

from .. import options
from ..census import run as census_run
from ..render import census as census_view
from ..render import output

DESCRIPTION = """\
Every map the process holds, found from its roots (every package global and
every goroutine's stack) by a typed walk of the heap, grouped by path pattern
(main.many[*]: all the maps of that slice).  Per group: maps, entries, own
bytes (the maps' storage), retained bytes (what would be freed if the group's
maps became unreachable: the maps' dominator subtrees in the object graph),
and that as a share of the walked heap.  The header says what was walked and
what could not be read, and why."""


def _bytes(text):
    t = text.strip().upper()
    mult = 1
    for suffix, m in (("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10), ("G", 1 << 30),
                      ("M", 1 << 20), ("K", 1 << 10), ("B", 1)):
        if t.endswith(suffix):
            t, mult = t[:-len(suffix)], m
            break
    try:
        v = int(float(t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a byte count (e.g. 4096, 64K, 10M)")
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return v


def add_census_options(p):
    """The options of ``gomap census`` and ``gomap-census``."""
    p.add_argument("--top", type=options._positive, metavar="N",
                   help="show the N groups that retain most (default: all)")
    p.add_argument("--min-bytes", type=_bytes, metavar="BYTES",
                   help="show only groups retaining at least BYTES (4096, 64K, 10M)")
    p.add_argument("--expand", metavar="PATTERN",
                   help="also list the maps of the group PATTERN (exact, or a shell glob "
                        "such as 'main.many*')")
    p.add_argument("--json", action="store_true",
                   help="JSON (schema gomap-census/1: gdb_gomap/schema/census.schema.json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    b = p.add_argument_group("budget (the output says when it stopped the walk)")
    b.add_argument("--budget-seconds", type=options._positive_float, default=None,
                   metavar="S", help="stop walking the heap after S seconds (default: none)")
    b.add_argument("--budget-mb", type=options._positive, default=None, metavar="MB",
                   help="stop walking after MB of memory growth (default: none)")
    return p


def add_parser(sub, source_args):
    """Add ``census`` to the ``gomap`` subcommands."""
    q = sub.add_parser("census", help="every map of the process, grouped, with retained bytes",
                       description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    source_args(q)
    add_census_options(q)
    return q


def budget_from(args):
    return census_run.CensusBudget(args.budget_seconds, args.budget_mb)


def emit(c, info, args, write):
    kw = dict(top=args.top, min_bytes=args.min_bytes, expand=args.expand)
    if args.json:
        census_view.write_json(c, info, write, **kw)
    else:
        census_view.write_text(c, info, write, **kw)


def cmd_census(args, open_target):
    """Run the census on the target of ``args`` (--core/--exe or --pid)."""
    progress = census_run.Progress(sys.stderr)
    try:
        with open_target(args) as (target, info):   # a live process goes on before output
            c = census_run.run(target, budget_from(args), progress)
            info = dict(info, go_version=target.go_version, layout=target.map_kind)
    finally:
        progress.done()
    with output.destination(args.output, sys.stdout.write) as write:
        emit(c, info, args, write)
