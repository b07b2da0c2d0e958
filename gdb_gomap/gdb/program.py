"""The program gdb debugs, as gomap's ``Target``: its executable's DWARF and gdb's memory."""

import os

import gdb

from ..errors import GomapError
from .memory import GdbMemory

_targets = {}


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


def target_with_memory():
    """The current Target, once there is a process or a core to read."""
    if not _has_memory():
        raise GomapError("the program is not running and no core file is loaded; "
                         "'run', 'attach PID' or 'core FILE' first")
    return current_target()


def _has_memory():
    inf = gdb.selected_inferior()
    if inf.pid:
        return True
    try:  # a core file has no pid but memory is readable
        gdb.selected_thread()
        return gdb.selected_thread() is not None
    except gdb.error:
        return False
