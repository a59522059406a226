"""The plausibility rules of the intake (scripts/intake/plausibility.py) on small hand-made canonical models, and a
property-based test that perturbs the twin's canonical model: every perturbation either stops with a named error or
yields exclusions that add up. Fast: no Snakemake."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.build import intake
from intake.model import ORIGIN, TABLES
from intake.plausibility import RULES, PlausibilityError, check, patient_key, revision_flag_labels

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
FLAGS = revision_flag_labels(yaml.safe_load((ROOT / "config" / "codebook.yaml").read_text(encoding="utf-8")))
AGE_AT = {"table": "operations", "column": "operation_date"}


def settings_with(**actions) -> dict:
    out = copy.deepcopy(CONFIG["plausibility"])
    out["max_excluded_share"] = 1.0  # small models: one patient is a large share
    for rule, action in actions.items():
        out["rules"][rule] = {"action": action}
    return out


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    columns = [*TABLES[name], *ORIGIN]
    filled = [
        {**dict.fromkeys(columns, ""), "source_file": f"{name}.csv", "source_line": str(i + 2), **r}
        for i, r in enumerate(rows)
    ]
    return pd.DataFrame(filled, columns=columns, dtype=object)


def model(patients=None, operations=None, follow_up=None, diagnoses=None, notes=None) -> dict[str, pd.DataFrame]:
    """Two plausible patients, A and B; the arguments replace or add rows."""
    base = {
        "patients": [
            {"record_number": "A", "birth_date": "01.01.1950", "sex": "ж"},
            {"record_number": "B", "birth_date": "15.06.1960", "sex": "м"},
        ],
        "operations": [
            {"record_number": "A", "operation_date": "10.03.2012", "is_revision": "нет"},
            {"record_number": "A", "operation_date": "10.09.2013", "is_revision": "да", "revision_reason": "вывих"},
            {"record_number": "B", "operation_date": "01.02.2015", "is_revision": ""},
        ],
        "follow_up": [
            {
                "record_number": "A",
                "last_contact_date": "01.01.2016",
                "vital_status": "умер",
                "death_date": "01.01.2016",
            },
            {"record_number": "B", "last_contact_date": "01.01.2020", "vital_status": "жив"},
        ],
        "diagnoses": [{"record_number": "A", "diagnosis_date": "01.01.2012"}, {"record_number": "B"}],
        "notes": [{"record_number": "A", "note_date": "10.03.2012", "text": "Осмотр.\nБез особенностей."}],
    }
    given_rows = {"patients": patients, "operations": operations, "follow_up": follow_up, "diagnoses": diagnoses}
    given_rows["notes"] = notes
    return {
        name: table(name, given_rows[name] if given_rows[name] is not None else rows) for name, rows in base.items()
    }


def run(tables, **actions):
    return check(tables, settings_with(**actions), FLAGS, AGE_AT)


def reasons(result) -> dict[str, str]:
    return dict(zip(result.exclusions["record_number"], result.exclusions["reason"], strict=True))


def test_a_plausible_model_has_no_findings():
    result = run(model())
    assert result.findings.empty and result.exclusions.empty
    assert result.patients == 2


@pytest.mark.parametrize("birth", ["", "29.02.1950", "31.04.1960", "весной 1950", "1950"])
def test_missing_or_impossible_birth_dates_exclude(birth):
    tables = model(
        patients=[{"record_number": "A", "birth_date": birth}, {"record_number": "B", "birth_date": "01.01.1960"}]
    )
    result = run(tables)
    assert reasons(result) == {"A": "implausible_birth_date"}
    row = result.findings.iloc[0]
    assert (row["source_file"], row["source_line"], row["column"], row["value"]) == (
        "patients.csv",
        "2",
        "birth_date",
        birth,
    )


@pytest.mark.parametrize(
    "birth,age",
    [("01.01.1880", 135), ("02.02.1997", 17), ("01.02.1997", None), ("02.02.1909", None), ("01.02.1909", 106)],
)
def test_ages_outside_the_range_exclude(birth, age):
    # B is operated on 01.02.2015
    tables = model(
        patients=[{"record_number": "A", "birth_date": "01.01.1950"}, {"record_number": "B", "birth_date": birth}]
    )
    result = run(tables)
    if age is None:
        assert result.findings.empty
    else:
        assert reasons(result) == {"B": "implausible_birth_date"}
        row = result.findings.iloc[0]
        assert row["value"] == f"{birth} (age {age} on operation_date 01.02.2015)"
        assert (row["table"], row["source_file"], row["source_line"], row["column"]) == (
            "patients",
            "patients.csv",
            "3",
            "birth_date",
        )


def test_a_patient_without_a_patient_row_has_no_birth_date():
    tables = model()
    tables["follow_up"].loc[2] = tables["follow_up"].loc[1]
    tables["follow_up"].loc[2, ["record_number", "source_line"]] = ["C", "4"]
    result = run(tables)
    assert reasons(result) == {"C": "implausible_birth_date"}
    assert result.findings.iloc[0][["table", "source_line", "column"]].tolist() == ["follow_up", "4", "record_number"]


def test_the_age_range_bounds_are_inclusive():
    tables = model(
        patients=[
            {"record_number": "A", "birth_date": "10.09.1908"},  # 105 on 10.09.2013 (and 103 on 10.03.2012)
            {"record_number": "B", "birth_date": "01.02.1997"},  # 18 on 01.02.2015
        ]
    )
    assert run(tables).findings.empty


def test_conflicting_birth_dates_stop_by_default_naming_both_rows():
    tables = model(
        patients=[
            {"record_number": "A", "birth_date": "01.01.1950"},
            {"record_number": "B", "birth_date": "15.06.1960"},
            {"record_number": "a ", "birth_date": "02.01.1950"},  # the same record number, differently written
        ]
    )
    with pytest.raises(PlausibilityError, match="conflicting_birth_dates") as err:
        check(tables, CONFIG["plausibility"], FLAGS, AGE_AT)
    assert "patients.csv, line 2, column 'birth_date': '01.01.1950'" in str(err.value)
    assert "patients.csv, line 4, column 'birth_date': '02.01.1950'" in str(err.value)
    assert reasons(run(tables, conflicting_birth_dates="exclude")) == {"A": "conflicting_birth_dates"}


def test_identical_duplicate_patient_rows_are_not_a_conflict():
    tables = model(
        patients=[
            {"record_number": "A", "birth_date": "01.01.1950", "phone": "1"},
            {"record_number": "A", "birth_date": "01.01.1950", "phone": "2"},
            {"record_number": "B", "birth_date": "15.06.1960"},
        ]
    )
    assert run(tables).findings.empty


def test_dates_after_the_export_date():
    tables = model()
    tables["operations"].loc[2, "operation_date"] = "01.01.2031"
    tables["notes"].loc[0, "note_date"] = "01.07.2021"  # one day after the twin's export date
    result = run(tables)
    assert reasons(result) == {"A": "date_after_export", "B": "date_after_export"}
    assert set(result.findings["column"]) == {"operation_date", "note_date"}


def test_without_a_declared_export_date_the_latest_date_is_the_export_date():
    tables = model()
    tables["operations"].loc[2, "operation_date"] = "01.01.2031"
    s = settings_with()
    s["export_date"] = None
    result = check(tables, s, FLAGS, AGE_AT)
    assert str(result.export_date) == "2031-01-01" and result.findings.empty


def test_an_export_date_in_the_future_is_a_config_error():
    s = settings_with()
    s["export_date"] = "2999-01-01"
    with pytest.raises(ValueError, match="export_date"):
        check(model(), s, FLAGS, AGE_AT)


def test_last_contact_after_death():
    tables = model()
    tables["follow_up"].loc[0, "last_contact_date"] = "02.01.2016"
    result = run(tables)
    assert reasons(result) == {"A": "contact_after_death"}
    assert result.findings.iloc[0]["value"] == "02.01.2016 (death 01.01.2016)"


def test_revision_flag_no_with_a_reason_and_yes_undated():
    tables = model()
    tables["operations"].loc[2, "revision_reason"] = "инфекция"  # flag "" reads as no
    assert reasons(run(tables)) == {"B": "revision_flag_mismatch"}
    tables = model()
    tables["operations"].loc[1, "operation_date"] = ""
    result = run(tables)
    assert reasons(result) == {"A": "revision_flag_mismatch"}
    assert result.findings.iloc[0]["column"] == "operation_date"


def test_an_unknown_flag_label_is_left_to_cleaning():
    tables = model()
    tables["operations"].loc[2, ["is_revision", "revision_reason"]] = ["возможно", "инфекция"]
    assert run(tables).findings.empty


def test_a_revision_on_the_index_day():
    tables = model()
    tables["operations"].loc[1, "operation_date"] = "10.03.2012"
    result = run(tables)
    assert reasons(result) == {"A": "revision_on_index_day"}


def test_control_characters_anywhere_and_removed_when_excluding():
    tables = model()
    tables["diagnoses"].loc[1, "lesion_size_cm"] = "4\x00,5"
    tables["notes"].loc[0, "text"] = "ok\twith a tab\r\nand a line break"  # not control characters here
    result = run(tables)
    assert reasons(result) == {"B": "control_characters"}
    assert result.tables["diagnoses"].loc[1, "lesion_size_cm"] == "4,5"
    assert tables["diagnoses"].loc[1, "lesion_size_cm"] == "4\x00,5", "the input is not modified"
    with pytest.raises(PlausibilityError, match="control_characters"):
        run(tables, control_characters="error")


def test_the_first_rule_in_order_gives_the_reason():
    tables = model(
        patients=[{"record_number": "A", "birth_date": ""}, {"record_number": "B", "birth_date": "01.01.1960"}]
    )
    tables["follow_up"].loc[0, "last_contact_date"] = "02.01.2016"
    tables["operations"].loc[0, "surgeon"] = "\x07"
    result = run(tables)
    assert reasons(result) == {"A": "control_characters"}
    assert set(result.findings["rule"]) == {"control_characters", "implausible_birth_date", "contact_after_death"}


def test_error_action_names_the_rule_and_three_rows():
    tables = model(
        patients=[{"record_number": r, "birth_date": ""} for r in "ABCDE"],
        follow_up=[{"record_number": r, "last_contact_date": "01.01.2016"} for r in "ABCDE"],
    )
    with pytest.raises(PlausibilityError) as err:
        run(tables, implausible_birth_date="error")
    message = str(err.value)
    assert message.startswith("plausibility rule implausible_birth_date")
    assert message.count("patients.csv, line") == 3


def test_a_share_over_the_threshold_stops_whatever_the_action():
    tables = model(
        patients=[{"record_number": r, "birth_date": "" if r in "AB" else "01.01.1960"} for r in "ABCDEFGHIJ"],
        follow_up=[{"record_number": r, "last_contact_date": "01.01.2016"} for r in "ABCDEFGHIJ"],
    )
    s = settings_with()
    s["max_excluded_share"] = 0.1
    with pytest.raises(PlausibilityError, match=r"would exclude 20\.0% of the 10 patients"):
        check(tables, s, FLAGS, AGE_AT)
    s["rules"]["implausible_birth_date"]["max_excluded_share"] = 0.2  # a rule's own threshold
    assert len(check(tables, s, FLAGS, AGE_AT).exclusions) == 2


def test_a_rule_left_out_is_not_applied_and_unknown_rules_are_named():
    tables = model()
    tables["follow_up"].loc[0, "last_contact_date"] = "02.01.2016"
    s = settings_with()
    del s["rules"]["contact_after_death"]
    assert check(tables, s, FLAGS, AGE_AT).findings.empty
    s["rules"]["no_such_rule"] = {"action": "error"}
    with pytest.raises(ValueError, match="no_such_rule"):
        check(tables, s, FLAGS, AGE_AT)


def test_the_schema_lists_every_rule_with_the_actions():
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8"))
    section = schema["properties"]["plausibility"]
    assert set(section["properties"]["rules"]["properties"]) == set(RULES)
    assert schema["$defs"]["plausibility_rule"]["properties"]["action"]["enum"] == ["error", "exclude"]
    assert set(CONFIG["plausibility"]["rules"]) == set(RULES)


def test_the_config_is_validated(tmp_path):
    from snakemake.utils import validate

    for broken in (
        {"max_excluded_share": 1.5},
        {"rules": {"contact_after_death": {"action": "ignore"}}},
        {"export_date": "30.06.2021"},
    ):
        config = copy.deepcopy(CONFIG)
        config["plausibility"].update(broken)
        with pytest.raises(Exception, match="plausibility|1.5|ignore|30.06.2021"):
            validate(config, str(ROOT / "workflow" / "schemas" / "config.schema.yaml"))


def test_an_unknown_age_is_never_top_coded():
    """De-identification: a patient without a usable birth date has no age, never 90 (issue 15)."""
    from deidentify.tables import ages

    data = {"patients": pd.DataFrame({"__record": ["a", "b"], "birth_date": ["01.01.1950", ""]})}
    columns = {"patients": {"birth_date": "birth_date"}}
    born = pd.to_datetime(pd.Series(["01.01.1950", None]), format="%d.%m.%Y")
    parsed = {("patients", "birth_date"): (born, pd.Series([False, False]))}
    on = pd.to_datetime(pd.Series(["01.01.2015", "01.01.2015", None, "01.01.2045"]), format="%d.%m.%Y")
    audit = {"ages_top_coded": 0}
    out = ages(data, columns, parsed, on, pd.Series(["a", "b", "a", "a"]), 90, audit)
    assert out.tolist()[0] == 65 and out.isna().tolist()[1:3] == [True, True]
    assert out.tolist()[3] == 90 and audit["ages_top_coded"] == 1


# --- property-based: perturbations of the twin's canonical model


@pytest.fixture(scope="module")
def twin_model(twin_dir):
    tables = CONFIG["raw_exports"]["tables"]
    return intake(tables, twin_dir / "raw").tables


def test_the_twin_is_plausible(twin_model):
    result = check(twin_model, CONFIG["plausibility"], FLAGS, CONFIG["deidentification"]["age_at"])
    assert result.findings.empty and result.patients == 278


def dead_row(tables, i):
    fu = tables["follow_up"]
    dead = fu.index[fu["death_date"].str.strip() != ""]
    return dead[i % len(dead)]


def revised_patient(tables, i):
    ops = tables["operations"]
    revised = ops.index[ops["is_revision"].str.lower() == "да"]
    return revised[i % len(revised)]


def perturb(tables, kind, i, text):
    """One perturbation of the canonical model; returns the record number it concerns and the reasons that may
    exclude it (an earlier rule may apply too)."""
    patients, ops, fu = tables["patients"], tables["operations"], tables["follow_up"]
    row = patients.index[i % len(patients)]
    record = patients.loc[row, "record_number"]
    operated = pd.to_datetime(
        ops.loc[ops["record_number"] == record, "operation_date"], format="%d.%m.%Y", errors="coerce"
    )
    if kind == "birth_too_old" and operated.isna().all():
        return record, None  # no age without a dated operation
    if kind == "birth_text":
        patients.loc[patients["record_number"] == record, "birth_date"] = text
        return record, None  # any text: excluded or not, the flow adds up
    if kind == "birth_blank":
        patients.loc[patients["record_number"] == record, "birth_date"] = ""
    elif kind == "birth_impossible":
        patients.loc[patients["record_number"] == record, "birth_date"] = "29.02.1950"
    elif kind == "birth_too_old":
        patients.loc[patients["record_number"] == record, "birth_date"] = "01.01.1850"
    elif kind == "event_after_export":
        r = ops.index[i % len(ops)]
        ops.loc[r, "operation_date"], record = "01.01.2031", ops.loc[r, "record_number"]
    elif kind == "contact_after_death":
        r = dead_row(tables, i)
        fu.loc[r, "last_contact_date"], record = "31.12.2020", fu.loc[r, "record_number"]
        fu.loc[r, "death_date"] = "01.01.2010"
    elif kind == "flag_no_with_reason":
        r = revised_patient(tables, i)
        ops.loc[r, "is_revision"], record = "нет", ops.loc[r, "record_number"]
    elif kind == "revision_on_index_day":
        r = revised_patient(tables, i)
        record = ops.loc[r, "record_number"]
        index = ops.index[(ops["record_number"] == record) & (ops["is_revision"].str.lower() != "да")]
        dates = pd.to_datetime(ops.loc[index, "operation_date"], format="%d.%m.%Y", errors="coerce").dropna()
        if len(dates) == 0:
            return record, None
        ops.loc[r, "operation_date"] = ops.loc[dates.index[0], "operation_date"]
    elif kind == "control_character":
        name = ["patients", "operations", "follow_up", "diagnoses"][i % 4]
        df = tables[name]
        r = df.index[i % len(df)]
        column = [c for c in TABLES[name] if c != "record_number"][i % (len(TABLES[name]) - 1)]
        df.loc[r, column], record = f"{df.loc[r, column]}\x00", df.loc[r, "record_number"]
    elif kind == "conflicting_birth":
        extra = patients.loc[[row]].assign(birth_date="02.02.1952", source_line="99999")
        tables["patients"] = pd.concat([patients, extra], ignore_index=True)
    return record, kind


EXPECTED = {
    "birth_blank": "implausible_birth_date",
    "birth_impossible": "implausible_birth_date",
    "birth_too_old": "implausible_birth_date",
    "event_after_export": "date_after_export",
    "contact_after_death": "contact_after_death",
    "flag_no_with_reason": "revision_flag_mismatch",
    "revision_on_index_day": "revision_on_index_day",
    "control_character": "control_characters",
    "conflicting_birth": "conflicting_birth_dates",
}
KINDS = ["birth_text", *EXPECTED]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 10_000)), min_size=0, max_size=4),
    st.text(max_size=12),
    st.sampled_from(["error", "exclude"]),
)
def test_perturbed_exports_stop_by_name_or_exclude_and_add_up(twin_model, perturbations, text, conflict_action):
    tables = {name: df.copy() for name, df in twin_model.items()}
    touched = [perturb(tables, kind, i, text) for kind, i in perturbations]
    s = copy.deepcopy(CONFIG["plausibility"])
    s["rules"]["conflicting_birth_dates"] = {"action": conflict_action}
    try:
        result = check(tables, s, FLAGS, CONFIG["deidentification"]["age_at"])
    except PlausibilityError as err:
        assert err.rule in RULES and str(err).startswith(f"plausibility rule {err.rule} ")
        assert ", line " in str(err) and "column" in str(err)
        return
    excluded = result.exclusions
    keys = excluded["record_number"].map(patient_key)
    # one reason per patient, a known rule; the patients kept and excluded add up to the export's
    assert keys.is_unique and set(excluded["reason"]) <= set(RULES)
    assert excluded["reason"].value_counts().sum() == len(excluded) <= result.patients
    everyone = set()
    for name in ("patients", "diagnoses", "operations", "follow_up"):
        everyone |= set(result.tables[name]["record_number"].map(patient_key))
    everyone.discard("")
    assert set(keys) <= everyone and len(everyone) == result.patients
    # every finding's patient is excluded, under the first rule that applies to them
    order = list(RULES)
    reason_of = dict(zip(keys, excluded["reason"], strict=True))
    for record, rules in result.findings.groupby(result.findings["record_number"].map(patient_key))["rule"]:
        if record:
            assert reason_of[record] == min(rules, key=order.index)
    # each perturbation of a detected kind excludes its patient (by its rule or an earlier one), unless another
    # perturbation of the same patient undid it
    times = pd.Series([patient_key(r) for r, _ in touched]).value_counts()
    for record, kind in touched:
        if kind in EXPECTED and times[patient_key(record)] == 1:
            reason = reason_of.get(patient_key(record))
            assert reason is not None, (kind, record)
            assert order.index(reason) <= order.index(EXPECTED[kind]), (kind, reason)
    # nothing with a control character is left in the tables the intake writes
    for df in result.tables.values():
        assert not df.astype(str).apply(lambda c: c.str.contains("\x00")).any().any()


def test_the_preflight_report_lists_what_the_rules_would_do(twin_dir, tmp_path):
    import shutil

    from intake.preflight import preflight

    raw = tmp_path / "raw"
    shutil.copytree(twin_dir / "raw", raw)
    path = raw / "patients.csv"
    rows = path.read_bytes().decode("cp1251").split("\r\n")
    fields = rows[1].split(";")
    fields[2] = "29.02.1950"
    rows[1] = ";".join(fields)
    path.write_bytes("\r\n".join(rows).encode("cp1251"))
    report = preflight(
        CONFIG["raw_exports"]["tables"],
        raw,
        ROOT / "config" / "codebook.yaml",
        plausibility=CONFIG["plausibility"],
        age_at=CONFIG["deidentification"]["age_at"],
    )
    section = report[report.index("## Plausibility rules") : report.index("## What the intake would produce")]
    assert "`implausible_birth_date`: 1 findings, 0.4% of the patients; the run excludes the patients" in section
    assert "line 2, birth_date = '29.02.1950'" in section
    assert "`implausible_birth_date`: 1 findings" in report[report.index("## Summary") :]


def test_every_plausibility_reason_reads_in_words_in_the_paper_and_the_flow_diagram():
    """The flow sentence and the flow diagram name a plausibility exclusion in words, never by its code."""
    from cleaning.report import flow_figure
    from common.study import EXCLUSION_LABELS, PLAUSIBILITY_RULES
    from manuscript.render import Formatter, exclusions_phrase

    flow = {"patients_in_export": 20, "patients_analysed": 13, "patients_revised": 2}
    flow |= {"deaths_without_revision": 8, "censored": 3, "excluded": dict.fromkeys(PLAUSIBILITY_RULES, 1)}
    phrase = exclusions_phrase(flow, Formatter(False))
    for rule in PLAUSIBILITY_RULES:
        assert EXCLUSION_LABELS[rule] in phrase and rule not in phrase, rule
    figure = flow_figure(flow)
    drawn = " ".join(t.get_text() for ax in figure.axes for t in ax.texts)
    assert all(rule not in drawn for rule in PLAUSIBILITY_RULES), drawn


def test_an_empty_operations_table_gives_no_finding():
    """No operation at all is for cleaning to count (no_operation), not a crash of the index-day rule."""
    from intake.plausibility import revisions_on_index_day

    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in [*TABLES["operations"], *ORIGIN]})
    found = revisions_on_index_day(empty, {"да": "yes", "нет": "no"})
    assert len(found) == 1 and found[0].empty and "source_line" in found[0].columns
