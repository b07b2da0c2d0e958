"""The engine of ``gomap-watch``: log each write the runtime makes to one map, with its
state after (the command itself is ``gdb_gomap.gdb.commands.watch``).

How it works, and what it never does:

- One internal breakpoint at the entry of each runtime write path the binary
  has (``gdb_gomap.events.WRITE_PATHS``), placed on the first instruction so
  the arguments are still in their ABI registers.  Which register holds the
  map is read from the function's own DWARF (``info scope``: the location of
  ``h`` or ``m`` at the entry address), so it is checked per binary; the
  breakpoint's condition then compares that register with the header
  address (``$rbx == 0xc000...``) and gdb resumes silently for other maps.
  When DWARF does not say, the breakpoint has no condition and a Python
  filter reads the parameter instead.
- At a hit the map is decoded (summary only) and a second internal
  breakpoint goes on the return address, for the same goroutine (the g
  register of Go's ABI: ``$r14`` on amd64, ``$x28`` on arm64, ``$r10`` on arm,
  ``$r13`` on s390x); when it is reached the map is decoded
  again and the event logged with both states and what the call changed.  A function
  entered twice for one call (a stack growth re-runs its prologue) is logged
  once.
- It only reads memory and registers: none of the program's data is written
  and no function in it is called.  Its EXPR is checked and resolved like
  ``gomap-dump``'s, with ``may-write-memory`` off; gdb's breakpoints are
  the one thing written (into the code, and taken out again), so while they
  are in the user's own ``may-write-memory`` applies.  Every breakpoint it
  made is deleted when it ends: after N events, when the program stops for
  another reason (a user breakpoint, a signal, Ctrl-C) or exits, or on an
  error.
"""

import re

import gdb

from ..decoding import DumpOptions
from ..errors import GomapError
from ..events import SCHEMA_ID, changes, event_line, match_symbols, summarize

_symbols_cache = {}


def function_symbols(binary):
    """{name: entry address} of the ELF function symbols (cached per executable)."""
    key = binary.path
    if key not in _symbols_cache:
        st = binary.elf.get_section_by_name(".symtab")
        if st is None:
            raise GomapError(f"{binary.path} has no symbol table; gomap-watch needs one "
                             f"(do not build with -ldflags=-s)")
        out = {}
        for sym in st.iter_symbols():
            if sym["st_info"]["type"] == "STT_FUNC" and sym["st_value"]:
                out[sym.name] = sym["st_value"]
        _symbols_cache.clear()
        _symbols_cache[key] = out
    return _symbols_cache[key]


def entry_register(addr, params):
    """(param, register) holding the map at the function entry ``addr``, from DWARF.

    Reads gdb's ``info scope`` for the function and takes the location list
    entry that starts at ``addr``.  (None, None) when DWARF does not say.
    """
    try:
        text = gdb.execute(f"info scope *{addr:#x}", to_string=True)
    except gdb.error:
        return None, None
    for p in params:
        m = re.search(rf"^Symbol {re.escape(p)} is (.*?)(?=^Symbol |\Z)", text, re.S | re.M)
        if not m:
            continue
        body = m.group(1)
        r = re.search(rf"Range {addr:#x}-0x[0-9a-f]+: a variable in \$(\w+)", body) or \
            re.match(r"a variable in \$(\w+)", body)
        if r:
            return p, r.group(1)
        return p, None
    return None, None


class _Filtered(gdb.Breakpoint):
    """An entry breakpoint with no condition: Python compares the parameter instead."""

    def __init__(self, spec, param, header):
        super().__init__(spec, gdb.BP_BREAKPOINT, internal=True)
        self.param, self.header = param, header

    def stop(self):
        try:
            return int(gdb.selected_frame().read_var(self.param)) == self.header
        except (gdb.error, ValueError, RuntimeError):
            return False


