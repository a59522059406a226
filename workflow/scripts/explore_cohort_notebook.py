"""Rule explore_cohort_notebook: run the exploratory notebook in a Jupyter kernel and keep the executed notebook,
as .ipynb and HTML, without run-time metadata (timestamps, durations, random cell ids), so that two runs give the
same bytes.

The notebook is executed with nbclient from this process (one Python kernel beside it), and rendered to HTML with
nbconvert in the same process: Snakemake's `notebook:` directive would start `papermill --version`, then the papermill
command line, then the kernel, and a second job would import nbconvert again to render it (about 2 s of CPU more in
all). The notebook itself stays a plain Jupyter notebook: `snakemake --edit-notebook` still opens it with the rule's
real inputs (workflow/rules/edit/explore_cohort_notebook.smk).

The kernel gets the rule's paths the way Snakemake's notebook directive gives them, as a `snakemake` object (input,
output, scriptdir) defined by a first cell tagged "snakemake-job-properties"; that cell is replaced by a comment in the
kept notebook (it holds this run's paths, not the analysis).
"""

import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
PREAMBLE_TAG = "snakemake-job-properties"
# What `python -m ipykernel_launcher` runs (its folder off sys.path), after hiding debugpy; when the kernel has shut
# down, its exit handlers run and it leaves without the interpreter's teardown (as common.quick_exit does).
KERNEL_WITHOUT_DEBUGGER = (
    "import sys; sys.path = [p for p in sys.path if p]; sys.modules['debugpy'] = None; "
    "from ipykernel import kernelapp; kernelapp.launch_new_instance(); "
    "import atexit, os; atexit._run_exitfuncs(); sys.__stdout__.flush(); sys.__stderr__.flush(); os._exit(0)"
)
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
PREAMBLE_NOTE = "# Snakemake's preamble (the rule's inputs, outputs and config) was injected here."


def preamble_source(notebook_path: str, inputs: dict, outputs: dict) -> str:
    """A cell that defines `snakemake` with what the notebook reads: input, output (by name) and scriptdir (the
    notebook's folder, as Snakemake's notebook directive sets it)."""
    scriptdir = str(Path(notebook_path).resolve().parent)
    return (
        "from types import SimpleNamespace\n\n"
        f"snakemake = SimpleNamespace(input=SimpleNamespace(**{inputs!r}), output=SimpleNamespace(**{outputs!r}),"
        f" scriptdir={scriptdir!r})"
    )


def strip(notebook) -> None:
    """Drop what changes from run to run: execution metadata and random cell ids; and the preamble's paths.
    Every cell's metadata has a "tags" list (empty unless tagged), as papermill wrote it before."""
    notebook.metadata.pop("papermill", None)
    notebook.metadata.pop("widgets", None)
    for number, cell in enumerate(notebook.cells):
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell.metadata.setdefault("tags", [])
        cell["id"] = f"cell-{number}"
        if cell.cell_type == "code" and PREAMBLE_TAG in cell.metadata["tags"]:
            cell.source = PREAMBLE_NOTE
            cell.outputs = []


class Client(NotebookClient):
    """nbclient's client, whose python3 kernel starts as ipykernel_launcher starts it but with debugpy, which
    ipykernel imports for the Jupyter debugger whenever it is installed (~0.3 s of the kernel's start-up), made
    unimportable: nobody attaches a debugger to a kernel that a workflow runs."""

    def create_kernel_manager(self):
        manager = super().create_kernel_manager()
        manager.kernel_spec.argv = [sys.executable, "-c", KERNEL_WITHOUT_DEBUGGER, "-f", "{connection_file}"]
        return manager


notebook = nbformat.read(snakemake.input.notebook, as_version=4)
named = {
    "inputs": {name: str(path) for name, path in snakemake.input.items() if name not in ("code", "notebook")},
    "outputs": {name: str(path) for name, path in snakemake.output.items()},
}
preamble = nbformat.v4.new_code_cell(preamble_source(snakemake.input.notebook, **named))
preamble.metadata["tags"] = [PREAMBLE_TAG]
notebook.cells.insert(0, preamble)

# A fresh IPython directory (no user profile, startup files or extensions), as Snakemake's notebook directive sets.
with tempfile.TemporaryDirectory() as ipython_dir:
    os.environ["IPYTHONDIR"] = ipython_dir
    client = Client(
        notebook,
        kernel_name="python3",
        timeout=None,
        record_timing=False,  # no start and end times in the cells' metadata
        resources={"metadata": {"path": os.getcwd()}},  # the kernel starts in the working directory
        # No history database (the kernel's only writes outside the outputs).
        extra_arguments=["--HistoryManager.enabled=False"],
    )
    try:
        client.execute()
    except CellExecutionError as err:
        # The cell and its traceback, without the terminal colours IPython gives it, in the rule's log.
        raise SystemExit(f"the notebook stopped with an error:\n{ANSI_COLOUR.sub('', str(err))}") from None

strip(notebook)
nbformat.write(notebook, snakemake.output.notebook)

from common.notebook_page import notebook_html  # noqa: E402  (after the run: an error above need not pay for it)

html = notebook_html(notebook)
# nbconvert links require.js and MathJax from a CDN; the notebook needs neither, and a page that reaches out to the
# network when opened does not belong in an offline workflow's results.
html = re.sub(r'<script[^>]+src="https?://[^"]*"[^>]*>\s*</script>', "", html)
with open(snakemake.output.html, "w", encoding="utf-8") as f:
    f.write(html)
log.info("executed and rendered %d cells", len(notebook.cells))
exit_without_teardown()
