"""Render the manuscript: every number injected from results/numbers.json and the results tables, then converted
to HTML (figures embedded) and DOCX by pandoc (from pypandoc-binary, so pip alone installs it).

With `mark=True` every injected value is wrapped in ⟦ ⟧, so a test can prove that the results section holds no
number that was typed into the template.

One template renders both languages (`lang` "en" or "ru"): its words are the messages of the bilingual glossary
(workflow/templates/glossary.yaml, scripts/common/glossary.py), rendered by `tr()` with the same context, so a
number is the same object of the results in both manuscripts; only its spelling follows the language (Russian
typography: decimal comma, non-breaking spaces, «» quotes). The comparative sentences are claims.tsv's (English)
and claims_ru.tsv's (Russian), written from the same verdicts by scripts/analysis/claims.py.
"""

from __future__ import annotations

import json
import math
import os
import re
from functools import lru_cache, partial
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pandas as pd

from common.glossary import LANGUAGES, load, russian_number, section, terms
from common.study import EXCLUSION_LABELS
from manuscript.checklists import RECORD, STROBE_COHORT
from manuscript.front import front_matter

# The clinical terms by codebook code, in English (the glossary's `terms`; Russian by terms(kind, "ru")).
PRIMARY = {k: v for k, v in terms("primary", "en").items() if k != "other"}
CAUSE = terms("cause", "en")
METHOD = terms("method", "en")
CAUSE_OF_EN = terms("cause_of", "en")
TEMPLATES = Path(__file__).resolve().parents[2] / "workflow" / "templates"
OPEN, CLOSE = "⟦", "⟧"


def word(key: str, lang: str) -> str:
    """A word of the glossary's `words` section in one language."""
    return load()[f"words.{key}"][lang]


