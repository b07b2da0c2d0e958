"""The ``gomap`` command: maps in core files and live processes, no debugger needed."""
