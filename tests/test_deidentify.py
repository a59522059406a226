"""The de-identification stage, point by point against the checklist in ../shared/reference/deidentification.md."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import socket
from datetime import date

import pandas as pd
import pytest
from conftest import TEST_KEY, deidentify_twin, read_raw

from deidentify import keys
from deidentify.kanon import quasi_identifiers, report
from deidentify.leaks import LeakScanner
from deidentify.scrub import PatientIdentity, Scrubber
from deidentify.tables import deidentify
from raw_exports import RawExportError, parse_dates, read_raw_table
from synthetic_twin import vocabulary as vocab

DAY = pd.Timedelta(days=1)


def raw_dates(twin_dir, config, table, column):
    spec = config["raw_exports"]["tables"][table]
    data = read_raw_table(twin_dir / "raw" / spec["file"], spec).data
    dates, _ = parse_dates(data[column], spec["date_format"])
    return data.assign(
        parsed_date=dates, pseudonym=data["record_number"].map(lambda r: keys.patient_pseudonym(TEST_KEY, r))
    )


# 1. The declared format is read; a file that does not parse fails naming file, line and column.
def test_1_wrong_declared_encoding_fails_naming_file_and_line(twin_dir, config):
    spec = dict(config["raw_exports"]["tables"]["operations"], encoding="utf-8")
    with pytest.raises(RawExportError) as err:
        read_raw_table(twin_dir / "raw" / "operations.csv", spec)
    assert "operations.csv" in str(err.value) and err.value.line is not None


# 2. Only allow-listed columns pass.
def test_2_only_allow_listed_columns_pass(deidentified, config):
    roles = config["deidentification"]["columns"]
    for table, out in deidentified.tables.items():
        kept = {c for c, r in roles[table].items() if r in ("keep", "free_text", "staff_id")}
        dates = {c for c, r in roles[table].items() if r == "date"}
        coding = config["deidentification"]["coding"].get(table, {})
        numbers = {f"{c}_unparseable" for c, kind in coding.items() if kind in ("integer", "decimal")}
        allowed = {"patient_id", "entry"} | kept | numbers
        for c in dates:
            base = c.removesuffix("_date")
            allowed |= {f"{base}_day", f"{base}_year", f"{base}_date_unparseable"}
        allowed |= {"age_at_operation"} if table == "operations" else set()
        assert set(out.columns) <= allowed, table
    assert "notes" not in deidentified.tables


def test_2_an_unexpected_column_never_reaches_an_output(tmp_path, twin_dir, config, scrubber):
    raw = read_raw(twin_dir, config)
    path = twin_dir / "raw" / "patients.csv"
    text = path.read_bytes().decode("cp1251").split("\r\n")
    canary = "+7 (999) 111-22-33"
    planted = [text[0] + ";Телефон родственника"] + [line + f";{canary}" for line in text[1:] if line] + [""]
    (tmp_path / "patients.csv").write_bytes("\r\n".join(planted).encode("cp1251"))
    raw["patients"] = read_raw_table(tmp_path / "patients.csv", config["raw_exports"]["tables"]["patients"])
    assert raw["patients"].unexpected_columns == ["Телефон родственника"]
    result = deidentify_twin(twin_dir, config, scrubber, raw=raw)
    everything = "".join(t.to_csv() for t in result.tables.values())
    assert canary not in everything and "9991112233" not in re.sub(r"\D", "", everything)
    # The audit (results/) counts the column; its header name stays on the raw side.
    assert result.audit["tables"]["patients"]["unexpected_columns_dropped"] == 1
    assert "Телефон родственника" not in json.dumps(result.audit, ensure_ascii=False)
    assert result.unexpected_headers["patients"] == ["Телефон родственника"]


def test_2_a_column_with_role_drop_or_unlisted_does_not_pass(twin_dir, config, scrubber):
    settings = copy.deepcopy(config["deidentification"])
    settings["columns"]["diagnoses"]["lesion_size_cm"] = "drop"
    del settings["columns"]["diagnoses"]["ecog"]
    result = deidentify_twin(twin_dir, config, scrubber, settings=settings)
    assert not {"lesion_size_cm", "ecog", "ecog_unparseable"} & set(result.tables["diagnoses"].columns)


# 3. Keyed HMAC pseudonyms.
def test_3_pseudonyms_are_keyed_hmac_stable_and_key_dependent(deidentified, twin):
    mrn = twin.truth["record_number"].iloc[0]
    pseudonym = keys.patient_pseudonym(TEST_KEY, mrn)
    assert pseudonym == keys.patient_pseudonym(TEST_KEY, mrn)
    assert pseudonym != keys.patient_pseudonym(b"another key of sufficient length", mrn)
    assert pseudonym in set(deidentified.tables["patients"]["patient_id"])
    for variant in (mrn, keys.normalise(mrn), mrn.lower()):
        for digest in (hashlib.sha256, hashlib.md5, hashlib.sha1):
            assert pseudonym[1:] not in digest(variant.encode()).hexdigest()
    assert re.fullmatch(r"P[0-9a-f]{16}", pseudonym)


def test_3_same_record_same_pseudonym_in_every_table(deidentified):
    ids = {name: set(t["patient_id"]) for name, t in deidentified.tables.items()}
    assert ids["operations"] <= ids["patients"] and ids["follow_up"] <= ids["patients"]


# 4. The key comes from outside the repository; real data without a key is refused.
def test_4_real_data_without_a_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("STUDY_PSEUDONYM_KEY", raising=False)
    with pytest.raises(keys.KeyError_, match="STUDY_PSEUDONYM_KEY"):
        keys.load_key("STUDY_PSEUDONYM_KEY", "", "real", None, tmp_path)


def test_4_only_the_twin_may_use_the_demo_key(monkeypatch, tmp_path):
    monkeypatch.delenv("STUDY_PSEUDONYM_KEY", raising=False)
    demo = tmp_path / "demo.key"
    demo.write_text("0" * 64)
    key, origin = keys.load_key("STUDY_PSEUDONYM_KEY", "", "synthetic", str(demo), tmp_path)
    assert key == b"0" * 64 and "demo" in origin
    with pytest.raises(keys.KeyError_):
        keys.load_key("STUDY_PSEUDONYM_KEY", "", "real", str(demo), tmp_path)


def test_4_environment_then_file_and_never_a_file_inside_the_project(monkeypatch, tmp_path):
    project, outside = tmp_path / "project", tmp_path / "vault"
    project.mkdir(), outside.mkdir()
    (project / "key").write_text("k" * 32)
    (outside / "key").write_text("v" * 32)
    monkeypatch.delenv("STUDY_PSEUDONYM_KEY", raising=False)
    with pytest.raises(keys.KeyError_, match="inside the project"):
        keys.load_key("STUDY_PSEUDONYM_KEY", str(project / "key"), "real", None, project)
    assert keys.load_key("STUDY_PSEUDONYM_KEY", str(outside / "key"), "real", None, project)[0] == b"v" * 32
    monkeypatch.setenv("STUDY_PSEUDONYM_KEY", "e" * 32)
    key, origin = keys.load_key("STUDY_PSEUDONYM_KEY", str(outside / "key"), "real", None, project)
    assert key == b"e" * 32 and "environment" in origin
    monkeypatch.setenv("STUDY_PSEUDONYM_KEY", "short")
    with pytest.raises(keys.KeyError_, match="bytes"):
        keys.load_key("STUDY_PSEUDONYM_KEY", "", "real", None, project)


# 5. Dates: days from one anchor per patient, in every table and in free text; intervals exact; the year stays.
def test_5_every_date_is_its_exact_day_from_the_patients_first_operation(deidentified, twin_dir, config):
    ops = raw_dates(twin_dir, config, "operations", "operation_date")
    anchor = ops.groupby("pseudonym")["parsed_date"].min()
    for table, column in (
        ("operations", "operation_date"),
        ("follow_up", "last_contact_date"),
        ("follow_up", "death_date"),
        ("diagnoses", "diagnosis_date"),
    ):
        raw = raw_dates(twin_dir, config, table, column)
        locator = deidentified.locator[deidentified.locator["table"] == table]
        out = deidentified.tables[table].merge(
            locator[["patient_id", "entry", "source_line"]], on=["patient_id", "entry"]
        )
        base = column.removesuffix("_date")
        merged = out.merge(
            raw[["pseudonym", "parsed_date"]].assign(source_line=range(2, len(raw) + 2)),
            left_on=["patient_id", "source_line"],
            right_on=["pseudonym", "source_line"],
        )
        assert len(merged) == len(out)
        expected = (merged["parsed_date"] - merged["patient_id"].map(anchor)).dt.days
        has = merged["parsed_date"].notna() & merged["patient_id"].map(anchor).notna()
        assert (merged.loc[has, f"{base}_day"].astype(int) == expected[has].astype(int)).all(), column
        assert (merged.loc[has, f"{base}_year"].astype(int) == merged.loc[has, "parsed_date"].dt.year).all()


@pytest.fixture(scope="module")
def with_reason_text(twin_dir, config, scrubber):
    """The twin de-identified with the revision reasons' scrubbed text passing too (free_text_passes)."""
    settings = copy.deepcopy(config["deidentification"])
    settings["free_text_passes"] = ["operations.revision_reason"]
    return deidentify_twin(twin_dir, config, scrubber, settings=settings)


