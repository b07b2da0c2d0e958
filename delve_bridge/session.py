"""A Delve session as a gomap Target: Delve names the map, the core decodes it.

Delve evaluates the expression (any Go expression it understands, in the
goroutine and frame asked for) and says where the map is; the bytes come
through ExamineMemory; the types come from the executable's own DWARF, read
by gomap (pyelftools), exactly as in gdb and the gomap CLI.  The same
``MapSnapshot`` comes out, so the views and the JSON are the same.

    from delve_bridge.session import open_session
    with open_session(exec_path="./server", break_at="main.checkpoint") as s:
        snap = s.dump("main.cache")
"""

import contextlib
import os
import shutil

from gdb_gomap.binary import GoBinary
from gdb_gomap.decoding import DumpOptions
from gdb_gomap.api import forced_check
from gdb_gomap.backends.core_file import CoreFile
from gdb_gomap.backends.process import StoppedProcess
from gdb_gomap.errors import GomapError, NoSuchName, NotAMap, UsageError, WrongExecutable
from gdb_gomap.exprcheck import check as check_expression
from gdb_gomap.finder import SKIP_PREFIXES, find_maps
from gdb_gomap.resolve import split_addr_type
from gdb_gomap.target import Target

from .errors import DelveError, DelveRefused, DlvNotFound
from .launch import DlvServer, connect
from .memory import DelveMemory
from .rpc import CURRENT_GOROUTINE, KIND_MAP, KIND_PTR, is_fake_address

VARIABLE_FAKE_ADDRESS = 1 << 5   # api.VariableFakeAddress
VARIABLE_SHADOWED = 1 << 1       # api.VariableShadowed
MAX_FRAMES = 64


