"""Which scenarios the study runs, and what it watches in each.

This is configuration, not findings: the names match ``examples/scenarios``
(``scenarios TRUTH.json NAME``), and ``watch`` says which map the study
follows with gomap-watch after which checkpoints.
"""

SCENARIOS = {
    "deleteall": {},
    "deletehalf": {},
    "kinds": {},
    "clear": {},
    "churn": {"watch": {"map": "main.MChurn", "events": "grow,evacuate,split,prune,clear",
                        "after_steps": list(range(1, 13))}},
    "grow": {"watch": {"map": "main.MGrow", "events": "grow,evacuate,split,prune",
                       "after_steps": [1]}},
}

# The environment every scenario runs in: without async preemption, gdb
# reports each breakpoint hit exactly once (see gdb_gomap.gdb.watcher).
RUN_ENV = {"GODEBUG": "asyncpreemptoff=1"}
