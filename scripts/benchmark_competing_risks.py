"""Speed of scripts/competing_risks against lifelines and R (cmprsk), measured in one run on the same data.

    cd scripts && python benchmark_competing_risks.py                         # everything (about 1 minute)
    python benchmark_competing_risks.py --skip-crr                            # without the slow crr run at n=10,000
    python benchmark_competing_risks.py --skip-r --skip-lifelines             # this package only

Data: day-granular follow-up (integer days over ten years, so many ties), causes 1 and 2 and censoring, three groups
and three covariates, from a fixed seed. Each timing is the median wall-clock time of --repeats runs (crr: one run).
R is timed inside R (proc.time around the call only: reading the CSV and starting R are not counted), lifelines and
this package with time.perf_counter around the call. This is a benchmark, not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from competing_risks import aalen_johansen, fine_gray, gray_test  # noqa: E402

COVARIATES = ["x1", "x2", "x3"]


def make_data(n: int, seed: int) -> pd.DataFrame:
    """Day-granular competing-risks data: ~3,650 distinct days for n = 100,000, so each day has many ties."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    x = np.column_stack([rng.normal(size=n), rng.binomial(1, 0.4, n), rng.integers(0, 5, n)]).astype(float)
    cause1 = rng.exponential(3000.0 / np.exp(0.3 * group + 0.4 * x[:, 0] - 0.2 * x[:, 1]))
    cause2 = rng.exponential(2500.0 / np.exp(0.1 * x[:, 2]))
    censor = rng.uniform(0.0, 3650.0, n)
    first = np.minimum(cause1, cause2)
    event = np.where(censor <= first, 0, np.where(cause1 <= cause2, 1, 2))
    return pd.DataFrame(
        {
            "time": np.floor(np.minimum(first, censor)),
            "event": event,
            "group": np.array(["A", "B", "C"])[group],
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
        }
    )


def median_time(function: Callable[[], object], repeats: int) -> float:
    function()  # warm-up: imports, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_lifelines(data: pd.DataFrame, repeats: int) -> float:
    from lifelines import AalenJohansenFitter

    # AalenJohansenFitter reseeds numpy's global generator; keep the caller's state.
    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return median_time(
                lambda: AalenJohansenFitter(calculate_variance=True, seed=0).fit(
                    data["time"], data["event"], event_of_interest=1
                ),
                repeats,
            )
    finally:
        np.random.set_state(state)


R_TEMPLATE = r"""
suppressPackageStartupMessages(library(cmprsk))
d <- read.csv("{csv}")
elapsed <- numeric(0)
for (i in seq_len({repeats})) {{
  start <- proc.time()[["elapsed"]]
  fit <- {call}
  elapsed <- c(elapsed, proc.time()[["elapsed"]] - start)
}}
cat("ELAPSED", sprintf("%.6f", elapsed), "\n")
"""

R_CALLS = {
    "cuminc": "cuminc(d$time, d$event, cencode = 0)",
    "cuminc_groups": "cuminc(d$time, d$event, d$group, cencode = 0)",
    "crr": 'crr(d$time, d$event, cov1 = as.matrix(d[, c("x1", "x2", "x3")]), failcode = 1, cencode = 0)',
}


def time_r(data: pd.DataFrame, call: str, repeats: int, workdir: Path) -> float:
    csv = workdir / f"data_{len(data)}.csv"
    if not csv.exists():
        data.to_csv(csv, index=False)
    script = R_TEMPLATE.format(csv=csv.as_posix(), repeats=repeats, call=R_CALLS[call])
    completed = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True)
    line = next(line for line in completed.stdout.splitlines() if line.startswith("ELAPSED"))
    return statistics.median(float(value) for value in line.split()[1:])


