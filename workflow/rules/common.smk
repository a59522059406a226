# Helpers shared by the rule files. No rules here.
import ast
import importlib.util
import functools
import glob
import json
import os
import re
import sys
from pathlib import Path


def load_study_constants():
    """scripts/common/study.py, the one home of the study's constants, loaded from its file (the rule files run
    before scripts/ is on any path)."""
    path = Path(workflow.basedir) / "scripts" / "common" / "study.py"
    spec = importlib.util.spec_from_file_location("study_constants", path)
    constants = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(constants)
    return constants


STUDY = load_study_constants()
DATA_ROLES = STUDY.DATA_ROLES
sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))
from intake.model import TABLES as CANONICAL_TABLES
from intake.overrides import resolve_tables

RAW = config["raw_exports"]
TWIN = config["synthetic_twin"]
# An override config replaces a table's declaration as a whole (intake/overrides.py); `null` means no such table.
RAW["tables"] = resolve_tables(RAW["tables"], workflow.overwrite_configfiles)
SOURCES = {name: spec for name, spec in RAW["tables"].items() if spec is not None}
RAW_TABLES = list(SOURCES)

# Raw and de-identified data never share a directory (152-FZ; checklist item 14).
if Path(RAW["directory"]).resolve().is_relative_to(Path("results").resolve()):
    raise ValueError(
        f"raw_exports.directory ({RAW['directory']}) is inside results/: raw exports hold personal data "
        "and must never share a directory with de-identified results"
    )


def check_results_match_the_exports():
    """Results built from one set of exports must never pass for results of another: switching between the twin
    and real exports (or another export folder) needs a clean results/ folder."""
    audit = Path("results/deid/audit.json")
    if not audit.exists():
        return
    try:
        built_from = json.loads(audit.read_text(encoding="utf-8")).get(
            "raw_exports", {}
        )
    except ValueError:
        # A run killed while writing it leaves a partial file: Snakemake marks it incomplete and rebuilds it;
        # there is nothing to compare yet.
        return
    wanted = {"source": RAW["source"], "directory": os.path.normpath(RAW["directory"])}
    if (
        built_from
        and {**built_from, "directory": os.path.normpath(built_from["directory"])}
        != wanted
    ):
        raise ValueError(
            f"results/ were built from {built_from['source']} exports in {built_from['directory']}, but the config "
            f"now points at {wanted['source']} exports in {wanted['directory']}; remove the old results first "
            "(snakemake --delete-all-output, or delete results/ and logs/)"
        )


check_results_match_the_exports()


def check_config_before_running():
    """What the JSON schema cannot check, before anything runs (scripts/common/config_checks.py): names the codebook
    must define, encodings Python must know, the declared export files that must exist and date formats that must
    read the first dates of each export (real exports only: the twin's are written by the run). Stops on the first
    problem with one sentence.
    """
    import yaml
    from common import config_checks
    from intake.model import DATE_COLUMNS

    codebook_path = config["cleaning"]["codebook"]
    with open(codebook_path, encoding="utf-8") as f:
        codebook = yaml.safe_load(f)
    problems = [
        *config_checks.codebook_enumerations(config, codebook, codebook_path),
        *config_checks.encodings(RAW["tables"]),
    ]
    if not problems and RAW["source"] == "real":
        problems += config_checks.export_files(RAW["tables"], RAW["directory"])
    if not problems and RAW["source"] == "real":
        problems += config_checks.date_formats(
            RAW["tables"], RAW["directory"], DATE_COLUMNS
        )
    if problems:
        raise ValueError("; ".join(problems))


check_config_before_running()


def is_synthetic():
    """True when the study runs on the synthetic twin rather than on real exports."""
    return RAW["source"] == "synthetic"


def editing_notebook():
    """True for `snakemake --edit-notebook` (or --draft-notebook): Snakemake decides that from its command line
    before it reads the rules and tells them nothing, so the rules read the command line too.
    """
    return any(
        arg.startswith(("--edit-notebook", "--draft-notebook")) for arg in sys.argv[1:]
    )


def raw_table_path(table):
    """Path of one raw export, as the config declares it."""
    return str(Path(RAW["directory"]) / SOURCES[table]["file"])


