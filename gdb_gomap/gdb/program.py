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
    """The current Target, once there is a process or a core to read, and once its
    executable is known to be the core's or the process's (WrongExecutable)."""
    if not _has_memory():
        raise GomapError("the program is not running and no core file is loaded; "
                         "'run', 'attach PID' or 'core FILE' first")
    target = current_target()
    _check_executable(target)
    return target


def core_file():
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


_checked = {}


def _check_executable(target):
    """Refuse gdb's executable when its build ID is not the core's (from the core
    file's own bytes: gdb would read the note from the executable) or the local
    process's (/proc/PID/exe).  Once per executable and core or process."""
    from ..backends.core_file import CoreFile
    from ..backends.process import StoppedProcess
    from ..errors import WrongExecutable
    inf = gdb.selected_inferior()
    kind = getattr(getattr(inf, "connection", None), "type", None)
    core = core_file() if kind in (None, "core") else None
    binary = target.binary
    if core:
        try:
            key = (binary.path, binary.file_identity(), core, os.stat(core).st_mtime_ns)
        except OSError:
            return
        check = lambda: CoreFile(core, binary).close()   # noqa: E731
        came = f"the core file {core}"
    elif inf.pid and kind == "native":
        key = (binary.path, binary.file_identity(), inf.pid)
        check = lambda: StoppedProcess(inf.pid).check_executable(binary)  # noqa: E731
        came = f"process {inf.pid}"
    else:
        return      # a remote target: its pids are not this machine's
    if key not in _checked:
        try:
            check()
            _checked[key] = None
        except WrongExecutable as exc:
            _checked[key] = WrongExecutable(
                exc.detail, f"load the executable of {came} with 'file BINARY'")
        except GomapError:      # what else gomap dislikes in it, gdb reads its own way
            _checked[key] = None
    if _checked[key] is not None:
        raise _checked[key]


def _has_memory():
    inf = gdb.selected_inferior()
    if inf.pid:
        return True
    try:  # a core file has no pid but memory is readable
        gdb.selected_thread()
        return gdb.selected_thread() is not None
    except gdb.error:
        return False
