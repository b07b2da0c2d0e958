"""The file gdb sources to load gomap: ``source .../gdb_gomap/gdbinit.py``.

It puts the directory holding the ``gdb_gomap`` package first on ``sys.path``
(the venv's site-packages after ``install.sh``, the repository root in a
source checkout), then registers the gdb commands.  ``site.addsitedir`` is
used so the ``.pth`` files of an installed venv are honoured too.

A failure to load is one line on gdb's stderr, never a traceback (set
``GOMAP_DEBUG=1`` to get the traceback), and gdb carries on: the rest of the
user's ``~/.gdbinit`` still runs.  Auto-load settings are not touched.
"""


def _gomap_load():
    """Put gdb_gomap's parent directory first on sys.path and register the commands."""
    import os
    import site
    import sys

    import gdb

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    site.addsitedir(root)  # root is already on sys.path: this only runs its .pth files
    try:
        from gdb_gomap.gdb import commands

        commands.register()
    except Exception as exc:  # any failure to load is reported in one line
        if os.environ.get("GOMAP_DEBUG") == "1":
            raise
        first = (str(exc).splitlines() or [""])[0]
        gdb.write(f"gomap: could not load ({type(exc).__name__}: {first}); "
                  "run install.sh again\n", gdb.STDERR)


# gdb runs this file in its __main__ namespace: leave nothing behind there.
try:
    _gomap_load()
finally:
    del _gomap_load
