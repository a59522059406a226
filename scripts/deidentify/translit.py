"""Russian names in Latin letters and in every case form, for the scrubber and the leak gate.

Records write a Russian name in Latin letters in several systems; each known name is written in all of them:

- GOST 7.79-2000 system B (Щ shh, Ц cz, Х x, Ю yu, Я ya, Ё yo, Й j);
- ISO 9 reduced to ASCII (Ж zh, Х h, Ц c, Ш sh, Щ sch/shch, Ю ju, Я ja, Й j);
- BGN/PCGN (Ж zh, Х kh, Ц ts, Щ shch, Ю yu, Я ya, Й y, Ы y, Е e/ye, Ё yo/ye);
- ICAO Doc 9303 as in Russian passports since 2013 (Ж zh, Х kh, Ц ts, Щ shch, Ю iu, Я ia, Й i, Ы y, Ъ ie);
- German-style spelling of Russian names in older foreign documents (В w, Ж sch, З s, Х ch, Ч tsch, Ш sch);
- the loose forms people type (Й y/i/j, ий -> y/iy/ii, Х h/kh, Ё e, Щ sch/shch, Ц c/ts/tz, Ю u/yu/ju/iu).

Case forms come from the morphological dictionary (pymorphy3): every form of every reading of the word as a
first name, surname or patronymic (or, for a word it does not know, of its best reading).
"""

from __future__ import annotations

import itertools
from functools import cache, lru_cache

# One table per system: letter -> Latin. Lower case; the caller folds case.
_BASE = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
SYSTEMS: dict[str, dict[str, str]] = {
    "bgn_pcgn": {**_BASE, "ё": "yo", "ъ": ""},
    "icao": {**_BASE, "й": "i", "ю": "iu", "я": "ia", "ъ": "ie", "ё": "e"},
    "gost_7_79_b": {
        **_BASE,
        "й": "j",
        "х": "x",
        "ц": "cz",
        "щ": "shh",
        "ю": "yu",
        "я": "ya",
        "ё": "yo",
        "ъ": "",
        "ы": "y",
        "э": "e",
    },
    "iso_9_ascii": {**_BASE, "й": "j", "х": "h", "ц": "c", "щ": "sch", "ю": "ju", "я": "ja", "ё": "jo"},
    "german": {
        **_BASE,
        "в": "w",
        "ж": "sch",
        "з": "s",
        "й": "j",
        "х": "ch",
        "ц": "z",
        "ч": "tsch",
        "ш": "sch",
        "щ": "schtsch",
        "ю": "ju",
        "я": "ja",
    },
    "loose": {**_BASE, "х": "h", "й": "i", "ц": "c", "ю": "u", "я": "a", "щ": "sch", "ь": "'"},
}
# Endings written differently from letter by letter (Юрий -> Yuriy / Yury / Iurii / Jurij).
ENDINGS = {"ий": ("iy", "y", "ii", "ij", "iyi"), "ый": ("yy", "y", "yi"), "ья": ("ya", "ia", "ja", "iya")}


def transliterate(word: str, system: str) -> str:
    table = SYSTEMS[system]
    return "".join(table.get(ch, ch) for ch in word.lower())


# The systems the leak gate writes known names in. German-style spelling turns common Russian surnames into English
# words (Белов -> below), which every English results file holds: the scrubber uses it, the gate does not.
GATE_SYSTEMS = ("bgn_pcgn", "icao", "gost_7_79_b", "iso_9_ascii", "loose")


@cache
def latin_forms(word: str, systems: tuple[str, ...] | None = None) -> frozenset[str]:
    """Every Latin spelling of one Cyrillic word (lower case), in all systems (or `systems`) and common endings."""
    word = word.lower()
    systems = tuple(SYSTEMS) if systems is None else systems
    forms = {transliterate(word, s) for s in systems}
    # "е" at the start or after a vowel is "ye" in BGN/PCGN, often "e" otherwise.
    forms |= {f.replace("'", "") for f in forms}
    for ending, latin in ENDINGS.items():
        if word.endswith(ending):
            stem_forms = {transliterate(word[: -len(ending)], s) for s in systems}
            forms |= {a + b for a, b in itertools.product(stem_forms, latin)}
    return frozenset(f for f in forms if f)


