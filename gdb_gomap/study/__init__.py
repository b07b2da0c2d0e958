"""The delete study: what ``delete``, ``clear`` and growth do to Go maps, observed.

Each scenario program of ``examples/scenarios`` runs under gdb on each Go
release; at every checkpoint its maps are snapshotted (with raw cells) and,
in some scenarios, the runtime's write paths are watched between
checkpoints.  ``runs`` loads what a run left on disk, ``analyze`` computes
every answer from those snapshots, their diffs and the watch logs (nothing is
typed in), and ``writeup`` lays the answers out as the report: Markdown, JSON,
HTML and SVG.  ``python -m gdb_gomap.study`` does it all from a source checkout.
"""
