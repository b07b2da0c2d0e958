"""gdb commands: ``gomap-dump`` and the settings ``gomap-color``/``gomap-verbose``.

Commands parse their arguments with the shared argparse parsers, resolve the
expression with gdb, and hand the map's address and type to the core.  Errors
are one line (gdb.GdbError); ``set gomap-verbose on`` adds the traceback.

Read-only, twice over: an expression with a side effect (an assignment,
``++``, a call) is refused before gdb evaluates it (``gdb_gomap.exprcheck``),
and every command runs with gdb's ``may-write-memory`` and
``may-call-functions`` off (``read_only``), the user's settings restored after.
"""

import contextlib
import os
import re
import sys
import traceback

import gdb

from .. import options
from ..errors import GomapError, NoSuchName, NotAMap, SideEffect, UsageError
from ..exprcheck import check as check_expression
from ..finder import find_maps
from ..nogc import no_gc
from ..render.listing import list_json, list_text
from ..render import text as text_view
from ..render.jsonout import write_json
from ..paths import resolve_map, split_addr_type, split_head
from .memory import GdbMemory

_targets = {}


class _Setting(gdb.Parameter):
    def __init__(self, name, kind, doc, default, *choices):
        self.set_doc = doc
        self.show_doc = doc
        self.__doc__ = doc
        if choices:
            super().__init__(name, gdb.COMMAND_DATA, kind, list(choices))
        else:
            super().__init__(name, gdb.COMMAND_DATA, kind)
        self.value = default

    def get_set_string(self):
        return ""

    def get_show_string(self, value):
        return f"{self.name} is {value}."


def _make_settings():
    color = _Setting("gomap-color", gdb.PARAM_ENUM,
                     "Colour gomap's text views: auto (when gdb styles output), on, off.",
                     "auto", "auto", "on", "off")
    color.name = "gomap-color"
    verbose = _Setting("gomap-verbose", gdb.PARAM_BOOLEAN,
                       "Show a Python traceback after a gomap error.", False)
    verbose.name = "gomap-verbose"
    return color, verbose


def current_target():
    """The Target for the current program space, made once per executable version."""
    prog = gdb.current_progspace()
    path = prog.filename if prog is not None else None
    if not path:
        raise GomapError("no executable loaded; use 'file BINARY' (or start gdb with it)")
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as exc:
        raise GomapError(f"cannot stat the executable {path}: {exc.strerror}") from exc
    from ..binary import GoBinary   # pyelftools loads on first use, not at gdb start
    from ..target import Target
    inf = gdb.selected_inferior()
    key = (path, stamp)
    entry = _targets.get(key)
    if entry is None:
        _targets.clear()
        entry = Target(GoBinary(path), GdbMemory(inf))
        _targets[key] = entry
    entry.memory.inferior = inf
    return entry


def parse(parser, arg):
    """The parsed arguments of a command line, or None when --help was shown."""
    try:
        return parser.parse_args(gdb.string_to_argv(arg))
    except options.HelpShown:
        return None


def target_with_memory():
    """The current Target, once there is a process or a core to read."""
    if not _has_memory():
        raise GomapError("the program is not running and no core file is loaded; "
                         "'run', 'attach PID' or 'core FILE' first")
    return current_target()


def open_output(path):
    """``path`` opened for writing, or a one-line UsageError."""
    try:
        return open(path, "w")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc


def _has_memory():
    inf = gdb.selected_inferior()
    if inf.pid:
        return True
    try:  # a core file has no pid but memory is readable
        gdb.selected_thread()
        return gdb.selected_thread() is not None
    except gdb.error:
        return False


