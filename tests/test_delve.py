"""The Delve bridge (issue 5): gomap-dlv against a real dlv on examples/mapstates.

- every build of the matrix is started under dlv (``--exec`` to a breakpoint
  at main.checkpoint); each map's snapshot must equal the program's own
  truth and Delve's own ``print`` of the map; builds of a Go release the
  pinned Delve refuses are skipped with Delve's one-line refusal;
- on one core file per build of CORE_BUILDS, ``gomap-dlv --core`` must give
  the JSON (and text) ``gomap-dump`` gives in gdb on the same core;
- ``--attach`` leaves the program running, ``--connect`` leaves the user's dlv
  running, Ctrl-C / SIGTERM / SIGKILL of gomap-dlv leave no dlv and no exec'd
  program behind, and every user error is one line.

Nothing is mocked: real dlv (the pinned release, installed into the cache if
missing), real gdb, real Go builds.
"""

import base64
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter

import pytest

from delve_bridge import install
from delve_bridge.session import open_session
from gdb_gomap import options
from gdb_gomap.binary import GoBinary
from gdb_gomap.errors import GomapError
from gdb_gomap.render.jsonout import write_json
from tests import harness, toolchains
from tests.mapcheck import canon, compare, truth_entries
from tests.test_dump import GLOBALS, LOCALS, _dump_cmds, _fname

EXAMPLE = harness.REPO / "examples" / "mapstates"

# The core comparison with gdb: one optimised and one unoptimised build per map
# layout (classic; swiss; swiss with split groups), not the whole matrix: each
# core is ~1.2 GB and the exec tests already cover every build Delve accepts.
CORE_BUILDS = [b for b in toolchains.MATRIX if (b.version, b.experiment, b.opt) in {
    ("1.25.5", "noswissmap", "opt"), ("1.25.5", "noswissmap", "noopt"),
    ("1.26.6", "", "opt"), ("1.27.3", "", "noopt"),
    ("1.27.3", "mapsplitgroup", "opt"), ("1.27.3", "mapsplitgroup", "noopt")}]
# Maps also dumped through the CLI (one process, one dlv each).
CLI_MAPS = ["main.GInt", "main.GStr", "main.GGrowing", "main.GDir", "main.GVals",
            "main.GSrv.shards[1]", "main.GNil"]

# reflect.Kind numbers of api.Variable.kind
BOOL, INT, INT64, UINT, UINTPTR, FLOAT32, FLOAT64, STRING, STRUCT = 1, 2, 6, 7, 12, 13, 14, 24, 25
LOAD_ALL = {"FollowPointers": True, "MaxVariableRecurse": 1, "MaxStringLen": 1 << 16,
            "MaxArrayValues": 0, "MaxStructFields": -1}


def gomap_dlv(*args, timeout=300, env=None):
    """Run gomap-dlv (``python -m delve_bridge.cli``); the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "delve_bridge.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=harness.REPO,
                          env=env, stdin=subprocess.DEVNULL)


def one_line(r):
    """The error line of a failed run; fails unless it is exactly one line, no traceback."""
    err = r.stderr.strip()
    assert r.returncode != 0, (r.stdout[-500:], r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    assert len(err.splitlines()) == 1, err
    return err


def dump_args(*argv):
    """DumpOptions and Limits exactly as ``gomap-dump X ARGV`` builds them."""
    a = options.dump_parser().parse_args(["x", *argv])
    return options.dump_options_from(a), options.limits_from(a)


def snapshot_json(session, expr, frame=0, *argv):
    opts, limits = dump_args(*argv)
    parts = []
    write_json(session.dump(expr, opts, limits, frame=frame), parts.append)
    return json.loads("".join(parts))


def procs_with(token):
    """Pids of live processes whose command line contains ``token``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if token.encode() in cmd and state != "Z":
            found.append(int(entry))
    return found