@cache
def morph_analyzer():
    """One pymorphy3 analyser for the whole process: loading its dictionaries takes about a second each time."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def case_forms(word: str) -> frozenset[str]:
    """Every case form (lower case) of a name part: the word's readings as a name, surname or patronymic, else its
    best reading; always the word itself."""
    word = word.strip().lower()
    if not word or not word.isalpha():
        return frozenset({word} if word else ())
    parses = morph_analyzer().parse(word)
    named = [p for p in parses if {"Name", "Surn", "Patr"} & set(map(str, p.tag.grammemes))]
    chosen = named or parses[:1]
    forms = {word}
    for p in chosen:
        forms |= {f.word for f in p.lexeme}
    return frozenset(f.replace("ё", "е") for f in forms) | {word}


def name_parts(full_name: str) -> list[str]:
    """The parts of a name that have variants: words (a hyphen separates too) of two characters or more with a
    letter."""
    return [p for p in full_name.replace("-", " ").split() if len(p) >= 2 and any(ch.isalpha() for ch in p)]


def name_variants(full_name: str, systems: tuple[str, ...] | None = None) -> set[str]:
    """The case forms of every part of a name, in Cyrillic and in every Latin spelling (lower case)."""
    out: set[str] = set()
    for part in name_parts(full_name):
        out |= part_variants(part, systems)
    return out


@lru_cache(maxsize=1 << 16)
def part_variants(part: str, systems: tuple[str, ...] | None = None) -> frozenset[str]:
    """name_variants of one part of a name: computed once per part (first names, patronymics and many surnames
    recur across a registry's names)."""
    out: set[str] = set()
    for form in case_forms(part):
        out.add(form)
        out |= latin_forms(form, systems)
    return frozenset(out)


# Latin back to Cyrillic, longest letter groups first: a few readings of an ambiguous spelling (y: ы/й/и).
_BACK = [
    ("shch", ("щ",)),
    ("sch", ("щ", "ш")),
    ("zh", ("ж",)),
    ("kh", ("х",)),
    ("ts", ("ц",)),
    ("tz", ("ц",)),
    ("ch", ("ч",)),
    ("sh", ("ш",)),
    ("yu", ("ю",)),
    ("iu", ("ю",)),
    ("ju", ("ю",)),
    ("ya", ("я",)),
    ("ia", ("я", "ия")),
    ("ja", ("я",)),
    ("yo", ("ё",)),
    ("jo", ("ё",)),
    ("ye", ("е",)),
    ("iy", ("ий",)),
    ("yy", ("ый",)),
    ("ey", ("ей",)),
    ("ay", ("ай",)),
    ("oy", ("ой",)),
    ("a", ("а",)),
    ("b", ("б",)),
    ("c", ("ц", "к")),
    ("d", ("д",)),
    ("e", ("е", "э")),
    ("f", ("ф",)),
    ("g", ("г",)),
    ("h", ("х",)),
    ("i", ("и", "й")),
    ("j", ("й",)),
    ("k", ("к",)),
    ("l", ("л",)),
    ("m", ("м",)),
    ("n", ("н",)),
    ("o", ("о",)),
    ("p", ("п",)),
    ("q", ("к",)),
    ("r", ("р",)),
    ("s", ("с",)),
    ("t", ("т",)),
    ("u", ("у",)),
    ("v", ("в",)),
    ("w", ("в",)),
    ("x", ("кс", "х")),
    ("y", ("ы", "й", "и")),
    ("z", ("з",)),
    ("'", ("ь",)),
]


@cache
def to_cyrillic(latin: str, limit: int = 8) -> tuple[str, ...]:
    """A few Cyrillic readings of a Latin word (at most `limit`), the likeliest first."""
    latin = latin.lower()
    readings = [""]
    i = 0
    while i < len(latin):
        for group, letters in _BACK:
            if latin.startswith(group, i):
                readings = [r + letter for r in readings for letter in letters][:limit]
                i += len(group)
                break
        else:
            return ()
    return tuple(readings)


_SKELETON = [
    ("schtsch", "Ш"),
    ("shch", "Ш"),
    ("sch", "Ш"),
    ("shh", "Ш"),
    ("iya", "Я"),
    ("iia", "Я"),
    ("ija", "Я"),
    ("yya", "Я"),
    ("tsch", "Ч"),
    ("zh", "Ж"),
    ("kh", "Х"),
    ("ts", "Ц"),
    ("tz", "Ц"),
    ("cz", "Ц"),
    ("ch", "Ч"),
    ("sh", "Ш"),
    ("yu", "Ю"),
    ("iu", "Ю"),
    ("ju", "Ю"),
    ("ya", "Я"),
    ("ia", "Я"),
    ("ja", "Я"),
    ("yo", "Ё"),
    ("jo", "Ё"),
    ("ye", "Е"),
    ("je", "Е"),
    ("ie", "Е"),
    ("iy", "И"),
    ("ii", "И"),
    ("ij", "И"),
    ("yy", "И"),
    ("yi", "И"),
    ("c", "Ц"),
    ("z", "Ц"),
    ("h", "Х"),
    ("x", "Х"),
    ("w", "v"),
    ("y", "И"),
    ("i", "И"),
    ("j", "И"),
    ("e", "Е"),
    ("'", ""),
]
_SKELETON_RE = None


@lru_cache(maxsize=1 << 16)
def skeleton(latin: str) -> str:
    """A Latin spelling reduced so that the systems agree: Zayac, Zaiats, Zajaz and ZAYATS give one skeleton. Both
    the known names' spellings and the words of a text are reduced the same way before they are compared. Cached:
    the same spellings (a common first name's, a text's words) come back tens of thousands of times a run."""
    import re

    global _SKELETON_RE
    if _SKELETON_RE is None:
        table = dict(_SKELETON)
        _SKELETON_RE = (re.compile("|".join(re.escape(k) for k, _ in _SKELETON)), table)
    pattern, table = _SKELETON_RE
    return pattern.sub(lambda m: table[m.group()], latin.lower())
