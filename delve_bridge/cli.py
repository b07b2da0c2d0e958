"""``gomap-dlv``: gomap's map views through Delve.

Delve evaluates the expression and provides the memory; gomap decodes with
the executable's DWARF, so ``gomap-dlv dump`` has the views, options and JSON
of ``gomap-dump``.
"""

import argparse
import os
import signal
import sys
import traceback
from typing import List, Optional

from gdb_gomap import options
from gdb_gomap.errors import GomapError, UsageError
from gdb_gomap.render import output

from .install import DELVE_VERSION, accepted_releases_text, install_command
from .rpc import CURRENT_GOROUTINE
from .session import open_session

DESCRIPTION = f"""\
gomap-dlv: decode Go maps through Delve (JSON-RPC API v2).

  gomap-dlv --connect 127.0.0.1:PORT dump EXPR      a headless dlv already running
                                                    (--headless --accept-multiclient
                                                    --api-version=2), process stopped
  gomap-dlv --exec BINARY --break LOC dump EXPR [-- ARGS]
                                                    start BINARY under dlv, run to LOC
  gomap-dlv --attach PID dump EXPR                  attach, dump, detach (PID keeps running)
  gomap-dlv --core CORE BINARY dump EXPR            a core file
  gomap-dlv ... list [--json] [--all]               every map: globals, what they reach,
                                                    and the current goroutine's map locals

EXPR is evaluated by Delve in the selected goroutine and frame (--goroutine,
--frame): main.cache, main.srv.shards[3], a local, *ptrToMap; or
ADDRESS:TYPE (0xc000123000:map[string]int).  The program's arguments come
last, after '--'.  A dlv started here is stopped when gomap-dlv ends (the
exec'd program killed, an attached one detached and left running).

dlv: --dlv PATH, $GOMAP_DLV, $GOMAP_CACHE/bin/dlv, or PATH.  Delve
{DELVE_VERSION} debugs executables of {accepted_releases_text()}; this puts it
into $GOMAP_CACHE/bin:
  {install_command()}"""


def _source_options(p, suppress):
    """Where the program is; on the main parser and (defaults suppressed) on each command."""
    d = argparse.SUPPRESS if suppress else None
    g = p.add_argument_group("the program (one of)")
    g.add_argument("--connect", metavar="HOST:PORT", default=d,
                   help="a running headless dlv on loopback")
    g.add_argument("--exec", dest="exec_path", metavar="BINARY", default=d,
                   help="start BINARY under a dlv of our own (arguments after '--')")
    g.add_argument("--attach", type=int, metavar="PID", default=d,
                   help="attach a dlv of our own to PID; detached afterwards")
    g.add_argument("--core", nargs=2, metavar=("CORE", "BINARY"), default=d,
                   help="open a core file with its executable")
    o = p.add_argument_group("session")
    o.add_argument("--break", dest="break_at", metavar="LOCATION", default=d,
                   help="set a breakpoint at LOCATION (main.checkpoint, file.go:42) and "
                        "continue to it first (needed with --exec)")
    o.add_argument("--goroutine", type=int, metavar="ID", default=d,
                   help="evaluate in goroutine ID (default: the current one)")
    o.add_argument("--frame", type=int, metavar="N", default=d,
                   help="evaluate in frame N of the goroutine (default 0)")
    o.add_argument("--exe", metavar="BINARY", default=d,
                   help="the executable, when gomap-dlv cannot tell (with --connect)")
    o.add_argument("--force-exe", action="store_true",
                   default=False if not suppress else argparse.SUPPRESS,
                   help="decode even when the executable's build ID is not the core's or "
                        "the process's (the maps will be wrong; a warning says so)")
    o.add_argument("--dlv", metavar="PATH", default=d, help="the dlv to start")
    o.add_argument("--no-check-go-version", dest="check_go_version", action="store_false",
                   default=True if not suppress else argparse.SUPPRESS,
                   help="start dlv with --check-go-version=false (Go releases it does not "
                        "support)")
    o.add_argument("--traceback", action="store_true",
                   default=False if not suppress else argparse.SUPPRESS,
                   help="show a traceback on errors")