def r_versions() -> str:
    code = 'cat(R.version.string, "; cmprsk", as.character(packageVersion("cmprsk")))'
    return subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="size for the cumulative incidence and Gray's test")
    parser.add_argument("--n-fine-gray", type=int, default=10_000, help="size for fine_gray against crr")
    parser.add_argument("--n-fine-gray-large", type=int, default=100_000, help="size for the large fine_gray run")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--skip-r", action="store_true", help="do not time R (cuminc, crr)")
    parser.add_argument("--skip-crr", action="store_true", help="do not time R's crr (about 30 s at n = 10,000)")
    parser.add_argument("--skip-lifelines", action="store_true")
    arguments = parser.parse_args(argv)
    use_r = not arguments.skip_r and shutil.which("Rscript") is not None
    if not arguments.skip_r and not use_r:
        print("Rscript not found: R timings skipped (apt-get install r-base-core r-cran-cmprsk)")

    data = make_data(arguments.n, arguments.seed)
    data_fg = make_data(arguments.n_fine_gray, arguments.seed + 1)
    data_fg_large = make_data(arguments.n_fine_gray_large, arguments.seed + 2)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{os.cpu_count()} CPU(s); OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}"
    )
    if use_r:
        print(f"R: {r_versions()}")
    print(
        f"data: n = {arguments.n:,}, {data['time'].nunique():,} distinct days, events "
        f"{ {int(code): int(count) for code, count in data['event'].value_counts().sort_index().items()} }; "
        f"median of {arguments.repeats} runs\n"
    )

    time_, event = data["time"], data["event"]
    ours_cif_one = median_time(lambda: aalen_johansen(time_, event, cause=1), arguments.repeats)
    ours_cif_both = median_time(
        lambda: (aalen_johansen(time_, event, cause=1), aalen_johansen(time_, event, cause=2)), arguments.repeats
    )
    ours_gray_one = median_time(lambda: gray_test(time_, event, data["group"], cause=1), arguments.repeats)
    ours_gray_both = median_time(
        lambda: (gray_test(time_, event, data["group"], cause=1), gray_test(time_, event, data["group"], cause=2)),
        arguments.repeats,
    )
    ours_fg = median_time(
        lambda: fine_gray(data_fg["time"], data_fg["event"], data_fg[COVARIATES]), max(3, arguments.repeats // 2)
    )
    ours_fg_large = median_time(
        lambda: fine_gray(data_fg_large["time"], data_fg_large["event"], data_fg_large[COVARIATES]), 3
    )

    lifelines_cif = None if arguments.skip_lifelines else time_lifelines(data, max(3, arguments.repeats // 2))
    r_cuminc = r_cuminc_groups = r_crr = None
    with tempfile.TemporaryDirectory() as workdir:
        if use_r:
            r_cuminc = time_r(data, "cuminc", arguments.repeats, Path(workdir))
            r_cuminc_groups = time_r(data, "cuminc_groups", arguments.repeats, Path(workdir))
            if not arguments.skip_crr:
                r_crr = time_r(data_fg, "crr", 1, Path(workdir))

    n, n_fg, n_fg_large = f"{arguments.n:,}", f"{arguments.n_fine_gray:,}", f"{arguments.n_fine_gray_large:,}"
    rows = [
        (
            f"aalen_johansen cause 1 + variance, n={n}",
            ours_cif_one,
            "lifelines AalenJohansenFitter (variance)",
            lifelines_cif,
            ">= 100x",
        ),
        (f"aalen_johansen causes 1 and 2, n={n}", ours_cif_both, "R cuminc (both causes)", r_cuminc, ">= 5x"),
        (
            f"gray_test 3 groups, cause 1, n={n}",
            ours_gray_one,
            "R cuminc with groups",
            r_cuminc_groups,
            "(information)",
        ),
        (
            f"gray_test 3 groups, causes 1 and 2, n={n}",
            ours_gray_both,
            "R cuminc with groups (both tests)",
            r_cuminc_groups,
            ">= 2x",
        ),
        (f"fine_gray 3 covariates, n={n_fg}", ours_fg, "R crr (default gtol 1e-6)", r_crr, ">= 20x"),
    ]
    print(f"{'task':<48} {'ours (s)':>10}  {'reference':<42} {'ref (s)':>9} {'ratio':>9}  target    met")
    for task, ours, reference, reference_time, target in rows:
        if reference_time is None:
            print(f"{task:<48} {ours:>10.4f}  {reference:<42} {'-':>9} {'-':>9}  {target:<9} not measured")
            continue
        ratio = reference_time / ours
        met = "-" if not target.startswith(">=") else ("yes" if ratio >= float(target[3:-1]) else "NO")
        print(f"{task:<48} {ours:>10.4f}  {reference:<42} {reference_time:>9.4f} {ratio:>8.1f}x  {target:<9} {met}")
    met_large = "yes" if ours_fg_large < 10.0 else "NO"
    print(
        f"{'fine_gray 3 covariates, n=' + n_fg_large:<48} {ours_fg_large:>10.4f}  {'(absolute target)':<42} "
        f"{'-':>9} {'-':>9}  < 10 s    {met_large}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