def test_5_dates_in_free_text_agree_with_the_tables(with_reason_text, twin_dir, config):
    """A date inside a revision reason becomes the same day offset the tables use (MIMIC-III release note 60)."""
    ops = raw_dates(twin_dir, config, "operations", "operation_date")
    anchor = ops.groupby("pseudonym")["parsed_date"].min()
    raw_reasons = ops[ops["revision_reason"].str.contains(r"\d{2}\.\d{2}\.\d{4}")]
    assert len(raw_reasons) >= 5
    locator = with_reason_text.locator[with_reason_text.locator["table"] == "operations"]
    out = (
        with_reason_text.tables["operations"]
        .merge(locator[["patient_id", "entry", "source_line"]], on=["patient_id", "entry"])
        .set_index(["patient_id", "source_line"])
    )
    for row in raw_reasons.itertuples():
        written = pd.Timestamp(
            pd.to_datetime(re.search(r"\d{2}\.\d{2}\.\d{4}", row.revision_reason).group(), format="%d.%m.%Y")
        )
        scrubbed = out.loc[(row.pseudonym, row.Index + 2), "revision_reason_text"]
        assert f"[ДАТА {(written - anchor[row.pseudonym]).days:+d}]" in scrubbed


def test_5_intervals_to_revision_death_and_contact_are_those_of_the_truth(deidentified, twin):
    """The study's outcome times survive de-identification exactly."""
    ops = deidentified.tables["operations"]
    fu = deidentified.tables["follow_up"].sort_values("last_contact_day").drop_duplicates("patient_id", keep="last")
    for row in twin.truth.sample(60, random_state=1).itertuples():
        pid = keys.patient_pseudonym(TEST_KEY, row.record_number)
        mine = ops[ops["patient_id"] == pid]
        first_long = mine[(mine["bone"] != "spine") & (mine["operation_day"].notna())]
        index_day = first_long["operation_day"].min()
        f = fu[fu["patient_id"] == pid].iloc[0]
        if row.event == 1:
            revision_day = mine.loc[mine["is_revision"] == "yes", "operation_day"].min()
            assert revision_day - index_day == row.time_days
        elif row.event == 2:
            assert f["death_day"] - index_day == row.time_days
        else:
            assert f["last_contact_day"] - index_day == row.time_days


