"""``gomap dump|list|report`` over a core file (--core/--exe) or a live pid (--pid)."""

import argparse
import contextlib
import os
import sys
import traceback
from typing import List, Optional

from .. import api, options
from ..errors import GomapError, UsageError
from ..finder import SEARCHED, find_maps, not_searched
from ..locals import goroutine_frame, parse_frame_spec
from ..nogc import no_gc
from ..render import output
from ..resolve import resolve_map
from . import census as census_cli

DESCRIPTION = """\
gomap: decode Go maps in a core file or a live process, without a debugger.

  gomap dump --core CORE --exe BINARY EXPR    one map (same views and JSON as gomap-dump)
  gomap dump --pid PID EXPR                   the same on a live process (ptrace-stopped
                                              while read, then left running)
  gomap list   --core CORE --exe BINARY       every map reachable from package globals
                                              (or --pid PID; fast: no stacks, no heap walk)
  gomap report --core CORE --exe BINARY       post-mortem built on the census: groups,
                                              largest maps, nil maps (--html FILE: also as
                                              a page for a browser; --globals: the
                                              globals-only view, dead space, growing maps)
  gomap census --core CORE --exe BINARY       every map from globals and goroutine stacks,
                                              grouped, with retained bytes (or --pid PID)

EXPR: a package global (main.cache), a path through fields, pointers, indexes
and map keys (main.srv.shards[3], main.cfg["db"].pools[2]), a local of a goroutine's
frame (--goroutine ID --frame N|FUNC m), or ADDRESS:TYPE (0xc000123000:map[string]int);
see 'Naming a map' in the README."""

DUMP_CLI_DESCRIPTION = """Decode the Go map that EXPR names and show what the runtime keeps in it.

EXPR is a package global ('main.cache'), a path through fields, pointers,
indexes and map keys ('main.srv.shards[3]', 'main.cfg["db"].pools[2]'), or,
with --goroutine ID --frame N|FUNC, a local or argument of that frame ('m',
'tm.v[0]').  Maps held in interfaces are looked through.  With --type, EXPR
is the address of a map header and TYPE the map type ('map[string]int');
ADDR:TYPE in one word works too ('0xc000123000:map[string]int').

""" + options.DUMP_DESCRIPTION.split("\n\n", 2)[2]


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
    d = sub.add_parser("dump", help="decode one map", description=DUMP_CLI_DESCRIPTION,
                       epilog=options.DUMP_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _source_args(d)
    d.add_argument("expr", metavar="EXPR")
    d.add_argument("--type", metavar="TYPE",
                   help="EXPR is the address of a map header of this map type")
    d.add_argument("--goroutine", type=int, metavar="ID",
                   help="name locals of this goroutine's frame (with --frame)")
    d.add_argument("--frame", type=parse_frame_spec, metavar="N|FUNC",
                   help="with --goroutine: frame N (innermost 0) or the innermost frame of "
                        "function FUNC (default 0)")
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
    """Yield (Target, header info dict) for --core/--exe or --pid (a process stays
    stopped for the block)."""
    if args.pid is not None and args.core:
        raise UsageError("give either --pid or --core/--exe, not both")
    if args.pid is not None:
        prog = api.attach(args.pid, args.exe, force_exe=args.force_exe)
    elif not args.core or not args.exe:
        raise UsageError("say where the map lives: --core CORE --exe BINARY, or --pid PID")
    else:
        prog = api.open_core(args.core, args.exe, force_exe=args.force_exe)
    with prog, prog.stopped():
        yield prog.target, dict(prog.info, warnings=prog.warnings)


def cmd_dump(args):
    # The snapshot holds everything the views need: a live process goes on
    # (threads detached) before a byte is written, however slow the reader;
    # but a streamed --json (render/output.dump_view) writes its entries while
    # the process is stopped, so that memory does not grow with the map.
    opts = options.dump_options_from(args)     # a usage error before the target is opened
    with output.dump_view(args, opts, sys.stdout.write, sys.stdout.isatty) as (opts, show):
        with open_target(args) as (target, info):
            mt, addr = _dump_target(target, args)
            snap = target.dump(mt, addr, opts, options.limits_from(args))
        for w in info["warnings"]:
            snap.warnings.insert(0, w)
        show(snap)


def _dump_target(target, args):
    """(map GoType, header address) of ``gomap dump``'s EXPR and options."""
    if args.type is not None:
        if args.goroutine is not None:
            raise UsageError("--type takes an address: --goroutine and --frame do not apply")
        try:
            addr = int(args.expr, 0)
        except ValueError:
            raise UsageError(f"with --type, EXPR is a header address such as 0xc000123000, "
                             f"not {args.expr!r}") from None
        return target.map_type(args.type), addr
    frame = None
    if args.goroutine is not None:
        frame = goroutine_frame(target, args.goroutine, 0 if args.frame is None else args.frame)
    elif args.frame is not None:
        raise UsageError("--frame needs --goroutine ID: say whose frame")
    return resolve_map(target, args.expr, frame)


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
