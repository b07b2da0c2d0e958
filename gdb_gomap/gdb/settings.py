"""gomap's gdb settings: ``set gomap-color auto|on|off`` and ``set gomap-verbose on|off``."""

import os

import gdb


class _Setting(gdb.Parameter):
    def __init__(self, name, kind, doc, default, *choices):
        self.set_doc = doc
        self.show_doc = doc
        self.__doc__ = doc
        if choices:
            super().__init__(name, gdb.COMMAND_DATA, kind, list(choices))
        else:
            super().__init__(name, gdb.COMMAND_DATA, kind)
        self.value = default

    def get_set_string(self):
        return ""

    def get_show_string(self, value):
        return f"{self.name} is {value}."


def make():
    """The settings' gdb objects (made once per gdb session; keep them alive)."""
    color = _Setting("gomap-color", gdb.PARAM_ENUM,
                     "Colour gomap's text views: auto (when gdb styles output), on, off.",
                     "auto", "auto", "on", "off")
    color.name = "gomap-color"
    verbose = _Setting("gomap-verbose", gdb.PARAM_BOOLEAN,
                       "Show a Python traceback after a gomap error.", False)
    verbose.name = "gomap-verbose"
    return color, verbose


def color():
    """The gomap-color setting: auto, on or off."""
    return gdb.parameter("gomap-color")


def verbose():
    """Whether a gomap error shows its traceback (gomap-verbose, or GOMAP_DEBUG=1)."""
    return os.environ.get("GOMAP_DEBUG") == "1" or bool(gdb.parameter("gomap-verbose"))


def styled():
    """Whether gdb's screen takes colour: a terminal that is not dumb, and gdb styling on."""
    if os.environ.get("TERM", "dumb") == "dumb":
        return False
    try:
        return bool(gdb.parameter("style enabled"))
    except (gdb.error, RuntimeError):
        return False