def raw_table_paths():
    """Every raw export by table name (the files the synthetic twin writes)."""
    return {table: raw_table_path(table) for table in RAW_TABLES}


def intake_input_files():
    """Every export file the intake reads: each source's file, or the files its glob matches."""
    paths = []
    for table in RAW_TABLES:
        path = raw_table_path(table)
        found = (
            sorted(glob.glob(path))
            if glob.has_magic(SOURCES[table]["file"])
            else [path]
        )
        paths += [p for p in found if p not in paths]
    return paths


def canonical_table_paths():
    """The canonical raw model (raw side): one file per canonical table."""
    return {table: f"resources/intake/{table}.tsv" for table in CANONICAL_TABLES}


def canonical_decimals():
    """Decimal mark of each canonical table: that of the first source that fills it (numbers pass as written)."""
    out = {}
    for name, spec in SOURCES.items():
        out.setdefault(spec.get("into", name), spec.get("decimal", "."))
    return {table: out.get(table, ".") for table in CANONICAL_TABLES}


def export_headers():
    """The header each canonical column has in the user's export (the first source of each table), for error
    messages: config, not data."""
    out = {}
    for name, spec in SOURCES.items():
        out.setdefault(spec.get("into", name), dict(spec.get("columns", {})))
    return out


# The manuscripts typeset as PDF by typeset_manuscript, each named by the suffix of its HTML
# results/paper/manuscript{suffix}.html: "" the English one, "_ru" the Russian one.
MANUSCRIPTS = ["", "_ru"]


def study_targets():
    """What `snakemake` builds by default: every final output of the study."""
    targets = [
        "results/deid/leak_check.json",
        "results/deid/k_anonymity.json",
        "results/deid/recall.json",
        "results/cleaning/analysis_table.tsv",
        "results/cleaning/flow_diagram.png",
        *analysis_targets(),
        *(["results/bootstrap/intervals.tsv"] if BOOTSTRAP["resamples"] > 0 else []),
        "results/paper/manuscript.html",
        "results/paper/manuscript.docx",
        "results/paper/manuscript_ru.html",
        "results/paper/manuscript_ru.docx",
        *[f"results/paper/manuscript{suffix}.pdf" for suffix in MANUSCRIPTS],
        "results/paper/explore_cohort.html",
    ]
    if is_synthetic():
        targets += ["results/twin/calibration.tsv", "results/twin/calibration.png"]
    return targets


DEID = config["deidentification"]


def deidentified_tables():
    """Tables that keep at least one column after de-identification (the others, such as notes, are dropped)."""
    return [
        table
        for table, roles in DEID["columns"].items()
        if DATA_ROLES & set(roles.values())
    ]


def deidentified_table_paths():
    return {table: f"results/deid/{table}.tsv" for table in deidentified_tables()}


def known_identifier_lists():
    """Identifier lists the leak gate checks: read from the raw exports, plus the twin's own list."""
    lists = ["resources/deid/identifiers.json"]
    if is_synthetic():
        lists.append(f"{TWIN['directory']}/identifiers.json")
    return lists


def demo_key_input():
    """The twin's demo key, an input of de-identification only when the study runs on the twin."""
    return (
        {"demo_key": f"{TWIN['directory']}/demo_pseudonym.key"}
        if is_synthetic()
        else {}
    )


def deidentify_inputs():
    """What every de-identification job reads: the canonical raw model and what it is coded with."""
    return {
        **canonical_table_paths(),
        **demo_key_input(),
        "codebook": CLEANING["codebook"],
        "intake": "resources/intake/intake.json",
        "plausibility_exclusions": "resources/intake/plausibility_exclusions.tsv",
        "code": rule_code("deidentify_exports"),
    }


# The project's packages (analysis, competing_risks, ...) live in scripts/, the rule scripts in workflow/scripts/.
# Rule scripts import the packages by name, so scripts/ goes first on the path of every job Snakemake starts.
PACKAGES_DIR = Path(workflow.basedir) / "scripts"
RULE_SCRIPTS_DIR = Path(workflow.basedir) / "workflow" / "scripts"
# (Setting a variable, not reading one: no `envvars:` needed.)
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        [str(PACKAGES_DIR), *filter(None, [os.getenv("PYTHONPATH")])]
    )
)


