"""The library entry point: a core file or a live process, and its maps by name.

``gdb_gomap.open_core(core, exe)`` and ``gdb_gomap.attach(pid)`` return a
:class:`Program`; the README's "As a library" section is the example (and
tests/test_target_api.py runs it).  A Program checks the executable's build ID
against the core's or the process's first, as the ``gomap`` command does.

A live process is stopped with ptrace only while a method reads it, and runs
again between calls; ``with prog.stopped():`` keeps it stopped across several.
Nothing here imports gdb.
"""

import contextlib
from typing import Any, Callable, Dict, Iterator, List, Optional

from .backends.core_file import CoreFile
from .backends.process import StoppedProcess
from .binary import GoBinary
from .decoding import DumpOptions
from .errors import WrongExecutable
from .finder import FoundMap, find_maps
from .limits import Limits
from .render.jsonout import snapshot_json
from .resolve import resolve_map
from .snapshot import MapSnapshot
from .target import Target


class Program:
    """One Go program's maps: its executable's DWARF over a core file or a process.

    ``info`` says where the memory comes from ({"executable", "core"} or
    {"executable", "pid"}); ``warnings`` are said about the program as a whole (a
    truncated core, a build-ID mismatch forced with ``force_exe``) and head the
    warnings of every snapshot."""

    def __init__(self, target: Target, info: Dict[str, Any], warnings: List[str],
                 close: Callable[[], None],
                 stop: Optional[Callable[[], Any]] = None,
                 first_stop: Optional[Callable[[], None]] = None) -> None:
        self.target = target
        self.info = info
        self.warnings = warnings
        self._close = close
        self._stop = stop               # a context manager factory, for a process
        self._first_stop = first_stop   # a check made once, the first time stopped
        self._depth = 0

    @property
    def go_version(self) -> str:
        return self.target.go_version

    @property
    def map_kind(self) -> str:
        """'classic' or 'swiss' (or 'unknown'): the map implementation linked."""
        return self.target.map_kind

    @contextlib.contextmanager
    def stopped(self) -> Iterator["Program"]:
        """Keep a live process stopped for the block (nested blocks nest); a
        core file is always still."""
        if self._stop is None or self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        with self._stop():
            self._depth += 1
            try:
                if self._first_stop is not None:
                    check, self._first_stop = self._first_stop, None
                    check()
                yield self
            finally:
                self._depth -= 1

    def dump(self, expr: str, entries: bool = True, buckets: bool = False,
             limit: Optional[int] = None, sort: bool = False,
             limits: Optional[Limits] = None) -> MapSnapshot:
        """The snapshot of the map ``expr`` names ('main.cache', 'main.srv.shards[3]',
        'ADDRESS:TYPE'): header, tables or buckets, stats, and with ``entries`` its
        (key, value) pairs (sorted by key with ``sort``, else in walk order).
        ``buckets`` keeps every bucket or group with its slots; ``limit`` decodes
        at most that many entries."""
        opts = DumpOptions(entries=entries or buckets, limit=limit, detail=buckets, sort=sort)
        with self.stopped():
            map_type, header = resolve_map(self.target, expr)
            snap = self.target.dump(map_type, header, opts, limits)
        snap.warnings[:0] = self.warnings
        return snap

    def json(self, expr: str, buckets: bool = False, limit: Optional[int] = None,
             sort: bool = False) -> Dict[str, Any]:
        """The map's snapshot as the dict ``--json`` writes (schema gomap-snapshot/2)."""
        return snapshot_json(self.dump(expr, buckets=buckets, limit=limit, sort=sort))

    def maps(self, include_runtime: bool = False) -> List[FoundMap]:
        """Every map ``gomap list`` finds (package globals and what they reach),
        largest first; each with ``.expr``, ``.type_name``, ``.snapshot`` (a summary,
        without entries) or ``.error``."""
        with self.stopped():
            return find_maps(self.target, include_runtime=include_runtime)

    def close(self) -> None:
        """Let go of the core file (a process is already running again)."""
        self._close()

    def __enter__(self) -> "Program":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def forced_check(check: Callable[[GoBinary], Any], binary: GoBinary, force_exe: bool,
                 warnings: List[str]) -> Any:
    """``check(binary)``, a build-ID check that raises WrongExecutable; with
    ``force_exe`` the error becomes a line of ``warnings`` instead (and True)."""
    try:
        return check(binary)
    except WrongExecutable as exc:
        if not force_exe:
            raise
        warnings.append(f"{exc.detail}; decoded maps will be wrong")
        return True


def open_core(core: str, exe: str, force_exe: bool = False) -> Program:
    """A core file and the executable it came from.  A core of another build is
    refused (WrongExecutable naming both build IDs) unless ``force_exe``."""
    binary = GoBinary(exe)
    target = Target(binary, None)       # the executable's problems before the core's
    mem = CoreFile(core, binary, force_exe=force_exe)
    target.memory = mem
    return Program(target, {"executable": binary.path, "core": core}, list(mem.warnings),
                   mem.close)


def attach(pid: int, exe: Optional[str] = None, force_exe: bool = False) -> Program:
    """A live process (its executable is /proc/PID/exe unless ``exe`` is given, which
    must have the same build ID unless ``force_exe``).  Reading needs the right to
    ptrace it (NotPermitted says why not); it is stopped only while read."""
    proc = StoppedProcess(pid)
    binary = GoBinary(exe or proc.exe_path())
    warnings: List[str] = []
    # The executable's own problems (no DWARF, say) first, and its DWARF read
    # before the process is stopped.
    target = Target(binary, proc)
    checked = forced_check(proc.check_executable, binary, force_exe, warnings)
    later = None if checked else (
        lambda: forced_check(proc.check_executable_in_memory, binary, force_exe, warnings))
    return Program(target, {"executable": binary.path, "pid": pid}, warnings,
                   close=lambda: None, stop=lambda: proc, first_stop=later)
