"""Real processes for the end-to-end tests: Go examples, gdb in batch mode, interactive gdb.

Nothing here is mocked.  An example program is started with the path of a
truth file as its first argument; it writes its own ground truth (JSON) there
and prints ``READY`` on stdout once its maps are in the state under test.

    with start_example(binary, tmp_path / "truth.json") as ex:
        res = gdb_batch(["-p", str(ex.pid)], ["gomap-dump m"])

Every process the harness starts is recorded, and ``kill_all`` (called by
the session-finish hook in ``conftest.py``) kills what is left and names it:
a test that leaves a process behind fails the run.  Import this module as
``tests.harness`` so there is one record.
"""

import ctypes
import json
import os
import re
import select
import shutil
import signal
import site
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path

import pexpect

REPO = Path(__file__).resolve().parent.parent
GDBINIT = REPO / "gdb_gomap" / "gdbinit.py"
PROMPT = r"\(gdb\) "
LOAD_FAILED = "gomap: could not load"

_live = {}  # id(obj) -> obj with .kill(): everything started and not yet stopped
_watched_names = {"gdb", "dlv"}  # process names (comm) that count as leaks at the end


class HarnessError(RuntimeError):
    """A process under test misbehaved: died early, never got ready, or failed to load gomap."""


# --- process bookkeeping -------------------------------------------------

