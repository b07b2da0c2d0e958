"""What can go wrong between gomap and Delve, each as a one-line GomapError."""

from gdb_gomap.errors import GomapError, TargetGone


class DelveError(GomapError):
    """Delve answered a request with an error (the message is Delve's own)."""


class DelveRefused(DelveError):
    """Delve answered a request with an error.  The only kind a caller may treat as
    "not available, fall back": a DelveTimeout or DelveGone means dlv did not
    answer at all, and must reach the user with its own message."""


class DlvNotFound(DelveError):
    """No ``dlv`` executable to start."""


class DelveConnectionError(DelveError):
    """No Delve server at the address, or it went away."""


class DelveTimeout(DelveError):
    """dlv did not answer within the time gomap allows (when stopping, connecting)."""


class DelveRefusesGo(DelveError):
    """Delve will not debug the executable's Go release (``--check-go-version``)."""

    def __init__(self, message, go_version=""):
        self.go_version = go_version
        super().__init__(message)


class DelveGone(DelveConnectionError, TargetGone):
    """The dlv server closed the connection while gomap was using it."""

    def __init__(self, detail=""):
        self.pid = None
        GomapError.__init__(self, "dlv closed the connection" + (f" ({detail})" if detail else "")
                            + "; the debug session is over")