def build_parser():
    p = argparse.ArgumentParser(prog="gomap-dlv", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    _source_options(p, suppress=False)
    options.add_version(p)
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    d = sub.add_parser("dump", help="decode one map", description=options.DUMP_DESCRIPTION,
                       epilog=options.DUMP_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("expr", nargs="+", metavar="EXPR", help="expression whose value is a map")
    d.add_argument("--type", metavar="TYPE",
                   help="treat EXPR as an address of a map header of this map type")
    options.add_view_options(d)
    _source_options(d, suppress=True)
    q = sub.add_parser("list", help="list every map with its count and bytes held",
                       description="List every map: package globals, map fields they reach, "
                                   "the map globals Delve lists, and the map locals of the "
                                   "selected goroutine's frames ('frame N: name').")
    q.add_argument("--json", action="store_true", help=options.JSON_HELP)
    q.add_argument("--all", action="store_true",
                   help="include the runtime's and the standard library's own globals")
    q.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    _source_options(q, suppress=True)
    return p


def split_program_args(argv):
    """gomap-dlv's own arguments, and the program's (after the first '--')."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def _open(args, program_args):
    if program_args and not args.exec_path:
        raise UsageError("arguments after '--' are the program's: they go with --exec")
    if args.exec_path and not args.break_at:
        raise UsageError("with --exec, say where to stop: --break LOCATION (e.g. "
                         "main.checkpoint); at the program's entry no map exists yet")
    core, exe = (args.core or (None, None))
    return open_session(connect_to=args.connect, exec_path=args.exec_path, args=program_args,
                        attach=args.attach, core=core, exe=exe or args.exe,
                        break_at=args.break_at, dlv=args.dlv,
                        check_go_version=args.check_go_version, force_exe=args.force_exe)


def _scope(args):
    gid = args.goroutine if args.goroutine is not None else CURRENT_GOROUTINE
    return gid, args.frame or 0


def cmd_dump(args, program_args):
    opts = options.dump_options_from(args)     # a usage error before Delve is started
    with output.dump_view(args, opts, sys.stdout.write, sys.stdout.isatty) as (opts, show), \
            _open(args, program_args) as s:
        gid, frame = _scope(args)
        show(s.dump(" ".join(args.expr), opts, options.limits_from(args), goroutine=gid,
                    frame=frame, type_name=args.type))


def cmd_list(args, program_args):
    with _open(args, program_args) as s:
        gid, _ = _scope(args)
        found = s.find_maps(include_runtime=args.all, goroutine=gid)
        header = {"executable": s.binary.path, "go_version": s.target.go_version,
                  "layout": s.target.map_kind, "dlv": s.client.address, "warnings": list(s.warnings)}
        output.emit_listing(found, args, sys.stdout.write, header, intro=True)


class _Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwound like Ctrl-C so that dlv is stopped."""


def _on_signal(signum, frame):
    raise _Terminated()


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own, program_args = split_program_args(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(own)
    except SystemExit as exc:
        return int(exc.code or 0)   # argparse exits 0 (help) or 2
    if not args.cmd:
        parser.print_help()
        return 2
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    debug = args.traceback or os.environ.get("GOMAP_DEBUG") == "1"
    try:
        if args.cmd == "dump":
            cmd_dump(args, program_args)
        else:
            cmd_list(args, program_args)
    except GomapError as exc:
        if debug:
            traceback.print_exc()
        print(f"gomap-dlv: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt as exc:
        print("gomap-dlv: " + ("terminated" if isinstance(exc, _Terminated) else "interrupted"),
              file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in gomap-dlv: still one line unless asked
        if debug:
            traceback.print_exc()
        print(f"gomap-dlv: internal error ({type(exc).__name__}: {exc}); run again with "
              f"--traceback and report it", file=sys.stderr)
        return 3
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return 0


if __name__ == "__main__":
    sys.exit(main())