def resolve(target, words, type_name):
    """(map GoType, header address) for the expression words."""
    expr = " ".join(words)
    at = split_addr_type(expr) if type_name is None and len(words) == 1 else None
    if at is not None:
        expr, type_name = hex(at[0]), at[1]   # a number: nothing for gdb to evaluate
    else:
        # Before gdb sees it: an assignment or a call would change the program.
        check_expression(expr, lambda name: name in target.index.types)
    if type_name is not None:
        mt = target.map_type(type_name)
        try:
            addr = int(gdb.parse_and_eval(expr))
        except gdb.error as exc:
            raise UsageError(f"cannot evaluate address {expr!r}: {exc}") from exc
        return mt, addr
    if _names_global(target, expr):
        try:
            return resolve_map(target, expr)   # package globals: straight from DWARF
        except UsageError:
            pass                               # not a plain path: let gdb evaluate it
    else:
        _reject_unknown_global(target, expr)
    val = None
    first_error = None
    for candidate in _spellings(target, expr):
        try:
            val = gdb.parse_and_eval(candidate)
            break
        except gdb.error as exc:
            first_error = first_error or exc
    if val is None:
        raise NoSuchName(f"cannot evaluate {expr!r}: {str(first_error).rstrip('.')}; name a "
                         f"package global as 'main.cache' or select the frame that has the "
                         f"local")
    return _map_of_value(target, val, expr)


def _reject_unknown_global(target, expr):
    """'main.nosuch' names no variable: say so (gdb's Go parser may return a stale value)."""
    m = re.match(r"([\w./-]+)\.([A-Za-z_]\w*)", expr)
    if not m:
        return
    packages = {v.rsplit(".", 1)[0] for v in target.index.variables}
    if m.group(1) in packages:
        raise NoSuchName(f"cannot evaluate {expr!r}: package {m.group(1)} has no variable "
                         f"{m.group(2)!r} ('gomap-list' shows the maps there are)")


def _names_global(target, expr):
    try:
        split_head(target, expr)
        return True
    except GomapError:
        return False


def _spellings(target, expr):
    """The expression as typed, then with its package-qualified head quoted.

    gdb parses 'main.cache' only in Go mode; in a runtime assembly frame the
    quoted form "'main.cache'" works, and fields follow it ('main.srv'.cache).
    """
    yield expr
    if expr.startswith("'"):
        return
    head = expr
    for stop in "[(-+*/ ":
        head = head.split(stop, 1)[0]
    parts = head.split(".")
    for n in range(len(parts), 1, -1):
        name = ".".join(parts[:n])
        if name in target.index.variables:
            yield f"'{name}'" + expr[len(name):]
            return


def _map_of_value(target, val, expr):
    t = val.type
    # A pointer to a map: look through it.
    st = t.strip_typedefs()
    if st.code == gdb.TYPE_CODE_PTR and st.target().name and \
            _is_map_name(target, st.target().name):
        val = val.dereference()
        t = val.type
    name = t.name or t.strip_typedefs().name
    if not name:
        raise NotAMap(f"{expr!r} has an unnamed type ({t}); it is not a Go map")
    try:
        mt = target.types.by_name(name, want_kind="map")
    except NoSuchName:
        raise NotAMap(f"{expr!r} is a {name}, not a Go map") from None
    if mt.kind != "map":
        raise NotAMap(f"{expr!r} is a {name} ({mt.kind}), not a Go map")
    try:
        try:
            addr = int(val.cast(gdb.lookup_type("uintptr")))
        except gdb.error as exc:
            if "optimized out" in str(exc):
                raise
            addr = int(val)
    except gdb.error as exc:
        raise NoSuchName(f"{expr!r}: {exc} here; try another frame, a -N -l build, or "
                         f"ADDRESS:TYPE if you know the header address") from None
    return mt, addr


def _is_map_name(target, name):
    offs = target.index.types.get(name)
    return bool(offs) and target.types.get(offs[0]).kind == "map"


def _use_color(args):
    mode = args.color or gdb.parameter("gomap-color")
    if mode == "auto":
        if os.environ.get("TERM", "dumb") == "dumb" or os.environ.get("NO_COLOR"):
            return False
        try:
            return bool(gdb.parameter("style enabled")) and not args.output
        except (gdb.error, RuntimeError):
            return False
    return mode == "on"