class Watch:
    """One run of gomap-watch over the map of type ``map_type`` at ``header``."""

    def __init__(self, target, map_type, header, kinds, count, write, expr):
        self.target, self.map_type, self.header = target, map_type, header
        self.kinds, self.count, self.write, self.expr = kinds, count, write, expr
        self.layout = target.layout(map_type).kind
        if target.arch.g is None:
            raise GomapError(f"gomap-watch tells goroutines apart by the g register, which "
                             f"{target.arch.goarch} does not have (g is in thread-local "
                             f"storage); use gomap-dump at your own breakpoints instead")
        self.entries = {}      # breakpoint -> (kind, function)
        self.returns = {}      # return address -> breakpoint
        self.pending = []      # open calls: dicts kind, function, ret, g
        self.watched = []
        self.events = []
        self.last_stop = None
        self.exited = False
        self.state = None
        self.start = None
        self.reason = None
        self.missing = []
        self.notes = []

    # -- set up and tear down ------------------------------------------------------

    def install(self):
        syms = function_symbols(self.target.binary)
        found = match_symbols(syms, self.kinds)
        if not found:
            raise GomapError(f"none of the runtime's map write paths for "
                             f"{', '.join(self.kinds)} are in this binary (the linker drops "
                             f"the ones the program never calls)")
        for kind, name, params in found:
            addr = syms[name]
            param, reg = entry_register(addr, params)
            spec = f"*{addr:#x}"
            if reg:
                bp = gdb.Breakpoint(spec, gdb.BP_BREAKPOINT, internal=True)
                bp.condition = f"${reg} == {self.header:#x}"
                how = f"${reg} == {self.header:#x}"
            elif param:
                bp = _Filtered(spec, param, self.header)
                how = f"python filter on {param}"
            else:
                continue
            bp.silent = True
            self.entries[bp] = (kind, name)
            self.watched.append({"kind": kind, "function": name, "address": hex(addr),
                                 "condition": how})
        got = {w["kind"] for w in self.watched}
        self.missing = [k for k in self.kinds if k not in got]

    def remove(self):
        for bp in list(self.entries) + list(self.returns.values()):
            try:
                if bp.is_valid():
                    bp.delete()
            except (gdb.error, RuntimeError):
                pass
        self.entries.clear()
        self.returns.clear()

    # -- the loop --------------------------------------------------------------------

    def _on_stop(self, ev):
        self.last_stop = ev

    def _on_exit(self, ev):
        self.exited = True

    def summary(self):
        snap = self.target.dump(self.map_type, self.header, DumpOptions(entries=False))
        return summarize(snap)

    def run(self):
        self.install()
        gdb.events.stop.connect(self._on_stop)
        gdb.events.exited.connect(self._on_exit)
        try:
            self.state = self.start = self.summary()
            self._intro()
            while len(self.events) < self.count:
                self.last_stop = None
                out = gdb.execute("continue", to_string=True)
                if self.exited or not gdb.selected_inferior().pid:
                    self.reason = "the program exited"
                    break
                ev = self.last_stop
                bps = list(getattr(ev, "breakpoints", None) or [])
                ours = [b for b in bps if b in self.entries or b in self.returns.values()]
                for b in ours:
                    self._hit(b)
                if len(ours) < len(bps) or not bps:
                    self.reason = self._why(ev, bps, ours)
                    if out.strip():
                        self.write(out if out.endswith("\n") else out + "\n")
                    break
            else:
                self.reason = f"{self.count} events logged (--count)"
        finally:
            gdb.events.stop.disconnect(self._on_stop)
            gdb.events.exited.disconnect(self._on_exit)
            self.remove()
        self.write(f"gomap-watch: stopped: {self.reason}; {len(self.events)} events\n")

    def _why(self, ev, bps, ours):
        others = [b for b in bps if b not in ours]
        if others:
            b = others[0]
            return f"the program hit breakpoint {b.number} ({b.location})"
        sig = getattr(ev, "stop_signal", None)
        if sig:
            return f"the program stopped with {sig}"
        return "the program stopped"

    def _intro(self):
        conds = sorted({w["condition"].split(" ==")[0] for w in self.watched})
        self.write(f"gomap-watch: {self.expr} ({self.map_type.name} at {self.header:#x}, "
                   f"{self.layout}): {len(self.watched)} write paths "
                   f"({', '.join(sorted({w['kind'] for w in self.watched}))}), "
                   f"condition on {', '.join(conds)}\n")
        if self.missing:
            self.write(f"gomap-watch: not in this binary: {', '.join(self.missing)}\n")
        note = preemption_note(gdb.selected_inferior().pid)
        if note:
            self.notes.append(note)
            self.write(f"gomap-watch: note: {note}\n")
        self.write("gomap-watch: start    " + event_line(
            {"n": 0, "kind": "", "function": "", "state": self.state, "changes": {}},
            self.layout).split(None, 1)[-1].strip() + "\n")

    def _hit(self, bp):
        frame = gdb.selected_frame()
        arch = self.target.arch
        g = int(frame.read_register(arch.g)) & arch.mask
        if bp in self.entries:
            kind, name = self.entries[bp]
            if arch.uses_lr:    # at a function's entry the return address is in LR
                ret = int(frame.read_register(arch.lr)) & arch.mask
            else:               # ... or where the call pushed it
                sp = int(frame.read_register(arch.sp)) & arch.mask
                ret = arch.word(gdb.selected_inferior().read_memory(sp, arch.ptr).tobytes())
            if any(p["function"] == name and p["ret"] == ret and p["g"] == g
                   for p in self.pending):
                return   # the same call again, after a stack growth
            self.pending.append({"kind": kind, "function": name, "ret": ret, "g": g,
                                 "before": self.summary()})
            if ret not in self.returns:
                rb = gdb.Breakpoint(f"*{ret:#x}", gdb.BP_BREAKPOINT, internal=True)
                rb.silent = True
                rb.condition = f"${arch.g} == {g:#x}"
                self.returns[ret] = rb
            return
        ret = next(a for a, b in self.returns.items() if b is bp)
        done = [p for p in self.pending if p["ret"] == ret and p["g"] == g]
        if not done:
            return
        call = done[-1]
        self.pending.remove(call)
        if not any(p["ret"] == ret for p in self.pending):
            self.returns.pop(ret).delete()
        after = self.summary()
        ev = {"n": len(self.events) + 1, "kind": call["kind"], "function": call["function"],
              "before": call["before"], "state": after,
              "changes": changes(call["before"], after)}
        self.state = after
        self.events.append(ev)
        self.write(event_line(ev, self.layout) + "\n")

    def log(self):
        """The whole run as a JSON-ready dict."""
        return {"schema": SCHEMA_ID,
                "map": {"expr": self.expr, "type": self.map_type.name, "address": hex(self.header),
                        "layout": self.layout, "go_version": self.target.go_version},
                "watched": self.watched, "missing": self.missing, "start": self.start,
                "events": self.events, "stopped": self.reason, "notes": self.notes}


def preemption_note(pid):
    """A warning when the process runs with Go's asynchronous preemption on, else None.

    Go preempts goroutines with SIGURG; a goroutine caught on a breakpoint is
    later resumed at it, so gdb can report a breakpoint twice or miss a hit.
    Reads /proc/PID/environ (not the target's memory).
    """
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
    except OSError:
        return None
    godebug = [e for e in env if e.startswith(b"GODEBUG=")]
    if godebug and b"asyncpreemptoff=1" in godebug[-1]:
        return None
    return ("the program runs with Go's async preemption, which can make gdb repeat or "
            "miss a breakpoint hit; for an exact log start it with GODEBUG=asyncpreemptoff=1")
