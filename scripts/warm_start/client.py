"""The job's side of warm start (see warm_start/__init__.py): called by the hook before a rule script runs."""

from __future__ import annotations

import os
import signal
import socket
import sys

from warm_start.protocol import STANDARD_STREAMS, encode, receive

# Only the scripts Snakemake generates for `script:` rules are handed over; every other Python process (a notebook's
# kernel, pandoc's helpers, a test) starts as usual.
RULE_SCRIPT_MARK = "/.snakemake/scripts/"
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
CONNECT_TIMEOUT_S = 5.0


def hand_over_or_return() -> None:
    """Run this process's rule script in a fork of the warm server and exit with its status; return at once (the
    script then runs here) if the process is not a rule script or the server cannot take it."""
    if not sys.argv or RULE_SCRIPT_MARK not in sys.argv[0].replace(os.sep, "/"):
        return
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT_S)
        sock.connect(os.environ["STUDY_WARM_SOCKET"])
        open_streams = [fd for fd in STANDARD_STREAMS if _is_open(fd)]
        umask = os.umask(0)
        os.umask(umask)
        request = {
            "argv": sys.argv,
            "cwd": os.getcwd(),
            "env": dict(os.environ),
            "umask": umask,
            "interpreter": [sys.executable, sys.prefix, sys.version],
            "streams": open_streams,
        }
        socket.send_fds(sock, [encode(request)], open_streams)
        reply, _ = receive(sock)
    except (OSError, ValueError):
        sock.close()
        return
    if not reply or "pid" not in reply:
        sock.close()
        return  # refused (another interpreter or environment): run here
    child = reply["pid"]
    sock.settimeout(None)

    def forward(signum, _frame):
        try:
            os.kill(child, signum)
        except ProcessLookupError:
            pass

    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, forward)
    try:
        status, _ = receive(sock)
    except (OSError, ValueError):
        status = None
    if status is None:
        os.write(2, b"warm start: the server ended before the job did (see logs/warm_start.log)\n")
        os._exit(1)
    if "signal" in status:
        signum = status["signal"]
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)
    os._exit(status["exit"])


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
