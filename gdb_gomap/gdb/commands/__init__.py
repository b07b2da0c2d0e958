"""The gdb commands gomap adds, one module each, and ``register()``, which makes them.

Each module declares its command with ``gdb_gomap.gdb.command.Command``: a
parser and a ``run(args)`` (``declare()`` returns the gdb object).
``register()`` also makes the settings (``gdb_gomap.gdb.settings``).
"""

from .. import settings
from . import diff, dump, list, snap, watch

# gdb does not keep Python objects of parameters alive; a collected one
# crashes gdb when read.  Everything registered is kept here.
_registered = []


def register():
    """Create the commands and settings (once per gdb session)."""
    if _registered:
        return
    _registered.extend(settings.make())
    _registered.extend(m.declare() for m in (dump, list, snap, diff, watch))
