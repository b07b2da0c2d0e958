"""``gomap-watch EXPR``: resume the program and log each write the runtime makes to one map.

The breakpoints and the log are ``gdb_gomap.gdb.watcher``'s; this module
parses the command, checks that it can run, and writes the log out.
"""

import argparse

import gdb

from ... import options
from ...errors import GomapError
from ...events import KINDS
from ...render import output
from ..command import Command
from ..evaluate import resolve
from ..program import current_target
from ..readonly import breakpoint_writes, user_setting
from ..watcher import Watch

DOC = """Log each write the runtime makes to one Go map, with the map's state after it.

Usage: gomap-watch EXPR [--count N] [--events KINDS] [--json] [-o FILE]

Resumes the program and logs, for the map EXPR evaluates to, every call of
the runtime's write paths: assign, delete, clear, grow (classic hashGrow;
swiss growToSmall/growToTable and table doubling), evacuate (classic, one old
bucket each), split and prune (swiss).  Each line shows the map after the
call: count, buckets or capacity, growth and evacuation progress, emptyOne
cells or tombstones, and what changed.  After an assign the new elem is not
yet stored (the compiled code stores it after the runtime returns).

It stops after N events (default 100), or when the program stops for any
other reason (one of your breakpoints, a signal, Ctrl-C) or exits, and then
deletes every breakpoint it made.  Breakpoints are conditioned on the map's
header address in the register the function's DWARF names at its entry; the
target is never written and no function in it is called.

  --events KINDS   comma-separated subset of: assign,delete,clear,grow,evacuate,split,prune
  --json           print the log as JSON, on one line, at the end (with -o FILE:
                   write it there)
examples:
  gomap-watch main.cache --events delete,grow --count 20
  gomap-watch m --events grow,split -o /tmp/grow.json"""


def parse_kinds(text):
    """The --events value as a list of event kinds."""
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise argparse.ArgumentTypeError(f"unknown event kind(s) {', '.join(bad) or repr(text)};"
                                         f" choose from {','.join(KINDS)}")
    return kinds


def parser():
    p = options.simple_parser("gomap-watch", DOC)
    p.add_argument("expr", nargs="+", metavar="EXPR")
    p.add_argument("--type", metavar="TYPE", help="EXPR is a header address of this map type")
    p.add_argument("--count", type=options._positive, default=100, metavar="N",
                   help="stop after N events (default 100)")
    p.add_argument("--events", type=parse_kinds, default=list(KINDS), metavar="KINDS",
                   help="which writes to log (default: all)")
    p.add_argument("--json", action="store_true", help="the log as JSON, on one line")
    p.add_argument("-o", "--output", metavar="FILE", help="write the JSON log to FILE")
    return p


def run(args):
    if not gdb.selected_inferior().pid:
        raise GomapError("the program is not running: gomap-watch follows a live process "
                         "('run' or 'attach PID' first; a core file cannot change)")
    target = current_target()
    mt, addr = resolve(target, args.expr, args.type)
    if not addr:
        raise GomapError(f"{' '.join(args.expr)} is a nil map: it has no header to watch "
                         f"(writes to it panic)")
    for setting in ("may-write-memory", "may-insert-breakpoints"):
        if user_setting(setting) is False:
            raise GomapError(f"gomap-watch needs breakpoints, which gdb writes into the "
                             f"program's code, and {setting} is off: 'set {setting} on' "
                             f"first (gomap writes none of the program's data)")
    w = Watch(target, mt, addr, args.events, args.count, _write_now, " ".join(args.expr))
    try:
        # gdb inserts and removes its breakpoints by writing memory: the user's own
        # may-write-memory while they are in (the expression was resolved above).
        with breakpoint_writes():
            w.run()
    finally:
        if args.output or args.json:
            with output.destination(args.output, gdb.write) as write:
                output.write_document(w.log(), write)
            if args.output:
                gdb.write(f"gomap: wrote the watch log ({len(w.events)} events) to "
                          f"{args.output}\n")


def _write_now(s):
    gdb.write(s)
    gdb.flush()


def declare():
    return Command(parser(), run, category=gdb.COMMAND_RUNNING)