# 6. Ages over 89 are top-coded.
def test_6_ages_over_89_are_top_coded(deidentified, twin):
    ops = deidentified.tables["operations"]
    assert ops["age_at_operation"].max() == 90
    old = twin.truth[twin.truth["age_at_surgery"] > 89]
    assert len(old) >= 1
    for mrn in old["record_number"]:
        ages = ops.loc[ops["patient_id"] == keys.patient_pseudonym(TEST_KEY, mrn), "age_at_operation"]
        assert (ages == 90).all()
    assert deidentified.audit["ages_top_coded"] >= len(old)


# 7. Addresses, phones, SNILS, policies dropped; surgeons become staff pseudonyms.
def test_7_contact_and_insurance_columns_are_dropped_surgeons_pseudonymised(deidentified):
    columns = {c for t in deidentified.tables.values() for c in t.columns}
    assert not {"full_name", "birth_date", "snils", "oms_policy", "address", "phone", "record_number"} & columns
    surgeons = deidentified.tables["operations"]["surgeon"]
    assert surgeons.str.fullmatch(r"S[0-9a-f]{10}").all()
    assert surgeons.nunique() == deidentified.audit["staff"]


# 8. Free text is scrubbed; recall measured on an annotated corpus.
@pytest.mark.slow  # NER over a 150-patient corpus: about 10-25 s
def test_8_recall_on_the_annotated_corpus(scrubber):
    from deidentify.corpus import generate_corpus, recall

    result = recall(generate_corpus(150, seed=11), scrubber)
    assert result["recall"]["all"] >= 0.99
    assert result["recall"]["own"] == 1.0
    assert result["identifiers"]["all"] > 3000


