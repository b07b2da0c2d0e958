"""The read-only guard every gomap command runs under in gdb.

The second lock behind ``gdb_gomap.exprcheck`` (which refuses an expression
with a side effect before gdb sees it): while a command runs, gdb's
``may-call-functions`` and ``may-write-memory`` are off, so gdb itself
refuses a call or a write; the user's settings are given back after.
"""

import contextlib

import gdb

# The gdb settings a gomap command turns off while it runs, and gives back after.
READ_ONLY_SETTINGS = ("may-call-functions", "may-write-memory")
_user_settings = []   # per read_only() scope running: {setting: True} for each turned off


def _setting(name):
    try:
        return gdb.parameter(name)
    except (gdb.error, RuntimeError):   # a gdb without the setting
        return None


def _set(name, on):
    """Set a boolean gdb setting; False when gdb refuses."""
    try:
        gdb.execute(f"set {name} {'on' if on else 'off'}", to_string=True)
        return True
    except gdb.error:
        return False


@contextlib.contextmanager
def read_only():
    """Forbid gdb to call functions in the target or write its memory while a command runs.

    With ``may-call-functions`` and ``may-write-memory`` off, gdb itself
    refuses (``gomap-dump --type T 'f()'``, an assignment).  gomap only
    reads.  Each setting the user had on is turned on again afterwards, also
    after an error or Ctrl-C; one the user had off stays off.  gdb 13 accepts
    both settings in every state (no process, a core, attached, running in
    non-stop mode); were it to refuse one, the expression check still holds.
    """
    turned_off = {}
    _user_settings.append(turned_off)
    try:
        for name in READ_ONLY_SETTINGS:
            if _setting(name):
                turned_off[name] = True     # noted first: an interrupt here still restores
                if not _set(name, False):
                    del turned_off[name]
        yield
    finally:
        _user_settings.remove(turned_off)
        for name in turned_off:
            _set(name, True)


def user_setting(name):
    """The user's own value of a boolean gdb setting, also inside ``read_only``."""
    if any(name in scope for scope in _user_settings):
        return True
    return _setting(name)


@contextlib.contextmanager
def breakpoint_writes():
    """Inside ``read_only``: the user's own ``may-write-memory`` while gdb inserts
    and removes breakpoints (``gomap-watch``), which it does by writing memory.

    No user expression is evaluated in this scope; the breakpoints are gdb's
    own, taken out again when the program stops and deleted at the end."""
    lifted = bool(_user_settings) and _user_settings[-1].get("may-write-memory", False)
    if lifted:
        _set("may-write-memory", True)
    try:
        yield
    finally:
        if lifted:
            _set("may-write-memory", False)
