"""Send a rule script's stderr and logging to the rule's log file, so that every message lands in logs/; and end a
rule that meets a full disk, a read-only or forbidden folder or a missing file with one sentence naming the path,
not a traceback."""

from __future__ import annotations

import errno
import logging
import os
import sys
from pathlib import Path

# The project's root folder: scripts/common/ lives two levels under it.
PROJECT_DIR = Path(__file__).resolve().parents[2]

# Faults of the machine, not of the study: errno -> what the sentence says (the path is added).
FAULTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the folder is on a read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.ENOENT: "the file does not exist",
}


def fault_sentence(rule: str, err: BaseException, outputs: list[str] | None = None) -> str | None:
    """One sentence for an OSError that is a fault of the machine (full disk, read-only or forbidden folder,
    missing file), naming the path; None for any other error. A write that fails on a full disk names no file
    itself: the sentence then names the rule's outputs."""
    if not isinstance(err, OSError) or err.errno not in FAULTS:
        return None
    paths = [p for p in (err.filename, getattr(err, "filename2", None)) if p]
    if paths:
        where = " and ".join(
            os.path.relpath(os.fspath(p)) if os.path.isabs(os.fspath(p)) else os.fspath(p) for p in paths
        )
    elif outputs:
        where = "one of " + ", ".join(map(str, outputs))
    else:
        where = "an output of the rule"
    advice = {
        errno.ENOSPC: "free some space and run again",
        errno.EDQUOT: "free some space and run again",
        errno.EROFS: "make the folder writable and run again",
        errno.EACCES: "check the folder's permissions and run again",
        errno.EPERM: "check the folder's permissions and run again",
        errno.ENOENT: "restore it (or rebuild it with snakemake) and run again",
    }[err.errno]
    return f"{rule}: {FAULTS[err.errno]}: {where}; {advice}."


def install_fault_handler(rule: str, outputs: list[str] | None = None, console=None) -> None:
    """Uncaught machine faults (fault_sentence) end the script with their sentence, in the log and on the console,
    and exit status 1; any other error keeps its traceback (a bug must show where it is)."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        sentence = fault_sentence(rule, value, outputs)
        if sentence is None:
            previous(kind, value, tb)
            return
        streams = [sys.stderr] + [s for s in [console or sys.__stderr__] if s is not sys.stderr]
        for stream in streams:
            try:
                print(sentence, file=stream, flush=True)
            except OSError:  # the log itself may sit on the full disk
                pass
        os._exit(1)

    sys.excepthook = hook


def to_log(snakemake) -> logging.Logger:
    """Redirect stderr (tracebacks included) and the logging module to the rule's first log file, and install the
    fault handler (install_fault_handler)."""
    outputs = [str(p) for p in snakemake.output]
    console = sys.stderr
    install_fault_handler(snakemake.rule, outputs, console)
    stream = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the script
    sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting chatter when saving PDFs
    return logging.getLogger(snakemake.rule)