class Formatter:
    """Number formatting for the text; in mark mode every injected value is wrapped in ⟦ ⟧. In Russian (`lang`
    "ru") the same value in Russian typography (decimal comma, non-breaking spaces, the minus sign)."""

    def __init__(self, mark: bool, lang: str = "en"):
        if lang not in LANGUAGES:
            raise ValueError(f"no such language: {lang}")
        self.mark, self.lang = mark, lang

    def spell(self, text: str) -> str:
        return russian_number(text) if self.lang == "ru" else text

    def plural(self, value, one: str, few: str, many: str) -> str:
        """The Russian noun form after a number: 1 год, 2 года, 5 лет (21 год, 11 лет); a fraction takes `few`."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return many
        if not float(value).is_integer():
            return few
        value = abs(int(value))
        last, tens = value % 10, value % 100
        return one if last == 1 and tens != 11 else few if last in (2, 3, 4) and tens not in (12, 13, 14) else many

    def wrap(self, text: str) -> str:
        return f"{OPEN}{text}{CLOSE}" if self.mark else text

    def num(self, value, digits: int | None = None) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.wrap(word("not_estimable", self.lang))
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
        return self.wrap(self.spell(text))

    def pct(self, value, digits: int = 1) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.wrap(word("not_estimable", self.lang))
        return self.wrap(self.spell(f"{100 * value:.{digits}f} %"))

    def p(self, value) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.wrap(word("not_testable", self.lang))
        if value < 0.001:
            return self.wrap(word("p_below", self.lang))
        return self.wrap(word("p_equals", self.lang).format(p=self.spell(f"{value:.3f}")))

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


def russian_cell(text: str) -> str:
    """A table cell in Russian typography: a range of decimals with an en dash, a tableone median [Q1,Q3] with a
    semicolon (the decimal comma would make it ambiguous), then the numbers (russian_number)."""
    text = re.sub(r"\[(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)\]", r"[\1; \2]", text)
    text = re.sub(r"(?<=\d\.\d)-(?=\d)|(?<=\d\.\d\d)-(?=\d)", "\u2013", text)
    return russian_number(text)


def table_words(lang: str, kinds: tuple[str, ...]) -> dict[str, str]:
    """English cell or header text -> its words in `lang`: the glossary's table headers and cell words, then the
    terms of `kinds` ("kind" or "kind.form"), each by its code and by its English name (earlier kinds win)."""
    out: dict[str, str] = {}
    for kind in reversed(kinds):
        name, _, form = kind.partition(".")
        en, other = terms(name, "en", form or "name"), terms(name, lang, form or "name")
        for code, text in other.items():
            out[code] = text
            out[en[code]] = text
    for part in ("table", "cell"):
        glossary = load()
        for key, entry in glossary.items():
            if key.startswith(f"words.{part}.") and "{" not in entry["en"]:
                out[entry["en"]] = entry[lang]
    return out


def localise(
    frame: pd.DataFrame, lang: str, kinds: tuple[str, ...] = (), level=None, cells: bool = True
) -> pd.DataFrame:
    """A table built in English, in `lang`: headers and cells that are glossary words or terms in that language's
    words, every number in its typography (without `cells`, the headers only: a table of item numbers such as
    RECORD 1.1 and codes such as C79.5). English tables are returned as they are."""
    if lang == "en":
        return frame
    words = table_words(lang, kinds)
    patterns = [
        (load()[key]["en"].format(level=level), load()[key][lang].format(level=level))
        for key in ("words.table.hr_level", "words.table.cs_hr", "words.table.fg_hr", "words.table.hr_approx")
    ]
    horizons = terms("horizon", lang)
    patterns += [
        (load()["words.table.cif_at"]["en"].format(horizon=code), load()["words.table.cif_at"][lang].format(horizon=h))
        for code, h in horizons.items()
    ]
    headers = dict(patterns)

    def cell(value) -> str:
        text = str(value)
        if text in words:
            return words[text]
        for en, other in (("univariable: ", "words.cell.univariable"),):
            if text.startswith(en):
                rest = text[len(en) :]
                return load()[other][lang] + terms("covariate", lang, "subject").get(rest, rest)
        for key in ("words.cell.exact", "words.cell.no_interval", "words.cell.not_estimable"):
            text = text.replace(load()[key]["en"], load()[key][lang])
        return russian_cell(text)

    out = frame.astype(str).map(cell) if len(frame) and cells else frame.copy()
    out.columns = [headers.get(str(c), words.get(str(c), russian_cell(str(c)))) for c in frame.columns]
    return out


def caption(path: str | Path, confidence_level: float, lang: str = "en") -> str:
    """A figure's caption (workflow/report/<figure>.rst; in another language the glossary's captions.<figure>) as
    one line of text. Captions are Jinja templates, as Snakemake's report renders them; they are rendered here with
    the study's confidence level as `snakemake.config["analysis"]["confidence_level"]` (any other name stops the
    run: StrictUndefined). A Russian caption spells its numbers in Russian typography."""

    stand_in = SimpleNamespace(config={"analysis": {"confidence_level": confidence_level}})
    if lang == "en":
        source = Path(path).read_text(encoding="utf-8")
    else:
        source = load()[f"captions.{Path(path).stem}"][lang]
    text = " ".join(caption_template(source).render(snakemake=stand_in).split())
    return text if lang == "en" else russian_number(text)


@lru_cache(maxsize=64)
def caption_template(source: str):
    import jinja2

    return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(source)


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
    """ "breast cancer 10, kidney cancer 13 and ..." ("рак молочной железы — 10, рак почки — 13 и ..."), in the order
    of `names` (the paper's) then the rest, or from the largest count down."""
    order = [k for k in names if k in mapping] + sorted(k for k in mapping if k not in names)
    if by_count:
        order = sorted(mapping, key=lambda k: (-mapping[k], k))
    item = word("list.item", f.lang)
    items = [item.format(name=names.get(k, k.replace("_", " ")), n=f.num(mapping[k])) for k in order if mapping[k]]
    if not items:
        return word("list.none", f.lang)
    last = word("list.and", f.lang) if len(items) > 1 else ""
    return word("list.comma", f.lang).join(items[:-1]) + last + items[-1]


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

    claims = read_tsv(results, "analysis/claims.tsv" if f.lang == "en" else f"analysis/claims_{f.lang}.tsv")
    claims = claims.set_index("claim")

    def claim(name: str) -> str:
        """A comparative sentence as results/analysis/claims.tsv (claims_ru.tsv in Russian) states it (chosen there
        from the data)."""
        return f.lit(claims.loc[name, "sentence"])

    def claims_starting(prefix: str) -> str:
        """Every sentence whose claim name starts with `prefix`, in claims.tsv's order."""
        return " ".join(f.lit(s) for name, s in claims["sentence"].items() if str(name).startswith(prefix))

    return {"gray": gray, "hr": hr, "rec": rec, "rec_p": rec_p, "claim": claim, "claims_starting": claims_starting}


def exclusions_phrase(flow: dict, f: Formatter) -> str:
    """The flow's exclusions in the manuscript's words, in the order the rules were applied (reasons with no patient
    left out)."""
    labels = EXCLUSION_LABELS if f.lang == "en" else terms("exclusion", f.lang)
    item = word("list.item", f.lang)
    return ", ".join(item.format(name=labels.get(k, k), n=f.num(v)) for k, v in flow["excluded"].items() if v)


def table1_frame(results: Path, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Table 1 by revision, each variable's name on its first row only (as journals print it). Every variable's
    missing count is on its first row (tableone prints it for continuous variables only; a category's missing values
    are its level "None", counted there and named "missing"), and each level is named by `names` (code -> clinical
    label; codes without one stay as they are)."""
    table1 = read_tsv(results, "analysis/table1_by_revision.tsv")
    first = table1["variable"] != table1["variable"].shift()
    missing = {}
    for variable, part in table1.groupby("variable", sort=False):
        given = [str(m) for m in part["Missing"] if str(m) not in ("", "nan")]
        none = part[part["level"].astype(str) == "None"]
        missing[variable] = given[0] if given else (str(none["Overall"].iloc[0]).split(" ")[0] if len(none) else "0")
    table1["Missing"] = [
        missing[v] if is_first and v != "n" else "" for v, is_first in zip(table1["variable"], first, strict=True)
    ]
    names = {**(names or {}), "None": "missing"}
    table1["level"] = [names.get(str(level), level) for level in table1["level"]]
    table1["variable"] = table1["variable"].where(first, "")
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


def score_frame(results: Path) -> pd.DataFrame:
    """Table 7: the prognostic scores compared. Per score group: patients, deaths, observed one-year survival with its
    interval beside the published one; per score (its first row): Harrell's C for overall survival with its interval
    (multiple imputation). Labels are the glossary's English words (localise translates them)."""
    calibration = read_tsv(results, "analysis/score_calibration.tsv")
    calibration = calibration[calibration["horizon"] == "1y"]
    discrimination = read_tsv(results, "analysis/score_discrimination.tsv")
    c_of = discrimination[discrimination["outcome"] == "overall_survival"].set_index("score")
    labels = {"modified_bauer": "modified Bauer", "bauer": "original Bauer", "katagiri_new": "new Katagiri"}

    def percent(value) -> str:
        return "not estimable" if value == "" or pd.isna(value) else f"{100 * float(value):.1f} %"

    rows = []
    for score, part in calibration.groupby("score", sort=False):
        for i, r in enumerate(part.itertuples()):
            c = c_of.loc[score] if score in c_of.index and i == 0 else None
            rows.append(
                {
                    "Score": labels.get(score, score) if i == 0 else "",
                    "Group": r.group,
                    "n": r.n,
                    "Deaths": r.deaths,
                    "Observed one-year survival (CI)": percent(r.observed)
                    + (f" ({100 * float(r.lower):.1f}-{100 * float(r.upper):.1f})" if r.lower != "" else ""),
                    "Published one-year survival": percent(r.published) if r.published != "" else "",
                    "Harrell's C (CI)": interval_text(c["c_index"], c["ci_low"], c["ci_high"]) if c is not None else "",
                }
            )
    return pd.DataFrame(rows)


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
            "Analysis": sens["change"] if f.lang == "en" else [sensitivity_label(r, f.lang) for r in sens.itertuples()],
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
    kinds = ("covariate.label", "covariate.of", "model_kind", "period", "horizon")
    return {
        "ridge_table": markdown_table(localise(ridge_frame, f.lang, kinds, level), f),
        "ph_table": markdown_table(localise(ph_frame, f.lang, kinds, level), f),
        "time_split_table": markdown_table(localise(split_frame, f.lang, kinds, level), f),
        "fine_gray_ph_table": markdown_table(localise(fg_frame, f.lang, kinds, level), f),
        "sensitivity_table": markdown_table(localise(sens_frame, f.lang, kinds, level), f),
    }


def sensitivity_label(row, lang: str) -> str:
    """What a sensitivity analysis changed, in `lang`, from its code (sensitivity_analyses.tsv's `analysis`): the
    excluded causes are read from the English description (the causes' codes it names), the early deaths' window
    from its number."""
    pattern = load().get(f"terms.sensitivity.{row.analysis}.name")
    if pattern is None:
        return str(row.change)
    causes = [c for c in CAUSE_OF_EN if c.replace("_", " ") in str(row.change)]
    days = re.search(r"\d+", str(row.change))
    of = terms("cause_of", lang)
    joined = word("list.comma", lang).join(of[c] for c in causes)
    return pattern[lang].format(causes=joined, days=days.group() if days else "")


def checklist_frame(items: list, columns: list[str], lang: str) -> pd.DataFrame:
    """A reporting checklist as a table; in another language each item's topic and the sections it names (the
    `Where` column, "; "-separated) in that language's words (glossary: checklist.topic, checklist.where). The
    rules and files that deliver an item are names of the workflow, the same in every language."""
    frame = pd.DataFrame(items, columns=columns)
    if lang == "en":
        return frame
    topics = section("checklist.topic", lang)
    where = {load()[k]["en"]: v[lang] for k, v in load().items() if k.startswith("checklist.where.")}
    frame["Topic"] = [topics[item] for item in frame["Item"]]
    frame["Where in the manuscript"] = ["; ".join(where[p] for p in cell.split("; ")) for cell in frame[columns[2]]]
    return frame


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
    figures: list[tuple[str | Path, str | Path]], paper_dir: Path, confidence_level: float, lang: str = "en"
) -> list[dict]:
    """The figures as the manuscript embeds them: paths relative to the paper (so HTML and DOCX find them), and
    each caption as one line."""
    return [
        {"path": os.path.relpath(path, paper_dir), "caption": caption(cap, confidence_level, lang)}
        for path, cap in figures
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
    abstracts: bool = True,
    tables: bool = True,
) -> dict:
    """Everything the manuscript template reads: the numbers, the phrases and the tables, built from the results by
    the steps above; `figures` are (figure, caption file) pairs in the manuscript's order. `front` is the front
    matter and declarations (manuscript.front.front_matter; without it every declaration is a placeholder) and
    `calibration` the twin's calibration table by quantity (manuscript.front.calibration_targets; empty on real
    exports). The language is the formatter's (`f.lang`); with `abstracts` the context also holds the abstract in
    its language (`abstract`) and in the other (`other_abstract`), each rendered from abstract.md.j2 with its own
    language's context. Without `tables` the tables and figures are left out (what the abstract does not read)."""
    n = read_json(results / "numbers.json")
    lang = f.lang
    columns = ["Item", "Topic", "Where in the manuscript", "Delivered by (rule or file)"]
    strobe = checklist_frame(STROBE_COHORT, columns, f.lang)
    record = checklist_frame(RECORD, columns, f.lang)
    level = n["confidence_percent"]
    primary = PRIMARY if lang == "en" else terms("primary", lang)
    table1_kinds = ("table1_variable", "table1_column", "table1_level", "method.level", "primary")
    ctx: dict = {
        "lang": lang,
        "n": n,
        "synthetic": synthetic,
        "software": software,
        "PRIMARY": primary,
        "CAUSE": CAUSE if lang == "en" else terms("cause", lang),
        "METHOD": METHOD if lang == "en" else terms("method", lang),
        "counts": partial(counts_phrase, f),
        "top": top,
        **quoted_tests(results, f),
        "exclusions": exclusions_phrase(n["flow"], f),
        "deid": deidentification_summary(results),
        "front": front if front is not None else front_matter({}, {}, "results/provenance/ro-crate-metadata.json"),
        "calibration": calibration or {},
    }
    if not tables:
        return ctx
    ctx |= {
        "table1": markdown_table(
            localise(table1_frame(results, table_words("en", table1_kinds)), lang, table1_kinds), f
        ),
        "causes_table": markdown_table(localise(causes_frame(results), lang, ("cause", "primary")), f),
        "risk_table": markdown_table(localise(risk_frame(results), lang, ("horizon",)), f),
        "model_table": markdown_table(localise(model_frame(results), lang, ("covariate.label", "model_kind")), f),
        "recommendation_table": markdown_table(
            localise(recommendation_frame(results), lang, ("fixation", "horizon"), level), f
        ),
        "mix_table": markdown_table(localise(mix_frame(results), lang, ("fixation",)), f),
        "score_table": markdown_table(localise(score_frame(results), lang), f),
        "strobe_table": markdown_table(localise(strobe, lang, cells=False), Formatter(False, lang)),
        "record_table": markdown_table(localise(record, lang, cells=False), Formatter(False, lang)),
        "figures": embedded_figures(figures, paper_dir, n["confidence_percent"] / 100, lang),
        "supplement_figures": embedded_figures(supplement or [], paper_dir, n["confidence_percent"] / 100, lang),
        **supplement_tables(results, f, n["confidence_percent"]),
    }
    if abstracts:
        other = next(code for code in LANGUAGES if code != lang)
        g = Formatter(f.mark, other)
        args = (results, figures, paper_dir, software, synthetic)
        other_ctx = context(*args, g, supplement, front, calibration, abstracts=False, tables=False)
        ctx["abstract"] = render_markdown(TEMPLATES / "abstract.md.j2", {**ctx, "secondary": False}, f)
        ctx["other_abstract"] = render_markdown(TEMPLATES / "abstract.md.j2", {**other_ctx, "secondary": True}, g)
    return ctx


def _formatted(method: str):
    """A filter that formats with the formatter of the render (`_f` of the context: its language and mark mode)."""

    @jinja2.pass_context
    def apply(context, *args):
        return getattr(context["_f"], method)(*args)

    return apply


@lru_cache(maxsize=8)
def environment(folder: str, lang: str) -> jinja2.Environment:
    """The Jinja environment of a template folder and a language, kept for the process: templates and the
    glossary's messages are compiled once (compiling them is most of a render's time), whatever formatter
    renders them (the filters read it from the context)."""
    env = jinja2.Environment(
        # The template's own folder first, then the workflow's templates (what a copied template includes).
        loader=jinja2.FileSystemLoader([folder, str(TEMPLATES)]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update({name: _formatted(name) for name in ("num", "pct", "p", "lit", "plural")}, yaml=yaml_string)
    fragments: dict[str, jinja2.Template] = {}

    @jinja2.pass_context
    def tr(context, message: str, **values) -> str:
        """The glossary's message text.<message> in the environment's language, rendered with this context."""
        if message not in fragments:
            fragments[message] = env.from_string(load()[f"text.{message}"][lang])
        return fragments[message].render({**context.get_all(), **values})

    env.globals["tr"] = tr
    return env


def render_markdown(template: Path, ctx: dict, f: Formatter) -> str:
    env = environment(str(template.parent), f.lang)
    return env.get_template(template.name).render(**ctx, _f=f)


def yaml_string(value) -> str:
    """A value as a YAML double-quoted scalar (JSON is YAML), safe in the template's metadata block."""
    return json.dumps(str(value), ensure_ascii=False)


def results_section(markdown: str, lang: str = "en") -> str:
    """The results section of a rendered manuscript (headings as the glossary gives them in `lang`)."""
    results, discussion = (load()[f"text.h.{h}"][lang] for h in ("results", "discussion"))
    return markdown.split(f"\n## {results}", 1)[1].split(f"\n## {discussion}", 1)[0]


def typed_numbers(section: str) -> list[str]:
    """Digits in a marked section that were not injected (outside ⟦ ⟧), apart from figure and table numbers and
    the name of the method 1 - Kaplan-Meier (supplementary ones, S1, included)."""
    text = re.sub(f"{OPEN}[^{CLOSE}]*{CLOSE}", " ", section)
    text = re.sub(r"\b(Figures?|Tables?) S?\d+(?:\s*(?:and|-)\s*S?\d+)?", " ", text)
    text = text.replace("1 - Kaplan-Meier", " ")
    # The same in Russian: рисунок 1, рисунки 4 и 5, таблица S1 (a non-breaking space after the word).
    text = re.sub(r"(?i)\b(рисун\w*|таблиц\w*)[ \u00a0]S?\d+(?:[ \u00a0]*(?:и|-)[ \u00a0]*S?\d+)?", " ", text)
    text = re.sub(r"1[ \u00a0]\u2212 Каплана", " ", text)
    return re.findall(r"\S*\d\S*", text)


def convert(markdown: str, paper_dir: Path, html: Path, docx: Path, bibliography: Path, csl: Path) -> None:
    """One manuscript to HTML and DOCX (pandoc_jobs, run_pandoc)."""
    run_pandoc(pandoc_jobs(markdown, paper_dir, html, docx, bibliography, csl))


def pandoc_jobs(
    markdown: str, paper_dir: Path, html: Path, docx: Path, bibliography: Path, csl: Path
) -> list[tuple[list[str], bytes, Path]]:
    """Markdown -> self-contained HTML (figures embedded) and DOCX, with pandoc: one call per format, references
    by pandoc's built-in citeproc from the CSL JSON bibliography and the CSL style (both files of the workflow, so
    nothing is fetched). SOURCE_DATE_EPOCH keeps DOCX byte-identical across runs."""
    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
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
    text = markdown.encode("utf-8")
    html_args = ["--embed-resources", f"--css={css}", "--toc", "--toc-depth=2"]
    return [
        ([pandoc, "--from=markdown", "--to=html5", f"--output={html.resolve()}", *common, *html_args], text, paper_dir),
        ([pandoc, "--from=markdown", "--to=docx", f"--output={docx.resolve()}", *common], text, paper_dir),
    ]


def run_pandoc(jobs: list[tuple[list[str], bytes, Path]]) -> None:
    """Run pandoc jobs (arguments, Markdown, folder) side by side, each in its folder (the arguments pypandoc would
    pass; its own call changes the process' working folder, so it cannot run two at once). SOURCE_DATE_EPOCH keeps
    the DOCX byte-identical across runs. Stops with pandoc's message if one fails."""
    import subprocess

    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    running = [
        (
            subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env
            ),
            text,
        )
        for args, text, cwd in jobs
    ]
    failed = []
    for process, text in running:
        _, err = process.communicate(text)
        if process.returncode:
            failed.append(err.decode("utf-8", errors="replace"))
    if failed:
        raise RuntimeError("pandoc failed:\n" + "\n".join(failed))