@functools.cache
def module_file(module):
    """The source file of a project module ("analysis.data" -> scripts/analysis/data.py), or None if the module is
    not the project's (numpy, pandas, ...)."""
    base = PACKAGES_DIR.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def source_of(path):
    """Python source of a rule script or, for a notebook, of its code cells."""
    text = Path(path).read_text(encoding="utf-8")
    if Path(path).suffix != ".ipynb":
        return text
    cells = json.loads(text)["cells"]
    return "\n".join(
        "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"
    )


# An import statement's text: `import a, b`, `from .a import b` or `from a import (b,\n c)`.
IMPORT_STATEMENT = re.compile(
    r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t]*(?:\([^)]*\)|[^\n]*)|import[ \t]+[^\n]*)",
    re.MULTILINE,
)


@functools.cache
def imported_modules(path, package):
    """Every module a source file names in an import statement, absolute names (relative imports resolved against
    `package`). `from a import b` gives both a and a.b: b may be a submodule. Only the import statements are parsed
    (found by IMPORT_STATEMENT; a docstring line that looks like one and is not valid Python is skipped): parsing
    whole files cost every Snakemake start about a second. Cached: every rule's script reaches many of the same
    modules."""
    names = []
    for statement in IMPORT_STATEMENT.findall(source_of(path)):
        try:
            tree = ast.parse(statement.strip())
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                parts = package.split(".") if node.level else []
                base = ".".join(
                    parts[: len(parts) - node.level + 1]
                    + ([node.module] if node.module else [])
                )
                names += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return tuple(names)


def code_inputs(script):
    """The project source files that a script runs: the modules it imports, the modules those import, and so on, with
    every enclosing package's __init__.py (importing a.b runs a/__init__.py). Computed from the code at parse time,
    so that editing any module reruns exactly the rules whose scripts reach it."""
    found, todo = set(), [(Path(script), "")]
    while todo:
        path, package = todo.pop()
        for module in imported_modules(path, package):
            parts = module.split(".")
            for depth in range(1, len(parts) + 1):
                name = ".".join(parts[:depth])
                source = module_file(name)
                if source is not None and source not in found:
                    found.add(source)
                    is_package = source.name == "__init__.py"
                    todo.append(
                        (source, name if is_package else name.rpartition(".")[0])
                    )
    return sorted(os.path.relpath(path) for path in found)


def rule_code(rule_name):
    """The code input of a rule: the project modules its script reaches (see code_inputs)."""
    return code_inputs(RULE_SCRIPTS_DIR / f"{rule_name}.py")


CLEANING = config["cleaning"]


ANALYSIS = config["analysis"]
BOOTSTRAP = config["bootstrap"]
PUBLICATION = config.get("publication", {})
SMALL_CELLS = PUBLICATION.get(
    "small_cells",
    {
        "minimum": 3,
        "action": "suppress",
        "tables": ["table1", "table1_by_method", "cohort_crosstab"],
    },
)


def bootstrap_intervals():
    """The bootstrap's intervals as a named input, when the config asks for resamples (else nothing)."""
    return (
        {"bootstrap": "results/bootstrap/intervals.tsv"}
        if BOOTSTRAP["resamples"] > 0
        else {}
    )


def bootstrap_horizons():
    """The bootstrap's horizons (config bootstrap.horizons, labels of analysis.horizons_months), label -> months."""
    unknown = [h for h in BOOTSTRAP["horizons"] if h not in ANALYSIS["horizons_months"]]
    if unknown:
        raise ValueError(
            f"bootstrap.horizons names {unknown}, which analysis.horizons_months does not define "
            f"(it has {list(ANALYSIS['horizons_months'])})"
        )
    return {h: ANALYSIS["horizons_months"][h] for h in BOOTSTRAP["horizons"]}


def analysis_targets():
    """The analysis stage's final outputs (figures and tables are listed by its rules)."""
    return [
        "results/numbers.json",
        "results/analysis/table1.tsv",
        "results/figures/revision_causes_by_primary.png",
        "results/figures/recommendation_fixation_by_prognosis.png",
        "results/analysis/score_discrimination.tsv",
        "results/figures/survival_by_score.png",
    ]


