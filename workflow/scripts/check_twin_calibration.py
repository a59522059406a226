"""Rule check_twin_calibration: compare the twin with the paper (hard targets) and the literature (soft targets)."""

import matplotlib.pyplot as plt
import pandas as pd

from common.plotting import PAGE_WIDTH_IN, save_figure, use_style
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from synthetic_twin.calibration import check

log = to_log(snakemake)
truth = pd.read_csv(
    snakemake.input.truth,
    dtype={
        "revision_cause": str,
        "revision_date": str,
        "death_date": str,
    },
    keep_default_na=False,
)
report = check(truth)
report.to_csv(snakemake.output.table, sep="\t", index=False, float_format="%.6g")

hard, soft = report[report["kind"] == "hard"], report[report["kind"] == "soft"]
for row in report[~report["within"]].itertuples():
    log.warning(
        "%s target %s: observed %.4g, target %.4g +/- %.4g",
        row.quantity,
        row.kind,
        row.observed,
        row.target,
        row.tolerance,
    )
log.info(
    "hard targets met: %d of %d; soft targets within tolerance: %d of %d",
    hard["within"].sum(),
    len(hard),
    soft["within"].sum(),
    len(soft),
)

# One row per soft target: how far the twin is from the literature, in units of the tolerance.
use_style()
fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 0.28 * len(soft) + 1.6))
deviation = (soft["observed"] - soft["target"]) / soft["tolerance"]
y = range(len(soft))
ax.axvspan(-1, 1, color="#dfe9f5", zorder=0, label="within tolerance")
ax.axvline(0, color="#4a6fa5", linewidth=0.8)
ax.scatter(deviation, y, color=["#2b6cb0" if w else "#c53030" for w in soft["within"]], zorder=2, s=18)
ax.set_yticks(list(y), soft["quantity"].str.replace("_", " "), fontsize=8)
ax.invert_yaxis()
ax.set_xlim(-2, 2)
ax.set_xlabel("(observed - target) / tolerance")
ax.set_title(
    f"Synthetic twin against its calibration targets\nhard targets (the paper) met exactly: "
    f"{int(hard['within'].sum())} of {len(hard)}",
    fontsize=9,
)
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()
save_figure(fig, snakemake.output.figure)
if not hard["within"].all():
    missed = ", ".join(hard.loc[~hard["within"], "quantity"])
    raise SystemExit(f"the synthetic twin misses hard targets of the paper: {missed} (see {snakemake.output.table})")
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
