"""common.quick_exit ends a process at once, yet with its exit handlers run and its streams and logs flushed."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

SCRIPT = """
import atexit, logging, sys
from common.quick_exit import exit_without_teardown
log = open(sys.argv[1], "w", encoding="utf-8")
sys.stderr = log
logging.basicConfig(stream=log, level=logging.INFO, format="%(message)s")
atexit.register(lambda: print("exit handler ran"))
logging.getLogger("rule").info("logged before the exit")
print("printed before the exit", end="")
exit_without_teardown(3)
print("never printed")
"""


def test_the_exit_runs_handlers_and_flushes_everything(tmp_path):
    log = tmp_path / "rule.log"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(log)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "scripts")},
        check=False,
    )
    assert result.returncode == 3, result
    assert result.stdout == "printed before the exitexit handler ran\n"
    assert log.read_text(encoding="utf-8") == "logged before the exit\n"