# Packages whose versions the manuscript's methods state.
SOFTWARE_REPORTED = [
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "matplotlib",
    "natasha",
]


def twin_calibration_table():
    """The twin's calibration table, which the manuscript quotes (its calibration targets), or nothing on real
    exports."""
    return ["results/twin/calibration.tsv"] if is_synthetic() else []


def manuscript_figures(lang="en"):
    """Every figure the manuscript in `lang` embeds, in the order it numbers them (scripts/common/study.py): the
    Russian manuscript embeds each figure's Russian variant (STUDY.figure_in)."""
    return [STUDY.figure_in(path, lang) for path in STUDY.MANUSCRIPT_FIGURES]


def manuscript_captions():
    """The caption of every figure the manuscript embeds (workflow/report/<figure>.rst)."""
    return [
        f"workflow/report/{Path(figure).stem}.rst" for figure in manuscript_figures()
    ]


def supplement_figures(lang="en"):
    """Every figure of the supplement of the manuscript in `lang`, in the order it numbers them
    (scripts/common/study.py)."""
    return [STUDY.figure_in(path, lang) for path in STUDY.SUPPLEMENT_FIGURES]


def supplement_captions():
    """The caption of every supplementary figure (workflow/report/<figure>.rst)."""
    return [
        f"workflow/report/{Path(figure).stem}.rst" for figure in supplement_figures()
    ]


def file_edges():
    """Pairs (upstream, downstream) of rules where one writes a file the other reads, over every rule defined."""
    writer = {}
    for step in workflow.rules:
        for path in step.output:
            writer[str(path)] = step.name
    edges = set()
    for step in workflow.rules:
        for path in step.input:
            if isinstance(path, str) and writer.get(str(path), step.name) != step.name:
                edges.add((writer[str(path)], step.name))
    return edges


def study_rules():
    """The rules a run of the study runs: `all` and every rule upstream of it. Targets asked for by name (preflight)
    are defined beside them but are not part of the run, its rule graph or its provenance.
    """
    upstream = {}
    for a, b in file_edges():
        upstream.setdefault(b, set()).add(a)
    needed, todo = set(), ["all"]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(upstream.get(name, ()))
    return needed


def rule_graph_edges(wildcards):
    """Pairs [upstream, downstream] of the study's rules where one writes a file the other reads. This is the graph
    of this configuration, taken from the steps themselves (the workflow has no wildcards).
    """
    needed = study_rules()
    return sorted([a, b] for a, b in file_edges() if b in needed)


def rule_jobs(wildcards):
    """Every job of this configuration with its rule's script and the files it reads and writes, from the rules'
    declared inputs and outputs: {job: {"rule", "script", "inputs", "outputs"}}, for the run's RO-Crate. A rule
    runs once, except one scattered over shards ({scatteritem}), which runs once per shard. Rules that write
    nothing (all) are left out. Like rule_graph_edges, inputs given as functions are not followed.
    """
    jobs = {}
    needed = study_rules()
    for step in workflow.rules:
        outputs = sorted(str(path) for path in step.output)
        if not outputs or step.name not in needed:
            continue
        inputs = sorted({str(path) for path in step.input if isinstance(path, str)})
        code = step.script or step.notebook
        script = (
            os.path.relpath(Path(step.basedir.get_path_or_uri(secret_free=True)) / code)
            if code
            else None
        )
        if "scatteritem" in step.wildcard_names:
            for item in scatter.bootstrap("{scatteritem}"):
                jobs[f"{step.name}[{item}]"] = {
                    "rule": step.name,
                    "script": script,
                    "inputs": inputs,
                    "outputs": [p.replace("{scatteritem}", item) for p in outputs],
                }
        else:
            jobs[step.name] = {
                "rule": step.name,
                "script": script,
                "inputs": inputs,
                "outputs": outputs,
            }
    return {job: jobs[job] for job in sorted(jobs)}


def twin_files():
    """The twin's own files beside the raw exports (truth, defects, identifiers, manifest, demo key): their digests
    go into the provenance, only when the study runs on the twin."""
    if not is_synthetic():
        return []
    return sorted(
        path
        for name, path in rules.synthesize_raw_exports.output.items()
        if name not in RAW_TABLES
    )