class DelveSession:
    """A connected DelveClient, the executable's Target over Delve's memory."""

    def __init__(self, client, exe=None, server=None, force_exe=False, warnings=()):
        self.client = client
        self.server = server
        self.force_exe = force_exe
        self.warnings = list(warnings)
        self.binary = self._open_binary(exe)
        self.memory = DelveMemory(client)
        self.target = Target(self.binary, self.memory)

    # --- which executable -----------------------------------------------------------

    def _open_binary(self, exe):
        if exe:
            binary = GoBinary(exe)
            self._check_build_id(binary, warn=True)
            return binary
        candidates = []
        if self.server is not None and self.server.binary:
            candidates.append(str(self.server.binary))
        pid = None
        try:
            pid = self.client.process_pid()
        except DelveRefused:
            pass
        if pid:
            candidates.append(f"/proc/{pid}/exe")
        try:
            for t in self.client.targets():
                words = (t.get("CmdLine") or "").split()
                if words:
                    candidates.append(words[0])
        except DelveRefused:
            pass
        first = None
        for path in dict.fromkeys(candidates):
            if not os.path.isfile(path):
                continue
            try:
                binary = GoBinary(os.path.realpath(path))
            except GomapError:
                continue
            if self._check_build_id(binary, warn=False):
                return binary
            first = first or binary
        if first is None:
            raise UsageError("cannot tell which executable dlv is debugging; give it with "
                             "--exe BINARY")
        self._check_build_id(first, warn=True)
        return first

    def _check_build_id(self, binary, warn):
        try:
            theirs = self.client.build_id()
        except DelveRefused:
            theirs = ""
        ours = binary.gnu_build_id()
        if not theirs or not ours or theirs == ours:
            return True
        if warn:
            msg = (f"dlv debugs a program with build ID {theirs}, {binary.path} has build "
                   f"ID {ours}")
            if not self.force_exe:
                raise WrongExecutable(msg, "give the program's executable with --exe, or "
                                           "--force-exe to decode anyway")
            self.warnings.append(f"{msg}; decoded maps will be wrong")
        return False

    # --- state ------------------------------------------------------------------------

    def require_stopped(self):
        return check_stopped(self.client)

    def run_to(self, location):
        """Set a breakpoint at ``location`` (a Delve linespec) and continue to it."""
        # Delve keeps a breakpoint at a location it cannot find as a pending one
        # (addr 0) and would run to the end: look the location up first.
        try:
            self.client.find_location(location)
            bp = self.client.create_breakpoint(location)
        except DelveRefused as exc:
            raise NoSuchName(f"cannot set a breakpoint at {location!r}: "
                             f"{str(exc).split(': ', 2)[-1]}") from None
        if not bp.get("addr") and not bp.get("addrs"):
            self.client.clear_breakpoint(bp.get("id"))
            raise NoSuchName(f"cannot set a breakpoint at {location!r}: dlv found no code there")
        st = self.client.continue_()
        if st.get("exited"):
            raise DelveError(f"the program exited (status {st.get('exitStatus')}) before "
                             f"reaching {location}")
        hit = (st.get("currentThread") or {}).get("breakPoint") or {}
        if hit.get("id") != bp.get("id"):
            where = st.get("currentThread") or {}
            raise DelveError(f"the program stopped before reaching {location} (at "
                             f"{where.get('file', '?')}:{where.get('line', '?')}, "
                             f"{st.get('stopReason') or 'signal or another breakpoint'})")
        return st

    # --- from a Delve variable to (map type, header) -------------------------------------

    def _map_type(self, var):
        last = None
        for name in dict.fromkeys((var.get("type"), var.get("realType"))):
            if not name:
                continue
            try:
                return self.target.map_type(name)
            except GomapError as exc:
                last = exc
        raise last or NoSuchName(f"dlv gave no type for {var.get('name')!r}")

    def _header(self, var):
        """The header address a map variable holds.

        ``addr`` is where the variable itself lives: the 8 bytes there are the
        map (a pointer to its header).  A variable in a register has a fake
        address; then Delve's ``base`` (the header it found) is used.
        """
        addr, base = var.get("addr") or 0, var.get("base") or 0
        if addr and not is_fake_address(addr) and not var.get("flags", 0) & VARIABLE_FAKE_ADDRESS:
            held = int.from_bytes(self.memory.read(addr, 8), "little")
            if base and held != base:
                self.warnings.append(f"dlv says the header of {var.get('name')} is at "
                                     f"{base:#x}, the variable holds {held:#x}: using the latter")
            return held
        return base

    def map_of(self, var, expr):
        if var.get("unreadable"):
            raise DelveError(f"dlv cannot read {expr}: {var['unreadable']}")
        if var.get("kind") != KIND_MAP:
            raise NotAMap(f"{expr} is a {var.get('type') or '?'}, not a Go map")
        return self._map_type(var), self._header(var)

    def evaluate(self, expr, goroutine=CURRENT_GOROUTINE, frame=0):
        try:
            return self.client.eval(expr, goroutine, frame)
        except DelveRefused as exc:
            msg = str(exc).split(": ", 2)[-1]
            raise NoSuchName(f"dlv cannot evaluate {expr!r}: {msg}; name a package global "
                             f"as main.cache, or pick the frame with --frame N") from None

    def resolve(self, expr, goroutine=CURRENT_GOROUTINE, frame=0, type_name=None):
        """(map GoType, header address) for ``expr`` in the goroutine and frame."""
        expr = expr.strip()
        if type_name is None:
            at = split_addr_type(expr)
            if at is not None:
                return self.target.map_type(at[1]), at[0]
        # Delve's Eval already refuses assignments, ++ and calls (those need 'set'
        # and 'call'); the check makes the refusal gomap's one line, as in gdb.
        check_expression(expr, lambda name: name in self.target.index.types)
        var = self.evaluate(expr, goroutine, frame)
        if type_name is not None:
            try:
                return self.target.map_type(type_name), int(var.get("value") or "", 0)
            except ValueError:
                raise UsageError(f"{expr} is a {var.get('type')}, not an address: with "
                                 f"--type, EXPR must be a number or a pointer") from None
        if var.get("kind") == KIND_PTR and (var.get("realType") or "").startswith("*map["):
            var = self.evaluate(f"*({expr})", goroutine, frame)
        elif var.get("kind") == KIND_PTR and var.get("type", "").startswith("*"):
            inner = self.evaluate(f"*({expr})", goroutine, frame)
            if inner.get("kind") == KIND_MAP:
                var = inner
        return self.map_of(var, expr)

    def dump(self, expr, opts=None, limits=None, goroutine=CURRENT_GOROUTINE, frame=0,
             type_name=None):
        """The MapSnapshot of the map ``expr`` names, with the session's warnings."""
        mt, header = self.resolve(expr, goroutine, frame, type_name)
        snap = self.target.dump(mt, header, opts or DumpOptions(entries=True), limits)
        for w in reversed(self.warnings):
            snap.warnings.insert(0, w)
        return snap

    # --- listing -------------------------------------------------------------------------

    def frame_maps(self, goroutine=CURRENT_GOROUTINE):
        """(expr, map GoType, header) for the map locals and arguments of every frame."""
        try:
            frames = self.client.stacktrace(goroutine, MAX_FRAMES)
        except DelveRefused:
            return []
        out = []
        for n, fr in enumerate(frames):
            for var in (fr.get("Locals") or []) + (fr.get("Arguments") or []):
                if var.get("kind") != KIND_MAP or var.get("flags", 0) & VARIABLE_SHADOWED:
                    continue
                try:
                    mt, header = self.map_of(var, var.get("name"))
                except GomapError:
                    continue
                out.append((f"frame {n}: {var.get('name')}", mt, header))
        return out

    def package_maps(self, include_runtime=False):
        """(name, map GoType, header) for the map-typed package variables Delve lists."""
        out = []
        for var in self.client.package_vars():
            name = var.get("name") or ""
            if var.get("kind") != KIND_MAP or not name:
                continue
            if not include_runtime and name.startswith(SKIP_PREFIXES):
                continue
            try:
                mt, header = self.map_of(var, name)
            except GomapError:
                continue
            out.append((name, mt, header))
        return out

    def find_maps(self, include_runtime=False, goroutine=CURRENT_GOROUTINE):
        """Every map: globals and what they reach (gomap's walk of the DWARF), the map
        globals Delve lists that the walk did not name, and the current goroutine's
        map locals (``frame N: name``).  FoundMap objects, largest first."""
        locals_ = self.frame_maps(goroutine)
        known = set(self.target.index.variables)
        extra = [m for m in self.package_maps(include_runtime) if m[0] not in known]
        return find_maps(self.target, include_runtime=include_runtime, extra=extra + locals_)

    def close(self):
        self.binary.close()


