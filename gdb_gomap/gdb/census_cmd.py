"""``gomap-census`` in gdb: the census (gdb_gomap.census) of the program gdb
holds, live or a core, with the options of ``gomap census``."""

import sys

import gdb

from .. import options
from ..census import run as census_run
from ..cli.census import DESCRIPTION, add_census_options, budget_from, emit
from .commands import open_output, parse, run_guarded, target_with_memory

DOC = (DESCRIPTION + "\n\nUsage: gomap-census [--top N] [--min-bytes BYTES] [--expand PATTERN] "
       "[--json] [-o FILE] [--budget-seconds S] [--budget-mb MB]")


def _core_file():
    """The core file gdb has loaded ('info files' names it under 'Local core dump file:')."""
    try:
        text = gdb.execute("info files", to_string=True)
    except gdb.error:
        return None
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.startswith("Local core dump file:") and "`" in lines[i + 1]:
            return lines[i + 1].split("`", 1)[1].rsplit("'", 1)[0]
    return None


class GomapCensus(gdb.Command):
    __doc__ = DOC

    def __init__(self):
        super().__init__("gomap-census", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)
        self.parser = add_census_options(options.simple_parser("gomap-census", DOC))

    def invoke(self, arg, from_tty):
        run_guarded(self._run, arg)

    def _run(self, arg):
        args = parse(self.parser, arg)
        if args is None:
            return
        target = target_with_memory()
        from .threads import thread_registers   # running goroutines: gdb's own registers
        progress = census_run.Progress(sys.stderr)
        try:
            c = census_run.run(target, budget_from(args), progress, threads=thread_registers())
        finally:
            progress.done()
        core = _core_file()     # a core's inferior has the core's pid: the core decides
        pid = None if core else (gdb.selected_inferior().pid or None)
        info = {"executable": target.binary.path, "core": core, "pid": pid, "go_version": target.go_version, "layout": target.map_layout,
                "warnings": []}
        out = open_output(args.output) if args.output else None
        try:
            emit(c, info, args, out.write if out else gdb.write)
        finally:
            if out is not None:
                out.close()
        if out is not None:
            gdb.write(f"gomap: wrote the census ({len(c.groups):,} groups) to {args.output}\n")
