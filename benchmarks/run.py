"""Benchmarks: gomap against its targets and against Go's runtime-gdb.py, side by side.

    ~/.local/share/gomap/venv/bin/python -m benchmarks.run [--repeats 3] [--quick]

Builds benchmarks/progs with Go 1.23.9 (classic maps) and 1.26.6 (swiss
maps), runs each under gdb to main.checkpoint and times, in the same gdb
session, gomap-dump, gomap's printer and runtime-gdb.py's printer on the
same maps.  Then the gomap CLI on a core of the same process (time and peak
memory) and, for the Go releases Delve debugs (1.25 and later), Delve's own
``print`` of the 100k map on that core with its limits raised (time, peak
memory, ratio); the DWARF
index of a large binary (cmd/go, cold and from the cache), and gdb's start-up
with and without gomap.  Prints medians, min-max and ratios as a table.
Timings are measured here, never asserted in tests.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests import harness, toolchains

HERE = Path(__file__).resolve().parent
BIGMAPS = HERE / "progs" / "bigmaps"
VERSIONS = {"1.23.9": "classic", "1.26.6": "swiss"}


def fmt(ts):
    return f"{statistics.median(ts):8.3f} s  ({min(ts):.3f}-{max(ts):.3f})"


def gdb_session_times(binary, goroot, repeats, work):
    """Time gomap-dump and runtime-gdb.py in one gdb session at main.checkpoint."""
    plan = [
        ("gomap-dump --json, 1M map[int64]int64", f"gomap-dump main.GBig --json -o {work}/big.json",
         repeats),
        ("gomap-dump summary, 1M map[int64]int64", "gomap-dump main.GBig -o /dev/null", repeats),
        ("gomap-dump --json, 1M map[string]string",
         f"gomap-dump main.GStrs --json -o {work}/strs.json", repeats),
        ("gomap-dump --json, 100k map[int64]int64",
         f"gomap-dump main.GMid --json -o {work}/mid.json", repeats),
        # gomap's printer: runtime-gdb.py was sourced after gomap in a batch session
        # (no prompt), so 'set gomap pretty-print on' puts gomap's first again.
        ("", "set gomap pretty-print on", 0),
        ("", "set print elements 200", 0),
        ("gomap print (200 elements), 1M map[int64]int64", "print main.GBig", repeats),
        ("", "set print elements unlimited", 0),
        ("gomap print, 100k map[int64]int64", "print main.GMid", 1),
        ("", "set gomap pretty-print off", 0),
        ("runtime-gdb.py print, 100k map[int64]int64", "print main.GMid", 1),
    ]
    plan_file, out_file = work / "plan.json", work / "times.json"
    plan_file.write_text(json.dumps(plan))
    cmds = ["set startup-with-shell on", "break main.checkpoint", "run > /dev/null",
            f"source {goroot}/src/runtime/runtime-gdb.py", "set print elements unlimited",
            "set print repeats unlimited", "set pagination off",
            f"source {HERE / 'gdb_timing.py'}", f"gcore {work}/bench.core", "kill"]
    env = {"GOMAP_BENCH_PLAN": str(plan_file), "GOMAP_BENCH_OUT": str(out_file)}
    harness.gdb_batch([str(binary)], cmds, timeout=3600, env=env)
    return json.loads(out_file.read_text())


def timed_peak(argv, stdin=None):
    """(seconds, peak RSS in MB of the command alone, CompletedProcess) of ``argv``
    run in a fresh process (harness.PEAK_LAUNCHER: its own high-water mark, not
    this process's); the seconds include the launcher's start (about 20 ms)."""
    t = time.perf_counter()
    r = subprocess.run(harness.peak_argv(argv, limit=32 << 30), capture_output=True,
                       text=True, cwd=harness.REPO, input=stdin)
    secs = time.perf_counter() - t
    err, peak = harness.split_peak(r.stderr)
    r.stderr = err
    return secs, (peak or 0) / 1024, r


def cli_on_core(binary, core, expr, out):
    """(seconds, peak RSS in MB) of `gomap dump --core ... --json` in a fresh process."""
    secs, peak, r = timed_peak([sys.executable, "-m", "gdb_gomap.cli.main", "dump", "--core",
                                str(core), "--exe", str(binary), expr, "--json", "-o",
                                str(out)])
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return secs, peak


DLV = toolchains.CACHE / "bin" / "dlv"


def delve_print(binary, core, expr):
    """(seconds, peak MB, entries printed) of Delve's own ``print EXPR`` on a core,
    with its limits raised so that it prints every entry (Delve debugs Go >= 1.25)."""
    cmds = "config max-array-values 1000000000\nconfig max-string-len 1000000\n" \
           f"print {expr}\nexit\n"
    secs, peak, r = timed_peak([str(DLV), "core", "--allow-non-terminal-interactive=true",
                                str(binary), str(core)], stdin=cmds)
    return secs, peak, len(re.findall(r"(?m)^\t-?\d+: -?\d+,", r.stdout))


def dwarf_index_times(repeats):
    """Build cmd/go from a toolchain's source and time the first and a cached lookup."""
    go = toolchains.go_binary("1.26.6")
    exe = toolchains.CACHE / "bench" / "cmdgo"
    exe.parent.mkdir(parents=True, exist_ok=True)
    if not exe.exists():
        subprocess.run([str(go), "build", "-o", str(exe), "cmd/go"], check=True,
                       env=toolchains.go_env("1.26.6"), cwd=exe.parent)
    code = ("import sys, time\n"
            "t = time.perf_counter()\n"
            "from gdb_gomap.binary import GoBinary\n"
            "from gdb_gomap.memory import Memory\n"
            "from gdb_gomap.target import Target\n"
            "tg = Target(GoBinary(sys.argv[1]), Memory())\n"
            "addr, t2 = tg.variable('cmd/go/internal/test.passFlagToTest')\n"
            "assert t2.kind == 'map', t2\n"
            "print(time.perf_counter() - t)")
    cold, warm = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, GOMAP_CACHE=cache)
            run = lambda: float(subprocess.run(  # noqa: E731
                [sys.executable, "-c", code, str(exe)], capture_output=True, text=True,
                env=env, cwd=harness.REPO, check=True).stdout)
            cold.append(run())
            warm.append(run())
    return exe.stat().st_size, cold, warm


