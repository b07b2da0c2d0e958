"""Run a scenario program to each checkpoint and snapshot its maps (for the study).

Used by ``python -m gdb_gomap.study`` inside ``gdb -batch``::

    python from gdb_gomap.gdb import stepper; stepper.run("/path/spec.json")

The spec says which program to run and where to write: ``truth`` (the file
the program writes its truth to), ``scenario`` (its name), ``out`` (a
directory), and optionally ``watch``: {"map", "events", "after_steps"}.
The program stops at each ``main.step(n)``; at every stop each map the truth
names for that step is snapshotted with gomap-snap's decode (bucket detail
and raw cells) into ``out/step<n>/<map>.json``.  After the steps listed in
``watch.after_steps`` the run goes on under ``gomap-watch`` to the next
checkpoint, logging to ``out/watch-<n>.json``.
"""

import json
import os

import gdb

from . import snapstore
from .evaluate import resolve
from .program import current_target


def _step_number():
    try:
        return int(gdb.parse_and_eval("n"))
    except gdb.error:
        return None


def _alive():
    return bool(gdb.selected_inferior().pid)


def _snapshot_all(n, truth_path, out):
    with open(truth_path) as f:
        truth = json.load(f)
    step = next((s for s in truth["steps"] if s["step"] == n), None)
    if step is None:
        return
    target = current_target()
    d = os.path.join(out, f"step{n}")
    os.makedirs(d, exist_ok=True)
    for name in sorted(step["maps"]):
        mt, addr = resolve(target, [name], None)
        snap = snapstore.take(target, mt, addr)
        with open(os.path.join(d, f"{name}.json"), "w") as f:
            json.dump(snap, f)


def run(spec_path):
    """Run the scenario of the spec file to its end, snapshotting at every checkpoint."""
    with open(spec_path) as f:
        spec = json.load(f)
    out, truth = spec["out"], spec["truth"]
    watch = spec.get("watch") or {}
    gdb.execute("break main.step", to_string=True)
    gdb.execute(f"run {truth} {spec['scenario']} > /dev/null", to_string=True)
    last = None
    while _alive():
        n = _step_number()
        if n is None or n == last:
            # Not at a checkpoint, or the same one reported again (see gomap-watch).
            gdb.execute("continue", to_string=True)
            continue
        last = n
        _snapshot_all(n, truth, out)
        if n in watch.get("after_steps", ()):
            log = os.path.join(out, f"watch-{n}.json")
            gdb.execute(f"gomap-watch {watch['map']} --events {watch['events']} "
                        f"--count {watch.get('count', 100000)} -o {log}", to_string=True)
        else:
            gdb.execute("continue", to_string=True)
    with open(os.path.join(out, "done"), "w") as f:
        f.write(f"ok {last}\n")
