"""``gomap-census`` (``gomap census``): the census (gdb_gomap.census) of the
program gdb holds, live or a core, with the options of the CLI's ``gomap census``."""

import sys

import gdb

from ... import options
from ...census import run as census_run
from ...cli.census import DESCRIPTION, add_census_options, budget_from, emit, write_html
from ...render import output
from ..command import Command
from ..program import core_file, target_with_memory
from ..threads import thread_registers

DOC = (DESCRIPTION + "\n\nUsage: gomap-census [--top N] [--min-bytes BYTES] [--expand PATTERN] "
       "[--json] [-o FILE] [--html FILE] [--budget-seconds S] [--budget-mb MB]")


def parser():
    return add_census_options(options.simple_parser("gomap-census", DOC))


def run(args):
    if args.html:
        output.check_writable(args.html)
    target = target_with_memory()
    progress = census_run.Progress(sys.stderr)
    try:
        c = census_run.run(target, budget_from(args), progress,
                           threads=thread_registers(arch=target.arch))
    finally:
        progress.done()
    core = core_file()      # a core's inferior has the core's pid: the core decides
    pid = None if core else (gdb.selected_inferior().pid or None)
    info = {"executable": target.binary.path, "core": core, "pid": pid,
            "go_version": target.go_version, "layout": target.map_kind,
            "arch": target.arch.goarch, "build_id": target.binary.build_id(), "warnings": []}
    with output.destination(args.output, gdb.write) as write:
        emit(c, info, args, write)
    if args.output:
        gdb.write(f"gomap: wrote the census ({len(c.groups):,} groups) to {args.output}\n")
    if args.html:
        write_html(c, info, target, args)
        gdb.write(f"gomap: wrote the report page ({len(c.groups):,} groups) to {args.html}\n")


def declare():
    return Command(parser(), run, completes=False)