def startup_times(binary, repeats):
    def one(extra):
        t = time.perf_counter()
        subprocess.run(["gdb", "-nx", "-batch", *extra, str(binary)], capture_output=True,
                       env=harness.gdb_env(), check=True)
        return time.perf_counter() - t
    plain = [one([]) for _ in range(repeats)]
    loaded = [one(["-ex", f"source {harness.GDBINIT}"]) for _ in range(repeats)]
    return plain, loaded


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="runs per measurement (median)")
    args = ap.parse_args(argv)
    rows = []
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') >> 30} GiB, "
          f"{platform.platform()}, Python {platform.python_version()}")
    for version, layout in VERSIONS.items():
        binary = toolchains.build_example(BIGMAPS, version)
        goroot = toolchains.go_binary(version).parent.parent
        with tempfile.TemporaryDirectory(dir="/tmp") as w:
            work = Path(w)
            t = gdb_session_times(binary, goroot, args.repeats, work)
            tag = f"go{version} ({layout})"
            for label, res in t.items():
                rows.append((tag, label, res["seconds"]))
            ours = statistics.median(t["gomap-dump --json, 100k map[int64]int64"]["seconds"])
            theirs = t["runtime-gdb.py print, 100k map[int64]int64"]
            ok = theirs["entries_printed"] == 100_000 and theirs["errors"] == 0
            rows.append((tag, "  ratio runtime-gdb.py / gomap (100k)",
                         f"{theirs['seconds'][0] / ours:8.1f}x  (runtime-gdb.py printed "
                         f"{theirs['entries_printed']} entries, {theirs['errors']} errors: "
                         f"{'correct' if ok else 'WRONG output'})"))
            core = work / "bench.core"
            cli = {}
            for expr in ("main.GBig", "main.GStrs", "main.GMid"):
                secs, rss = [], []
                for _ in range(args.repeats):
                    s, m = cli_on_core(binary, core, expr, work / "cli.json")
                    secs.append(s)
                    rss.append(m)
                cli[expr] = statistics.median(secs)
                rows.append((tag, f"gomap CLI --core --json {expr} (peak {max(rss):.0f} MB)",
                             secs))
            if DLV.exists() and tuple(map(int, version.split("."))) >= (1, 25):
                s, m, n = delve_print(binary, core, "main.GMid")
                rows.append((tag, f"Delve print, 100k map[int64]int64 (peak {m:.0f} MB)", [s]))
                rows.append((tag, "  ratio Delve / gomap CLI --core (100k)",
                             f"{s / cli['main.GMid']:8.1f}x  (Delve printed {n} entries)"))
            core.unlink()
    size, cold, warm = dwarf_index_times(args.repeats)
    rows.append((f"cmd/go {size / 1e6:.0f} MB", "DWARF index + lookup, cold", cold))
    rows.append((f"cmd/go {size / 1e6:.0f} MB", "DWARF index + lookup, cached", warm))
    plain, loaded = startup_times(toolchains.build_example(BIGMAPS, "1.26.6"), args.repeats + 2)
    rows.append(("gdb start-up", "without gomap", plain))
    rows.append(("gdb start-up", "with gomap loaded", loaded))
    rows.append(("gdb start-up", "  added by gomap",
                 f"{statistics.median(loaded) - statistics.median(plain):8.3f} s"))
    width = max(len(r[1]) for r in rows)
    print(f"\n| {'target':<22} | {'measurement':<{width}} | median (min-max) |")
    print(f"|{'-' * 24}|{'-' * (width + 2)}|------------------|")
    for tag, label, v in rows:
        val = fmt(v) if isinstance(v, list) else v
        print(f"| {tag:<22} | {label:<{width}} | {val} |")


if __name__ == "__main__":
    main()
