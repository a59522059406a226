"""Warm start: rule scripts run in a fork of a Python process that has already imported the heavy libraries.

Why. A cold run of the study starts some 26 Python processes, one per rule job, and nearly every one imports the same
libraries before any work: pandas and NumPy (about 0.75 s of CPU), matplotlib (about 1 s with pyplot), SciPy, the NER
of de-identification. On two cores that start-up is a third of the whole run (docs/hardening.md, "Warm start").

How. When Snakemake is about to run jobs on this machine, the Snakefile's `onstart` hook starts `warm_start.server`,
which imports those libraries once and then listens on a Unix socket. Snakemake runs each rule script exactly as
always (`python .snakemake/scripts/tmpXXXX.<rule>.py`), but `hook/sitecustomize.py` is first on that process's
PYTHONPATH: before the script runs, `warm_start.client` hands the job to the server (its arguments, working folder,
environment and its standard input, output and error themselves), the server forks, and the fork runs the script
with `runpy` as the fresh interpreter would have: the same `sys.argv`, `sys.path`, environment, working folder and
file descriptors, the `sitecustomize` modules that come later on the path run in the fork. The client waits, passes
on signals (Snakemake cancelling a job) and leaves with the fork's exit status. The script itself knows nothing of it.

Whenever anything does not match (no server yet, a server of another interpreter or another PYTHONPATH, a job on
another machine of a cluster, `warm_start: false` in the config), the client returns at once and the script runs in
its own fresh interpreter, as without warm start. Results are byte-identical either way (tests/test_warm_start.py).
"""
