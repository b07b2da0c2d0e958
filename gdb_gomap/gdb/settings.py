"""gomap's gdb settings: ``set gomap color auto|on|off``, ``set gomap verbose on|off``
and ``set gomap pretty-print on|off``.

They live under the ``set gomap`` and ``show gomap`` prefixes (``show gomap``
alone shows them all).  The older one-word names ``gomap-color`` and
``gomap-verbose`` are kept: each is a second gdb parameter, and setting
either name sets both, so the two always show the same value.
"""

import os

import gdb

# (name under 'set gomap', old one-word name or None, kind, doc, default, choices)
SETTINGS = (
    ("color", "gomap-color", gdb.PARAM_ENUM,
     "Colour gomap's text views: auto (when gdb styles output), on, off.",
     "auto", ("auto", "on", "off")),
    ("verbose", "gomap-verbose", gdb.PARAM_BOOLEAN,
     "Show a Python traceback after a gomap error.", False, ()),
    ("pretty-print", None, gdb.PARAM_BOOLEAN,
     "Print Go maps with gomap's pretty-printer (print, info locals, bt full, MI "
     "variable objects): the live entries, lazily; off gives gdb's own printing.",
     True, ()),
)

# Called after 'set NAME ...' (NAME as gdb spells the setting), for settings whose
# owner must act on a change: the printers put themselves first again.
ON_SET = {}

# The settings' gdb objects by their gdb name: reading .value is cheaper than
# gdb.parameter() where a setting is read for every value gdb prints.
_MADE = {}


class _Setting(gdb.Parameter):
    def __init__(self, name, kind, doc, default, choices):
        self.set_doc = doc
        self.show_doc = doc
        self.__doc__ = doc
        if choices:
            super().__init__(name, gdb.COMMAND_DATA, kind, list(choices))
        else:
            super().__init__(name, gdb.COMMAND_DATA, kind)
        self.value = default
        self.label = name
        _MADE[name] = self
        self.twins = []       # the same setting under its other name

    def get_set_string(self):
        for t in self.twins:
            t.value = self.value
        hook = ON_SET.get(self.label)
        if hook is not None:
            hook()
        return ""

    def get_show_string(self, value):
        return f"{self.label} is {value}."


class _Prefix(gdb.Command):
    """``set gomap`` / ``show gomap``: the prefix of gomap's settings."""

    def __init__(self, verb, settings):
        self.__doc__ = (f"{verb.capitalize()} gomap's settings: "
                        + ", ".join(f"'{verb} gomap {s}'" for s, *_ in SETTINGS) + ".")
        super().__init__(f"{verb} gomap", gdb.COMMAND_DATA, gdb.COMPLETE_COMMAND, True)
        self._verb = verb
        self._settings = settings

    def invoke(self, arg, from_tty):
        if self._verb == "show":
            for s in self._settings:
                gdb.write(s.get_show_string(_shown(s.value)) + "\n")
        else:
            gdb.execute("help set gomap", from_tty)


def _shown(value):
    if isinstance(value, bool):
        return "on" if value else "off"
    return value


def make():
    """The settings' gdb objects (made once per gdb session; keep them alive)."""
    made = []
    new = []
    for short, old, kind, doc, default, choices in SETTINGS:
        a = None
        if old is not None:
            a = _Setting(old, kind, f"{doc} (Older name of 'gomap {short}'.)", default, choices)
            made.append(a)
        new.append((short, kind, doc, default, choices, a))
    made.append(_Prefix("set", []))
    show = _Prefix("show", [])
    made.append(show)
    for short, kind, doc, default, choices, a in new:
        b = _Setting(f"gomap {short}", kind, doc, default, choices)
        if a is not None:
            a.twins.append(b)
            b.twins.append(a)
        show._settings.append(b)
        made.append(b)
    return made


def color():
    """The ``gomap color`` setting: auto, on or off."""
    return gdb.parameter("gomap color")


def verbose():
    """Whether a gomap error shows its traceback (``gomap verbose``, or GOMAP_DEBUG=1)."""
    return os.environ.get("GOMAP_DEBUG") == "1" or bool(gdb.parameter("gomap verbose"))


def pretty_print():
    """Whether gomap prints Go maps for gdb (``gomap pretty-print``)."""
    setting = _MADE.get("gomap pretty-print")
    return setting is not None and bool(setting.value)


def styled():
    """Whether gdb's screen takes colour: a terminal that is not dumb, and gdb styling on."""
    if os.environ.get("TERM", "dumb") == "dumb":
        return False
    try:
        return bool(gdb.parameter("style enabled"))
    except (gdb.error, RuntimeError):
        return False
