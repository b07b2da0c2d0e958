"""Bad input and a target that misbehaves (issue 8): every failure is one line
that names the problem and what to do; a process killed while gomap reads it
is reported as gone; gomap calls no function in the target and leaves it
running correctly; a gdb without Python survives the ~/.gdbinit line; and the
harness kills whatever a test leaves running.

The errors already checked elsewhere are not repeated here: unknown variable,
not a map, nil map, unreadable address and no process in gdb
(test_gdb_interactive.py); -w binary, non-Go binary, truncated core, core of
another binary, pid gone and ptrace refused with the CLI (test_postmortem.py).
"""

import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from gdb_gomap.backends.process import process_gone
from tests import harness, toolchains

BIGMAP = harness.REPO / "tests" / "progs" / "bigmap"
GO_VERSION = "1.26.6"


def gomap(*args, timeout=300):
    return harness.gomap(*args, timeout=timeout)


def _one_line(r, *words):
    """The CLI failed with exactly one line on stderr holding every word."""
    err = r.stderr.strip()
    assert r.returncode != 0, (r.stdout[-500:], r.stderr)
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, err
    return err


def _gdb_errors(res, commands):
    """The gomap error lines of a gdb batch run: one per command, no traceback."""
    text = res.stdout + res.stderr
    assert "Traceback" not in text and "internal error" not in text, text[-3000:]
    lines = [l for l in res.stderr.splitlines() if l.startswith("gomap:")]
    assert len(lines) == commands, res.stderr[-3000:]
    return lines


@pytest.fixture(scope="module")
def bigmap():
    return toolchains.build_example(BIGMAP, GO_VERSION)


@pytest.fixture(scope="module")
def nodwarf(tmp_path_factory):
    """bigmap linked with -ldflags=-w (no DWARF) and with -s (no symbols either)."""
    go = toolchains.go_binary(GO_VERSION)
    d = tmp_path_factory.mktemp("nodwarf")
    out = {}
    for flag in ("-w", "-s"):
        out[flag] = d / f"bigmap{flag}"
        subprocess.run([str(go), "build", f"-ldflags={flag}", "-o", str(out[flag]), "."],
                       cwd=BIGMAP, env=toolchains.go_env(GO_VERSION), check=True,
                       capture_output=True)
    return out


