"""The warm-start server (see warm_start/__init__.py): imports the libraries the rule scripts share, then forks one
child per job handed over by a client and runs the job's script in it.

    python -P -m warm_start.server SOCKET OWNER_PID

It serves until its owner (the Snakemake process that started it) is gone or it is sent SIGTERM. It writes only
its own events to standard error (the Snakefile sends that to logs/warm_start.log): the rule of each job, never an
argument value, an environment value or anything a script prints.
"""

from __future__ import annotations

import gc
import importlib
import os
import runpy
import selectors
import signal
import socket
import sys
import time

from warm_start.chain import run_next_sitecustomize
from warm_start.protocol import STANDARD_STREAMS, encode, receive

# What two or more rule scripts of the default run import (measured: the modules in sys.modules at the end of each
# job), heaviest first. Importing one costs the server once instead of every job; a missing one is skipped.
PRELOAD = (
    "pandas",
    "numpy",
    "scipy.special",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_pdf",
    "fontTools.subset",
    "PIL.Image",
    "PIL.PngImagePlugin",
    "yaml",
    "jinja2",
    "slovnet",
    "navec",
    "razdel",
    "pymorphy3",
    "phonenumbers",
    "snakemake.iocontainers",
    "snakemake.logging",
    "snakemake.shell",
    "snakemake.io",
    "snakemake.utils",
)
HOOK_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hook", "sitecustomize.py")
OWNER_CHECK_S = 1.0
# The shell that Snakemake starts each job in keeps these for itself (the last argument, prompt, nesting, folders);
# no library reads them, so they may differ between the job and the server.
SHELL_BOOKKEEPING = frozenset({"_", "PS1", "PS2", "SHLVL", "PWD", "OLDPWD"})


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} warm start: {message}", file=sys.stderr, flush=True)


def preload(modules=PRELOAD) -> list[str]:
    loaded = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        loaded.append(name)
    return loaded


def refusal(request: dict, server_env: dict) -> str | None:
    """Why a job must run in its own interpreter, or None: the fork is a copy of this process, so the job's
    interpreter and its whole environment (which libraries read when they are imported) must be this server's."""
    if request.get("interpreter") != [sys.executable, sys.prefix, sys.version]:
        return "another Python interpreter"
    differing = {key for key, _ in set(request["env"].items()) ^ set(server_env.items())} - SHELL_BOOKKEEPING
    if differing:
        return "environment differs in " + ", ".join(sorted(differing))
    return None


def rule_name(argv: list[str]) -> str:
    """`.snakemake/scripts/tmpab12cd.clean_cohort.py` -> `clean_cohort`: the only detail of a job the log keeps."""
    parts = os.path.basename(argv[0]).split(".") if argv else []
    return parts[1] if len(parts) == 3 else "a script"


def run_job(request: dict, fds: list[int]) -> None:
    """In the fork: become the job's process as a fresh `python script.py` would be, run the script, exit."""
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for target in STANDARD_STREAMS:
        if target in request["streams"]:
            os.dup2(fds[request["streams"].index(target)], target)
        else:
            os.close(target)
    for fd in fds:
        if fd not in STANDARD_STREAMS:
            os.close(fd)
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    script = request["argv"][0]
    sys.argv = list(request["argv"])
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    code = 0
    try:
        run_next_sitecustomize(HOOK_FILE)
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        code = exit_code(stop.code)
    except BaseException:  # what the interpreter does with an uncaught exception
        sys.excepthook(*sys.exc_info())
        code = 1
    finish(code)