def _proc_table():
    """Map pid -> (ppid, comm, state) for every process visible in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        table[int(entry)] = (int(ppid), comm, state)
    return table


def descendants(pid, table=None):
    """Pids of every living (not zombie) descendant of ``pid``."""
    table = table or _proc_table()
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child, (ppid, _, state) in table.items():
            if ppid == parent and state != "Z":
                found.append(child)
                todo.append(child)
    return found


def kill_tree(pid):
    """SIGKILL ``pid`` and all its descendants (gdb's inferior has its own process group)."""
    for p in [pid, *descendants(pid)]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def become_subreaper():
    """Make this process adopt orphaned descendants, so none escapes ``kill_all``."""
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _watch(binary):
    _watched_names.add(Path(binary).name[:15])  # the kernel keeps 15 bytes of comm


def _reap_orphans(table):
    """Collect zombies adopted as subreaper (children no Popen object waits for)."""
    mine = {o.pid for o in _live.values()}
    for pid, (ppid, _, state) in table.items():
        if ppid == os.getpid() and state == "Z" and pid not in mine:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def kill_all():
    """Kill every process the harness started that is still alive; return their descriptions."""
    table = _proc_table()
    leaked = {}
    for obj in list(_live.values()):
        if obj.alive():
            leaked[obj.pid] = table.get(obj.pid, (0, "?", ""))[1]
        obj.kill()
    table = _proc_table()
    for pid in descendants(os.getpid(), table):
        comm = table[pid][1]
        if comm in _watched_names:
            leaked[pid] = comm
            kill_tree(pid)
    time.sleep(0.1)
    _reap_orphans(_proc_table())
    return [f"{pid} ({comm})" for pid, comm in sorted(leaked.items())]


# --- Go example programs -------------------------------------------------

class Example:
    """A running example program: ``.pid``, ``.truth`` (its parsed ground truth), ``.stop()``."""

    def __init__(self, proc, truth_path, stderr_file, own_dir=None):
        self.proc = proc
        self.truth_path = Path(truth_path)
        self._stderr = stderr_file
        self._own_dir = own_dir  # a temporary directory of ours holding the truth file
        self.truth = None
        _live[id(self)] = self

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stderr(self):
        """What the program wrote on stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def kill(self):
        if self.alive():
            kill_tree(self.proc.pid)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:   # a zombie some tracer does not let go
            raise HarnessError(f"{self.proc.pid} was killed but cannot be reaped: "
                               f"{_tracer_of(self.proc.pid)}") from None

    def stop(self):
        """Kill the program and wait for it; safe to call twice."""
        self.kill()
        self.proc.stdout.close()
        self._stderr.close()
        if self._own_dir:
            shutil.rmtree(self._own_dir, ignore_errors=True)
        _live.pop(id(self), None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _wait_ready(ex, timeout):
    """Read the example's stdout until a READY line; raise HarnessError if it dies or stalls."""
    fd, buf = ex.proc.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    while not re.search(rb"(^|\n)READY\r?\n", buf):
        left = deadline - time.monotonic()
        if left <= 0:
            raise HarnessError(f"{ex.proc.args[0]} printed no READY in {timeout}s; "
                               f"stdout so far {buf[-200:]!r}; stderr:\n{ex.stderr()}")
        if select.select([fd], [], [], left)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                ex.proc.wait()
                raise HarnessError(f"{ex.proc.args[0]} exited with status {ex.proc.returncode} "
                                   f"before READY; stderr:\n{ex.stderr()}")
            buf += chunk


def start_example(binary, truth_path=None, args=(), timeout=60, env=None):
    """Start an example program and return it once it printed READY, as an ``Example``.

    ``truth_path`` is passed as the program's first argument (a temporary
    file when None) and parsed into ``.truth`` after READY.  ``args`` are
    further arguments.  Raises ``HarnessError`` with the program's stderr
    when it exits or stays silent for ``timeout`` seconds.
    """
    own_dir = None
    if truth_path is None:
        own_dir = tempfile.mkdtemp(prefix="gomap-truth-")
        truth_path = Path(own_dir) / "truth.json"
    _watch(binary)
    stderr_file = tempfile.TemporaryFile()
    proc = subprocess.Popen([str(binary), str(truth_path), *map(str, args)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=stderr_file, env=env, start_new_session=True)
    ex = Example(proc, truth_path, stderr_file, own_dir)
    try:
        _wait_ready(ex, timeout)
        ex.truth = json.loads(Path(truth_path).read_text())
    except (HarnessError, OSError, ValueError) as exc:
        ex.stop()
        if isinstance(exc, HarnessError):
            raise
        raise HarnessError(f"{binary} printed READY but its truth file {truth_path} "
                           f"is unreadable: {exc}") from exc
    return ex


# --- gdb -------------------------------------------------------------------

def gdb_env(extra=None):
    """Environment for gdb: its Python finds the repository and this Python's site-packages."""
    paths = [str(REPO), *site.getsitepackages(), sysconfig.get_path("purelib")]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(dict.fromkeys(paths)))
    env.pop("DEBUGINFOD_URLS", None)  # no network lookups, no questions
    env.update(extra or {})
    return env


def gdb_argv(*extra, gdb="gdb"):
    """The gdb command line every test uses, before its own commands (``gdb``:
    which gdb, e.g. ``gdb-multiarch`` for another machine's core)."""
    return [gdb, "-nx", "-batch", "-ex", "set pagination off", "-ex", f"source {GDBINIT}", *extra]


class _Running:
    """A registry entry for a gdb batch run in progress."""

    def __init__(self, proc):
        self.proc, self.pid = proc, proc.pid

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        if self.alive():
            kill_tree(self.pid)


def tracer_pid(pid):
    """The pid that ptrace-holds ``pid`` (0: none), from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"TracerPid:\s*(\d+)", f.read()).group(1))


def _tracer_of(pid):
    """Who ptrace-holds ``pid``, from /proc (for the error of a zombie nobody may reap)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "it is gone now"
    tracer = next((l.split()[1] for l in status.splitlines() if l.startswith("TracerPid:")),
                  "0")
    if tracer == "0":
        return "no tracer holds it"
    try:
        cmd = Path(f"/proc/{tracer}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        cmd = "?"
    return f"process {tracer} ({cmd.strip()}) still traces it"


def gdb_batch(args, commands, timeout=120, env=None, check_loaded=True, gdb="gdb"):
    """Run ``gdb -nx -batch`` with gomap loaded; return the ``CompletedProcess`` (text).

    ``args`` are gdb's own arguments (``["-p", str(pid)]`` to attach, or
    ``[binary]``); each of ``commands`` becomes an ``-ex``.  gdb gets no
    stdin.  On ``timeout`` gdb and everything under it are killed and
    ``subprocess.TimeoutExpired`` carries what it printed.  With
    ``check_loaded``, a gdb that could not load gomap raises ``HarnessError``.
    """
    if args and not str(args[0]).startswith("-"):
        _watch(args[0])
    argv = gdb_argv(*[a for c in commands for a in ("-ex", c)], *map(str, args), gdb=gdb)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace",
                            env=gdb_env(env), start_new_session=True)
    running = _Running(proc)
    _live[id(running)] = running
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        running.kill()
        out, err = proc.communicate()
        raise subprocess.TimeoutExpired(argv, timeout, output=out, stderr=err) from None
    finally:
        running.kill()  # the inferior of a crashed gdb may still be around
        _live.pop(id(running), None)
    if check_loaded and LOAD_FAILED in err:
        raise HarnessError(f"gdb did not load gomap:\n{err}")
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


class GdbSession:
    """An interactive gdb driven through a pty (pexpect), with gomap loaded.

    ``target`` is a binary path, a pid (int) to attach to, or None.
    ``.startup`` holds what gdb printed before its first prompt.
    """

    def __init__(self, target=None, timeout=30, env=None, args=()):
        target_args = [] if target is None else (
            ["-p", str(target)] if isinstance(target, int) else [str(target)])
        if target_args and not isinstance(target, int):
            _watch(target)
        self.attached = isinstance(target, int)
        self.timeout = timeout
        argv = ["-nx", "-q", "-ex", "set pagination off", "-ex", "set confirm off",
                "-ex", "set width 0", "-ex", f"source {GDBINIT}", *map(str, args), *target_args]
        self.child = pexpect.spawn("gdb", argv, env=gdb_env(dict(TERM="dumb", **(env or {}))),
                                   encoding="utf-8", codec_errors="replace",
                                   timeout=timeout, dimensions=(50, 500))
        self.pid = self.child.pid
        _live[id(self)] = self
        try:
            self.startup = self._expect_prompt(timeout)
        except HarnessError:
            self.kill()
            _live.pop(id(self), None)
            raise

    def _expect_prompt(self, timeout):
        try:
            self.child.expect(PROMPT, timeout=timeout)
        except pexpect.TIMEOUT:
            raise HarnessError(f"gdb gave no prompt in {timeout}s; it printed:\n"
                               f"{self.child.before}") from None
        except pexpect.EOF:
            raise HarnessError(f"gdb exited; it printed:\n{self.child.before}") from None
        return self.child.before.replace("\r\n", "\n")

    def cmd(self, line, timeout=None):
        """Send one command line; return what gdb printed before the next prompt (echo removed)."""
        self.child.sendline(line)
        out = self._expect_prompt(self.timeout if timeout is None else timeout)
        first, _, rest = out.partition("\n")
        return rest if first.strip() == line.strip() else out

    def complete(self, text):
        """gdb's completions of ``text`` (what TAB would offer), via the ``complete`` command."""
        return [s for s in self.cmd(f"complete {text}").splitlines() if s]

    def alive(self):
        return self.child.isalive()

    def kill(self):
        """Kill gdb and everything under it, without asking."""
        if self.alive():
            kill_tree(self.pid)
        self.child.close(force=True)

    def close(self, kill_inferior=None):
        """End the inferior and quit gdb (killed if it does not quit within 10 s).

        The inferior is killed when gdb started it; a process gdb attached to
        is detached and left running unless ``kill_inferior`` is true.
        """
        if kill_inferior is None:
            kill_inferior = not self.attached
        try:
            if self.alive():
                self.cmd("kill" if kill_inferior else "detach", timeout=10)
                self.child.sendline("quit")
                self.child.expect(pexpect.EOF, timeout=10)
        except (HarnessError, pexpect.ExceptionPexpect, OSError):
            pass
        finally:
            self.kill()
            _live.pop(id(self), None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def gdb_session(target=None, timeout=30, env=None, args=()):
    """Start an interactive ``GdbSession`` on a binary, a pid, or nothing."""
    return GdbSession(target, timeout=timeout, env=env, args=args)


def checkpoint_session(binary, truth_path, timeout=120, args=()):
    """A ``GdbSession`` on an example built as ``binary`` (examples/mapstates and the
    like), run to its breakpoint ``main.checkpoint`` with ``truth_path`` as its truth
    file; ``.truth`` holds the truth it wrote.  Close it (it is a context manager)."""
    s = gdb_session(binary, timeout=timeout, args=args)
    try:
        s.cmd("break main.checkpoint")
        out = s.cmd(f"run {truth_path} > /dev/null", timeout=timeout)
        if "checkpoint" not in out:
            raise HarnessError(f"{binary} did not stop at main.checkpoint:\n{out}")
        s.truth = json.loads(Path(truth_path).read_text())
    except BaseException:
        s.close()
        raise
    return s


def require_gdb():
    """Path of gdb, or None when it is not installed."""
    return shutil.which("gdb")


# --- peak memory of one command ------------------------------------------------

# A child's ru_maxrss counts the memory of the process it was forked from (Linux
# keeps the old high-water mark across exec), so a command started straight from
# a large pytest looks as large as pytest.  This launcher, small after its own
# exec, starts the command as its child and reports that child's peak alone, in
# kB, as the last line of its stderr; ``{limit}`` caps the child's address space.
PEAK_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "def limit():\n"
    "    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
    "    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "r = subprocess.run(sys.argv[1:], preexec_fn=limit)\n"
    "sys.stderr.write('\\ngomap-test-peak-kb %d\\n' % "
    "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(r.returncode)\n")


def peak_argv(argv, limit=4 << 30):
    """``argv`` wrapped in PEAK_LAUNCHER (the command's address space capped at
    ``limit`` bytes); read its peak back with :func:`split_peak`."""
    import sys
    return [sys.executable, "-c", PEAK_LAUNCHER.format(limit=limit), *map(str, argv)]


def split_peak(stderr):
    """(the command's own stderr, its peak RSS in kB) from a PEAK_LAUNCHER run;
    peak None when the launcher was killed before it could say."""
    head, sep, tail = stderr.rpartition("\ngomap-test-peak-kb ")
    if not sep:
        return stderr, None
    return head, int(tail.split()[0])


# --- a core written by the kernel ------------------------------------------------

def kernel_core_pattern_problem():
    """Why kernel cores do not land in the crashing process's directory here
    (a piped or absolute core_pattern), or None when they do."""
    pattern = Path("/proc/sys/kernel/core_pattern").read_text().strip()
    if pattern.startswith("|") or "/" in pattern:
        return f"kernel core_pattern is {pattern!r}: cores do not land in the process's directory"
    return None


def kernel_core(argv, run_dir, truth_path=None):
    """Run the Go program ``argv`` in ``run_dir`` with GOTRACEBACK=crash and core
    dumps allowed; once it prints READY, SIGQUIT it so the kernel writes its core.

    Returns (core path or None, the program's truth from ``truth_path`` or None,
    the program's exit status).  Call kernel_core_pattern_problem() first."""
    import resource

    def allow_cores():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,) * 2)
        os.chdir(run_dir)

    env = dict(os.environ, GOTRACEBACK="crash")
    proc = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env,
                            preexec_fn=allow_cores)
    truth = None
    try:
        if proc.stdout.readline().strip() == b"READY":
            if truth_path is not None:
                truth = json.loads(Path(truth_path).read_text())
            proc.send_signal(signal.SIGQUIT)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    for _ in range(50):       # the kernel may still be writing it
        cores = [p for p in Path(run_dir).iterdir() if p.name.startswith("core")]
        if cores:
            time.sleep(0.2)
            return cores[0], truth, proc.returncode
        time.sleep(0.2)
    return None, truth, proc.returncode