@pytest.fixture
def bad_files(tmp_path, bigmap):
    """Files that are not a whole Go executable, with the words the error must say."""
    text = tmp_path / "notes.txt"
    text.write_text("not a program\n")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    data = bigmap.read_bytes()
    cut_early = tmp_path / "cut-early"
    cut_early.write_bytes(data[:len(data) // 10])
    cut_late = tmp_path / "cut-late"
    cut_late.write_bytes(data[:len(data) * 99 // 100])
    return [(text, ["not an ELF file"]), (empty, ["not an ELF file"]),
            (tmp_path, ["cannot open executable", "directory"]),
            (cut_early, ["truncated", "whole Go executable"]),
            (cut_late, ["truncated", "whole Go executable"])]


# --- bad input ------------------------------------------------------------------------

def test_cli_rejects_what_is_not_a_go_executable(bad_files, bigmap, tmp_path):
    for path, words in bad_files:
        _one_line(gomap("dump", "--core", "/dev/null", "--exe", path, "main.Big"), *words)
    notes = bad_files[0][0]
    _one_line(gomap("dump", "--core", notes, "--exe", bigmap, "main.Big"),
              "not an ELF core file")
    _one_line(gomap("list", "--core", bad_files[3][0], "--exe", bigmap), "not a core file")


def test_cli_binary_without_dwarf(nodwarf):
    for flag, binary in nodwarf.items():
        with harness.start_example(binary, args=[1000]) as ex:
            _one_line(gomap("dump", "--pid", ex.pid, "main.Big"), "no DWARF", "-ldflags=-w")
            _one_line(gomap("list", "--pid", ex.pid), "no DWARF")
            assert ex.alive()


def test_cli_unreadable_address_and_unknown_type(bigmap):
    with harness.start_example(bigmap, args=[1000]) as ex:
        _one_line(gomap("dump", "--pid", ex.pid, "0x10:map[int64]string"), "cannot read",
                  "0x10")
        _one_line(gomap("dump", "--pid", ex.pid, "0xc000010000:map[nosuch]int"),
                  "no type named")
        r = gomap("dump", "--pid", ex.pid, "main.Big", "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["count"] == 1000, r.stderr


def test_gdb_file_that_is_not_a_go_executable(bad_files, gdb_path):
    notes = bad_files[0][0]
    res = harness.gdb_batch([], [f"file {notes}", "gomap-dump main.Big", "gomap-list"])
    assert "not in executable format" in res.stderr
    _gdb_errors(res, 2)


def test_gdb_process_that_is_not_go(gdb_path):
    sleeper = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL)
    try:
        res = harness.gdb_batch(["-p", str(sleeper.pid)],
                                ["gomap-dump main.Big", "gomap-list", "gomap-dump 0x10:map[int]int"])
        for line in _gdb_errors(res, 3):
            assert "not a Go program" in line, line
        assert sleeper.poll() is None, "gdb and gomap did not leave the process running"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_gdb_go_binary_without_dwarf(nodwarf, gdb_path):
    for flag, binary in nodwarf.items():
        with harness.start_example(binary, args=[1000]) as ex:
            res = harness.gdb_batch(["-p", str(ex.pid)], ["gomap-dump main.Big", "gomap-list"])
            for line in _gdb_errors(res, 2):
                assert "no DWARF" in line and "-ldflags=-w" in line, line
            assert ex.alive()


# --- a process that is killed while gomap reads it -----------------------------------

ENTRIES = 600_000


def _race(bigmap, run, attempts, delays):
    """Kill bigmap at a random moment while ``run(pid)`` (a Popen) reads it.

    Returns the outcomes as (delay, returncode, stdout, stderr); stops after the
    first kill that landed while gomap was reading."""
    rnd = random.Random(8)
    outcomes = []
    for _ in range(attempts):
        with harness.start_example(bigmap, args=[ENTRIES], timeout=120) as ex:
            proc = run(ex.pid)
            # gomap's output is read while it runs, as a shell pipe would: a streamed
            # --json keeps the process stopped until its last entry is written, and
            # a killed process cannot be reaped while gomap still traces it.
            got = {}
            reader = threading.Thread(target=lambda: got.update(
                zip(("out", "err"), proc.communicate(timeout=120))), daemon=True)
            reader.start()
            try:
                delay = rnd.uniform(*delays)
                time.sleep(delay)
                ex.kill()
                reader.join(timeout=130)
            finally:
                if proc.poll() is None:
                    harness.kill_tree(proc.pid)
                    reader.join(timeout=30)
        out, err = got.get("out", ""), got.get("err", "")
        outcomes.append((delay, proc.returncode, out, err))
        if "exited during the read" in err:
            break
    return outcomes


def test_cli_process_killed_during_a_dump(bigmap, tmp_path):
    def run(pid):
        return subprocess.Popen([sys.executable, "-m", "gdb_gomap.cli.main", "dump", "--pid",
                                 str(pid), "main.Big", "--json"], cwd=harness.REPO,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    outcomes = _race(bigmap, run, attempts=12, delays=(0.2, 1.5))
    for delay, rc, out, err in outcomes:
        if rc == 0:   # done before the kill: the whole map
            assert json.loads(out)["count"] == ENTRIES and not err.strip(), err
        else:
            assert rc == 1 and len(err.strip().splitlines()) == 1, (delay, rc, err)
            assert "is gone" in err, err
    if not any("exited during the read" in o[3] for o in outcomes):
        pytest.skip(f"no kill landed while gomap read ({len(outcomes)} tries)")


def test_gdb_process_killed_during_a_dump(bigmap, tmp_path, gdb_path):
    out_file = tmp_path / "big.json"

    def run(pid):
        argv = harness.gdb_argv("-ex", f"gomap-dump main.Big --json -o {out_file}",
                                "-ex", "echo gdb-still-here\\n", "-p", str(pid))
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=harness.gdb_env(),
                                start_new_session=True)

    outcomes = _race(bigmap, run, attempts=6, delays=(0.4, 1.6))
    for delay, rc, out, err in outcomes:
        assert "gdb-still-here" in out, (delay, out[-500:], err[-500:])
        assert "Traceback" not in err and "internal error" not in err, err
        mine = [l for l in err.splitlines() if l.startswith("gomap:")]
        # killed while gomap read: "is gone"; before gdb could attach: "not running"
        assert len(mine) <= 1 and all("is gone" in l or "not running" in l for l in mine), mine
    if not any("exited during the read" in o[3] for o in outcomes):
        pytest.skip(f"no kill landed while gomap read ({len(outcomes)} tries)")


# --- read-only: no calls into the target, and it runs on correctly --------------------

def _expect_line(ex, timeout=60):
    """The next line the example prints on stdout."""
    fd, buf = ex.proc.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        assert left > 0 and select.select([fd], [], [], left)[0], f"no line, got {buf!r}"
        chunk = os.read(fd, 1)
        assert chunk, f"the program closed stdout; stderr: {ex.stderr()}"
        buf += chunk
    return buf.decode().strip()


def test_target_runs_on_correctly_after_dumps(bigmap, gdb_path):
    """Dumps by gdb and by gomap --pid, then the program checks its own map."""
    n = 50_000
    with harness.start_example(bigmap, args=[n]) as ex:
        os.kill(ex.pid, signal.SIGUSR1)
        assert _expect_line(ex) == f"OK {n}"
        res = harness.gdb_batch(["-p", str(ex.pid)], [
            "gomap-dump main.Big --buckets --entries --color off -o /dev/null",
            "gomap-dump main.Big --json -o /dev/null", "gomap-list -o /dev/null"])
        assert res.stderr.count("gomap: wrote") == 2 or "gomap:" not in res.stderr, res.stderr
        r = gomap("dump", "--pid", ex.pid, "main.Big", "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["count"] == n, r.stderr
        os.kill(ex.pid, signal.SIGUSR1)
        assert _expect_line(ex) == f"OK {n}", "the map changed under gomap's reads"


def test_gomap_never_lets_gdb_call_a_function(gdb_path):
    """While a gomap command runs, may-call-functions is off: an expression that
    would call into the target is refused; the user's setting comes back after."""
    binary = toolchains.build_for(harness.REPO / "examples" / "mapstates",
                                  next(b for b in toolchains.MATRIX if b.version == GO_VERSION
                                       and b.opt == "opt"))
    call = "\"'main.checkpoint'()\""
    with harness.start_example(binary) as ex:
        res = harness.gdb_batch(["-p", str(ex.pid)], [
            "gomap-dump main.GSmall --color off", "show may-call-functions",
            f"gomap-dump {call}", f"gomap-dump --type map[int64]int64 {call}",
            "show may-call-functions",
            "set may-call-functions off", "gomap-dump main.GSmall --color off",
            "show may-call-functions"])
        assert ex.alive()
    assert res.stdout.count("map[string]int at 0x") == 2, res.stdout[-2000:]
    shows = [l for l in res.stdout.splitlines() if l.startswith("Permission to call")]
    assert shows == ["Permission to call functions in the program is on."] * 2 + \
        ["Permission to call functions in the program is off."], shows
    # gomap's expression check refuses the call before gdb sees it; the
    # may-call-functions lock behind it is probed alone in test_readonly_expr.py.
    refused = [l for l in res.stderr.splitlines() if "has a function call" in l]
    assert len(refused) == 2, res.stderr[-2000:]


# --- a gdb without Python ------------------------------------------------------------------

def _gdbinit_line():
    """The ~/.gdbinit line install.sh writes, for this checkout's gdbinit.py."""
    return "python gdb.execute(%r)  # gomap" % ("source " + str(harness.GDBINIT))


@pytest.fixture(scope="module")
def python_less_gdb():
    """Debian's gdb-minimal (built --without-python); install.sh --dev unpacks it."""
    try:
        gdb = toolchains.gdb_minimal()
    except toolchains.BuildError as exc:
        pytest.skip(f"no gdb without Python here: {exc}")
    r = subprocess.run([str(gdb), "-nx", "-batch", "-ex", "show configuration"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode or "--without-python" not in r.stdout:
        pytest.skip(f"{gdb} does not run here or has Python: {r.stderr.strip()[-300:]}")
    return gdb


def test_gdb_without_python_starts_with_one_error(python_less_gdb, tmp_path, gdb_path):
    """The ~/.gdbinit line on a gdb built without Python: gdb reports the one
    error for that line and starts as usual; the user's lines before it ran."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gdbinit").write_text("set $users_own_line = 42\n" + _gdbinit_line() + "\n")
    env = dict(os.environ, HOME=str(home))
    r = subprocess.run([str(python_less_gdb), "-batch", "-ex", "print $users_own_line",
                        "-ex", "echo gdb-started\\n", "-ex", "print 6 * 7"],
                       capture_output=True, text=True, env=env, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "$1 = 42" in r.stdout and "gdb-started" in r.stdout and "$2 = 42" in r.stdout, \
        r.stdout
    assert r.stderr.splitlines() == [
        f"{home}/.gdbinit:2: Error in sourced command file:",
        "Python scripting is not supported in this copy of GDB."], r.stderr
    # The same ~/.gdbinit in a gdb with Python loads gomap.
    r = subprocess.run(["gdb", "-batch", "-ex", "help gomap-dump"], capture_output=True,
                       text=True, env=harness.gdb_env({"HOME": str(home)}), timeout=60,
                       stdin=subprocess.DEVNULL)
    assert "Usage: gomap-dump EXPR" in r.stdout, r.stdout + r.stderr


# --- the harness leaves nothing behind -------------------------------------------------------

def test_leaked_processes_are_killed_and_fail_the_run(tmp_path, bigmap, gdb_path):
    """A test session that leaves an example and a gdb running fails, naming them,
    and both are killed (conftest.py's session-finish hook)."""
    pids = tmp_path / "pids"
    (tmp_path / "test_leak.py").write_text(textwrap.dedent(f"""
        from tests import harness

        def test_leaves_processes_behind(gdb_path):
            ex = harness.start_example({str(bigmap)!r}, args=[10])
            gdb = harness.gdb_session(None)
            open({str(pids)!r}, "w").write(f"{{ex.pid}} {{gdb.pid}}")
    """))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest",
                        "--rootdir", str(tmp_path), "-c", os.devnull, "-p", "no:cacheprovider",
                        str(tmp_path / "test_leak.py")],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, PYTHONPATH=str(harness.REPO)))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 passed" in r.stdout and "were still alive at the end" in r.stdout, r.stdout
    ex_pid, gdb_pid = map(int, pids.read_text().split())
    assert f"{ex_pid} (bigmap)" in r.stdout and f"{gdb_pid} (gdb)" in r.stdout, r.stdout
    for pid in (ex_pid, gdb_pid):
        assert process_gone(pid), f"process {pid} still runs"
    harness._reap_orphans(harness._proc_table())   # zombies this subreaper inherited
