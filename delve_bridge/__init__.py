"""gomap through Delve: a JSON-RPC (API v2) client, a Memory over ExamineMemory,
and the ``gomap-dlv`` command.

Delve evaluates expressions and reads memory; gomap's core decodes the map
with the executable's DWARF, so the snapshots (and their JSON) are the same
as from gdb or the gomap CLI.  For scripts::

    from delve_bridge import open_session
    with open_session(connect_to="127.0.0.1:4040") as s:
        snap = s.dump("main.cache")

Modules: ``rpc`` (the client), ``memory`` (DelveMemory), ``launch`` (a dlv
of our own, started and stopped), ``session`` (expressions to maps),
``install`` (the pinned Delve), ``cli`` (gomap-dlv).
"""

from .session import DelveSession, open_session

__all__ = ["DelveSession", "open_session"]
