"""Leave a finished rule script without the interpreter's teardown."""

from __future__ import annotations

import atexit
import os
import sys


def exit_without_teardown(code: int = 0):
    """End a rule script that has written and closed its outputs: run the exit handlers (the logging module's flush
    among them), flush the standard streams, and leave without the interpreter's teardown, which frees every module
    and object one by one: 0.3-0.5 s of CPU after pandas, matplotlib and SciPy are imported (`python -c "import
    pandas, matplotlib.pyplot, scipy.special"` with and without `os._exit`), and nothing of it reaches a file."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # a stream that is closed or gone has nothing to write
            pass
    os._exit(code)
