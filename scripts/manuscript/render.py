"""Render the manuscript: every number injected from results/numbers.json and the results tables, then converted
to HTML (figures embedded) and DOCX by pandoc (from pypandoc-binary, so pip alone installs it).

With `mark=True` every injected value is wrapped in ⟦ ⟧, so a test can prove that the results section holds no
number that was typed into the template.
"""

from __future__ import annotations

import json
import math
import os
import re
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pandas as pd

from common.study import EXCLUSION_LABELS
from manuscript.checklists import RECORD, STROBE_COHORT
from manuscript.front import front_matter

PRIMARY = {
    "breast": "breast cancer",
    "kidney": "kidney cancer",
    "lung": "lung cancer",
    "prostate": "prostate cancer",
    "rectum": "rectal cancer",
    "liver": "liver cancer",
    "ewing_sarcoma": "Ewing sarcoma",
    "thyroid": "thyroid cancer",
    "melanoma": "melanoma",
    "stomach": "gastric cancer",
    "bladder": "bladder cancer",
    "cervix": "cervical cancer",
    "unknown_primary": "cancer of unknown primary",
}
CAUSE = {
    "preoperative_diagnostic_error": "mistakes in preoperative diagnosis",
    "postoperative_infection": "postoperative infection",
    "endoprosthesis_dislocation": "dislocation of the endoprosthesis",
    "solitary_metastasis_progression_after_osteosynthesis": "continued growth of a solitary metastasis after "
    "osteosynthesis",
    "aseptic_instability_after_intramedullary_osteosynthesis": "aseptic instability after intramedullary "
    "osteosynthesis",
    "endoprosthesis_stem_fracture": "traumatic fracture of the endoprosthesis stem",
}
METHOD = {
    "endoprosthesis": "endoprostheses",
    "intramedullary_osteosynthesis": "intramedullary osteosyntheses",
    "plate_osteosynthesis": "plate osteosyntheses",
    "other": "other operations",
}
TEMPLATES = Path(__file__).resolve().parents[2] / "workflow" / "templates"
OPEN, CLOSE = "⟦", "⟧"


