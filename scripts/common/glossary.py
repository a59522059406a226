"""The bilingual glossary of the manuscript (workflow/templates/glossary.yaml): every label, term and sentence of the
paper by message id, each in English (`en`) and Russian (`ru`).

Sections:
- `terms`: the clinical and statistical terms by code (a codebook label such as `ewing_sarcoma`, a factor, a
  covariate), with the forms the sentences need;
- `claims`: the comparative sentences of scripts/analysis/claims.py, as str.format patterns whose values are spelled
  per language (numbers, p-values, terms);
- `text`: the manuscript's paragraphs, headings and labels, as Jinja fragments that read the same context (the
  same numbers) in both languages.
- `figure`: every word the figures draw (axes, legends, at-risk tables, panel titles, annotations), as str.format
  patterns; with the terms' `short` and `label` forms they give the Russian variant of each figure
  (common/figure_text.py).

In the Russian strings `~` outside Jinja tags is a non-breaking space (as in TeX), so the file stays readable; the
loader replaces it. Russian typography of numbers (decimal comma, non-breaking spaces before % and between digit
groups, the minus sign) is `russian_number`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

GLOSSARY = Path(__file__).resolve().parents[2] / "workflow" / "templates" / "glossary.yaml"
LANGUAGES = ("en", "ru")
NBSP = "\u00a0"
_JINJA = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.S)


def _russian_spacing(text: str) -> str:
    """`~` outside Jinja tags -> a non-breaking space."""
    parts = _JINJA.split(text)
    return "".join(p if i % 2 else p.replace("~", NBSP) for i, p in enumerate(parts))


def _walk(node, path: tuple[str, ...], out: dict) -> None:
    if isinstance(node, dict) and set(node) & set(LANGUAGES):
        missing = [lang for lang in LANGUAGES if not isinstance(node.get(lang), str)]
        if missing or set(node) != set(LANGUAGES):
            raise ValueError(f"glossary entry {'.'.join(path)} must have exactly {LANGUAGES} as text: {node}")
        out[".".join(path)] = {"en": node["en"], "ru": _russian_spacing(node["ru"])}
        return
    if not isinstance(node, dict):
        raise ValueError(f"glossary entry {'.'.join(path)} is not a mapping of languages")
    for key, value in node.items():
        _walk(value, (*path, str(key)), out)


@lru_cache(maxsize=4)
def load(path: str | Path = GLOSSARY) -> dict[str, dict[str, str]]:
    """Every message of the glossary by its dotted id ("terms.primary.breast.name", "claims.gray.differed",
    "text.abstract.aim"), each {en, ru}. A message without both languages stops here."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        tree = yaml.load(handle, Loader=loader)
    out: dict[str, dict[str, str]] = {}
    _walk(tree, (), out)
    return out


def section(prefix: str, lang: str, path: str | Path = GLOSSARY) -> dict[str, str]:
    """The messages under `prefix` (e.g. "terms.primary", form "name"), keyed by what follows the prefix."""
    head = prefix + "."
    return {k[len(head) :]: v[lang] for k, v in load(path).items() if k.startswith(head)}


def terms(kind: str, lang: str, form: str = "name", path: str | Path = GLOSSARY) -> dict[str, str]:
    """Code -> term of one kind (primary, cause, method, ...) in one form, in the glossary's order."""
    tail = "." + form
    return {k[: -len(tail)]: v for k, v in section(f"terms.{kind}", lang, path).items() if k.endswith(tail)}


def russian_number(text: str) -> str:
    """A formatted number in Russian typography: decimal comma, a non-breaking space before % and between digit
    groups, and the minus sign (U+2212) for a negative number. The number is the same object as in the English
    text; only its spelling changes."""
    text = re.sub(r"(?<=\d)\.(?=\d)", ",", text)
    text = re.sub(r"(?<![\w.,])-(?=\d)", "\u2212", text)
    return re.sub(r"(?<=\d) (?=\d{3}\b|%)", NBSP, text)