def check_stopped(client):
    """The DebuggerState if the target is stopped; DelveError if it runs or has exited."""
    st = client.state(nonblocking=True)
    if st.get("Running") or st.get("Recording") or st.get("CoreDumping"):
        raise DelveError(f"the program is running in the dlv at {client.address}: stop it "
                         f"first (a breakpoint, or Ctrl-C in your dlv client), then run "
                         f"gomap-dlv again")
    if st.get("exited"):
        raise DelveError(f"the program has exited (status {st.get('exitStatus')}); "
                         f"nothing left to read")
    return st


def find_dlv(explicit=None):
    """The dlv to start: ``explicit``, $GOMAP_DLV, the pinned one in the cache, or PATH."""
    from .install import installed_dlv
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise DlvNotFound(f"dlv not found at {explicit}")
    env = os.environ.get("GOMAP_DLV")
    if env:
        if os.path.isfile(env) and os.access(env, os.X_OK):
            return env
        raise DlvNotFound(f"dlv not found at {env} ($GOMAP_DLV)")
    found = installed_dlv() or shutil.which("dlv")
    if not found:
        from .install import DELVE_VERSION, install_command
        raise DlvNotFound(f"dlv not found: install Delve {DELVE_VERSION} with "
                          f"'{install_command()}', or put dlv on PATH, or give --dlv PATH")
    return found


def _check_executable(core, pid, exe, force_exe):
    """gomap's own build-ID check of ``exe`` against a core or a process (the ones
    the gomap command makes), before dlv loads it: dlv reports the build ID of the
    executable it was given, not the core's.  The warnings to show."""
    if not exe or (core is None and pid is None):
        return []
    binary = GoBinary(exe)
    if core is not None:
        with CoreFile(core, binary, force_exe=force_exe) as c:
            return list(c.warnings)
    warnings: list = []
    forced_check(StoppedProcess(pid).check_executable, binary, force_exe, warnings)
    return warnings


@contextlib.contextmanager
def open_session(connect_to=None, exec_path=None, args=(), attach=None, core=None,
                 exe=None, break_at=None, dlv=None, check_go_version=True, force_exe=False):
    """A DelveSession over a dlv: ``connect_to`` 'HOST:PORT' of a running one, or one
    started here for ``exec_path`` (+ ``args``), ``attach`` (a pid) or ``core`` (with
    ``exe``).  ``break_at`` runs to that location first.  A dlv started here is
    stopped on the way out (an exec'd program killed, an attached one left running).
    An executable that is not the core's or the process's (build IDs) is refused
    before dlv starts, unless ``force_exe`` (then a warning says so)."""
    given = [x is not None for x in (connect_to, exec_path, attach, core)]
    if sum(given) != 1:
        raise UsageError("say where the program is: one of --connect, --exec, --attach, --core")
    if core is not None and break_at:
        raise UsageError("a core file cannot run: --break does not go with --core")
    server = None
    client = None
    session = None
    try:
        warnings = []
        if connect_to is not None:
            client = connect(connect_to)
            # Most requests wait for a running target to stop: look first, without waiting.
            check_stopped(client)
        else:
            if core is not None and not exe:
                raise UsageError("--core needs the executable too: --core CORE BINARY")
            mode = "exec" if exec_path else "attach" if attach is not None else "core"
            warnings = _check_executable(core, attach, exe, force_exe)
            server = DlvServer(find_dlv(dlv), mode, binary=exec_path or exe, args=args,
                               pid=attach, core=core, check_go_version=check_go_version)
            server.start()
            client = server.client
        session = DelveSession(client, exe=exe if connect_to is not None or attach else None,
                               server=server, force_exe=force_exe, warnings=warnings)
        if connect_to is not None and not client.is_multiclient():
            session.warnings.append(f"the dlv at {connect_to} was started without "
                                    f"--accept-multiclient: it ends its session when "
                                    f"gomap-dlv disconnects")
        if break_at:
            session.require_stopped()
            session.run_to(break_at)
        session.require_stopped()
        yield session
    finally:
        try:
            if session is not None:
                session.close()
        finally:
            if server is not None:
                server.stop()
            elif client is not None:
                if client.busy():   # a continue of ours, cut short: stop the program again
                    try:
                        client.halt()
                        client.deadline_in(5)
                        client.drain()
                    except (DelveError, KeyboardInterrupt):
                        pass
                client.close()
