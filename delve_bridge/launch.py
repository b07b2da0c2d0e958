"""Starting a headless dlv of our own, and making sure it is gone afterwards.

gomap-dlv starts ``dlv exec|attach|core ... --headless --api-version=2
--listen=127.0.0.1:0`` (the kernel picks a free loopback port, which dlv
prints), talks to it, and stops it when done:

- after an ``attach``, Detach(kill=false): the program goes on running;
- after an ``exec``, Detach(kill=true): the program dies with the session;
- on Ctrl-C, SIGTERM or an error, the same, however far it got.

The dlv is started *without* ``--accept-multiclient``: such a dlv ends its
session by itself the moment its one client disconnects (with exactly the
kill/keep semantics above).  It runs in a session of its own, so Ctrl-C in
the terminal reaches gomap-dlv (which cleans up) and not dlv or the program.

A gomap-dlv killed with SIGKILL cleans up nothing, and before it connects
dlv would wait for it forever (holding an attached program stopped).  So:

- dlv gets SIGTERM when gomap-dlv dies (PR_SET_PDEATHSIG, set in the child
  before it executes dlv; the child gives up if its parent is already gone);
- a watchdog process (watchdog.py), started before dlv, notices the death
  of gomap-dlv, makes sure dlv and whatever runs in its session (the program
  of --exec) are dead, and lets the program of --attach run again (SIGCONT
  if the kernel detached it in a stopped state).  After a normal stop it
  exits without acting.

The stop path itself (Ctrl-C while dlv still attaches) releases the
program the same way.
"""

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

from .errors import DelveConnectionError, DelveError, DelveGone, DelveRefusesGo, DlvNotFound
from .rpc import DelveClient
from .watchdog import Watchdog, kill_session, release_target, start_time, target_facts

LISTENING = re.compile(r"API server listening at: (\S+):(\d+)")
REFUSAL = re.compile(r"Go version (\S+) is too old for this version of Delve|"
                     r"Version of Delve is too old for Go version (\S+)")
START_TIMEOUT = 30.0      # until dlv says where it listens
READY_TIMEOUT = 600.0     # until it has loaded the binary or core and answers
STOP_TIMEOUT = 10.0


DEFERRED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def deferred_signals():
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block is done (then they are delivered)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _unblock_signals():
    signal.pthread_sigmask(signal.SIG_UNBLOCK, DEFERRED)


PR_SET_PDEATHSIG = 1
SIG_DFL, SIG_IGN = 0, 1


def _libc():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    libc.signal.argtypes = (ctypes.c_int, ctypes.c_void_p)
    libc.signal.restype = ctypes.c_void_p
    return libc