def test_8_medical_labels_pass_the_scrubber_unchanged(scrubber):
    labels = [t for _, (_, texts) in vocab.PRIMARY.items() for t in texts]
    for table in (
        vocab.INDEX_OPERATION,
        vocab.REVISION_OPERATION,
        vocab.REVISION_REASON,
        vocab.BONE,
        vocab.SEGMENT,
        vocab.FRACTURE,
        vocab.SEX,
        vocab.YES_NO,
        vocab.VITAL_STATUS,
    ):
        labels += [v for variants in table.values() for v in variants]
    labels += [text for _, text in vocab.NON_METASTATIC] + vocab.BONE_METASTASIS_CODE
    changed = {label: scrubber.scrub(label).text for label in labels if scrubber.scrub(label).text != label}
    assert not changed


def test_8_canaries_in_free_text_never_come_out(scrubber):
    patient = PatientIdentity(
        full_name="Соколовская Вера Петровна",
        record_number="ИБ-7654321",
        numbers=("123-456-789 64", "7712345678901234", "+7 (916) 555-44-33"),
        anchor=date(2015, 3, 1),
    )
    text = (
        "Эндопротезирование. Со слов Соколовской В.П. (СНИЛС 123-456-789 64, полис 7712345678901234, "
        "тел. 89165554433, ИБ-7654321) упала 12.03.2015; дочь Анна Соколовская, Тула, ул. Ленина, д. 5."
    )
    out = scrubber.scrub(text, patient).text
    for canary in (
        "Соколовск",
        "123-456-789",
        "7712345678901234",
        "89165554433",
        "7654321",
        "Анна",
        "Ленина",
        "12.03.2015",
    ):
        assert canary not in out, (canary, out)
    assert out.startswith("Эндопротезирование.") and "[ДАТА +11]" in out


def test_8_canary_in_a_coded_column_never_crosses(twin_dir, config, scrubber, tmp_path):
    raw = read_raw(twin_dir, config)
    raw["diagnoses"].data.loc[0, "ecog"] = "2, звонить 8-916-555-44-33"
    result = deidentify_twin(twin_dir, config, scrubber, raw=raw)
    assert "555-44-33" not in result.tables["diagnoses"].to_csv()
    # A number column crosses as a number: the text is not one, so it crosses as empty, flagged and counted.
    assert result.audit["numbers"]["diagnoses.ecog"]["unparseable"] == 1
    assert result.tables["diagnoses"]["ecog_unparseable"].sum() == 1


def test_8_canary_in_a_coded_column_without_coding_is_scrubbed(twin_dir, config, scrubber, tmp_path):
    raw = read_raw(twin_dir, config)
    raw["diagnoses"].data.loc[0, "ecog"] = "2, звонить 8-916-555-44-33"
    settings = copy.deepcopy(config["deidentification"])
    del settings["coding"]["diagnoses"]["ecog"]
    result = deidentify_twin(twin_dir, config, scrubber, raw=raw, settings=settings)
    assert "555-44-33" not in result.tables["diagnoses"].to_csv()
    assert result.audit["coded_values_scrubbed"]["diagnoses.ecog"]["values_changed"] == 1


# 9. The leak scan finds identifiers exact and normalised, and reports no values.
@pytest.mark.parametrize(
    "planted",
    [
        "Блинова Зинаида Викторовна",
        "блинова зинаида викторовна",
        "БЛИНОВА З. В.",
        "+7 (994) 825-15-87",
        "89948251587",
        "9948251587",
        "1957-10-29",
        "29/10/1957",
        "29.10.57",
        "549-434-148 12",
        "54943414812",
        "ИБ-0101011",
    ],
)
def test_9_leak_scanner_finds_planted_identifiers(planted):
    scanner = LeakScanner(
        [
            "Блинова Зинаида Викторовна",
            "Блинова З.В.",
            "+7 (994) 825-15-87",
            "29.10.1957",
            "549-434-148 12",
            "ИБ-0101011",
        ]
    )
    assert scanner.scan_text(f"patient_id\tnote\nP1\t{planted}\n")


def test_9_leak_scanner_finds_identifier_shapes_not_in_any_list():
    scanner = LeakScanner([])
    assert scanner.scan_text("SNILS 112-233-445 95")  # valid check digit
    assert not scanner.scan_text("value 112-233-445 96")  # invalid check digit: not a SNILS
    assert scanner.scan_text("позвонить +7 (916) 123-45-67")
    assert scanner.scan_text("родился 01.02.1950")


