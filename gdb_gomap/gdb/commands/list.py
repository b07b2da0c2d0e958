"""``gomap-list``: every map the program can name, largest first."""

import gdb

from ... import options
from ...errors import GomapError
from ...finder import SEARCHED, find_maps, not_searched
from ...render import output
from ..command import Command
from ...expr import resolve_map
from ..evaluate import frame_scope
from ..program import target_with_memory

DOC = """List every map the program can name, largest first.

Usage: gomap-list [--json] [--all] [-o FILE]

Package globals of map type, map fields reached from globals through structs,
pointers, arrays and slices, and the map locals of the current goroutine's
frames (shown as 'frame N: name', N as gdb numbers frames).  Each with its type, count and bytes held.
--all includes the runtime's and standard library's own globals.

""" + SEARCHED


def parser():
    p = options.simple_parser("gomap-list", DOC)
    p.add_argument("--json", action="store_true", help=options.JSON_HELP)
    p.add_argument("--all", action="store_true", help="include runtime and std globals")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    return p


def run(args):
    target = target_with_memory()
    found = find_maps(target, include_runtime=args.all, extra=list(frame_maps(target)))
    header = {"executable": target.binary.path, "go_version": target.go_version}
    output.emit_listing(found, args, gdb.write, header)
    if not args.json and not args.output:
        gdb.write(not_searched("'gomap-census'", "globals and the current goroutine's "
                                                 "frames") + "\n")


def frame_maps(target, max_frames=64):
    """(expr, map GoType, header) for the map locals and arguments of the selected
    goroutine's frames, numbered as gdb numbers them; each variable's type is the
    one its own function's DWARF gives (a generic function's real type from its
    dictionary, see locals.FrameScope)."""
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        return
    n = 0
    while frame is not None and n < max_frames:
        scope = frame_scope(target, frame)
        seen = set()
        for name, t, _die, _kind in reversed(scope.variables() if scope else []):
            if name in seen or t.kind not in ("map", "ptr", "interface"):
                continue
            seen.add(name)
            try:
                mt, addr = resolve_map(target, name, scope)
            except GomapError:
                continue
            yield f"frame {frame.level()}: {name}", mt, addr
        try:
            frame = frame.older()
        except gdb.error:
            break
        n += 1


def declare():
    return Command(parser(), run, completes=False)
