"""The gdb front end: the only part of gomap that imports ``gdb``.

- ``commands/``: one module per command (``gomap dump``, ``gomap list``,
  ``gomap snap``, ``gomap diff``, ``gomap watch``, each also named
  ``gomap-dump`` ...), each a parser and a ``run(args)``;
  ``commands.register()`` makes the ``gomap`` prefix, them, the settings and
  the printers;
- ``command``: the one way a command is built from its parser (help,
  parsing, completion, the error handler, its two names), run under
  ``readonly``'s guard;
- ``settings``: ``set gomap color`` and ``set gomap verbose`` (also
  ``gomap-color`` and ``gomap-verbose``), ``set gomap pretty-print``;
- ``printers``: the pretty-printer of Go maps for gdb's ``print``, ``info
  locals``, ``bt full`` and MI variable objects, ahead of runtime-gdb.py's;
- ``program`` (the Target gdb debugs), ``evaluate`` (an EXPR as a map),
  ``memory`` (reads through gdb);
- ``snapstore`` (the session's snapshots), ``watcher`` (gomap-watch's
  breakpoints and log), ``stepper`` (the study's runs).

Read-only, twice over: an expression with a side effect (an assignment,
``++``, a call) is refused before gdb evaluates it (``gdb_gomap.exprcheck``),
and every command runs with gdb's ``may-write-memory`` and
``may-call-functions`` off (``readonly.read_only``), the user's settings
restored after.
"""
