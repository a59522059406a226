"""Only one module named `sitecustomize` is imported at start-up: the first on the path. The warm-start hook is first
(the Snakefile puts it there), so it runs the next one itself, as Python would have without it (a probe of the
benchmark, a distribution's own file)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys


def run_next_sitecustomize(hook_file: str) -> None:
    """Find the `sitecustomize` that comes after the hook's folder on sys.path and execute it, under its own name."""
    hook_dir = os.path.dirname(os.path.abspath(hook_file))
    entries = [os.path.abspath(entry or os.curdir) for entry in sys.path]
    later = sys.path[entries.index(hook_dir) + 1 :] if hook_dir in entries else sys.path
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", later)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["_next_sitecustomize"] = module
    spec.loader.exec_module(module)