class GomapDump(gdb.Command):
    __doc__ = ("Decode a Go map: header, buckets or swiss tables, slots and entries.\n"
               "Usage: gomap-dump EXPR [options]   (gomap-dump --help for every option)\n\n"
               + options.DUMP_DESCRIPTION + "\n\n" + options.DUMP_EPILOG)

    def __init__(self):
        super().__init__("gomap-dump", gdb.COMMAND_DATA)
        self.parser = options.dump_parser("gomap-dump")

    def invoke(self, arg, from_tty):
        run_guarded(self._run, arg)

    def complete(self, text, word):
        return complete_expr(self.parser, text, word)

    def _run(self, arg):
        args = parse(self.parser, arg)
        if args is None:
            return
        target = target_with_memory()
        mt, addr = resolve(target, args.expr, args.type)
        snap = target.dump(mt, addr, options.dump_options_from(args), options.limits_from(args))
        emit(snap, args, _use_color(args))


def complete_expr(parser, text, word):
    """Options after '-', package globals by prefix, else gdb's expression completer."""
    token = text.split()[-1] if text and not text[-1].isspace() else ""
    if token.startswith("-"):
        opts = [o for a in parser._actions for o in a.option_strings if o.startswith(token)]
        return [o[len(token) - len(word or ""):] for o in sorted(opts)]
    try:
        target = current_target()
    except Exception:  # completion must never raise
        return gdb.COMPLETE_EXPRESSION
    names = sorted(v for v in target.index.variables if v.startswith(token))
    if not token or not names:
        return gdb.COMPLETE_EXPRESSION
    cut = len(token) - len(word or "")
    return [n[cut:] for n in names[:200]]


def emit(snap, args, color):
    """Write the view the arguments ask for to gdb or to --output."""
    out = None
    if args.output:
        out = open_output(args.output)
        write = out.write
    else:
        write = gdb.write
    cw = None
    if color and not args.json and out is None:
        from ..render.color import ColorWriter   # pygments loads only for colour
        cw = ColorWriter(gdb.write)
        write = cw
    try:
        if args.json:
            write_json(snap, write)
        else:
            text_view.render(snap, write, entries=args.entries, buckets=args.buckets)
    finally:
        if cw is not None:
            cw.flush()
        if out is not None:
            out.close()
    if out is not None:
        gdb.write(f"gomap: wrote {snap.type} ({snap.count} entries) to {args.output}\n")
    if getattr(args, "svg", None):
        write_svg(snap, args.svg)
        gdb.write(f"gomap: wrote the picture to {args.svg}\n")


def write_svg(snap, path):
    """Draw the snapshot's buckets or groups into the SVG file ``path``."""
    from ..render.svg import snapshot_svg
    text = snapshot_svg(snap.to_json())
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc


# The gdb settings a gomap command turns off while it runs, and gives back after.
READ_ONLY_SETTINGS = ("may-call-functions", "may-write-memory")
_user_settings = []   # per read_only() scope running: {setting: True} for each turned off


def _setting(name):
    try:
        return gdb.parameter(name)
    except (gdb.error, RuntimeError):   # a gdb without the setting
        return None


def _set(name, on):
    """Set a boolean gdb setting; False when gdb refuses."""
    try:
        gdb.execute(f"set {name} {'on' if on else 'off'}", to_string=True)
        return True
    except gdb.error:
        return False


@contextlib.contextmanager
def read_only():
    """Forbid gdb to call functions in the target or write its memory while a command runs.

    The second lock behind ``gdb_gomap.exprcheck`` (which refuses an
    expression with a side effect before gdb sees it): with
    ``may-call-functions`` and ``may-write-memory`` off, gdb itself refuses
    (``gomap-dump --type T 'f()'``, an assignment).  gomap only reads.  Each
    setting the user had on is turned on again afterwards, also after an
    error or Ctrl-C; one the user had off stays off.  gdb 13 accepts both
    settings in every state (no process, a core, attached, running in
    non-stop mode); were it to refuse one, the expression check still holds.
    """
    turned_off = {}
    _user_settings.append(turned_off)
    try:
        for name in READ_ONLY_SETTINGS:
            if _setting(name):
                turned_off[name] = True     # noted first: an interrupt here still restores
                if not _set(name, False):
                    del turned_off[name]
        yield
    finally:
        _user_settings.remove(turned_off)
        for name in turned_off:
            _set(name, True)


def user_setting(name):
    """The user's own value of a boolean gdb setting, also inside ``read_only``."""
    if any(name in scope for scope in _user_settings):
        return True
    return _setting(name)


