"""gomap-dlv killed at any moment (issue 12): no dlv left, the attached program runs.

gomap-dlv is killed with SIGKILL (no cleanup of its own can run) at many
moments: as its first child appears, 0 to 200 ms after dlv is executed, and in
the middle of a dump (gomap-dlv blocked on a full stdout pipe while dlv holds
the program stopped).  Then, once everything gomap-dlv started has ended:

- no process it started is alive: pytest is a child subreaper (conftest), so
  a dlv (or anything) orphaned by the kill is adopted by this process and
  found among its descendants; nothing listens on the port dlv printed;
- with --attach, the program runs: no thread stopped (T) or traced (t,
  TracerPid), and it goes on printing its heartbeat (tests/progs/heartbeat);
- with --exec, the program dlv started is dead.

Ctrl-C while dlv attaches, and a normal run, must leave the same state.
Real dlv, real Go program (Go 1.26.6, which the pinned Delve debugs).
"""

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import harness, toolchains
from tests.test_delve import procs_with

HEARTBEAT = harness.REPO / "tests" / "progs" / "heartbeat"
GO = "1.26.6"
HANG = 20.0     # hang guard: cleanup after a kill is expected within a second or two

# (what to wait for, then how many ms more) before the signal
DLV_MOMENTS = [("dlv", ms) for ms in (0, 5, 10, 20, 35, 50, 100, 200)]
ATTACH_MOMENTS = [("child", 0)] + DLV_MOMENTS + [("mid-dump", 0)]
EXEC_MOMENTS = [("child", 0), ("dlv", 0), ("dlv", 10), ("dlv", 35), ("dlv", 100),
                ("dlv", 200), ("mid-dump", 0)]


@pytest.fixture(scope="module")
def heartbeat():
    return toolchains.build_example(HEARTBEAT, GO)


# --- processes -----------------------------------------------------------------------

def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def task_states(pid):
    """(state, TracerPid) of every thread of ``pid``."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                tracer = int(re.search(r"TracerPid:\s*(\d+)", f.read()).group(1))
        except OSError:
            continue
        out.append((state, tracer))
    return out


def listening(port):
    """Whether a socket listens on 127.0.0.1:``port`` (/proc/net/tcp, state 0A)."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, st = line.split()[1], line.split()[3]
            if st == "0A" and local == f"0100007F:{port:04X}":
                return True
    return False


def wait_for(cond, what, timeout=HANG):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"hang: {what} after {timeout:.0f} s")
        time.sleep(0.0005)


def leftovers(before):
    """Live descendants of this process (the subreaper) that were not there before."""
    return [p for p in harness.descendants(os.getpid()) if p not in before]


def assert_nothing_left(before, what):
    """Wait (hang guard) until every process started since ``before`` has ended."""
    left = []

    def gone():
        left[:] = leftovers(before)
        return not left
    deadline = time.monotonic() + HANG
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not left, f"{what}: still running after {HANG:.0f} s: " + \
        "; ".join(f"{p} {cmdline(p)}" for p in left)


class Beats:
    """The heartbeat lines of a running example ('beat N' every 50 ms)."""

    def __init__(self, example):
        self.example = example
        self.fd = example.proc.stdout.fileno()
        self.last = 0

    def _read(self, timeout):
        if select.select([self.fd], [], [], timeout)[0]:
            chunk = os.read(self.fd, 65536)
            for n in re.findall(rb"beat (\d+)", chunk):
                self.last = max(self.last, int(n))
            return bool(chunk)
        return False

    def drain(self):
        while self._read(0):
            pass

    def goes_on(self, more=3):
        """The program prints ``more`` new beats (hang guard HANG s)."""
        self.drain()
        want = self.last + more
        deadline = time.monotonic() + HANG
        while self.last < want:
            left = deadline - time.monotonic()
            if left <= 0:
                ex = self.example
                how = "it is not running" if ex.alive() else \
                    f"it exited with status {ex.proc.returncode}"
                pytest.fail(f"the program printed no new heartbeat in {HANG:.0f} s (last "
                            f"beat {self.last}): {how}")
            self._read(left)


# --- one run of gomap-dlv, stopped at one moment ----------------------------------------