def failed_rules(logfiles):
    """The rules whose jobs failed in this run, read from Snakemake's log of it (its "Error in rule" lines); `log` of
    onerror is a list of log files (a path in older Snakemake)."""
    import re

    found = set()
    for logfile in [logfiles] if isinstance(logfiles, (str, Path)) else logfiles or []:
        try:
            text = Path(logfile).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found |= set(
            re.findall(r"^Error in rule\s([A-Za-z_][A-Za-z0-9_]*):", text, re.M)
        )
    return found


def downstream_rules(names):
    """The rules that read, directly or through others, a file that the rules `names` write (names included)."""
    below = {}
    for a, b in file_edges():
        below.setdefault(a, set()).add(b)
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(below.get(name, ()))
    return found


def remove_stale_outputs(logfile):
    """After a failed run: remove every output of a rule downstream of a failed job (and of the failed rules
    themselves), so that no result of an earlier run that depends on the failed job (numbers.json, the manuscript,
    the provenance) remains looking current. Upstream outputs, which the failure does not touch, stay. Prints what
    it removed. Raw exports are never outputs of a rule downstream of anything, so they are never touched.
    """
    failed = failed_rules(logfile)
    if not failed:
        return []
    removed, stale = [], downstream_rules(failed)
    for step in workflow.rules:
        if step.name not in stale:
            continue
        for path in map(str, step.output):
            if "{" not in path and os.path.isfile(path):
                os.remove(path)
                removed.append(path)
    if removed:
        print(
            f"The run failed in {', '.join(sorted(failed))}; removed {len(removed)} outputs of an earlier run that "
            f"depend on it, so that none looks current: {', '.join(sorted(removed))}",
            file=sys.stderr,
        )
    return removed


# Warm start (scripts/warm_start/__init__.py; docs/hardening.md, "Warm start"): rule scripts run in forks of one
# process that has imported pandas, matplotlib, SciPy and the NER once, instead of each importing them again.
WARM_START_THREAD_VARIABLES = (
    # What Snakemake's shell sets for every job to its thread count (1 here unless a rule asks for more); the
    # server's libraries read them when imported, so the server gets the same values as a one-thread job.
    "OMP_NUM_THREADS",
    "GOTO_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
WARM_START = {}


def start_warm_server():
    """Start the warm-start server for a run whose jobs execute on this machine, and point the jobs at it. Jobs that
    do not match it (more threads, another interpreter, another machine) run cold, as without it.
    """
    if not config.get("warm_start", True) or not workflow.local_exec:
        return
    import subprocess
    import tempfile
    import time

    folder = tempfile.mkdtemp(prefix="study-warm-")
    socket_path = os.path.join(folder, "socket")
    # (Setting variables for the jobs, not reading any: no `envvars:` needed.)
    os.environ.update(
        STUDY_WARM_SOCKET=socket_path,
        PYTHONPATH=os.pathsep.join(
            [str(PACKAGES_DIR / "warm_start" / "hook"), os.getenv("PYTHONPATH")]
        ),
    )
    env = {
        **os.environ,
        **dict.fromkeys(WARM_START_THREAD_VARIABLES, "1"),
        **dict.fromkeys(("TMPDIR", "TMP", "TEMPDIR", "TEMP"), tempfile.gettempdir()),
        "STUDY_WARM_SERVER": "1",
    }
    Path("logs").mkdir(exist_ok=True)
    # Appended run after run (each run's lines under a header), like Snakemake's own logs it is never rewritten.
    with open("logs/warm_start.log", "a", encoding="utf-8") as server_log:
        server_log.write(
            f"== Snakemake run started {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        )
        server_log.flush()
        WARM_START["server"] = subprocess.Popen(
            [
                sys.executable,
                "-P",
                "-m",
                "warm_start.server",
                socket_path,
                str(os.getpid()),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=server_log,
            start_new_session=True,  # a Ctrl-C reaches the jobs through their clients, not the server directly
        )
    WARM_START["folder"] = folder


def stop_warm_server():
    server = WARM_START.pop("server", None)
    if server is None:
        return
    import shutil
    import subprocess

    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    shutil.rmtree(WARM_START.pop("folder"), ignore_errors=True)
    os.environ.pop("STUDY_WARM_SOCKET", None)
