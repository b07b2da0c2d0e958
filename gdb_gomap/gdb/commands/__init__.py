"""The gdb commands gomap adds, one module each, and ``register()``, which makes them.

Each module declares its command with ``gdb_gomap.gdb.command.Command``: a
parser and a ``run(args)`` (``declare()`` returns the gdb object).
``register()`` makes the ``gomap`` prefix, the command of each module in
``COMMANDS`` (which also makes its ``gomap X`` twin), the settings
(``gdb_gomap.gdb.settings``) and the pretty-printers of Go maps
(``gdb_gomap.gdb.printers``).  A new command is a module added to ``COMMANDS``.
"""

from .. import printers, settings
from ..command import Prefix
from . import census, diff, dump, list, snap, watch

# Every command module, in the order 'help gomap' does not care about: each
# declares one command, 'gomap-X', which also makes 'gomap X'.
COMMANDS = [dump, list, snap, diff, watch, census]

# gdb does not keep Python objects of parameters alive; a collected one
# crashes gdb when read.  Everything registered is kept here.
_registered = []


def register():
    """Create the gomap prefix, the commands, the settings and the printers (once per
    gdb session)."""
    if _registered:
        return
    _registered.extend(settings.make())
    _registered.append(Prefix())
    for m in COMMANDS:
        cmd = m.declare()
        _registered.extend((cmd, cmd.twin))
    printers.install()