def test_9_leak_scanner_is_quiet_on_de_identified_outputs(deidentified, twin):
    scanner = LeakScanner(twin.identifiers + deidentified.identifiers)
    for name, table in deidentified.tables.items():
        assert scanner.scan_text(table.to_csv(sep="\t", index=False)) == [], name
    assert scanner.scan_text(json.dumps(deidentified.audit, ensure_ascii=False)) == []
    assert scanner.scan_text("0.9991666666666666 0.251012 12345.678901 P0212c9a4824885c7") == []


# 10. k-anonymity report, checked by hand.
def test_10_k_anonymity_by_hand():
    patients = pd.DataFrame({"patient_id": list("abcdef"), "sex": ["Ж", "ж", "жен", "М", "м", "муж"]})
    diagnoses = pd.DataFrame(
        {"patient_id": list("abcdef"), "primary_icd10": ["C50.4", "С50.9", "C50", "C61", "C61", "C64"]}
    )
    operations = pd.DataFrame(
        {
            "patient_id": list("abcdef"),
            "entry": [1] * 6,
            "operation_day": [0] * 6,
            "age_at_operation": [61, 65, 69, 70, 72, 95],
            "operation_year": [2010] * 6,
        }
    )
    qi = quasi_identifiers(patients, diagnoses, operations, 90)
    result = report(qi, 10, 2, 90)
    released = result["levels"][0]
    # Classes: (60s, F, C50, 2010) x3; (70s, M, C61, 2010) x2; (90+, M, C64, 2010) x1 -> k = 1
    assert released["k"] == 1 and released["equivalence_classes"] == 3
    assert released["patients_in_classes_below_k_threshold"] == 1
    assert released["class_size_histogram"] == {"1": 1, "2": 1, "3": 1}
    assert result["levels"][-1]["k"] >= 1


# 11. No network.
def test_11_deidentification_runs_with_the_network_blocked(monkeypatch, twin_dir, config):
    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    fresh = Scrubber(True, tuple(config["deidentification"]["kept_terms"]))
    settings = copy.deepcopy(config["deidentification"])
    settings["free_text_passes"] = ["operations.revision_reason"]
    result = deidentify_twin(twin_dir, config, fresh, settings=settings)
    assert result.audit["free_text"]["operations.revision_reason"]["replacements"]["name"] > 0


# 12. Same input and key: byte-identical outputs; another key: other pseudonyms, same content.
@pytest.mark.slow  # de-identifies the whole twin twice more, with NER
def test_12_same_input_and_key_give_identical_bytes(deidentified, twin_dir, config):
    again = deidentify_twin(twin_dir, config, Scrubber(True, tuple(config["deidentification"]["kept_terms"])))
    for name, table in deidentified.tables.items():
        assert table.to_csv(sep="\t", index=False) == again.tables[name].to_csv(sep="\t", index=False)
    from conftest import coder_for

    specs = config["raw_exports"]["tables"]
    other = deidentify(
        read_raw(twin_dir, config),
        specs,
        config["deidentification"],
        b"a different key for the same data",
        Scrubber(True, ()),
        coder_for(config),
        {name: spec.get("decimal", ".") for name, spec in specs.items()},
    )
    assert not set(other.tables["patients"]["patient_id"]) & set(deidentified.tables["patients"]["patient_id"])
    assert len(other.tables["operations"]) == len(deidentified.tables["operations"])


# 13. The audit record counts what was done and holds no personal data.
def test_13_audit_record(deidentified, twin):
    audit = deidentified.audit
    assert audit["tables"]["patients"]["rows_read"] == twin.summary["rows"]["patients"]
    assert audit["tables"]["notes"]["rows_written"] == 0 and audit["dropped_tables"] == ["notes"]
    assert set(audit["tables"]["patients"]["columns_dropped"]) == {
        "full_name",
        "birth_date",
        "snils",
        "oms_policy",
        "address",
        "phone",
    }
    assert audit["dates"]["operations.operation_date"]["unparseable"] == 3
    # No free text crosses by default: the three free-text columns cross as codes.
    assert audit["free_text"] == {}
    assert audit["coded"]["operations.revision_reason"]["unmapped"] == 0
    assert audit["patients"] == twin.summary["patients_in_export"]
    assert LeakScanner(twin.identifiers).scan_text(json.dumps(audit, ensure_ascii=False, indent=1)) == []


def test_9_shapes_inside_bundled_javascript_are_not_findings_but_known_identifiers_are():
    from deidentify.leaks import mask_scripts

    page = "<p>ok</p>\n<script>var max=9007199254740991;\nvar who='Блинова З.В.'</script>\n<p>7712345678901234</p>\n"
    scanner = LeakScanner(["Блинова З.В."])
    found = scanner.scan_text(page, mask_scripts(page))
    assert (2, "pattern_policy") not in found  # a JavaScript constant
    assert (3, "identifier") in found  # a known identifier, even inside a script
    assert (4, "pattern_policy") in found  # a policy-shaped number in the page's text


