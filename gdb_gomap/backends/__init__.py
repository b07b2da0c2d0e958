"""Memory backends that need no debugger: ELF core files and live processes."""
