"""Run the delete study and write its report.

    python -m gdb_gomap.study --out docs/delete-report [--builds REGEX] [--jobs N]

From a source checkout (it builds ``examples/scenarios`` with the toolchains
of ``tests/toolchains.py``, cached in gomap's cache directory): every scenario on every
optimised build of the matrix runs under ``gdb -batch``; the runs go to
``--work`` (default ``study/`` under the cache directory,
:func:`gdb_gomap.cachedir.cache_dir`) and the report (Markdown, JSON,
HTML and SVG pictures) to ``--out``.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from ..cachedir import cache_dir
from . import analyze, runs, writeup
from .scenarios import RUN_ENV, SCENARIOS

REPO = Path(__file__).resolve().parents[2]
GDBINIT = REPO / "gdb_gomap" / "gdbinit.py"
EXAMPLE = REPO / "examples" / "scenarios"


def _toolchains():
    if not (REPO / "tests" / "toolchains.py").is_file():
        sys.exit("study: run from a source checkout of gomap (it needs tests/toolchains.py "
                 "and examples/scenarios)")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests import toolchains
    return toolchains


def gdb_env():
    """gdb's Python finds the repository first, then this interpreter's packages."""
    paths = [str(REPO), *site.getsitepackages(), sysconfig.get_path("purelib")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(dict.fromkeys(paths)), **RUN_ENV)
    env.pop("DEBUGINFOD_URLS", None)
    return env


def run_one(binary, scenario, out, timeout=900):
    """Run one scenario under gdb into the directory ``out``; return (ok, seconds, tail)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    spec = {"truth": str(out / "truth.json"), "scenario": scenario, "out": str(out),
            "watch": SCENARIOS[scenario].get("watch")}
    (out / "spec.json").write_text(json.dumps(spec))
    argv = ["gdb", "-nx", "-batch", "-ex", "set pagination off", "-ex", f"source {GDBINIT}",
            "-ex", f"python from gdb_gomap.gdb import stepper; stepper.run({str(out / 'spec.json')!r})",
            str(binary)]
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           errors="replace", env=gdb_env(), timeout=timeout,
                           start_new_session=True)
        tail = (p.stdout + p.stderr)[-2000:]
    except subprocess.TimeoutExpired as exc:
        tail = f"timed out after {timeout}s: {exc}"
    (out / "gdb.log").write_text(tail)
    return (out / "done").is_file(), time.monotonic() - t0, tail


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m gdb_gomap.study", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="docs/delete-report", help="where the report goes")
    ap.add_argument("--work", default=str(cache_dir() / "study"),
                    help="where the runs (snapshots, watch logs) go")
    ap.add_argument("--builds", default="", metavar="REGEX",
                    help="only builds whose id matches, e.g. '1.23|1.26'")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2)), help="parallel gdb runs")
    ap.add_argument("--report-only", action="store_true", help="reuse the runs in --work")
    args = ap.parse_args(argv)
    tc = _toolchains()
    builds = [b for b in tc.MATRIX if b.opt == "opt" and re.search(args.builds, b.id)]
    scen = [s for s in args.scenarios.split(",") if s]
    bad = [s for s in scen if s not in SCENARIOS]
    if bad:
        ap.error(f"unknown scenario(s) {bad}; choose from {list(SCENARIOS)}")
    work = Path(args.work)
    t0 = time.monotonic()
    if not args.report_only:
        binaries = {}
        for b in builds:
            print(f"study: building examples/scenarios for {b.id}", flush=True)
            binaries[b] = tc.build_for(EXAMPLE, b)
        jobs = [(b, s) for b in builds for s in scen]
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            futs = {ex.submit(run_one, binaries[b], s, work / b.id / s): (b, s) for b, s in jobs}
            for f in concurrent.futures.as_completed(futs):
                b, s = futs[f]
                ok, secs, tail = f.result()
                print(f"study: {b.id:<28} {s:<11} {'ok' if ok else 'FAILED'} ({secs:.1f}s)",
                      flush=True)
                if not ok:
                    print(tail, file=sys.stderr)
    results = []
    for b in builds:
        loaded = {}
        for s in scen:
            try:
                loaded[s] = runs.load(str(work / b.id / s))
            except FileNotFoundError:
                print(f"study: no run for {b.id} {s}", file=sys.stderr)
        results.append((b.id, loaded, analyze.analyze(loaded, b.id)))
    writeup.write(Path(args.out), results, {"command": "python -m gdb_gomap.study " +
                                            " ".join(argv if argv is not None else sys.argv[1:]),
                                            "seconds": round(time.monotonic() - t0)})
    print(f"study: report in {args.out} ({time.monotonic() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