def test_9_numbers_in_neighbouring_tsv_fields_are_not_joined_into_an_identifier():
    scanner = LeakScanner(["+7 (934) 457-20-16", "8934457201"])
    assert scanner.scan_text("P945fa9b487f94acf\t8934\t457\t2016\t0\t42\tБИОС\n") == []
    assert scanner.scan_text("tel 8 934 457 20 16\n")  # the same digits written as one number are found


def test_9_digits_inside_an_address_are_not_an_identifier_on_their_own():
    scanner = LeakScanner(["г. Москва, ул. Ленина, д. 112, кв. 147", "ИБ-0112147"])
    assert scanner.scan_text("rows_read: 112147\n") == []
    assert scanner.scan_text("lives at г. Москва, ул. Ленина, д. 112, кв. 147\n")
    assert scanner.scan_text("record ИБ 0112147\n")


def test_9_version_numbers_are_not_dates():
    scanner = LeakScanner(["02.01.1910"])
    assert scanner.scan_text('<script src="libs/require.js/2.1.10/require.min.js"></script>\n') == []
    assert scanner.scan_text("born 02.01.10\n") and scanner.scan_text("born 1910-01-02\n")


def test_9_a_web_page_is_scanned_without_its_vendor_scripts_but_with_its_embedded_files(tmp_path):
    import base64

    embedded = base64.b64encode("Блинова З.В.\n".encode()).decode()
    page = tmp_path / "report.html"
    page.write_text(
        "<script>/* credits: Vladimir */ var x = 1;</script>\n<p>ok</p>\n"
        f'<a href="data:text/plain;charset=utf-8;base64,{embedded}">table</a>\n<p>Vladimir</p>\n',
        encoding="utf-8",
    )
    findings, _ = LeakScanner(["Vladimir", "Блинова З.В."]).scan_files([page])
    where = {(f.part, f.line) for f in findings}
    assert ("", 1) not in where  # the name inside the bundled script
    assert ("", 4) in where  # the same name in the page's own text
    assert any(part.startswith("(embedded data URI") for part, _ in where)


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    import struct
    import zlib

    out = b"\x89PNG\r\n\x1a\n"
    for kind, data in chunks:
        out += struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return out


def test_9_a_png_is_scanned_without_its_pixels_with_its_text_chunks_on_the_same_lines(tmp_path):
    """The gate leaves out a PNG's IDAT data (compressed pixels: no readable text, and most of its time on
    figures) but still reads every other chunk, at the line it has in the whole file; the same for a PNG a web page
    embeds (its text chunks are now read at all), whose base64 is left out of the page's own text."""
    import base64

    from deidentify.leaks import png_without_pixels

    pixels = b"\x00\n\xff\x8a" * 500 + "Блинова".encode()  # 500 line breaks among the pixels
    png = _png(
        [
            (b"IHDR", b"\x00" * 13),
            (b"IDAT", pixels),
            (b"tEXt", "Author\x00Блинова З.В.".encode()),
            (b"IEND", b""),
        ]
    )
    lean = png_without_pixels(png)
    assert len(lean) < len(png) - 1500 and lean.count(b"\n") == png.count(b"\n")
    assert lean.count("Блинова".encode()) == 1 and "Блинова З.В.".encode() in lean  # the text chunk's, not the pixels'
    assert lean.endswith(png[png.index(b"tEXt") - 4 :])  # every chunk after the pixels, whole
    assert png_without_pixels(b"not a png\n") == b"not a png\n"
    assert png_without_pixels(png[:-20]).endswith(png[-20 - 30 : -20])  # truncated: the tail is kept as it is
    figure = tmp_path / "figure.png"
    figure.write_bytes(png)
    scanner = LeakScanner(["Блинова З.В."])
    findings, _ = scanner.scan_files([figure])
    whole_file_line = png[: png.index("Блинова З.В.".encode())].count(b"\n") + 1
    assert [(f.line, f.kind) for f in findings] == [(whole_file_line, "identifier")]
    page = tmp_path / "paper.html"
    embedded = base64.b64encode(png).decode()
    page.write_text(f'<p>ok</p>\n<img src="data:image/png;base64,{embedded}">\n<p>Блинова З.В.</p>\n', encoding="utf-8")
    findings, _ = scanner.scan_files([page])
    assert {(f.part, f.line) for f in findings} == {
        ("", 3),
        ("(text without tags)", 3),
        ("(embedded data URI 1, image/png)", whole_file_line),
    }