@contextlib.contextmanager
def breakpoint_writes():
    """Inside ``read_only``: the user's own ``may-write-memory`` while gdb inserts
    and removes breakpoints (``gomap-watch``), which it does by writing memory.

    No user expression is evaluated in this scope; the breakpoints are gdb's
    own, taken out again when the program stops and deleted at the end."""
    lifted = bool(_user_settings) and _user_settings[-1].get("may-write-memory", False)
    if lifted:
        _set("may-write-memory", True)
    try:
        yield
    finally:
        if lifted:
            _set("may-write-memory", False)


def run_guarded(fn, *a):
    """Run a command body; turn every failure into a one-line gdb error."""
    try:
        # The whole command without the cycle collector: the snapshot's millions
        # of objects are freed before it runs again, so it never walks them.
        with read_only(), no_gc():
            fn(*a)
    except KeyboardInterrupt:
        raise gdb.GdbError("gomap: interrupted") from None
    except SideEffect as exc:
        raise gdb.GdbError(f"gomap: {exc}") from None
    except UsageError as exc:
        raise gdb.GdbError(str(exc)) from None
    except GomapError as exc:
        _maybe_trace()
        raise gdb.GdbError(f"gomap: {exc}") from None
    except gdb.GdbError:
        raise
    except Exception as exc:  # a bug in gomap: still one line, traceback on request
        _maybe_trace()
        raise gdb.GdbError(f"gomap: internal error ({type(exc).__name__}: {exc}); "
                           f"'set gomap-verbose on' shows the traceback") from None


def _maybe_trace():
    if os.environ.get("GOMAP_DEBUG") == "1" or gdb.parameter("gomap-verbose"):
        traceback.print_exc(file=sys.stderr)


LIST_DOC = """List every map the program can name, largest first.

Usage: gomap-list [--json] [--all] [-o FILE]

Package globals of map type, map fields reached from globals through structs,
pointers, arrays and slices, and the map locals of the current goroutine's
frames (shown as 'frame N: name').  Each with its type, count and bytes held.
--all includes the runtime's and standard library's own globals."""


class GomapList(gdb.Command):
    __doc__ = LIST_DOC

    def __init__(self):
        super().__init__("gomap-list", gdb.COMMAND_DATA, gdb.COMPLETE_NONE)
        p = options.simple_parser("gomap-list", LIST_DOC)
        p.add_argument("--json", action="store_true", help="JSON instead of text")
        p.add_argument("--all", action="store_true", help="include runtime and std globals")
        p.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
        self.parser = p

    def invoke(self, arg, from_tty):
        run_guarded(self._run, arg)

    def _run(self, arg):
        args = parse(self.parser, arg)
        if args is None:
            return
        target = target_with_memory()
        found = find_maps(target, include_runtime=args.all, extra=list(_frame_maps(target)))
        out = open_output(args.output) if args.output else None
        write = out.write if out else gdb.write
        try:
            header = {"executable": target.binary.path, "go_version": target.go_version}
            if args.json:
                list_json(found, write, header)
            else:
                list_text(found, write)
        finally:
            if out:
                out.close()


def _frame_maps(target, max_frames=64):
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
                if not name or not _is_map_name(target, name):
                    continue
                try:
                    val = sym.value(frame)
                    mt, addr = _map_of_value(target, val, sym.name)
                except (gdb.error, GomapError):
                    continue
                yield f"frame {n}: {sym.name}", mt, addr
            block = block.superblock
        frame = frame.older()
        n += 1


# gdb does not keep Python objects of parameters alive; a collected one
# crashes gdb when read.  Everything registered is kept here.
_registered = []


def register():
    """Create the commands and settings (once per gdb session)."""
    if _registered:
        return
    _registered.extend(_make_settings())
    _registered.append(GomapDump())
    _registered.append(GomapList())
    from . import snapcmds, watch
    _registered.extend((snapcmds.GomapSnap(), snapcmds.GomapDiff(), watch.GomapWatch()))
    from . import census_cmd; _registered.append(census_cmd.GomapCensus())  # noqa: E702
