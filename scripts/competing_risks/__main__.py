"""Command line: competing-risks estimates from a CSV file, printed as JSON.

    python -m competing_risks cif      data.csv --time T --event E [--cause 1] [--group G] [--times 12,24]
    python -m competing_risks gray     data.csv --time T --event E --group G [--cause 1] [--rho 0] [--strata S]
    python -m competing_risks finegray data.csv --time T --event E --covariates A,B [--cause 1]

Run with scripts/ as the working directory or on PYTHONPATH. Event codes: 0 censored, 1, 2, ... causes. Exit code
0 on success, 2 for invalid input (the message is printed to stderr). A missing value in any column a command uses
(time, event, group, strata, covariates) is an error that names the file's lines: no command drops rows silently.
Warnings (e.g. a Fine-Gray coefficient that diverges: "converged": false, its estimate null) go to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .cif import aalen_johansen
from .fine_gray import fine_gray
from .gray import gray_test


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m competing_risks", description="Competing-risks estimates (cmprsk conventions) as JSON."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def add_common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("data", type=Path, help="CSV file with one row per subject")
        sub.add_argument("--time", required=True, help="column with the follow-up time (>= 0)")
        sub.add_argument("--event", required=True, help="column with the event code: 0 censored, 1, 2, ... causes")
        sub.add_argument("--cause", type=int, default=1, help="event code of interest (default 1)")

    cif = commands.add_parser("cif", help="Aalen-Johansen cumulative incidence with cuminc's variance")
    add_common(cif)
    cif.add_argument("--group", help="column: estimate the curve separately in each group")
    cif.add_argument("--times", help="comma-separated times at which to read the curve (default: every time)")
    cif.add_argument("--conf-level", type=float, default=0.95)

    gray = commands.add_parser("gray", help="Gray's K-sample test")
    add_common(gray)
    gray.add_argument("--group", required=True, help="column with the groups to compare")
    gray.add_argument("--strata", help="column with strata (scores and variances add up over strata)")
    gray.add_argument("--rho", type=float, default=0.0, help="power of the weight (1 - F(t-))^rho (default 0)")

    finegray = commands.add_parser("finegray", help="Fine-Gray subdistribution hazards regression")
    add_common(finegray)
    finegray.add_argument("--covariates", required=True, help="comma-separated numeric covariate columns")
    finegray.add_argument("--conf-level", type=float, default=0.95)
    return parser


def _columns(frame: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in the data; the columns are {list(frame.columns)}")


def _reject_missing(frame: pd.DataFrame, names: Sequence[str], path: Path) -> None:
    """Every command treats a missing value in a column it uses the same way: an error naming the file's lines.

    No row is dropped silently (``cif --group`` used to leave out rows with a missing group, through pandas'
    groupby); drop or recode such rows before the analysis, e.g. as an explicit "unknown" group.
    """
    for name in names:
        missing = frame[name].isna().to_numpy()
        if missing.any():
            lines = (missing.nonzero()[0] + 2).tolist()  # the header is line 1
            shown = ", ".join(str(line) for line in lines[:10]) + (", ..." if len(lines) > 10 else "")
            raise ValueError(
                f"column {name!r} has {len(lines)} missing value(s), at line(s) {shown} of {path} (the header is "
                f"line 1); no row is dropped silently: drop those rows or give them an explicit value first"
            )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{key: _plain(value) for key, value in row.items()} for row in frame.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    """JSON-safe scalar: NaN/inf become null (strict JSON has no NaN)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run(arguments: argparse.Namespace) -> dict[str, Any]:
    frame = pd.read_csv(arguments.data)
    base = [arguments.time, arguments.event]
    if arguments.command == "cif":
        used = base + ([arguments.group] if arguments.group else [])
        _columns(frame, used)
        _reject_missing(frame, used, arguments.data)
        times = [float(t) for t in arguments.times.split(",")] if arguments.times else None
        output: dict[str, Any] = {
            "estimator": "aalen_johansen",
            "cause": arguments.cause,
            "n": len(frame),
            "variance": "cmprsk cuminc",
            "interval": "log(-log)",
            "conf_level": arguments.conf_level,
        }
        if arguments.group:
            output["groups"] = {
                str(label): _records(
                    aalen_johansen(
                        part[arguments.time], part[arguments.event], arguments.cause, times, arguments.conf_level
                    )
                )
                for label, part in frame.groupby(arguments.group, sort=True)
            }
        else:
            output["curve"] = _records(
                aalen_johansen(
                    frame[arguments.time], frame[arguments.event], arguments.cause, times, arguments.conf_level
                )
            )
        return output
    if arguments.command == "gray":
        used = base + [arguments.group] + ([arguments.strata] if arguments.strata else [])
        _columns(frame, used)
        _reject_missing(frame, used, arguments.data)
        result = gray_test(
            frame[arguments.time],
            frame[arguments.event],
            frame[arguments.group],
            arguments.cause,
            arguments.rho,
            frame[arguments.strata] if arguments.strata else None,
        )
        return {
            "test": "gray",
            "cause": result.cause,
            "rho": result.rho,
            "statistic": _plain(result.statistic),
            "df": result.df,
            "p_value": _plain(result.p_value),
            "groups": [str(g) for g in result.groups],
            "n_strata": result.n_strata,
        }
    covariates = [name.strip() for name in arguments.covariates.split(",") if name.strip()]
    _columns(frame, base + covariates)
    _reject_missing(frame, base + covariates, arguments.data)
    fit = fine_gray(
        frame[arguments.time],
        frame[arguments.event],
        frame[covariates],
        arguments.cause,
        conf_level=arguments.conf_level,
    )
    summary = fit.summary.reset_index(names="covariate")
    return {
        "model": "fine_gray",
        "cause": fit.cause,
        "n": fit.n,
        "n_events": fit.n_events,
        "converged": fit.converged,
        "iterations": fit.iterations,
        "estimable": {k: bool(v) for k, v in fit.estimable.items()},
        "loglik": _plain(fit.loglik),
        "loglik_null": _plain(fit.loglik_null),
        "coef": {k: _plain(v) for k, v in fit.coef.items()},
        "se": {k: _plain(v) for k, v in fit.se.items()},
        "summary": _records(summary),
    }


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        output = run(arguments)
    except (ValueError, FileNotFoundError, pd.errors.ParserError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    json.dump(output, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
