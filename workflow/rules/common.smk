# Helpers shared by the rule files. No rules here.
from pathlib import Path

RAW = config["raw_exports"]
TWIN = config["synthetic_twin"]
RAW_TABLES = list(RAW["tables"])


def is_synthetic():
    """True when the study runs on the synthetic twin rather than on real exports."""
    return RAW["source"] == "synthetic"


def raw_table_path(table):
    """Path of one raw export, as the config declares it."""
    return str(Path(RAW["directory"]) / RAW["tables"][table]["file"])


def raw_table_paths():
    """Every raw export by table name: the inputs of the de-identification stage."""
    return {table: raw_table_path(table) for table in RAW_TABLES}


def study_targets():
    """What `snakemake` builds by default: every final output of the study."""
    targets = list(raw_table_paths().values())
    if is_synthetic():
        targets += ["results/twin/calibration.tsv", "results/twin/calibration.png"]
    return targets
