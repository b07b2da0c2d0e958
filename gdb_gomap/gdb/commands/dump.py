"""``gomap-dump EXPR``: decode one Go map and show it (summary, entries, buckets, JSON, SVG)."""

import gdb

from ... import options
from ...render import output
from .. import settings
from ..command import Command
from ..evaluate import resolve
from ..program import target_with_memory

HEADING = ("Decode a Go map: header, buckets or swiss tables, slots and entries.\n"
           "Usage: gomap-dump EXPR [options]   (gomap-dump --help for every option)")


def run(args):
    target = target_with_memory()
    mt, addr = resolve(target, args.expr, args.type)
    with output.dump_view(args, options.dump_options_from(args), gdb.write, settings.styled,
                          default_color=settings.color(), say=gdb.write) as (opts, show):
        show(target.dump(mt, addr, opts, options.limits_from(args)))


def declare():
    return Command(options.dump_parser("gomap-dump"), run, heading=HEADING)