def exit_code(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def finish(code: int) -> None:
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(code)


class Server:
    def __init__(self, path: str, owner: int):
        self.path, self.owner = path, owner
        self.env = {key: value for key, value in os.environ.items() if key != "STUDY_WARM_SERVER"}
        self.selector = selectors.DefaultSelector()
        self.jobs: dict[int, tuple[socket.socket, str, float]] = {}  # child pid -> (client connection, rule, fork time)
        self.stopping = False

    def listen(self) -> None:
        waiting = f"{self.path}.{os.getpid()}"
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(waiting)
        self.listener.listen(64)
        os.replace(waiting, self.path)  # clients see the socket only once it accepts jobs
        self.selector.register(self.listener, selectors.EVENT_READ, "listener")
        self.wake_read, wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self.stop)
        self.selector.register(self.wake_read, selectors.EVENT_READ, "wake")

    def stop(self, *_):
        self.stopping = True

    def handle_waiting(self) -> None:
        """Serve what is ready now, without waiting."""
        self.dispatch(self.selector.select(0))

    def dispatch(self, events) -> None:
        for key, _ in events:
            if key.data == "listener":
                self.accept()
            elif key.data == "wake":
                self.reap()
            elif key.data in self.jobs:
                self.client_gone(key.data)
        self.reap()

    def serve(self) -> None:
        while not (self.stopping and not self.jobs):
            if os.getppid() != self.owner and not self.stopping:
                log("Snakemake is gone: stopping")
                for pid in self.jobs:
                    os.kill(pid, signal.SIGTERM)
                self.stopping = True
            self.dispatch(self.selector.select(OWNER_CHECK_S))
        self.selector.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def accept(self) -> None:
        conn, _ = self.listener.accept()
        conn.settimeout(5.0)
        try:
            request, fds = receive(conn, max_fds=len(STANDARD_STREAMS))
        except (OSError, ValueError) as error:
            log(f"unreadable request ({error.__class__.__name__})")
            conn.close()
            return
        if request is None:
            conn.close()
            return
        rule = rule_name(request.get("argv", []))
        reason = "the server is stopping" if self.stopping else refusal(request, self.env)
        if reason:
            log(f"{rule} runs in its own interpreter: {reason}")
            self.reply(conn, {"refused": reason})
            conn.close()
            for fd in fds:
                os.close(fd)
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                self.selector.close()
                self.listener.close()
                os.close(self.wake_read)
                for other, _rule, _forked in self.jobs.values():
                    other.close()
                conn.close()
                run_job(request, fds)
            finally:
                os._exit(70)  # run_job never returns; this is for a failure before the script started
        for fd in fds:
            os.close(fd)
        self.jobs[pid] = (conn, rule, time.perf_counter())
        self.reply(conn, {"pid": pid})
        self.selector.register(conn, selectors.EVENT_READ, pid)
        log(f"{rule} started (pid {pid})")

    def reply(self, conn: socket.socket, message: dict) -> None:
        try:
            conn.sendall(encode(message))
        except OSError:
            pass

    def client_gone(self, pid: int) -> None:
        """The client's end closed (it never sends after the request): it was killed, so stop its job too."""
        conn, rule, _ = self.jobs[pid]
        try:
            data = conn.recv(1, socket.MSG_PEEK)
        except OSError:
            data = b""
        if not data:
            self.selector.unregister(conn)
            log(f"{rule}: its client is gone, ending the job")
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def reap(self) -> None:
        try:
            while os.read(self.wake_read, 512):
                pass
        except BlockingIOError:
            pass
        while self.jobs:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn, rule, forked = self.jobs.pop(pid)
            message = (
                {"signal": os.WTERMSIG(status)}
                if os.WIFSIGNALED(status)
                else {"exit": os.waitstatus_to_exitcode(status)}
            )
            # CPU includes the processes the job waited for (pandoc, typst); the log is where a reviewer sees
            # which rule the cold run's time goes to.
            cpu = usage.ru_utime + usage.ru_stime
            log(f"{rule} ended: {message}, {time.perf_counter() - forked:.1f} s wall, {cpu:.1f} s CPU")
            self.reply(conn, message)
            try:
                self.selector.unregister(conn)
            except (KeyError, ValueError):
                pass
            conn.close()


def main(argv: list[str]) -> None:
    path, owner = argv[0], int(argv[1])
    started = time.perf_counter()
    server = Server(path, owner)
    server.listen()
    # Jobs are taken from the first moment: between two imports the server forks whatever jobs are waiting, so the
    # first jobs of a run wait at most one import instead of the whole preload (a fork imports what is still
    # missing itself, as a fresh interpreter would).
    loaded = []
    for module in PRELOAD:
        loaded += preload([module])
        server.handle_waiting()
    gc.collect()
    gc.freeze()  # the forks share these pages; their collections need not walk the preloaded objects
    log(f"preloaded {len(loaded)} modules in {time.perf_counter() - started:.1f} s")
    server.serve()


if __name__ == "__main__":
    main(sys.argv[1:])
