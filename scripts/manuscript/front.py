"""The manuscript's front matter and declarations, from the config's `manuscript` section (schema:
workflow/schemas/config.schema.yaml), and its citations, checked against the bibliography before pandoc runs.

A value the config leaves null is not known yet: it is printed as a visibly marked placeholder, "[PLACEHOLDER: what
is missing]", never guessed. The data-availability statement adds the commit of the run (as the provenance records
it) and the RO-Crate of the run.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

PLACEHOLDER = "[PLACEHOLDER: {}]"
# A pandoc citation inside brackets: [@key], [@key, p. 3], [@a; @b]. Keys start with a letter, digit or _ and may
# hold internal punctuation (pandoc's rule); trailing punctuation is not part of the key.
BRACKETED = re.compile(r"\[[^\[\]]*?@[^\[\]]*\]")
KEY = re.compile(r"(?<![\w@])-?@([A-Za-z0-9_](?:[\w:.#$%&+?<>~/-]*[\w])?)")
INCLUDE = re.compile(r"""\{%-?\s*include\s+["']([^"']+)["']""")


def placeholder(what: str) -> str:
    return PLACEHOLDER.format(what)


def declared(value, what: str) -> str:
    """The config's value, or a marked placeholder naming what is missing."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return placeholder(what)
    return str(value)


def front_matter(manuscript: dict, git: dict, crate: str) -> dict:
    """Everything the template's front matter and declarations read, every unknown value a placeholder.

    `git` is provenance.git_state() of the project (commit, dirty); `crate` the path of the run's RO-Crate."""
    manuscript = manuscript or {}
    affiliations = [
        declared(a, f"affiliation {i}") for i, a in enumerate(manuscript.get("affiliations") or [None], start=1)
    ]
    authors = []
    for i, author in enumerate(manuscript.get("authors") or [{"name": None}], start=1):
        numbers = author.get("affiliations") or []
        bad = [k for k in numbers if not 1 <= k <= len(affiliations)]
        if bad:
            raise ValueError(f"manuscript.authors[{i}] refers to affiliation(s) {bad}: only {len(affiliations)} listed")
        authors.append(
            {
                "name": declared(author.get("name"), f"name of author {i}"),
                "orcid": declared(author.get("orcid"), f"ORCID of author {i}"),
                "orcid_known": bool(author.get("orcid")),
                "affiliations": numbers,
                "corresponding": bool(author.get("corresponding")),
                "email": declared(author.get("email"), f"e-mail of author {i}"),
                "contribution": declared(author.get("contribution"), f"contribution of author {i}"),
            }
        )
    corresponding = [a for a in authors if a["corresponding"]]
    if len(corresponding) > 1:
        raise ValueError("manuscript.authors: more than one corresponding author")
    ethics = manuscript.get("ethics") or {}
    commit = git.get("commit") or ""
    known_commit = bool(re.fullmatch(r"[0-9a-f]{40}", commit))
    keywords = manuscript.get("keywords") or {}
    return {
        "authors": authors,
        "affiliations": affiliations,
        "corresponding": corresponding[0] if corresponding else None,
        "ethics": {
            "committee": declared(ethics.get("committee"), "ethics committee"),
            "approval_number": declared(ethics.get("approval_number"), "ethics approval number"),
            "approval_date": declared(ethics.get("approval_date"), "date of ethics approval"),
            "consent": declared(ethics.get("consent"), "consent statement (or waiver of consent)"),
        },
        "conflicts_of_interest": declared(manuscript.get("conflicts_of_interest"), "conflicts of interest"),
        "funding": declared(manuscript.get("funding"), "funding statement"),
        "repository": declared(manuscript.get("repository"), "URL of the code repository"),
        "data_access": declared(manuscript.get("data_access"), "access to the real exports"),
        "commit": commit if known_commit else placeholder("commit of the run (not built from a git checkout)"),
        "dirty": bool(git.get("dirty")) if known_commit else False,
        "crate": crate,
        "keywords_en": keywords.get("en") or [placeholder("English keywords")],
        "keywords_ru": keywords.get("ru") or [placeholder("Russian keywords")],
    }


def bibliography_keys(path: str | Path) -> list[str]:
    """The ids of a CSL JSON bibliography."""
    return [entry["id"] for entry in json.loads(Path(path).read_text(encoding="utf-8"))]


def cited_keys(text: str) -> list[tuple[int, str]]:
    """(line number, key) of every bracketed pandoc citation of a text, in order; a citation may span lines."""
    found = []
    for group in BRACKETED.finditer(text):
        for key in KEY.finditer(group.group()):
            found.append((text.count("\n", 0, group.start() + key.start()) + 1, key.group(1)))
    return found


def template_files(template: Path) -> list[Path]:
    """A template and every template it includes (recursively), each once."""
    seen: list[Path] = []
    todo = [template]
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.append(path)
        for name in INCLUDE.findall(path.read_text(encoding="utf-8")):
            # As the render finds it: beside the template first, then among the workflow's templates.
            local = template.parent / name
            todo.append(
                local if local.exists() else Path(__file__).resolve().parents[2] / "workflow" / "templates" / name
            )
    return seen


def citation_sources(template: Path) -> list[Path]:
    """Where the manuscript's citations are written: the template and what it includes, the abstract template
    beside it (rendered by scripts/manuscript/render.py, not included), and the bilingual glossary whose messages
    hold the paragraphs (workflow/templates/glossary.yaml, both languages)."""
    from common.glossary import GLOSSARY

    extra = [template.parent / "abstract.md.j2", GLOSSARY]
    files = template_files(template)
    return files + [p for p in extra if p.exists() and p not in files]


def check_citations(template: Path, bibliography: str | Path) -> list[str]:
    """Every key the template (what it includes, the abstract and the glossary) cites must be in the bibliography;
    otherwise stop with the key and the line that cites it. Returns the cited keys, in their first-cited order."""
    known = set(bibliography_keys(bibliography))
    cited: list[str] = []
    missing = []
    for path in citation_sources(template):
        for number, key in cited_keys(path.read_text(encoding="utf-8")):
            if key not in known:
                missing.append(f"{path}:{number}: [@{key}] is not in {bibliography}")
            elif key not in cited:
                cited.append(key)
    if missing:
        raise SystemExit("cited keys missing from the bibliography:\n" + "\n".join(missing))
    return cited


def calibration_targets(path: str | Path | None) -> dict:
    """The twin's calibration table (results/twin/calibration.tsv) by quantity: target, tolerance, observed,
    within. Empty when the run is on real exports (no twin, no table)."""
    if not path:
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return {
        row["quantity"]: {
            "kind": row["kind"],
            "target": float(row["target"]),
            "tolerance": float(row["tolerance"]),
            "observed": float(row["observed"]) if row["observed"] not in ("", "nan") else None,
            "within": row["within"] == "True",
            "source": row["source"],
        }
        for row in rows
    }
