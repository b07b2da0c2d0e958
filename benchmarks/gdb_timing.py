# Sourced inside gdb by benchmarks/run.py: time gdb commands in this session.
# Reads GOMAP_BENCH_PLAN (JSON: [[label, command, repeats], ...]; repeats 0: a
# setting, run once and not timed) and writes GOMAP_BENCH_OUT (JSON: {label:
# {"seconds": [...], "output_bytes": n, "entries_printed": n, "errors": n}}).
import json
import os
import time

import gdb

_plan = json.load(open(os.environ["GOMAP_BENCH_PLAN"]))
_results = {}
for _label, _cmd, _reps in _plan:
    if _reps == 0:
        gdb.execute(_cmd)
        continue
    _times = []
    _out = ""
    for _ in range(_reps):
        _t0 = time.perf_counter()
        _out = gdb.execute(_cmd, to_string=True)
        _times.append(time.perf_counter() - _t0)
    _results[_label] = {"seconds": _times, "output_bytes": len(_out),
                        "entries_printed": _out.count("] = "),
                        "errors": _out.count("error reading variable") +
                        _out.count("Cannot access memory")}
json.dump(_results, open(os.environ["GOMAP_BENCH_OUT"], "w"))
