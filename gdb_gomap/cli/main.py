"""``gomap dump|list|report`` over a core file (--core/--exe) or a live pid (--pid)."""

import argparse
import contextlib
import os
import sys
import traceback
from typing import List, Optional

from .. import options
from ..backends.core_file import CoreFile
from ..backends.process import StoppedProcess
from ..binary import GoBinary
from ..errors import GomapError, UsageError, WrongExecutable
from ..finder import SEARCHED, find_maps, not_searched
from ..nogc import no_gc
from ..render import output
from ..resolve import resolve_map
from ..target import Target
from . import census as census_cli

DESCRIPTION = """\
gomap: decode Go maps in a core file or a live process, without a debugger.

  gomap dump --core CORE --exe BINARY EXPR    one map (same views and JSON as gomap-dump)
  gomap dump --pid PID EXPR                   the same on a live process (ptrace-stopped
                                              while read, then left running)
  gomap list   --core CORE --exe BINARY       every map reachable from package globals
                                              (fast; no stacks, no heap walk)
  gomap report --core CORE --exe BINARY       post-mortem built on the census: groups,
                                              largest maps, nil maps (--globals: the
                                              globals-only view, dead space, growing maps)
  gomap census --core CORE --exe BINARY       every map from globals and goroutine stacks,
                                              grouped, with retained bytes (or --pid PID)

EXPR: a package global (main.cache), a path through fields, pointers and indexes
(main.srv.cache, main.srv.shards[3]), or ADDRESS:TYPE (0xc000123000:map[string]int)."""


def _source_args(p):
    g = p.add_argument_group("where the memory comes from (one of)")
    g.add_argument("--core", metavar="CORE", help="an ELF core file (gcore or the kernel's)")
    g.add_argument("--exe", metavar="BINARY", help="the executable the core belongs to")
    g.add_argument("--pid", type=int, metavar="PID", help="a live process")
    g.add_argument("--force-exe", action="store_true",
                   help="decode even when the executable's build ID is not the core's or "
                        "the process's (the maps will be wrong; a warning says so)")
    p.add_argument("--traceback", action="store_true", help="show a traceback on errors")


def build_parser():
    p = argparse.ArgumentParser(prog="gomap", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_version(p)
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    d = sub.add_parser("dump", help="decode one map", description=options.DUMP_DESCRIPTION,
                       epilog=options.DUMP_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _source_args(d)
    d.add_argument("expr", metavar="EXPR")
    options.add_view_options(d)
    text = "list every map reachable from package globals, with its count and bytes held"
    q = sub.add_parser("list", help=text, description=f"{text}.\n\n{SEARCHED}")
    _source_args(q)
    q.add_argument("--json", action="store_true", help=options.JSON_HELP)
    q.add_argument("--all", action="store_true",
                   help="include the runtime's and the standard library's own globals")
    q.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    census_cli.add_report_parser(sub, _source_args,
                                 "the fast globals-only view (gomap list's maps, in Markdown "
                                 "or --json): " + SEARCHED)
    census_cli.add_parser(sub, _source_args)
    return p


@contextlib.contextmanager
def open_target(args):
    """Yield (Target, header info dict) for --core/--exe or --pid."""
    if args.pid is not None and args.core:
        raise UsageError("give either --pid or --core/--exe, not both")
    if args.pid is not None:
        proc = StoppedProcess(args.pid)
        exe = args.exe or proc.exe_path()
        binary = GoBinary(exe)
        warnings = []

        def check(how):
            try:
                return how(binary)
            except WrongExecutable as exc:
                if not args.force_exe:
                    raise
                warnings.append(f"{exc}; decoded maps will be wrong")
                return True

        # The executable's own problems (no DWARF, say) first, and its DWARF read
        # before the process is stopped.
        target = Target(binary, proc)
        checked = check(proc.check_executable)
        with proc:
            if not checked:
                check(proc.check_executable_in_memory)
            yield target, {"executable": binary.path, "pid": args.pid, "warnings": warnings}
        return
    if not args.core or not args.exe:
        raise UsageError("say where the map lives: --core CORE --exe BINARY, or --pid PID")
    binary = GoBinary(args.exe)
    target = Target(binary, None)       # the executable's problems before the core's
    target.memory = core = CoreFile(args.core, binary, force_exe=args.force_exe)
    try:
        yield target, {"executable": binary.path, "core": args.core,
                       "warnings": list(core.warnings)}
    finally:
        core.close()


def cmd_dump(args):
    # The snapshot holds everything the views need: a live process goes on
    # (threads detached) before a byte is written, however slow the reader.
    opts = options.dump_options_from(args)     # a usage error before the target is opened
    with open_target(args) as (target, info):
        mt, addr = resolve_map(target, args.expr)
        snap = target.dump(mt, addr, opts, options.limits_from(args))
    for w in info["warnings"]:
        snap.warnings.insert(0, w)
    output.emit_snapshot(snap, args, sys.stdout.write, sys.stdout.isatty)


def cmd_list(args, report=False):
    with open_target(args) as (target, info):   # detached before the output (cmd_dump)
        found = find_maps(target, include_runtime=args.all)
        header = dict(info, go_version=target.go_version, layout=target.map_kind)
    output.emit_listing(found, args, sys.stdout.write, header, intro=True, markdown=report)
    if not args.json and not report and not args.output:
        print(not_searched("'gomap census'"))


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)   # argparse exits 0 (help) or 2
    if not args.cmd:
        parser.print_help()
        return 2
    try:
        with no_gc():   # see nogc.py: the snapshot is freed before the collector runs
            if args.cmd == "dump":
                cmd_dump(args)
            elif args.cmd == "census":
                census_cli.cmd_census(args, open_target)
            elif args.cmd == "report" and not args.globals:
                census_cli.cmd_report(args, open_target)
            else:
                if args.cmd == "report":
                    census_cli.globals_view_conflicts(args)
                cmd_list(args, report=args.cmd == "report")
    except GomapError as exc:
        if args.traceback or os.environ.get("GOMAP_DEBUG") == "1":
            traceback.print_exc()
        print(f"gomap: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug in gomap: still one line unless asked
        if args.traceback or os.environ.get("GOMAP_DEBUG") == "1":
            traceback.print_exc()
        print(f"gomap: internal error ({type(exc).__name__}: {exc}); run again with "
              f"--traceback and report it", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("gomap: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
