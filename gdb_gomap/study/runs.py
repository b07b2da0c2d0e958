"""What one scenario run left on disk: the truth, the snapshots, the watch logs.

Layout of a run directory (written by ``gdb_gomap.gdb.stepper``)::

    truth.json                  the program's own truth
    step<N>/<map>.json          a snapshot per map per checkpoint
    watch-<N>.json              gomap-watch logs, from checkpoint N to the next
"""

import json
import os
import re
from dataclasses import dataclass, field


@dataclass
class Run:
    """One scenario on one build."""
    path: str
    truth: dict
    snaps: dict = field(default_factory=dict)    # step -> {map name: snapshot}
    watch: dict = field(default_factory=dict)    # step -> watch log

    @property
    def scenario(self):
        return self.truth["scenario"]

    def steps(self):
        return [s["step"] for s in self.truth["steps"]]

    def step(self, n):
        return next(s for s in self.truth["steps"] if s["step"] == n)

    def snap(self, n, name):
        return self.snaps.get(n, {}).get(name)

    def events(self):
        """Every watch event of the run in order, with the checkpoint it followed."""
        out = []
        for n in sorted(self.watch):
            for ev in self.watch[n]["events"]:
                out.append(dict(ev, after_step=n))
        return out


def load(path):
    """Load a run directory; raises FileNotFoundError when it has no truth."""
    with open(os.path.join(path, "truth.json")) as f:
        run = Run(path, json.load(f))
    for name in os.listdir(path):
        m = re.fullmatch(r"step(\d+)", name)
        if m:
            d = os.path.join(path, name)
            run.snaps[int(m.group(1))] = {
                f[:-5]: _read(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".json")}
        m = re.fullmatch(r"watch-(\d+)\.json", name)
        if m:
            run.watch[int(m.group(1))] = _read(os.path.join(path, name))
    return run


def _read(p):
    with open(p) as f:
        return json.load(f)
