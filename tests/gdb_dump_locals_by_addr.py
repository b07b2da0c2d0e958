# Run inside gdb by tests/test_dump.py: dump each stack map of the example by the
# header address and type its truth file reports (gomap-dump ADDRESS:TYPE).
import json
import os

import gdb

_truth = json.load(open(os.environ["GOMAP_TEST_TRUTH"]))
for _name, _m in _truth["maps"].items():
    if _name.startswith("local:") and _m.get("address"):
        _out = os.path.join(os.environ["GOMAP_TEST_OUT"],
                            _name.replace(":", "_") + "_addr.json")
        gdb.execute(f"gomap-dump {_m['address']}:{_m['type']} --json --buckets -o {_out}")