def run_and_stop(argv, tmp, moment, sig, target=None):
    """Start gomap-dlv with ``argv``, send ``sig`` at ``moment``; check nothing is left.

    Returns the port dlv printed (or None) after checking nobody listens on it."""
    before = set(harness.descendants(os.getpid()))
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))      # dlv's log lands there: its port
    proc = subprocess.Popen([sys.executable, "-m", "delve_bridge.cli", *map(str, argv)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=harness.REPO, env=env)
    try:
        what, ms = moment
        if what == "child":
            wait_for(lambda: children(proc.pid), "gomap-dlv started no process")
        elif what == "dlv":
            wait_for(lambda: any(comm(c) == "dlv" for c in children(proc.pid)),
                     "gomap-dlv started no dlv")
        elif what == "running-traced":   # dlv runs the program to a breakpoint
            def waiting():
                states = task_states(target)
                return all(t for _, t in states) and any(s not in "tT" for s, _ in states)
            wait_for(waiting, "dlv never let the attached program run")
        else:   # mid-dump: output has come, gomap-dlv is blocked on the full pipe
            wait_for(lambda: select.select([proc.stdout], [], [], 0.1)[0],
                     "gomap-dlv printed nothing")
            time.sleep(0.2)
            assert proc.poll() is None, "gomap-dlv finished: the dump is too small"
            if target is not None:
                assert any(t for _, t in task_states(target)), \
                    "mid-dump, but dlv does not trace the program"
        time.sleep(ms / 1000)
        proc.send_signal(sig)
        proc.stdout.close()
        proc.wait(HANG)
        assert_nothing_left(before, f"{sig.name} at {moment_id(moment)}")
        port = None
        for log in Path(tmp).glob("gomap-dlv-*.log"):
            m = re.search(r"API server listening at: 127\.0\.0\.1:(\d+)", log.read_text())
            if m:
                port = int(m.group(1))
        if port is not None:
            assert not listening(port), f"something still listens on dlv's port {port}"
        return port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for p in leftovers(before):
            harness.kill_tree(p)


def check_running(pid, beats, more=3):
    states = task_states(pid)
    stopped = [s for s in states if s[0] in "Tt" or s[1]]
    assert not stopped, f"the attached program is held: (state, TracerPid) of its threads " \
                        f"{sorted(set(states))}"
    beats.goes_on(more)


def moment_id(m):
    return f"{m[0]}+{m[1]}ms" if m[0] == "dlv" else m[0]


@pytest.mark.parametrize("moment", ATTACH_MOMENTS, ids=moment_id)
def test_sigkill_attach(moment, dlv, heartbeat, tmp_path):
    with harness.start_example(heartbeat, tmp_path / "truth.json") as ex:
        beats = Beats(ex)
        run_and_stop(["--dlv", dlv, "--attach", ex.pid, "dump", "main.Wide", "--entries"],
                     tmp_path / "tmp", moment, signal.SIGKILL, target=ex.pid)
        check_running(ex.pid, beats)


def test_sigkill_attach_waiting_for_break(dlv, heartbeat, tmp_path):
    """Killed while dlv runs the attached program to --break main.rare (called every
    2 s): dlv, told by SIGTERM, takes its breakpoint out as it detaches; the program
    then runs through main.rare (a breakpoint left in would kill it with SIGTRAP)."""
    with harness.start_example(heartbeat, tmp_path / "truth.json") as ex:
        beats = Beats(ex)
        run_and_stop(["--dlv", dlv, "--attach", ex.pid, "--break", "main.rare", "dump",
                      "main.Wide"], tmp_path / "tmp", ("running-traced", 0), signal.SIGKILL,
                     target=ex.pid)
        check_running(ex.pid, beats, more=50)     # 2.5 s: main.rare comes on the way


@pytest.mark.parametrize("moment", EXEC_MOMENTS, ids=moment_id)
def test_sigkill_exec(moment, dlv, heartbeat, tmp_path):
    token = tmp_path / "exec-truth.json"
    run_and_stop(["--dlv", dlv, "--exec", heartbeat, "--break", "main.beat", "dump",
                  "main.Wide", "--entries", "--", token], tmp_path / "tmp", moment,
                 signal.SIGKILL)
    assert not procs_with(str(token)), "the program of --exec outlived gomap-dlv"


@pytest.mark.parametrize("ms", [0, 10, 35])
def test_ctrl_c_while_attaching(ms, dlv, heartbeat, tmp_path):
    with harness.start_example(heartbeat, tmp_path / "truth.json") as ex:
        beats = Beats(ex)
        run_and_stop(["--dlv", dlv, "--attach", ex.pid, "dump", "main.Wide"],
                     tmp_path / "tmp", ("dlv", ms), signal.SIGINT)
        check_running(ex.pid, beats)


def test_normal_run_leaves_nothing(dlv, heartbeat, tmp_path):
    """A whole dump: the watchdog ends with gomap-dlv, the program runs on."""
    with harness.start_example(heartbeat, tmp_path / "truth.json") as ex:
        beats = Beats(ex)
        before = set(harness.descendants(os.getpid()))
        r = subprocess.run([sys.executable, "-m", "delve_bridge.cli", "--dlv", dlv, "--attach",
                            str(ex.pid), "dump", "main.Wide"], capture_output=True, text=True,
                           cwd=harness.REPO, timeout=300, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr
        assert re.search(r"used\s+20,000", r.stdout), r.stdout
        assert_nothing_left(before, "a normal run")
        check_running(ex.pid, beats)
