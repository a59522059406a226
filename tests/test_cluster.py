"""Scale-out: the bootstrap's shards give the same answer however many there are, the SLURM profile is valid, and
the workflow on a real single-node SLURM cluster (Debian's slurm-wlm and munge, started by tests/slurm/) gives the
same results as a local run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ENV, ROOT, SKIP, SNAKEMAKE, run

from analysis import bootstrap, data, factors

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
ANALYSIS = CONFIG["analysis"]
HORIZONS = {label: ANALYSIS["horizons_months"][label] for label in CONFIG["bootstrap"]["horizons"]}
COVARIATES = ["osteosynthesis", "kidney_primary", "modified_bauer_score"]
SMALL = "bootstrap:\n  resamples: 40\n  shards: {shards}\n"
TARGETS = ["results/bootstrap/intervals.tsv", "results/numbers.json"]


@pytest.fixture(scope="module")
def analysed(cohort, tmp_path_factory):
    path = tmp_path_factory.mktemp("bootstrap") / "analysis_table.tsv"
    cohort.analysis.to_csv(path, sep="\t", index=False)
    return data.load(path)


@pytest.mark.parametrize("resamples,shards", [(10, 3), (7, 7), (5, 8), (1, 1)])
def test_shards_cover_every_resample_once(resamples, shards):
    indices = [i for k in range(shards) for i in bootstrap.shard_indices(resamples, shards, k)]
    assert indices == list(range(resamples))


def test_the_answer_does_not_depend_on_the_number_of_shards(analysed):
    def with_shards(n):
        parts = [
            bootstrap.run_shard(analysed, COVARIATES, HORIZONS, 11, bootstrap.shard_indices(21, n, k)) for k in range(n)
        ]
        return pd.concat(parts, ignore_index=True)

    one = with_shards(1)
    for n in (2, 3, 7):
        pd.testing.assert_frame_equal(with_shards(n), one)
    assert one["cif_2y"].between(0, 1).all() and one["fg_osteosynthesis"].notna().sum() >= 19
    intervals = bootstrap.intervals(one, 0.95).set_index("estimate")
    assert (intervals["lower"] <= intervals["upper"]).all()


def test_gathering_without_pandas_writes_what_pandas_writes(analysed, tmp_path):
    from analysis.output import write_tsv

    parts = [
        bootstrap.run_shard(analysed, COVARIATES, HORIZONS, 11, bootstrap.shard_indices(24, 3, k)) for k in range(3)
    ]
    parts[0].loc[1:3, "fg_osteosynthesis"] = float("nan")  # failed refits
    parts[1]["cif_1y"] = 0.0  # a column of whole numbers in one shard (pandas reads it back as integers)
    parts[2]["fg_kidney_primary"] = float("nan")  # missing in a whole shard
    parts[2].loc[parts[2].index[0], "cif_2y"] = 1e-7  # exponent notation
    paths = []
    for k, part in enumerate(parts[::-1]):  # shards in any order
        paths.append(tmp_path / f"{k}.tsv")
        write_tsv(part, paths[-1])
    # The rule as it was: pandas reads, concatenates, sorts, writes.
    read = pd.concat([pd.read_csv(path, sep="\t") for path in paths], ignore_index=True)
    read = read.sort_values("resample").reset_index(drop=True)
    write_tsv(read, tmp_path / "replicates.tsv")
    write_tsv(bootstrap.intervals(read, 0.95), tmp_path / "intervals.tsv")
    replicates, intervals = bootstrap.gather_tables([path.read_text() for path in paths], 24, 0.95)
    assert replicates == (tmp_path / "replicates.tsv").read_text()
    assert intervals == (tmp_path / "intervals.tsv").read_text()
    assert "fg_kidney_primary\t16\t8\t" in intervals  # 16 replicates, the 8 of the last shard missing
    with pytest.raises(ValueError, match=r"not 0\.\.23"):
        bootstrap.gather_tables([path.read_text() for path in paths[:2]], 24, 0.95)


def test_the_bootstrap_resamples_the_reported_multivariable_model(analysed):
    multivariable, min_epv = ANALYSIS["multivariable"], ANALYSIS["min_events_per_variable"]
    chosen = factors.multivariable_covariates(analysed, multivariable, min_epv)
    _, _, record = factors.models(analysed, [], multivariable, min_epv, 0.05)
    assert chosen == record["multivariable_covariates"]
    assert (
        chosen == COVARIATES
    )  # the 32 revisions after osteosynthesis or endoprosthesis allow 3 covariates at 10 events per variable
    ranked = factors.apriori_covariates(multivariable)
    assert factors.multivariable_selection(9, multivariable, 10) == (ranked[:1], ranked[1:])


def test_the_bootstrap_horizons_are_labels_of_the_analysis_horizons():
    assert HORIZONS == {"1y": 12, "2y": 24, "5y": 60}


# The SLURM executor plugins are not in requirements.txt (requirements-cluster.txt says why); .ci/run installs them
# into .cluster-plugins/, and only the Snakemake runs of these tests see them.
CLUSTER_PLUGINS = ROOT / ".cluster-plugins"


def cluster_env() -> dict[str, str]:
    """The environment of a Snakemake run that uses the SLURM executor plugins, or skip (fail under CI) without them."""
    if not (CLUSTER_PLUGINS / "snakemake_executor_plugin_slurm").is_dir():
        why = (
            "the SLURM plugins are missing: pip install --no-deps --target .cluster-plugins -r requirements-cluster.txt"
        )
        if os.environ.get("CI"):
            pytest.fail(why + " (.ci/run does)")
        pytest.skip(why)
    return {**ENV, "PYTHONPATH": os.pathsep.join(filter(None, [str(CLUSTER_PLUGINS), ENV.get("PYTHONPATH")]))}


def test_the_default_environment_has_no_slurm_plugin():
    """A local run must not pay the plugin's start-up (scontrol calls, pandas import) at every Snakemake start."""
    from importlib.util import find_spec

    assert "slurm" not in (ROOT / "requirements.txt").read_text()
    assert find_spec("snakemake_executor_plugin_slurm") is None or str(CLUSTER_PLUGINS) in os.environ.get(
        "PYTHONPATH", ""
    )