def wait_gone(token, timeout=15):
    deadline = time.monotonic() + timeout
    while procs_with(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    return procs_with(token)


# --- Delve's own print of a map, the oracle for entries ---------------------------

class Unsupported(Exception):
    """A value this converter does not turn into gomap's JSON form."""


def delve_value(v):
    if v.get("unreadable"):
        raise Unsupported(v["unreadable"])
    k = v["kind"]
    if k == BOOL:
        return v["value"] == "true"
    if INT <= k <= UINTPTR:
        return int(v["value"])
    if k in (FLOAT32, FLOAT64):
        f = float(v["value"])
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "+Inf" if f > 0 else "-Inf"
        return f
    if k == STRING:
        raw = base64.b64decode(v["StringValueBytes"]) if v.get("StringValueBytes") else \
            v["value"].encode()
        if len(raw) != v["len"]:
            raise Unsupported("string truncated by Delve")
        return raw.decode()
    if k == STRUCT and v.get("realType") == "struct {}":
        return {}
    raise Unsupported(v.get("type"))


# Where Delve's own print of a map is wrong (gomap agrees with the program's truth
# there; see docs/delve.md).  (layout, map) -> why.  The comparison with Delve is
# waived for these, not the comparison with the truth.
DELVE_KNOWN_WRONG = {
    ("classic", "main.GSameSize"):
        "Delve's classic iterator assumes every grow doubles (oldmask = 2^(B-1)-1) and "
        "skips the unevacuated old buckets of a same-size grow",
    ("classic", "main.GEmptyStruct"):
        "Delve's classic iterator rejects a zero-size key (keys array of length 0 vs 8 "
        "tophashes: 'inconsistent array length in bucket') and prints no entry",
}


def delve_entries(client, expr, frame=0):
    """Delve's ``print`` of the map as gomap-style entries, or None if its types are
    not simple (ints, floats, strings, bools, struct{})."""
    cfg = dict(LOAD_ALL, MaxArrayValues=1)
    n = client.eval(expr, frame=frame, cfg=cfg)["len"]
    var = client.eval(expr, frame=frame, cfg=dict(LOAD_ALL, MaxArrayValues=max(n, 1)))
    kids = var["children"]
    try:
        return [{"key": delve_value(kids[i]), "value": delve_value(kids[i + 1])}
                for i in range(0, len(kids), 2)]
    except Unsupported:
        return None


def check_against_delve(client, expr, snap, frame=0):
    """Problems comparing the snapshot's entries with Delve's print; None if not comparable."""
    want = delve_entries(client, expr, frame)
    if want is None or (snap["layout"], expr) in DELVE_KNOWN_WRONG:
        return None
    a = Counter(canon(e) for e in want)
    b = Counter(canon(e) for e in truth_entries(snap))
    if a == b:
        return []
    return [f"{expr}: entries differ from Delve's print: {sum((a - b).values())} only in "
            f"Delve e.g. {list((a - b).elements())[:2]}, {sum((b - a).values())} only in "
            f"gomap e.g. {list((b - a).elements())[:2]}"]


# --- every build under dlv exec ----------------------------------------------------

def _stackmaps_frame(client):
    for i, fr in enumerate(client.stacktrace()):
        if (fr.get("function") or {}).get("name") == "main.stackMaps":
            return i
    return None


@pytest.mark.parametrize("build", toolchains.MATRIX, ids=lambda b: b.id)
def test_exec_to_breakpoint(build, dlv, tmp_path):
    """gomap-dlv --exec --break: the CLI's JSON, every map of the library session, the
    locals of main.stackMaps: equal to the truth and to Delve's print."""
    binary = toolchains.build_for(EXAMPLE, build)
    truth_path = tmp_path / "truth-cli.json"
    r = gomap_dlv("--dlv", dlv, "--exec", binary, "--break", "main.checkpoint",
                  "dump", "main.GInt", "--json", "--buckets", "--", truth_path)
    if r.returncode != 0:
        line = one_line(r)
        assert "dlv refuses" in line, line
        assert not install.accepts_go(build.version), \
            f"install.GO_RELEASES says Delve takes Go {build.version}, but: {line}"
        pytest.skip(f"Delve {install.DELVE_VERSION} refuses Go {build.version}: {line}")
    assert install.accepts_go(build.version), \
        f"install.GO_RELEASES says Delve refuses Go {build.version}, but it debugged it"
    snap = json.loads(r.stdout)
    problems = compare(json.loads(truth_path.read_text())["maps"]["main.GInt"], snap)
    assert not problems, "CLI: " + "\n".join(problems)
    assert not wait_gone(str(truth_path)), "dlv or the program outlived gomap-dlv --exec"

    truth_path = tmp_path / "truth.json"
    problems, compared = [], 0
    with open_session(exec_path=binary, args=[truth_path], break_at="main.checkpoint",
                      dlv=dlv) as s:
        truth = json.loads(truth_path.read_text())
        assert truth["layout"] == build.layout
        for name in GLOBALS:
            snap = snapshot_json(s, name, 0, "--json", "--buckets")
            assert snap["layout"] == build.layout
            problems += [f"{name}: {p}" for p in compare(truth["maps"][name], snap)]
            d = check_against_delve(s.client, name, snap)
            if d is not None:
                compared += 1
                problems += d
        frame = _stackmaps_frame(s.client)
        assert frame is not None, "main.stackMaps is not on the stack at the checkpoint"
        by_delve = 0
        for key, local in LOCALS.items():
            try:
                snap = snapshot_json(s, local, frame, "--json", "--buckets")
                by_delve += 1
            except GomapError:
                if build.noopt:
                    raise
                # Optimised code: Delve may not locate the local; the same map by the
                # header address the program reports still exercises the bridge.
                t = truth["maps"][key]
                snap = snapshot_json(s, f"{t['address']}:{t['type']}", 0, "--json", "--buckets")
            problems += [f"{key}: {p}" for p in compare(truth["maps"][key], snap)]
        if build.noopt:
            assert by_delve == len(LOCALS)
    assert not problems, "\n".join(problems)
    assert compared >= 15, f"only {compared} maps compared with Delve's print"


# --- the same core file through gdb and through Delve ---------------------------------

@pytest.mark.parametrize("build", CORE_BUILDS, ids=lambda b: b.id)
def test_core_same_as_gdb(build, dlv, gdb_path, tmp_path):
    if not install.accepts_go(build.version):
        pytest.skip(f"Delve {install.DELVE_VERSION} does not debug Go {build.version}")
    binary = toolchains.build_for(EXAMPLE, build)
    core = tmp_path / "example.core"
    gdb_dir = tmp_path / "gdb"
    gdb_dir.mkdir()
    with harness.start_example(binary, tmp_path / "truth.json") as ex:
        harness.gdb_batch(["-p", str(ex.pid)], [f"gcore {core}"], timeout=300)
        truth = ex.truth
    try:
        assert core.exists(), "gdb wrote no core"
        text_cmds = [f"gomap-dump main.GStr --entries --color off -o {tmp_path / 'gdb.txt'}",
                     f"gomap-dump main.GGrowing --buckets --color off -o "
                     f"{tmp_path / 'gdb-buckets.txt'}",
                     f"gomap-dump main.GTomb --svg {tmp_path / 'gdb.svg'}"]
        harness.gdb_batch([str(binary), str(core)],
                          _dump_cmds([(g, g) for g in GLOBALS], gdb_dir) + text_cmds,
                          timeout=300)
        from_gdb = {n: json.loads((gdb_dir / _fname(n)).read_text()) for n in GLOBALS}
        problems = []
        with open_session(core=core, exe=binary, dlv=dlv) as s:
            for name in GLOBALS:
                snap = snapshot_json(s, name, 0, "--json", "--buckets")
                if snap != from_gdb[name]:
                    diff = sorted(k for k in set(snap) | set(from_gdb[name])
                                  if snap.get(k) != from_gdb[name].get(k))
                    problems.append(f"{name}: differs from gdb's in {diff}")
                problems += [f"{name}: {p}" for p in compare(truth["maps"][name], snap)]
                problems += check_against_delve(s.client, name, snap) or []
        assert not problems, "\n".join(problems)

        for name in CLI_MAPS:
            r = gomap_dlv("--dlv", dlv, "--core", core, binary, "dump", name, "--json",
                          "--buckets")
            assert r.returncode == 0, r.stderr
            assert json.loads(r.stdout) == from_gdb[name], f"gomap-dlv --core differs for {name}"
        for view, gdb_file in ((["main.GStr", "--entries"], "gdb.txt"),
                               (["main.GGrowing", "--buckets"], "gdb-buckets.txt")):
            r = gomap_dlv("--dlv", dlv, "--core", core, binary, "dump", *view, "--color", "off")
            assert r.returncode == 0, r.stderr
            assert r.stdout == (tmp_path / gdb_file).read_text(), f"text view {view} differs"
        r = gomap_dlv("--dlv", dlv, "--core", core, binary, "dump", "main.GTomb", "--svg",
                      tmp_path / "dlv.svg")
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "dlv.svg").read_text() == (tmp_path / "gdb.svg").read_text()
        r = gomap_dlv("--dlv", dlv, "--core", core, binary, "list", "--json")
        assert r.returncode == 0, r.stderr
        listing = json.loads(r.stdout)
        assert listing["layout"] == build.layout
        rows = {row["expr"]: row for row in listing["maps"]}
        for name in GLOBALS:
            assert rows[name]["count"] == truth["maps"][name]["len"], name
        assert not procs_with(str(core)), "a dlv on the core outlived gomap-dlv"
    finally:
        core.unlink(missing_ok=True)