def kernel_core_or_skip(binary, tmp_path, what="the program"):
    """(core path, truth) of ``binary`` run to READY and SIGQUIT in ``tmp_path/run``,
    its truth written to ``tmp_path/truth.json``; the test is skipped, saying why,
    when this machine's kernel writes no core."""
    import pytest

    problem = kernel_core_pattern_problem()
    if problem:
        pytest.skip(problem + " here")
    run_dir = Path(tmp_path) / "run"
    run_dir.mkdir()
    truth_path = Path(tmp_path) / "truth.json"
    core, truth, status = kernel_core([binary, truth_path], run_dir, truth_path)
    assert truth is not None, f"{what} never got ready"
    if core is None:
        pytest.skip(f"the kernel wrote no core (status {status}); this machine does not "
                    f"allow kernel cores")
    return Path(core), truth


def gomap(*args, timeout=300):
    """Run the ``gomap`` CLI from this checkout with no stdin; the CompletedProcess
    (text).  A run past ``timeout`` raises TimeoutExpired: a hang is a failure."""
    import sys
    return subprocess.run([sys.executable, "-m", "gdb_gomap.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          stdin=subprocess.DEVNULL)


# --- other machines, under qemu-user -------------------------------------------------

QEMU = {"arm64": "qemu-aarch64-static", "arm": "qemu-arm-static", "s390x": "qemu-s390x-static"}
_watched_names.update({"gdb-multiarch", *(q[:15] for q in QEMU.values())})


def qemu_problem(goarch):
    """Why programs for ``goarch`` cannot run here (qemu-user, gdb-multiarch
    missing), or None when they can."""
    missing = [p for p in (QEMU[goarch], "gdb-multiarch") if shutil.which(p) is None]
    if missing:
        return (f"{' and '.join(missing)} not installed (./install.sh --dev installs "
                f"qemu-user-static and gdb-multiarch)")
    return None


def wait_all_threads_asleep(pid, settle=0.3, timeout=10.0):
    """Return once every thread of ``pid`` has been asleep (state S) for ``settle``
    seconds running, or after ``timeout`` (the caller goes on either way)."""
    deadline = time.monotonic() + timeout
    since = None
    while time.monotonic() < deadline:
        try:
            states = [Path(f"/proc/{pid}/task/{t}/stat").read_text().rsplit(")", 1)[1].split()[0]
                      for t in os.listdir(f"/proc/{pid}/task")]
        except (OSError, IndexError):
            return
        if all(st == "S" for st in states):
            since = since or time.monotonic()
            if time.monotonic() - since >= settle:
                return
        else:
            since = None
        time.sleep(0.02)


def qemu_core(binary, goarch, run_dir, timeout=300):
    """Run the Go program ``binary`` (built for ``goarch``) under qemu-user in
    ``run_dir``, its truth written to ``run_dir/truth.json``; once it prints READY,
    SIGQUIT it: with GOTRACEBACK=crash the runtime aborts and qemu writes the
    core (``qemu_PROG_DATE_PID.core``).  Returns (core path, truth)."""
    import resource

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    truth_path = run_dir / "truth.json"

    def allow_cores():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,) * 2)
        os.chdir(run_dir)

    proc = subprocess.Popen([QEMU[goarch], str(binary), str(truth_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=dict(os.environ, GOTRACEBACK="crash"),
                            preexec_fn=allow_cores)
    try:
        ready = proc.stdout.readline().strip() == b"READY"
        if ready:
            # Goroutine 1 goes on from READY to its sleep: a SIGQUIT that lands on its
            # thread before it parks leaves it behind the signal handler's frames,
            # which gomap follows on amd64 only.  So wait until every thread sleeps.
            wait_all_threads_asleep(proc.pid)
            proc.send_signal(signal.SIGQUIT)
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not ready:
        raise HarnessError(f"{binary} under {QEMU[goarch]} never got ready:\n"
                           f"{err.decode(errors='replace')[-2000:]}")
    cores = sorted(run_dir.glob("qemu_*.core"))
    if not cores:
        raise HarnessError(f"{QEMU[goarch]} wrote no core for {binary} (status "
                           f"{proc.returncode})")
    return cores[0], json.loads(truth_path.read_text())


def free_port():
    """A TCP port nobody listens on now (for qemu's gdb stub)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