class Formatter:
    """Number formatting for the text; in mark mode every injected value is wrapped in ⟦ ⟧."""

    def __init__(self, mark: bool):
        self.mark = mark

    def wrap(self, text: str) -> str:
        return f"{OPEN}{text}{CLOSE}" if self.mark else text

    def num(self, value, digits: int | None = None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.wrap("not estimable")
        if digits is None:
            whole = float(value).is_integer()
            # Thin grouping only from five digits on, so years stay 2006 (journal style).
            text = (
                (f"{int(value):,}".replace(",", " ") if abs(value) >= 10_000 else str(int(value)))
                if whole
                else f"{value:.2f}"
            )
        else:
            text = f"{value:.{digits}f}"
        return self.wrap(text)

    def pct(self, value, digits: int = 1) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.wrap("not estimable")
        return self.wrap(f"{100 * value:.{digits}f} %")

    def p(self, value) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.wrap("not testable")
        return self.wrap("p < 0.001" if value < 0.001 else f"p = {value:.3f}")

    def lit(self, value) -> str:
        return self.wrap(str(value))


def markdown_table(frame: pd.DataFrame, f: Formatter) -> str:
    """A pipe table; every cell is an injected value."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = [
        "| " + " | ".join(f.lit(v) if str(v) != "" else "" for v in row) + " |"
        for row in frame.astype(str).itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def caption(path: str | Path, confidence_level: float) -> str:
    """A figure's caption (workflow/report/<figure>.rst) as one line of text. Captions are Jinja templates, as
    Snakemake's report renders them; they are rendered here with the study's confidence level as
    `snakemake.config["analysis"]["confidence_level"]` (any other name stops the run: StrictUndefined)."""
    import jinja2

    stand_in = SimpleNamespace(config={"analysis": {"confidence_level": confidence_level}})
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(Path(path).read_text(encoding="utf-8"))
    return " ".join(template.render(snakemake=stand_in).split())


def read_tsv(results: Path, path: str) -> pd.DataFrame:
    """A results table as text (empty cells stay ""), so that the manuscript formats every value itself. A table
    with no rows and no columns (an analysis with nothing to report, such as no time-split hazard ratios where
    proportional hazards held) is an empty frame."""
    try:
        return pd.read_csv(results / path, sep="\t", keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def counts_phrase(f: Formatter, mapping: dict, names: dict, by_count: bool = False) -> str:
    """ "breast cancer 10, kidney cancer 13 and ...", in the order of `names` (the paper's) then the rest, or
    from the largest count down."""
    order = [k for k in names if k in mapping] + sorted(k for k in mapping if k not in names)
    if by_count:
        order = sorted(mapping, key=lambda k: (-mapping[k], k))
    items = [f"{names.get(k, k.replace('_', ' '))} {f.num(mapping[k])}" for k in order if mapping[k]]
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1] if items else "none"


def top(mapping: dict, k: int) -> dict:
    """The `k` largest counts of a mapping, largest first (ties by name)."""
    return dict(sorted(mapping.items(), key=lambda kv: (-kv[1], kv[0]))[:k])


def quoted_tests(results: Path, f: Formatter) -> dict:
    """The template's functions that quote a test or a model by name: Gray's test of a factor (`gray`), a hazard
    ratio with its interval (`hr`), and the recommendation's test within a prognostic group (`rec`, `rec_p`). They
    read the results tables once, and say "not testable" or "not estimable" where the analysis could not answer."""
    models = read_tsv(results, "analysis/hazard_models.tsv")
    gray_tests = read_tsv(results, "analysis/gray_tests.tsv").set_index("factor")
    rec_tests = (
        read_tsv(results, "analysis/recommendation_gray_tests.tsv")
        .astype({"prognostic_group": str})
        .set_index("prognostic_group")
    )

    def gray(factor: str) -> str:
        row = gray_tests.loc[factor]
        stat = row["statistic"]
        if stat == "" or (isinstance(stat, float) and math.isnan(stat)):
            return f.wrap("not testable")
        return f"chi-square {f.num(float(stat), 2)}, df {f.num(int(row['df']))}, {f.p(float(row['p_value']))}"

    def hr(kind: str, model: str, covariate: str) -> str:
        hit = models[(models["kind"] == kind) & (models["model"] == model) & (models["covariate"] == covariate)]
        if hit.empty:
            return f.wrap("not estimable")
        r = hit.iloc[0]
        return f"{f.num(r['hr'], 2)} ({f.num(r['lower'], 2)}-{f.num(r['upper'], 2)}, {f.p(r['p_value'])})"

    def rec_p(group: str):
        value = rec_tests.loc[group, "p_value"] if group in rec_tests.index else ""
        return None if value == "" or pd.isna(value) else float(value)

    def rec(group: str) -> str:
        value = rec_p(group)
        return f.p(value) if value is not None else f.wrap("not testable")

    claims = read_tsv(results, "analysis/claims.tsv").set_index("claim")

    def claim(name: str) -> str:
        """A comparative sentence as results/analysis/claims.tsv states it (chosen there from the data)."""
        return f.lit(claims.loc[name, "sentence"])

    def claims_starting(prefix: str) -> str:
        """Every sentence whose claim name starts with `prefix`, in claims.tsv's order."""
        return " ".join(f.lit(s) for name, s in claims["sentence"].items() if str(name).startswith(prefix))

    return {"gray": gray, "hr": hr, "rec": rec, "rec_p": rec_p, "claim": claim, "claims_starting": claims_starting}


def exclusions_phrase(flow: dict, f: Formatter) -> str:
    """The flow's exclusions in the manuscript's words, in the order the rules were applied (reasons with no patient
    left out)."""
    return ", ".join(f"{EXCLUSION_LABELS.get(k, k)} {f.num(v)}" for k, v in flow["excluded"].items() if v)


def table1_frame(results: Path) -> pd.DataFrame:
    """Table 1 by revision, each variable's name on its first row only (as journals print it)."""
    table1 = read_tsv(results, "analysis/table1_by_revision.tsv")
    table1["variable"] = table1["variable"].where(table1["variable"] != table1["variable"].shift(), "")
    return table1.rename(columns={"variable": "Characteristic", "level": "", "Missing": "Missing"})


def causes_frame(results: Path) -> pd.DataFrame:
    """Table 2: revision causes by primary tumour, causes and primaries in the paper's words."""
    causes = read_tsv(results, "analysis/causes_by_primary.tsv")
    causes["revision_cause"] = causes["revision_cause"].map(lambda c: CAUSE.get(c, c))
    return causes.rename(columns={"revision_cause": "Cause", **{k: v for k, v in PRIMARY.items()}, "total": "Total"})


def risk_frame(results: Path) -> pd.DataFrame:
    """Table 3: the risk of revision at each horizon, 1 - Kaplan-Meier against the cumulative incidence, in %."""
    risk = read_tsv(results, "analysis/revision_risk.tsv")

    def cell(estimate, lower, upper) -> str:
        if estimate == "" or pd.isna(estimate):  # beyond the follow-up of a thin cohort
            return "not estimable"
        if "" in (lower, upper) or pd.isna(lower) or pd.isna(upper):
            return f"{100 * float(estimate):.1f} % (no interval)"
        return f"{100 * float(estimate):.1f} % ({100 * float(lower):.1f}-{100 * float(upper):.1f})"

    return pd.DataFrame(
        {
            "Time": risk["horizon"],
            "1 - Kaplan-Meier": [cell(r.km_revision, r.km_lower, r.km_upper) for r in risk.itertuples()],
            "Cumulative incidence": [cell(r.cif_revision, r.cif_lower, r.cif_upper) for r in risk.itertuples()],
            "Overestimate (points)": [
                "not estimable" if r.overestimate_points == "" else f"{float(r.overestimate_points):.1f}"
                for r in risk.itertuples()
            ],
        }
    )


def model_frame(results: Path) -> pd.DataFrame:
    """Table 4: the multivariable models (cause-specific Cox and Fine-Gray), hazard ratios with intervals."""
    models = read_tsv(results, "analysis/hazard_models.tsv")
    multi = models[models["model"] == "multivariable"]
    return pd.DataFrame(
        {
            "Covariate": multi["label"],
            "Model": multi["kind"],
            "HR (CI)": [interval_text(r.hr, r.lower, r.upper) for r in multi.itertuples()],
            "p": [p_cell(r.p_value) for r in multi.itertuples()],
        }
    )


def recommendation_frame(results: Path) -> pd.DataFrame:
    """Table 5: within each prognostic group and operation, n, revisions, the cumulative incidence of revision at
    each horizon with its interval ("not estimable" for an arm without revision, with the exact interval of the
    proportion revised), and the Kaplan-Meier median survival."""
    table = read_tsv(results, "analysis/recommendation_cif.tsv")
    wide = []
    for (group, fixation), d in table.groupby(["prognostic_group", "fixation"], sort=False):
        first = d.iloc[0]
        row = {
            "Modified Bauer group": group,
            "Operation": fixation,
            "n": first["n"],
            "Revisions": first["revisions"],
            "Median survival (months, KM)": "not reached"
            if first["median_survival_months"] == ""
            else f"{float(first['median_survival_months']):.1f}",
        }
        for r in d.itertuples():
            if r.cif_revision == "":
                text = "beyond follow-up"
            elif r.lower == "":
                text = (
                    f"{100 * float(r.cif_revision):.1f} % (not estimable; exact "
                    f"{100 * float(r.exact_lower):.1f}-{100 * float(r.exact_upper):.1f})"
                )
            else:
                text = f"{100 * float(r.cif_revision):.1f} % ({100 * float(r.lower):.1f}-{100 * float(r.upper):.1f})"
            row[f"CIF {r.horizon}"] = text
        wide.append(row)
    return pd.DataFrame(wide)


def mix_frame(results: Path) -> pd.DataFrame:
    """Table 6: the prognostic mix of each operation (patients by modified Bauer group, n and %)."""
    mix = read_tsv(results, "analysis/recommendation_prognostic_mix.tsv")
    mix["cell"] = [f"{r.n} ({float(r.percent):.0f} %)" if r.percent != "" else f"{r.n}" for r in mix.itertuples()]
    out = mix.pivot(index="prognostic_group", columns="fixation", values="cell").reset_index()
    return out.rename(columns={"prognostic_group": "Modified Bauer group"})


def interval_text(estimate, lower, upper, digits: int = 2) -> str:
    if estimate == "" or pd.isna(estimate):
        return "not estimable"
    if lower == "" or pd.isna(lower):
        return f"{float(estimate):.{digits}f}"
    return f"{float(estimate):.{digits}f} ({float(lower):.{digits}f}-{float(upper):.{digits}f})"


def p_cell(value) -> str:
    if value == "" or pd.isna(value):
        return "not testable"
    value = float(value)
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def supplement_tables(results: Path, f: Formatter, level) -> dict:
    """The supplement's tables: proportional-hazards tests, time-split hazard ratios where they fail, the Fine-Gray
    proportionality check and the sensitivity analyses."""
    ph = read_tsv(results, "analysis/proportional_hazards_checks.tsv")
    none_fitted = pd.DataFrame({"Result": ["not testable: no model could be fitted on this cohort"]})
    ph_frame = (
        pd.DataFrame(
            {
                "Model": ph["model"],
                "Kind": ph["kind"] if "kind" in ph else "cause-specific Cox",
                "Covariate": ph["covariate"],
                "Chi-square": ["not testable" if v == "" or pd.isna(v) else f"{float(v):.2f}" for v in ph["statistic"]],
                "p": [p_cell(v) for v in ph["p_value"]],
            }
        )
        if len(ph)
        else none_fitted
    )
    split = read_tsv(results, "analysis/time_split_hazard_ratios.tsv")
    split_frame = (
        pd.DataFrame(
            {
                "Model": split["model"],
                "Covariate": split["covariate"],
                "Period": split["period"],
                "Revisions (exposed)": split["events_exposed"],
                f"HR ({level} % CI)": [interval_text(r.hr, r.lower, r.upper) for r in split.itertuples()],
                "p": [p_cell(v) for v in split["p_value"]],
            }
        )
        if len(split)
        else pd.DataFrame({"Result": ["proportional hazards were not rejected for any covariate"]})
    )
    fg = read_tsv(results, "analysis/fine_gray_proportionality.tsv")
    fg_frame = (
        pd.DataFrame(
            {
                "Model": fg["model"],
                "Covariate": fg["covariate"],
                "sHR before": [interval_text(r.shr_before, r.lower_before, r.upper_before) for r in fg.itertuples()],
                "sHR after": [interval_text(r.shr_after, r.lower_after, r.upper_after) for r in fg.itertuples()],
                "p (equal)": [p_cell(v) for v in fg["p_value"]],
            }
        )
        if len(fg)
        else none_fitted
    )
    sens = read_tsv(results, "analysis/sensitivity_analyses.tsv")
    sens_frame = pd.DataFrame(
        {
            "Analysis": sens["change"],
            "n": sens["n"],
            "Revisions": sens["revisions"],
            "CIF 2y": [
                f"{100 * float(r.cif_2y):.1f} % ({100 * float(r.lower_2y):.1f}-{100 * float(r.upper_2y):.1f})"
                if r.cif_2y != "" and r.lower_2y != ""
                else "not estimable"
                for r in sens.itertuples()
            ],
            f"Cause-specific HR of osteosynthesis ({level} % CI)": [
                interval_text(r.cs_hr, r.cs_lower, r.cs_upper) for r in sens.itertuples()
            ],
            f"Fine-Gray sHR of osteosynthesis ({level} % CI)": [
                interval_text(r.fg_hr, r.fg_lower, r.fg_upper) for r in sens.itertuples()
            ],
        }
    )
    ridge = read_tsv(results, "analysis/ridge_model.tsv")
    ridge_frame = pd.DataFrame(
        {
            "Covariate": ridge["label"],
            f"HR ({level} % CI, approximate)": [interval_text(r.hr, r.lower, r.upper) for r in ridge.itertuples()],
            "Penalty": ridge["penalty"],
        }
    )
    return {
        "ridge_table": markdown_table(ridge_frame, f),
        "ph_table": markdown_table(ph_frame, f),
        "time_split_table": markdown_table(split_frame, f),
        "fine_gray_ph_table": markdown_table(fg_frame, f),
        "sensitivity_table": markdown_table(sens_frame, f),
    }


def deidentification_summary(results: Path) -> dict:
    """What the methods say about de-identification: identifiers known, the scrubber's recall, the k reached."""
    recall = read_json(results / "deid" / "recall.json")
    kanon = read_json(results / "deid" / "k_anonymity.json")
    return {
        "identifiers": recall["identifiers"]["all"],
        "recall_all": recall["recall"]["all"],
        "recall_own": recall["recall"]["own"],
        "k": kanon["levels"][0]["k"],
    }


def embedded_figures(
    figures: list[tuple[str | Path, str | Path]], paper_dir: Path, confidence_level: float
) -> list[dict]:
    """The figures as the manuscript embeds them: paths relative to the paper (so HTML and DOCX find them), and
    each caption as one line."""
    return [
        {"path": os.path.relpath(path, paper_dir), "caption": caption(cap, confidence_level)} for path, cap in figures
    ]


def context(
    results: Path,
    figures: list[tuple[str | Path, str | Path]],
    paper_dir: Path,
    software: dict,
    synthetic: bool,
    f: Formatter,
    supplement: list[tuple[str | Path, str | Path]] | None = None,
    front: dict | None = None,
    calibration: dict | None = None,
) -> dict:
    """Everything the manuscript template reads: the numbers, the phrases and the tables, built from the results by
    the steps above; `figures` are (figure, caption file) pairs in the manuscript's order. `front` is the front
    matter and declarations (manuscript.front.front_matter; without it every declaration is a placeholder) and
    `calibration` the twin's calibration table by quantity (manuscript.front.calibration_targets; empty on real
    exports)."""
    n = read_json(results / "numbers.json")
    columns = ["Item", "Topic", "Where in the manuscript", "Delivered by (rule or file)"]
    strobe = pd.DataFrame(STROBE_COHORT, columns=columns)
    record = pd.DataFrame(RECORD, columns=columns)
    return {
        "n": n,
        "synthetic": synthetic,
        "software": software,
        "PRIMARY": PRIMARY,
        "CAUSE": CAUSE,
        "METHOD": METHOD,
        "counts": partial(counts_phrase, f),
        "top": top,
        **quoted_tests(results, f),
        "exclusions": exclusions_phrase(n["flow"], f),
        "deid": deidentification_summary(results),
        "table1": markdown_table(table1_frame(results), f),
        "causes_table": markdown_table(causes_frame(results), f),
        "risk_table": markdown_table(risk_frame(results), f),
        "model_table": markdown_table(model_frame(results), f),
        "recommendation_table": markdown_table(recommendation_frame(results), f),
        "mix_table": markdown_table(mix_frame(results), f),
        "strobe_table": markdown_table(strobe, Formatter(False)),
        "record_table": markdown_table(record, Formatter(False)),
        "front": front if front is not None else front_matter({}, {}, "results/provenance/ro-crate-metadata.json"),
        "calibration": calibration or {},
        "figures": embedded_figures(figures, paper_dir, n["confidence_percent"] / 100),
        "supplement_figures": embedded_figures(supplement or [], paper_dir, n["confidence_percent"] / 100),
        **supplement_tables(results, f, n["confidence_percent"]),
    }


def render_markdown(template: Path, ctx: dict, f: Formatter) -> str:
    env = jinja2.Environment(
        # The template's own folder first, then the workflow's templates (what a copied template includes).
        loader=jinja2.FileSystemLoader([str(template.parent), str(TEMPLATES)]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(num=f.num, pct=f.pct, p=f.p, lit=f.lit, ru=russian_number, yaml=yaml_string)
    return env.get_template(template.name).render(**ctx)


def russian_number(text: str) -> str:
    """A formatted number in Russian typography: decimal comma, and a non-breaking space before % and between digit
    groups. The number is the same object as in the English text; only its spelling changes."""
    text = re.sub(r"(?<=\d)\.(?=\d)", ",", text)
    return re.sub(r"(?<=\d) (?=\d{3}\b|%)", "\u00a0", text)


def yaml_string(value) -> str:
    """A value as a YAML double-quoted scalar (JSON is YAML), safe in the template's metadata block."""
    return json.dumps(str(value), ensure_ascii=False)


def results_section(markdown: str) -> str:
    return markdown.split("\n## Results", 1)[1].split("\n## Discussion", 1)[0]


def typed_numbers(section: str) -> list[str]:
    """Digits in a marked section that were not injected (outside ⟦ ⟧), apart from figure and table numbers and
    the name of the method 1 - Kaplan-Meier (supplementary ones, S1, included)."""
    text = re.sub(f"{OPEN}[^{CLOSE}]*{CLOSE}", " ", section)
    text = re.sub(r"\b(Figures?|Tables?) S?\d+(?:\s*(?:and|-)\s*S?\d+)?", " ", text)
    text = text.replace("1 - Kaplan-Meier", " ")
    return re.findall(r"\S*\d\S*", text)


def convert(markdown: str, paper_dir: Path, html: Path, docx: Path, bibliography: Path, csl: Path) -> None:
    """Markdown -> self-contained HTML (figures embedded) and DOCX, with pandoc: one call per format, references
    by pandoc's built-in citeproc from the CSL JSON bibliography and the CSL style (both files of the workflow, so
    nothing is fetched). SOURCE_DATE_EPOCH keeps DOCX byte-identical across runs."""
    import pypandoc

    os.environ["SOURCE_DATE_EPOCH"] = "0"
    css = Path(__file__).with_name("manuscript.css")
    common = [
        f"--resource-path={paper_dir.resolve()}",
        "--standalone",
        "--citeproc",
        # Relative to the folder pandoc runs in: pandoc copies both into the DOCX's custom properties, and an
        # absolute path would make the DOCX differ between two copies of the project.
        f"--bibliography={os.path.relpath(Path(bibliography).resolve(), paper_dir.resolve())}",
        f"--csl={os.path.relpath(Path(csl).resolve(), paper_dir.resolve())}",
    ]
    pypandoc.convert_text(
        markdown,
        "html5",
        format="markdown",
        outputfile=str(html.resolve()),
        extra_args=common + ["--embed-resources", f"--css={css}", "--toc", "--toc-depth=2"],
        cworkdir=str(paper_dir),
    )
    pypandoc.convert_text(
        markdown, "docx", format="markdown", outputfile=str(docx.resolve()), extra_args=common, cworkdir=str(paper_dir)
    )