# --- attach, connect, interruption ---------------------------------------------------------

NEWEST = next(b for b in reversed(toolchains.MATRIX)
              if not b.experiment and b.opt == "opt" and install.accepts_go(b.version))


@pytest.fixture(scope="module")
def newest_binary():
    return toolchains.build_for(EXAMPLE, NEWEST)


def test_attach_detaches_and_leaves_program_running(dlv, newest_binary, tmp_path):
    with harness.start_example(newest_binary, tmp_path / "truth.json") as ex:
        for name in ("main.GStr", "main.GDir"):
            r = gomap_dlv("--dlv", dlv, "--attach", ex.pid, "dump", name, "--json", "--buckets")
            assert r.returncode == 0, r.stderr
            problems = compare(ex.truth["maps"][name], json.loads(r.stdout))
            assert not problems, "\n".join(problems)
            assert ex.alive(), "gomap-dlv --attach killed the program"
            assert harness.tracer_pid(ex.pid) == 0, \
                "the program is still traced after gomap-dlv --attach"
        r = gomap_dlv("--dlv", dlv, "--attach", ex.pid, "list")
        assert r.returncode == 0, r.stderr
        assert "main.GHuge" in r.stdout
        assert ex.alive()


class HeadlessDlv:
    """A dlv the way a user starts one: --headless --accept-multiclient, on loopback."""

    def __init__(self, dlv, binary, truth, extra=()):
        self.truth = truth
        self.log = open(truth.with_suffix(".dlv.log"), "w+")
        self.proc = subprocess.Popen(
            [dlv, "exec", str(binary), "--headless", "--accept-multiclient", "--api-version=2",
             "--listen=127.0.0.1:0", *extra, "--", str(truth)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while True:
            self.log.seek(0)
            m = re.search(r"API server listening at: (\S+)", self.log.read())
            if m:
                self.address = m.group(1)
                break
            assert self.proc.poll() is None and time.monotonic() < deadline, "dlv did not start"
            time.sleep(0.05)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM, as a user's Ctrl-C: dlv halts the program, kills it and exits."""
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for pid in procs_with(str(self.truth)):
            os.kill(pid, signal.SIGKILL)
        self.log.close()


def test_connect_to_running_dlv(dlv, newest_binary, tmp_path):
    truth_path = tmp_path / "truth.json"
    d = HeadlessDlv(dlv, newest_binary, truth_path)
    try:
        r = gomap_dlv("--connect", d.address, "--break", "main.checkpoint", "dump", "main.GStr",
                      "--json", "--buckets")
        assert r.returncode == 0, r.stderr
        truth = json.loads(truth_path.read_text())
        assert not compare(truth["maps"]["main.GStr"], json.loads(r.stdout))
        r = gomap_dlv("--connect", d.address, "--frame", "1", "dump", "localGrown", "--json",
                      "--buckets")
        assert r.returncode == 0, r.stderr
        assert not compare(truth["maps"]["local:localGrown"], json.loads(r.stdout))
        r = gomap_dlv("--connect", d.address, "list", "--json")
        assert r.returncode == 0, r.stderr
        rows = {row["expr"]: row for row in json.loads(r.stdout)["maps"]}
        assert rows["main.GHuge"]["count"] == truth["maps"]["main.GHuge"]["len"]
        assert rows["frame 1: localGrown"]["count"] == 20
        assert d.alive(), "gomap-dlv --connect ended the user's dlv"
    finally:
        d.stop()


def test_connect_while_program_runs(dlv, newest_binary, tmp_path):
    d = HeadlessDlv(dlv, newest_binary, tmp_path / "truth.json", extra=["--continue"])
    try:
        line = one_line(gomap_dlv("--connect", d.address, "dump", "main.GInt"))
        assert "is running" in line
        assert d.alive()
    finally:
        d.stop()


def _ctrl_c_as_in_a_terminal():
    """SIGINT back to its default action in the child: a test run started in the
    background (nohup, '&') ignores SIGINT, every child inherits that, and a Python
    started with SIGINT ignored rightly keeps ignoring it.  This test is about a
    user's Ctrl-C, so the child gets SIGINT as a terminal session would give it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_interrupted_leaves_nothing_running(how, dlv, newest_binary, tmp_path):
    """gomap-dlv waiting for a breakpoint that never comes (os.Exit), then stopped."""
    truth = tmp_path / "truth.json"
    proc = subprocess.Popen([sys.executable, "-m", "delve_bridge.cli", "--dlv", dlv, "--exec",
                             str(newest_binary), "--break", "os.Exit", "dump", "main.GInt",
                             "--", str(truth)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=harness.REPO, preexec_fn=_ctrl_c_as_in_a_terminal)
    try:
        deadline = time.monotonic() + 60
        while not truth.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert truth.exists(), "the program never ran under dlv"
        time.sleep(0.5)
        assert len(procs_with(str(truth))) >= 2, "expected dlv and the program"
        proc.send_signal(getattr(signal, how))
        # A stop may take up to ~20 s by design (launch.STOP_TIMEOUT, then SIGTERM, then
        # SIGKILL); a loaded machine adds to that.  This checks the outcome, not a time.
        out, err = proc.communicate(timeout=90)
        if how != "SIGKILL":
            assert proc.returncode == 130, err
            assert err.strip() in ("gomap-dlv: interrupted", "gomap-dlv: terminated"), err
        left = wait_gone(str(truth))
        assert not left, f"still running after {how}: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in procs_with(str(truth)):
            os.kill(pid, signal.SIGKILL)


# --- one line for every user error ---------------------------------------------------------

def test_wrong_executable_refused_unless_forced(dlv, newest_binary, tmp_path):
    """--exe of another build (the -N -l one of the same program): refused in one line
    naming both build IDs, through --attach and --connect; --force-exe decodes with a
    warning.  The program is left running."""
    other = toolchains.build_for(EXAMPLE, NEWEST._replace(opt="noopt"))
    ours, theirs = GoBinary(str(other)).gnu_build_id(), GoBinary(str(newest_binary)).gnu_build_id()
    assert ours and theirs and ours != theirs
    with harness.start_example(newest_binary, tmp_path / "truth.json") as ex:
        line = one_line(gomap_dlv("--dlv", dlv, "--attach", ex.pid, "--exe", other,
                                  "dump", "main.GInt"))
        assert "build ID" in line and "--force-exe" in line and str(other) in line, line
        r = gomap_dlv("--dlv", dlv, "--attach", ex.pid, "--exe", other, "--force-exe",
                      "list", "--json")
        assert r.returncode == 0, r.stderr
        assert any("maps will be wrong" in w for w in json.loads(r.stdout)["warnings"])
        assert ex.alive() and harness.tracer_pid(ex.pid) == 0
    d = HeadlessDlv(dlv, newest_binary, tmp_path / "truth2.json")
    try:
        run = ["--connect", d.address, "--exe", other]
        line = one_line(gomap_dlv(*run, "--break", "main.checkpoint", "dump", "main.GInt"))
        assert ours in line and theirs in line and "--force-exe" in line, line
        r = gomap_dlv(*run, "--force-exe", "list", "--json")
        assert r.returncode == 0, r.stderr
        assert any(ours in w and theirs in w for w in json.loads(r.stdout)["warnings"])
        assert d.alive()
    finally:
        d.stop()


def test_core_of_another_executable_refused_before_dlv(request, tmp_path):
    """--core CORE BINARY where BINARY is another build (bigmap by another Go): gomap's
    own build-ID check refuses it in one line naming both, before any dlv starts
    (dlv would report the build ID of the file it was given)."""
    from tests import fuzz_cores as F
    base = F.make_bases(request.config.cache.mkdir("gomap-cores"), kernel=False)[0]
    other = toolchains.build_example(F.BIGMAP, "1.25.5")
    theirs, ours = (GoBinary(str(p)).build_id() for p in (base.binary, other))
    assert theirs != ours
    line = one_line(gomap_dlv("--dlv", tmp_path / "no-dlv-needed", "--core", base.core, other,
                              "dump", "main.Big"))
    assert "build IDs differ" in line and theirs in line and ours in line, line
    assert "--force-exe" in line and "dlv not found" not in line, line


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_errors_are_one_line(dlv, newest_binary, tmp_path):
    run = ["--dlv", dlv, "--exec", newest_binary, "--break", "main.checkpoint"]
    truth = ["--", tmp_path / "truth.json"]
    assert "not a Go map" in one_line(gomap_dlv(*run, "dump", "main.GSrv.name", *truth))
    assert "main.NoSuch" in one_line(gomap_dlv(*run, "dump", "main.NoSuch", *truth))
    line = one_line(gomap_dlv("--dlv", dlv, "--exec", newest_binary, "--break", "main.nosuch",
                              "dump", "main.GInt", *truth))
    assert "main.nosuch" in line and "not found" in line
    assert "--break" in one_line(gomap_dlv("--dlv", dlv, "--exec", newest_binary, "dump", "x"))
    port = _free_port()
    assert "connection refused" in one_line(gomap_dlv("--connect", f"127.0.0.1:{port}",
                                                      "dump", "main.GInt"))
    assert "loopback" in one_line(gomap_dlv("--connect", "192.0.2.1:4040", "dump", "x"))
    assert "dlv not found" in one_line(gomap_dlv("--dlv", tmp_path / "nodlv", "--exec",
                                                 newest_binary, "--break", "main.checkpoint",
                                                 "dump", "main.GInt"))
    empty = tmp_path / "emptycache"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "GOMAP_DLV"}
    env.update(PATH=str(empty), GOMAP_CACHE=str(empty))
    line = one_line(gomap_dlv("--exec", newest_binary, "--break", "main.checkpoint", "dump",
                              "main.GInt", env=env))
    assert "dlv not found" in line and "delve_bridge.install" in line
    # the hint names the interpreter that has gomap, by its absolute path
    assert f"'{sys.executable} -m delve_bridge.install'" in line, line
    assert "is not a core file" in one_line(gomap_dlv("--dlv", dlv, "--core", newest_binary,
                                                   newest_binary, "dump", "main.GInt"))
    assert not wait_gone(str(tmp_path))


REFUSED = [b for b in toolchains.MATRIX if b.opt == "opt" and not install.accepts_go(b.version)]


@pytest.mark.skipif(not REFUSED, reason="the pinned Delve accepts every Go release of the matrix")
def test_refused_release_one_line_and_override(dlv, tmp_path):
    """Delve's refusal is one line; --no-check-go-version starts it anyway and gomap
    still decodes (the decoders do not depend on Delve's support of the release)."""
    build = REFUSED[-1]
    binary = toolchains.build_for(EXAMPLE, build)
    truth_path = tmp_path / "truth.json"
    line = one_line(gomap_dlv("--dlv", dlv, "--exec", binary, "--break", "main.checkpoint",
                              "dump", "main.GInt", "--", truth_path))
    assert "dlv refuses" in line and "too old" in line and "--no-check-go-version" in line
    r = gomap_dlv("--dlv", dlv, "--no-check-go-version", "--exec", binary, "--break",
                  "main.checkpoint", "dump", "main.GLarge", "--json", "--buckets", "--",
                  truth_path)
    assert r.returncode == 0, r.stderr
    truth = json.loads(truth_path.read_text())
    assert not compare(truth["maps"]["main.GLarge"], json.loads(r.stdout))


def test_install_reports_pinned_dlv(dlv):
    r = subprocess.run([sys.executable, "-m", "delve_bridge.install", "--path"],
                       capture_output=True, text=True, cwd=harness.REPO, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == dlv
    assert install.dlv_version(dlv) == install.DELVE_VERSION