def dlv_child_setup(report_fd):
    """The ``preexec_fn`` of dlv: it dies with gomap-dlv, and the watchdog knows its pid.

    In the child, between fork and exec: SIGTERM back to its default action
    (a parent-death signal must kill the child, not wake Python's handler),
    PR_SET_PDEATHSIG = SIGTERM (only when the forking thread is the main one:
    the signal comes when that *thread* ends), "dlv PID STARTTIME" to the
    watchdog, and an exit if the parent already died.  The held signals are
    then let in (a parent-death signal that came meanwhile kills the child)."""
    parent = os.getpid()
    pdeathsig = threading.current_thread() is threading.main_thread()
    libc = _libc()

    def setup():
        if libc is not None:
            libc.signal(signal.SIGTERM, SIG_DFL)
            if pdeathsig:
                libc.prctl(ctypes.c_int(PR_SET_PDEATHSIG), ctypes.c_ulong(signal.SIGTERM),
                           ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
        if report_fd is not None:
            if libc is not None:
                libc.signal(signal.SIGPIPE, SIG_IGN)    # a dead watchdog: EPIPE, not death
            try:
                os.write(report_fd, f"dlv {os.getpid()} {start_time(os.getpid())}\n".encode())
            except OSError:
                pass
            if libc is not None:
                libc.signal(signal.SIGPIPE, SIG_DFL)
        if os.getppid() != parent:
            os._exit(1)
        _unblock_signals()
    return setup


class DlvServer:
    """A headless dlv started by gomap-dlv; use as a context manager.

    ``mode`` is 'exec' (``binary``, ``args``), 'attach' (``pid``) or 'core'
    (``binary``, ``core``).  ``.client`` is the connected DelveClient once
    started; ``.target_pid`` the debugged process (None for a core).
    """

    def __init__(self, dlv, mode, binary=None, args=(), pid=None, core=None,
                 check_go_version=True):
        if dlv is None:
            raise DlvNotFound("dlv not found")
        self.dlv, self.mode = dlv, mode
        self.binary, self.args, self.pid, self.core = binary, list(args), pid, core
        self.check_go_version = check_go_version
        self.proc = None
        self.client = None
        self.target_pid = None
        self._log = None
        self._watchdog = None
        self._dlv_start = None    # dlv's start time (/proc/PID/stat), its identity
        self._release = None      # (pid, start time) of an attached program to let run

    def argv(self):
        common = ["--headless", "--api-version=2", "--listen=127.0.0.1:0", "--only-same-user"]
        if not self.check_go_version:
            common.append("--check-go-version=false")
        if self.mode == "exec":
            argv = [self.dlv, "exec", str(self.binary), *common]
            return argv + (["--", *self.args] if self.args else [])
        if self.mode == "attach":
            return [self.dlv, "attach", str(self.pid), *common]
        if self.mode == "core":
            return [self.dlv, "core", str(self.binary), str(self.core), *common]
        raise ValueError(self.mode)

    # --- start -------------------------------------------------------------------

    def start(self):
        if self.mode == "core":
            check_core_file(self.core)
        self._log = tempfile.NamedTemporaryFile(prefix="gomap-dlv-", suffix=".log")
        facts = target_facts(self.pid) if self.mode == "attach" else None
        # A Ctrl-C inside Popen would lose the pid of a dlv already forked: the
        # signals wait until self.proc is set (and are unblocked in the child).
        with deferred_signals():
            self._watchdog = Watchdog().start()
            if facts is not None:
                self._watchdog.tell("target", self.pid, facts[0], int(facts[1]))
                if not facts[1]:
                    self._release = (self.pid, facts[0])
            try:
                self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                             stdout=self._log, stderr=subprocess.STDOUT,
                                             start_new_session=True,
                                             preexec_fn=dlv_child_setup(self._watchdog.fd))
            except FileNotFoundError:
                raise DlvNotFound(f"dlv not found at {self.dlv}") from None
            except PermissionError:
                raise DlvNotFound(f"{self.dlv} is not executable") from None
            self._dlv_start = start_time(self.proc.pid)
        host, port = self._wait_listening()
        try:
            # dlv listens before it loads the target, and closes the port when
            # loading fails: a refused connection or a closed one is its failure.
            self.client = DelveClient(host, port, alive=self.alive)
            self.client.version()          # answered once the target is loaded
        except DelveConnectionError:
            self._wait_exit(STOP_TIMEOUT)
            if self.alive():
                raise
            raise self._failure() from None
        if self.mode != "core":
            self.target_pid = self.client.process_pid() or None
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self._log.name, errors="replace") as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            m = LISTENING.search(self.log_text())
            if m:
                return m.group(1), int(m.group(2))
            if not self.alive():
                raise self._failure()
            if time.monotonic() > deadline:
                raise DelveError(f"dlv printed no 'API server listening at' line in "
                                 f"{START_TIMEOUT:.0f}s")
            time.sleep(0.02)

    def _failure(self):
        """The one-line error for a dlv that exited before serving."""
        lines = [ln.strip() for ln in self.log_text().splitlines()
                 if ln.strip() and not LISTENING.search(ln)]
        for ln in lines:
            m = REFUSAL.search(ln)
            if m:
                what = self.binary or f"process {self.pid}"
                ln = re.sub(r",? suppress this error with --check-go-version=false", "", ln)
                return DelveRefusesGo(f"dlv refuses {what}: {ln.rstrip('.')}; gomap-dlv "
                                      f"--no-check-go-version starts it anyway, at your risk",
                                      m.group(1) or m.group(2))
        last = lines[-1] if lines else f"exit status {self.proc.returncode}"
        if last.endswith("is not a core file"):   # dlv prints its whole ELF struct first
            last = f"{self.core} is not a core file"
        if len(last) > 300:
            last = last[:300] + "..."
        if "operation not permitted" in last and self.mode == "attach":
            last += " (ptrace refused: run as the process's user with " \
                    "/proc/sys/kernel/yama/ptrace_scope = 0, or as root)"
        return DelveError(f"dlv {self.mode} failed: {last}")

    # --- stop ------------------------------------------------------------------------

    def stop(self):
        """End the session: detach (killing an exec'd program), then make sure dlv exits.

        Ctrl-C and SIGTERM wait until this is done (at most ~30 s)."""
        with deferred_signals():
            self._stop()

    def _stop(self):
        try:
            connected = self.client is not None and not self.client.closed
            if connected:
                if self.alive() and not self.client.busy():
                    try:
                        self.client.deadline_in(STOP_TIMEOUT)
                        self.client.detach(kill=self.mode == "exec")
                    except DelveError:
                        pass
                # Closing the only connection ends a non-multiclient dlv's session
                # (halting a running target first), even if Detach was not sent.
                self.client.close()
            if self.proc is not None:
                if not connected and self.alive():
                    # Stopped while dlv was still starting: SIGTERM is its Ctrl-C
                    # (detach, killing only a program it started).
                    self._signal(signal.SIGTERM)
                if not self._wait_exit(STOP_TIMEOUT):
                    self._signal(signal.SIGTERM)
                    if not self._wait_exit(5):
                        self._signal(signal.SIGKILL)
                        self._wait_exit(5)
            if self.mode == "exec":
                self._kill_orphan()
            self._leave_nothing()
        finally:
            if self._watchdog is not None:
                self._watchdog.done()
            if self._log is not None:
                self._log.close()
                self._log = None

    def _wait_exit(self, timeout):
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def _signal(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _leave_nothing(self):
        """dlv has exited: what ran in its session dies, an attached program runs.

        (dlv killed while it attached, e.g. by a Ctrl-C then, may leave the
        program stopped; a program dlv was starting may be left running.)"""
        if self.proc is None or self.proc.poll() is None or self._dlv_start is None:
            return
        kill_session(self.proc.pid, self._dlv_start)
        if self._release is not None:
            release_target(*self._release)

    def _kill_orphan(self):
        """The exec'd program outlived a dlv that had to be killed: end it too."""
        pid = self.target_pid
        if not pid:
            return
        try:
            exe = os.path.realpath(f"/proc/{pid}/exe")
        except OSError:
            return
        if self.binary and exe == os.path.realpath(self.binary):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


def check_core_file(path):
    """DelveError unless ``path`` is an ELF core file (dlv's own message is unreadable)."""
    try:
        with open(path, "rb") as f:
            head = f.read(18)
    except OSError as exc:
        raise DelveError(f"cannot open core file {path}: {exc.strerror}") from None
    if head[:4] != b"\x7fELF" or int.from_bytes(head[16:18], "little") != 4:   # ET_CORE
        raise DelveError(f"{path} is not a core file (an ELF file of type ET_CORE); "
                         f"the order is --core CORE BINARY")


CONNECT_IDLE_LIMIT = 20.0   # seconds a dlv of --connect may stay silent on a request


def connect(address):
    """A DelveClient to a dlv somebody else started (``--connect``)."""
    from .rpc import parse_address
    host, port = parse_address(address)
    client = DelveClient(host, port)
    client.idle_limit = CONNECT_IDLE_LIMIT
    try:
        client.deadline_in(30)
        client.version()
        client.deadline_in(None)
    except DelveGone:
        client.close()
        raise DelveConnectionError(f"{address} closed the connection at once: is it a dlv "
                                   f"started with --headless --api-version=2 (and "
                                   f"--accept-multiclient if it already has a client)?") from None
    except DelveError:
        client.close()
        raise
    return client
