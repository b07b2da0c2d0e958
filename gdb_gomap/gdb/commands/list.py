"""``gomap-list``: every map the program can name, largest first."""

import gdb

from ... import options
from ...errors import GomapError
from ...finder import SEARCHED, find_maps, not_searched
from ...render import output
from ..command import Command
from ..evaluate import is_map_name, map_of_value
from ..program import target_with_memory

DOC = """List every map the program can name, largest first.

Usage: gomap-list [--json] [--all] [-o FILE]

Package globals of map type, map fields reached from globals through structs,
pointers, arrays and slices, and the map locals of the current goroutine's
frames (shown as 'frame N: name').  Each with its type, count and bytes held.
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
    """(expr, map GoType, header) for map-typed locals of the selected goroutine's frames."""
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        return
    n = 0
    while frame is not None and n < max_frames:
        try:
            block = frame.block()
        except RuntimeError:
            block = None
        seen = set()
        while block is not None and not block.is_global and not block.is_static:
            for sym in block:
                if not (sym.is_variable or sym.is_argument) or sym.name in seen:
                    continue
                seen.add(sym.name)
                name = sym.type.name if sym.type is not None else None
                if not name or not is_map_name(target, name):
                    continue
                try:
                    val = sym.value(frame)
                    mt, addr = map_of_value(target, val, sym.name)
                except (gdb.error, GomapError):
                    continue
                yield f"frame {n}: {sym.name}", mt, addr
            block = block.superblock
        frame = frame.older()
        n += 1


def declare():
    return Command(parser(), run, completes=False)
