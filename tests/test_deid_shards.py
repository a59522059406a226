"""De-identification scattered over patient shards (deidentify.shards, config deidentification.shards): the
gathered outputs are byte-identical for 1, 2 and 7 shards, and the pieces the gather relies on hold."""

from __future__ import annotations

import shutil

import yaml
from conftest import ROOT, SKIP, SNAKEMAKE, run

from deidentify import keys
from deidentify.shards import merge_audits, merge_items, merge_tables, shard_of

# What de-identification writes (results/ and its raw side), and the target that stops the run there.
OUTPUTS = [
    "results/deid/audit.json",
    "results/deid/patients.tsv",
    "results/deid/diagnoses.tsv",
    "results/deid/operations.tsv",
    "results/deid/follow_up.tsv",
    "results/deid/laboratory.tsv",
    "results/deid/plausibility_exclusions.tsv",
    "resources/deid/identifiers.json",
    "resources/deid/label_mapping.tsv",
    "resources/deid/label_review.tsv",
    "resources/deid/locator.tsv",
    "resources/deid/unexpected_columns.json",
]


def test_shard_counts_1_2_and_7_give_byte_identical_outputs(tmp_path):
    """One copy of the project: the twin and the intake run once, de-identification three times (the default
    one shard, then --set-scatter deidentify=2 and 7, forced)."""
    project = tmp_path / "study"
    shutil.copytree(ROOT, project, ignore=SKIP)
    target = ["--cores", "2", "results/deid/audit.json"]
    run(SNAKEMAKE + target, project)
    one = {path: (project / path).read_bytes() for path in OUTPUTS}
    assert not (project / "resources" / "deid" / "shards").exists()
    for shards in (2, 7):
        for path in OUTPUTS:
            (project / path).unlink()
        run(SNAKEMAKE + [*target, "--set-scatter", f"deidentify={shards}"], project)
        parts = sorted((project / "resources" / "deid" / "shards").glob(f"*-of-{shards}.json"))
        assert len(parts) == shards
        for path in OUTPUTS:
            assert (project / path).read_bytes() == one[path], (shards, path)


def test_a_patients_shard_is_read_from_the_pseudonym_and_does_not_depend_on_python():
    pseudonym = keys.patient_pseudonym(b"test key for the shard tests!!", "12345/21")
    assert shard_of(pseudonym, 1) == 0
    assert shard_of(pseudonym, 7) == int(pseudonym[1:], 16) % 7
    assert shard_of("P0000000000000009", 7) == 2 and shard_of("Pffffffffffffffff", 2) == 1


def test_tables_gather_by_pseudonym_keeping_each_patients_rows_in_order():
    a = 'patient_id\tentry\tnote\nP1\t1\tb\nP1\t2\ta\nP3\t1\t"x\ty"\n'
    b = "patient_id\tentry\tnote\nP2\t1\t\nP4\t1\tz\n"
    assert merge_tables([a, b]) == ('patient_id\tentry\tnote\nP1\t1\tb\nP1\t2\ta\nP2\t1\t\nP3\t1\t"x\ty"\nP4\t1\tz\n')
    assert merge_tables([a]) is a
    assert merge_tables([a, "patient_id\tentry\tnote\n"]) == a  # a shard without patients
    locator_a = "table\tpatient_id\tentry\nops\tP3\t1\npatients\tP1\t1\n"
    locator_b = "table\tpatient_id\tentry\nops\tP2\t1\npatients\tP2\t1\n"
    assert merge_tables([locator_a, locator_b], table_order=["patients", "ops"]) == (
        "table\tpatient_id\tentry\npatients\tP1\t1\npatients\tP2\t1\nops\tP2\t1\nops\tP3\t1\n"
    )


def test_audits_add_up_except_what_describes_the_whole_export():
    a = {"patients": 2, "tables": {"t": {"rows_read": 3, "columns_read": ["x"], "unexpected_columns_dropped": 1}}}
    b = {"patients": 5, "tables": {"t": {"rows_read": 4, "columns_read": ["x"], "unexpected_columns_dropped": 1}}}
    merged = merge_audits([a, b])
    assert merged == {
        "patients": 7,
        "tables": {"t": {"rows_read": 7, "columns_read": ["x"], "unexpected_columns_dropped": 1}},
    }
    try:
        merge_audits([{"kind": "integer"}, {"kind": "decimal"}])
    except ValueError:
        pass
    else:
        raise AssertionError("parts that disagree must stop the gather")


def test_labels_to_review_come_in_a_single_runs_order():
    first = [{"label": "c", "order": [2, 0]}, {"label": "a", "order": [1, 7]}]
    second = [{"label": "b", "order": [1, 9]}, {"label": "d", "order": [1, 3]}]
    assert [item["label"] for item in merge_items([first, second])] == ["d", "a", "b", "c"]
    assert all("order" not in item for item in merge_items([first, second]))


def test_the_default_is_one_shard_declared_in_the_config_and_its_schema(config):
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8"))
    declared = schema["properties"]["deidentification"]["properties"]["shards"]
    assert config["deidentification"]["shards"] == declared["default"] == 1
    assert 'deidentify=config["deidentification"]' in (ROOT / "Snakefile").read_text(encoding="utf-8")