def test_the_lean_ner_tagger_tags_as_natasha_does():
    """scrub.ner_tagger builds natasha's NER from its model files without the parts of the embedding only
    similarity needs: the same spans as natasha.NewsNERTagger(natasha.NewsEmbedding()) on the twin's notes."""
    from natasha import NewsEmbedding, NewsNERTagger

    from deidentify.corpus import generate_corpus
    from deidentify.normalise import fold
    from deidentify.scrub import ner_tagger

    texts = [fold(doc.text)[0] for doc in generate_corpus(30, 11)]
    texts += ["Пациентку Блинову З.В. оперировал д-р Сомов в Подольске.", "", "без имён"]
    natasha = NewsNERTagger(NewsEmbedding())
    lean = [[(s.start, s.stop, s.type) for s in m.spans] for m in ner_tagger().map(texts)]
    assert lean == [[(s.start, s.stop, s.type) for s in m.spans] for m in natasha.map(texts)]
    assert sum(map(len, lean)) > 100
    assert [(s.start, s.stop, s.type) for s in ner_tagger()(texts[-3]).spans] == lean[-3]


def test_razdel_tokens_are_razdels():
    """scrub.razdel_tokens gives razdel.tokenize's tokens (start, stop, text) on the recall corpora and on random
    strings of letters, digits, dashes, points, slashes, smileys, quotes and other characters (every rule of
    razdel's tokeniser fires on some of them)."""
    import random

    from razdel import tokenize

    from deidentify.corpus import generate_corpus
    from deidentify.scrub import razdel_tokens

    texts = [doc.text for doc in generate_corpus(20, 5)]
    alphabet = list("аБвЁё ab Z09.,-–—_/\\!?…:;=()«»\"'*@#№$ \t\nΔσ😀яхуyahoo") + [
        "yahoo",
        "YAHOO",
        ":-)",
        "1,5",
        "3/4",
    ]
    rng = random.Random(1)
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25))) for _ in range(5000)]
    joined = 0
    for text in texts:
        expected = [(t.start, t.stop, t.text) for t in tokenize(text)]
        assert razdel_tokens(text) == expected, text
        joined += sum(1 for t in expected if len(t[2]) > 1 and not t[2].isalnum())
    assert joined > 1000


def test_ner_emissions_are_slovnets():
    """scrub._ner_emissions computes slovnet's NER network to the bit: the same float32 emissions as the model's
    own call on batches of the twin's notes (padded, of different lengths) and on a batch of one."""
    import numpy as np

    from deidentify.corpus import generate_corpus
    from deidentify.normalise import fold
    from deidentify.scrub import _ner_emissions, ner_tagger, razdel_tokens

    infer = ner_tagger().infer
    texts = [fold(doc.text)[0] for doc in generate_corpus(12, 13)] + ["Пациент Сомов.", "А", "г. Тверь, ул. Мира"]
    items = [[w for _, _, w in razdel_tokens(t)] for t in texts]
    for batch in list(infer.encoder(items)) + list(infer.encoder(items[:1])):
        expected = infer.model(batch.word_id, batch.shape_id, batch.pad_mask)
        got = _ner_emissions(infer.model, batch.word_id, batch.shape_id, batch.pad_mask)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_tag_texts_is_slovnets_map():
    """scrub.tag_texts gives the spans of slovnet's NER `map` (the same batches through the same network) on the
    twin's notes, the adversarial corpus's values and texts of one word, none or only punctuation."""
    from deidentify.adversarial import generate
    from deidentify.corpus import generate_corpus
    from deidentify.normalise import fold
    from deidentify.scrub import ner_tagger, tag_texts

    texts = [fold(doc.text)[0] for doc in generate_corpus(30, 11)]
    texts += [fold(t)[0] for r in generate(6, 3)[0] for t in r.columns.values() if t]
    texts += ["Москва", "Д-р Сомов, г. Подольск.", "...", "Иванов И.И. -- yahoo! :-)", "А"]
    tagger = ner_tagger()
    expected = [[(s.start, s.stop, s.type) for s in m.spans] for m in tagger.map(texts)]
    assert tag_texts(tagger, texts) == expected
    assert sum(map(len, expected)) > 100
    assert [tag_texts(tagger, [t])[0] for t in texts[-5:]] == expected[-5:]