def project_copy(where: Path, shards: int) -> Path:
    shutil.copytree(ROOT, where, ignore=SKIP)
    (where / "small.yaml").write_text(SMALL.format(shards=shards))
    return where


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> Path:
    project = project_copy(tmp_path_factory.mktemp("local") / "study", shards=3)
    run(SNAKEMAKE + ["--cores", "2", *TARGETS, "--configfile", "small.yaml"], project)
    return project


def test_the_workflow_gives_the_same_bootstrap_with_other_shards(local_run, tmp_path):
    project = project_copy(tmp_path / "study", shards=5)
    run(SNAKEMAKE + ["--cores", "2", *TARGETS, "--configfile", "small.yaml"], project)
    for path in ("results/bootstrap/replicates.tsv", "results/bootstrap/intervals.tsv"):
        assert (project / path).read_bytes() == (local_run / path).read_bytes(), path
    assert len(list((project / "results" / "bootstrap" / "shards").glob("*.tsv"))) == 5


def test_slurm_profile_passes_a_dry_run(tmp_path):
    project = project_copy(tmp_path / "study", shards=20)
    args = ["-n", "--profile", "profiles/slurm", "--configfile", "config/cluster.yaml"]
    out = run(SNAKEMAKE + args, project, env=cluster_env()).stdout
    assert "bootstrap_shard" in out and "20" in out and "deidentify_shard" in out


def slurm_cluster() -> None:
    """Start the single-node cluster, or say why it cannot be."""
    installed = shutil.which("sbatch") is not None and Path("/usr/sbin/slurmctld").exists()
    if not installed:
        if os.environ.get("CI"):
            pytest.fail("SLURM is missing: .ci/run installs Debian's slurm-wlm and munge")
        pytest.skip("SLURM is not installed here (apt-get install slurm-wlm munge); CI installs it")
    if os.geteuid() != 0:
        pytest.skip("starting slurmctld and slurmd needs root")
    result = subprocess.run(
        ["bash", str(ROOT / "tests" / "slurm" / "start_single_node_slurm.sh")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_real_slurm_run_equals_the_local_run(local_run, tmp_path):
    slurm_cluster()
    env = cluster_env()
    project = project_copy(tmp_path / "study", shards=4)
    result = run(SNAKEMAKE + ["--profile", "profiles/slurm", *TARGETS, "--configfile", "small.yaml"], project, env=env)
    said = result.stdout + result.stderr
    assert "has been submitted with SLURM jobid" in said
    for path in (
        "results/bootstrap/replicates.tsv",
        "results/bootstrap/intervals.tsv",
        "results/numbers.json",
        "results/cleaning/analysis_table.tsv",
    ):
        assert (project / path).read_bytes() == (local_run / path).read_bytes(), path