# 14. Minimisation: coded columns cross as codes, numbers as numbers, no line of the export.
def test_14_tables_hold_codes_sorted_by_pseudonym_without_source_line(deidentified, twin_dir, config):
    from conftest import ROOT

    from cleaning.codebook import Codebook

    book = Codebook(ROOT / config["cleaning"]["codebook"])
    raw = read_raw(twin_dir, config)
    coding = config["deidentification"]["coding"]
    for table, out in deidentified.tables.items():
        assert "source_line" not in out.columns and out.columns[:2].tolist() == ["patient_id", "entry"], table
        assert out["patient_id"].is_monotonic_increasing, table
        assert (out["entry"] == out.groupby("patient_id").cumcount() + 1).all(), table
        for column, kind in coding.get(table, {}).items():
            if kind in ("integer", "decimal"):
                assert pd.api.types.is_numeric_dtype(out[column]), (table, column)
                continue
            if kind == "icd10":
                assert out[column].str.fullmatch(r"([A-Z][0-9]{2}(\.[0-9A-Z]{0,4})?)?").all(), (table, column)
                continue
            categories = set((book.primary_labels if kind == "primary_group" else book.maps[kind]).values())
            assert set(out[column]) <= categories | {""}, (table, column, set(out[column]) - categories)
            raw_labels = {v for v in raw[table].data[column] if v.strip()} - categories
            assert not raw_labels & set(out[column]), (table, column)
    # The locator (raw side) maps every row back to its line in the export.
    locator = deidentified.locator
    assert len(locator) == sum(len(t) for t in deidentified.tables.values())
    assert not locator.duplicated(["table", "patient_id", "entry"]).any()
    assert set(locator["source_file"].map(lambda f: f.rsplit("/", 1)[-1])) <= {
        spec["file"] for spec in config["raw_exports"]["tables"].values()
    }


def _fold_char_by_char(text):
    """The folding of deidentify.normalise.fold written as its definition reads, with no fast path: each line on its
    own, each character (with the combining marks after it) one cluster, every word through _fold_word."""
    import unicodedata

    from deidentify import normalise as n

    if "\n" in text.rstrip("\n"):
        out, index, offset = [], [], 0
        for line in text.splitlines(keepends=True):
            folded, line_index = _fold_char_by_char(line)
            out.append(folded)
            index += [offset + i for i in line_index[:-1]]
            offset += len(line)
        return "".join(out), index + [len(text)]
    chars, index, i = [], [], 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        cluster = text[i:j].translate(n.INVISIBLE)
        if cluster:
            for ch in unicodedata.normalize("NFKC", cluster) if len(cluster) > 1 else n._nfkc(cluster):
                chars.append(ch)
                index.append(i)
        i = j
    joined = "".join(chars)
    keep = [True] * len(chars)
    for m in n.SPACED_LETTERS.finditer(joined):
        for k in range(m.start(), m.end()):
            keep[k] = keep[k] and chars[k] != " "
    chars = [c for c, k in zip(chars, keep, strict=True) if k]
    index = [i for i, k in zip(index, keep, strict=True) if k]
    out, out_index, last = [], [], 0
    for m in n.WORD.finditer("".join(chars)):
        out += chars[last : m.start()]
        out_index += index[last : m.start()]
        for ch, i in n._fold_word(m.group()):
            out.append(ch)
            out_index.append(index[m.start() + i])
        last = m.end()
    return "".join(out + chars[last:]), out_index + index[last:] + [len(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Иванов Иван Иванович\n",
        "Ивaнов (Latin a), И в а н о в, Ива\u00adнов, й = и\u0306, ＡＢＣ１２３\n№ 5, Кукушкinа\n",
        "plain line\nИвaнов\r\nx\u0301\u0302y\x0cИ в а н о в\u2028end",
        "\u0301 a mark first, then ﬁ and ½ and \u200b",
        bytes(range(256)).decode("utf-8", errors="replace") * 3
        + "\n"
        + (b"\xcc\x81\xc2\xad\xef\xbc\xa1" * 50).decode(),
        "QUJD" * 2000 + "Ж" + "x" * 100 + "\nплейн\n",
    ],
)
def test_fold_fast_paths_equal_the_character_by_character_reading(text):
    """fold copies plain lines and runs of characters that fold to themselves whole (what made the final leak gate
    slow on figures and pages was reading them one character at a time); the result is the same text and index."""
    from deidentify.normalise import fold

    folded, index = fold(text)
    # (the index of a plain text is a range: the same numbers)
    assert (folded, list(index)) == _fold_char_by_char(text)
