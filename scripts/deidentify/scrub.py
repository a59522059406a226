"""Scrub identifiers out of free text, in three passes whose findings are merged before anything is replaced.

1. The patient's own identifiers (known from the raw tables): the surname, first name and patronymic in every
   grammatical case (matched by stem, so Иванов, Иванова, Иванову, Ивановым all go), initials in both orders, the
   record number, SNILS, policy and phone, the birth date.
2. Regular expressions for identifier shapes: dates in any common format (replaced by the day relative to the
   patient's anchor, so intervals survive), phones, SNILS, record and policy numbers, long digit runs, addresses,
   e-mails, URLs, and names written with initials or a patronymic.
3. Named-entity recognition (natasha's Russian NER, which ships its model in the wheel and runs offline) for the
   names and places the first two passes cannot know: surgeons, relatives, towns. A token it marks is replaced only
   if the morphological dictionary (pymorphy3) calls it a name, surname, patronymic or place, or does not know it,
   and it is not on the configured list of medical terms to keep (eponyms such as "Юинга").

Each pass returns character spans of the original text; overlapping spans are merged and each merged span becomes
one placeholder ([ФИО], [ДАТА +123], [ТЕЛЕФОН], ...). Recall is measured on a generated annotated corpus
(deidentify.corpus); see deidentify.recall.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

MONTHS = ("январ", "феврал", "март", "апрел", "ма[йя]", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр")
MONTH_NAMES = r"(?:" + "|".join(m + r"[а-яё]*" for m in MONTHS) + r")"
NAME_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:вич|вн|ичн|инич|ьич)[а-яё]{0,3}"
INITIALS = r"[А-ЯЁ]\.\s?[А-ЯЁ]\.?"

# Shapes of identifiers, most specific first. Each pattern's class becomes the placeholder.
PATTERNS: list[tuple[str, re.Pattern]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    ("url", re.compile(r"(?:https?://|www\.)\S+")),
    ("date", re.compile(r"(?<!\d)(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(?!\d)")),
    ("date", re.compile(r"(?<!\d)\d{1,2}\s+" + MONTH_NAMES + r"(?:\s+\d{4})?(?:\s*г(?:ода|\.)?)?", re.I)),
    ("date", re.compile(r"\b" + MONTH_NAMES + r"\s+\d{4}(?:\s*г(?:ода|\.)?)?", re.I)),
    ("phone", re.compile(r"(?<![\d\w])(?:\+7|8)[\s-]?\(?\d{3}\)?[\s-]?\d{3}[\s-]?\d{2}[\s-]?\d{2}(?!\d)")),
    ("snils", re.compile(r"(?<!\d)\d{3}[- ]\d{3}[- ]\d{3}[- ]\d{2}(?!\d)")),
    ("record_number", re.compile(r"(?:ИБ|И/Б|МК|№)\s*[-№]?\s*\d[\d/-]*", re.I)),
    ("number", re.compile(r"(?<![\w.,])\d{6,}(?!\w|[.,]\d)")),
    (
        "address",
        re.compile(
            r"(?:[А-ЯЁ][а-яё]+(?:ская|ский) (?:обл\.|область|край|р-н)"
            r"|(?:г\.|город|пос\.|пгт|с\.|дер\.)\s?[А-ЯЁ][а-яё-]+"
            r"|(?:ул\.|улица|пер\.|переулок|пр-т|проспект|пр\.|ш\.|шоссе|б-р|бульвар|наб\.|пл\.)\s?[А-ЯЁ0-9][\w-]*"
            r"(?:\s[А-ЯЁ][\w-]*)?"
            r"|[А-ЯЁ][а-яё]+(?:ий|ый|ой|ая)?\s(?:пр-т|проспект|ш\.|шоссе|б-р|бульвар|пер\.)"
            r"|(?:д\.|дом)\s?\d+[а-я]?(?:/\d+)?(?:,?\s?(?:корп\.|к\.|стр\.)\s?\d+)?"
            r"|(?:кв\.|квартира)\s?\d+)"
        ),
    ),
    ("name", re.compile(NAME_WORD + r"\s" + NAME_WORD + r"\s" + PATRONYMIC + r"\b")),
    ("name", re.compile(NAME_WORD + r"\s" + PATRONYMIC + r"\b")),
    ("name", re.compile(NAME_WORD + r"\s" + INITIALS)),
    ("name", re.compile(INITIALS + r"\s?" + NAME_WORD)),
    ("name", re.compile(r"(?<![\w.])" + INITIALS + r"(?!\w)")),
]
PLACEHOLDER = {
    "name": "[ФИО]",
    "date": "[ДАТА]",
    "phone": "[ТЕЛЕФОН]",
    "snils": "[СНИЛС]",
    "record_number": "[НОМЕР]",
    "number": "[НОМЕР]",
    "address": "[АДРЕС]",
    "email": "[EMAIL]",
    "url": "[URL]",
    "place": "[МЕСТО]",
}
# Which class wins when two spans overlap (the merged span takes the first class present in this order).
PRIORITY = ["name", "address", "date", "phone", "snils", "record_number", "number", "email", "url", "place"]
# What may stand between two pieces of one identifier and still be merged into one placeholder:
# "г. Москва, ул. Ленина, д. 1" is one address, "ИВАНОВА И.И." one name.
GLUE = {"address": re.compile(r"^[\s,]*$"), "name": re.compile(r"^\s*$")}
# A date this long before the anchor is a birth date or old history: it is removed, not turned into an offset,
# which would give the age in days.
OLD_DATE_DAYS = 20 * 365


# Endings of medical terms the dictionary does not know (Реэндопротезирование, Энхондрома, Реостеосинтез).
MEDICAL_ENDING = re.compile(
    r"(?:ирован\w*|синтез\w*|ом[аыуео]й?|эктоми\w*|томи\w*|пластик\w*|скопи\w*|графи\w*|"
    r"ит[аыуе]?|оз[аыуе]?|патия|патии)$"
)


@dataclass(frozen=True)
class PatientIdentity:
    """What the raw tables tell about one patient, for the first pass. Any field may be empty."""

    full_name: str = ""
    record_number: str = ""
    numbers: tuple[str, ...] = ()  # SNILS, policy, phone: any form, digits are compared
    anchor: date | None = None  # the day dates in text are counted from


@dataclass
class Scrubbed:
    text: str
    counts: Counter = field(default_factory=Counter)
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # merged spans in the original text


def stem(word: str) -> str:
    """The part of a Russian name that all its case forms share (Иванов/Иванова -> Иванов, Мария -> Мари)."""
    w = word
    for ending in ("ская", "ский", "цкая", "цкий", "ской", "цкой"):
        if w.endswith(ending):
            return w[:-2]
    for ending in ("ова", "ева", "ёва", "ина", "ына"):
        if w.endswith(ending) and len(w) > 4:
            return w[:-1]
    for ending in ("вна", "вич", "ична"):
        if w.endswith(ending):
            return w[:-2] if ending == "вна" else w
    if w[-1:] in "аяйьеоиыу" and len(w) > 3:
        return w[:-1]
    return w


@cache
def name_stems(full_name: str) -> tuple[str, ...]:
    """Case-folded stems of the parts of a name: if none occurs in a text, no form of the name does."""
    parts = [p for p in re.split(r"\s+", full_name.strip()) if len(p) >= 2]
    return tuple(sorted({(stem(p) if len(stem(p)) >= 3 else p).casefold() for p in parts}))


@lru_cache(maxsize=4096)
def own_name_pattern(full_name: str) -> re.Pattern | None:
    """Every case form of each part of the patient's name, matched by stem, case-insensitively."""
    parts = [p for p in re.split(r"\s+", full_name.strip()) if len(p) >= 2]
    if not parts:
        return None
    alternatives = []
    for part in parts:
        s = stem(part)
        if len(s) >= 3:
            alternatives.append(re.escape(s) + r"[а-яё]{0,4}")
        alternatives.append(re.escape(part))
    initials = ""
    if len(parts) >= 3:
        first, patronymic = parts[1][0], parts[2][0]
        initials = rf"|{first}\.\s?{patronymic}\.?"
    return re.compile(
        r"(?<![\w])(?:"
        + "|".join(sorted(set(alternatives), key=len, reverse=True))
        + r")(?![\w])"
        + initials.replace("|", "|(?<![\\w])", 1),
        re.I,
    )


DIGIT_RUN = re.compile(r"\+?\d[\d\s()\-]{4,}\d")


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def own_number_spans(text: str, patient: PatientIdentity) -> list[tuple[int, int, str]]:
    """Digit runs (with separators) that spell one of the patient's numbers."""
    wanted = {digits(n) for n in patient.numbers if len(digits(n)) >= 6}
    wanted |= {d[1:] for d in wanted if len(d) == 11}  # phones without the country code
    spans = []
    if wanted:
        for m in DIGIT_RUN.finditer(text):
            if any(w in digits(m.group()) for w in wanted):
                spans.append((m.start(), m.end(), "number"))
    record = patient.record_number.strip().casefold()
    if record:
        folded, start = text.casefold(), 0
        while (start := folded.find(record, start)) >= 0:
            spans.append((start, start + len(record), "record_number"))
            start += len(record)
    return spans


class Scrubber:
    """Finds identifiers in free text and replaces them with placeholders. One instance per run (loads NER once)."""

    def __init__(self, use_ner: bool = True, kept_terms: tuple[str, ...] = ()):
        self.kept_terms = {t.casefold() for t in kept_terms}
        self.use_ner = use_ner
        self._ner = None
        self._morph = None
        self._ner_cache: dict[str, list[tuple[int, int, str]]] = {}
        self._generic_cache: dict[tuple[str, bool], tuple[tuple[int, int, str], ...]] = {}

    # --- pass 3 -----------------------------------------------------------------------------------------------
    def _load_ner(self):
        if self._ner is None:
            import pymorphy3
            from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

            self._doc, self._segmenter = Doc, Segmenter()
            self._ner = NewsNERTagger(NewsEmbedding())
            self._morph = pymorphy3.MorphAnalyzer()

    def _name_tagged(self, word: str) -> bool:
        return any(g in p.tag for p in self._morph.parse(word.lower()) for g in ("Name", "Surn", "Patr", "Geox"))

    def _is_identifying(self, token: str, sentence_initial: bool) -> bool:
        """Is a token NER put in a person or place span really a name? The dictionary decides: a name, surname,
        patronymic or place tag says yes; a known common word says no; an unknown word is a name unless it has
        a medical term's ending or opens the sentence (where NER mistakes capitalised terms for names)."""
        if token.casefold() in self.kept_terms or not re.search(r"[А-ЯЁа-яёA-Za-z]", token):
            return False
        if not re.search(r"[А-ЯЁа-яё]", token):
            return True  # a Latin word inside a person or place span: a transliterated name
        if self._name_tagged(token):
            return True
        if self._morph.word_is_known(token.lower()):
            return False
        return not (sentence_initial or MEDICAL_ENDING.search(token.lower()))

    def ner_spans(self, text: str) -> list[tuple[int, int, str]]:
        if not self.use_ner or not re.search(r"[А-ЯЁ]", text):
            return []
        if text not in self._ner_cache:
            self._load_ner()
            doc = self._doc(text)
            doc.segment(self._segmenter)
            doc.tag_ner(self._ner)
            spans = []
            for span in doc.spans:
                if span.type not in ("PER", "LOC"):
                    continue
                kind = "name" if span.type == "PER" else "place"
                tokens = list(re.finditer(r"[\w.-]+", span.text))
                initial = [
                    not text[: span.start + t.start()].strip() or text[: span.start + t.start()].rstrip()[-1] in ".!?;"
                    for t in tokens
                ]
                flags = [self._is_identifying(t.group().strip(".-"), i) for t, i in zip(tokens, initial, strict=True)]
                # One name-tagged word makes the whole span a person ("Вера Сомина": Вера is a first name).
                words = [t.group().strip(".-") for t in tokens]
                free = [w.casefold() not in self.kept_terms for w in words]
                if (
                    kind == "name"
                    and len(tokens) > 1
                    and any(self._name_tagged(w) and k for w, k in zip(words, free, strict=True))
                ):
                    flags = [f or (w[:1].isupper() and k) for f, w, k in zip(flags, words, free, strict=True)]
                spans += [
                    (span.start + t.start(), span.start + t.end(), kind)
                    for t, f in zip(tokens, flags, strict=True)
                    if f
                ]
            self._ner_cache[text] = spans
        return self._ner_cache[text]

    # --- all passes -------------------------------------------------------------------------------------------
    def find(self, text: str, patient: PatientIdentity | None = None, ner: bool = True) -> list[tuple[int, int, str]]:
        spans = list(self.generic_spans(text, ner))
        if patient is not None:
            # The full pattern (every case form, initials) only where a stem of the name occurs at all: most values
            # hold none, and compiling a pattern per patient is what costs at registry size.
            folded = text.casefold()
            if patient.full_name and any(stem_ in folded for stem_ in name_stems(patient.full_name)):
                pattern = own_name_pattern(patient.full_name)
                if pattern is not None:
                    spans += [(m.start(), m.end(), "name") for m in pattern.finditer(text)]
            if any(ch.isdigit() for ch in text):  # every number, the record number too, has digits
                spans += own_number_spans(text, patient)
        return merge(spans, text)

    def generic_spans(self, text: str, ner: bool) -> tuple[tuple[int, int, str], ...]:
        """Passes 2 and 3, which depend on the text alone: computed once per distinct text (exports repeat the
        same labels hundreds of thousands of times)."""
        key = (text, ner)
        if key not in self._generic_cache:
            spans = [(m.start(), m.end(), kind) for kind, pattern in PATTERNS for m in pattern.finditer(text)]
            if ner:
                spans += self.ner_spans(text)
            self._generic_cache[key] = tuple(spans)
        return self._generic_cache[key]

    def scrub(self, text: str, patient: PatientIdentity | None = None, ner: bool = True) -> Scrubbed:
        """Replace every identifier found by the three passes (`ner=False`: the first two only)."""
        if not text:
            return Scrubbed(text)
        spans = self.find(text, patient, ner)
        out, counts, last = [], Counter(), 0
        anchor = patient.anchor if patient is not None else None
        for start, end, kind in spans:
            out.append(text[last:start])
            out.append(placeholder(kind, text[start:end], anchor))
            counts[kind] += 1
            last = end
        out.append(text[last:])
        return Scrubbed("".join(out), counts, spans)


def merge(spans: list[tuple[int, int, str]], text: str) -> list[tuple[int, int, str]]:
    """Union of overlapping (or address-adjacent) spans; the merged class is the highest in PRIORITY."""
    merged: list[list] = []
    for start, end, kind in sorted(spans):
        if merged:
            prev = merged[-1]
            touching = start <= prev[1]
            glued = kind in GLUE and kind in prev[2] and GLUE[kind].match(text[prev[1] : start])
            if touching or glued:
                prev[1] = max(prev[1], end)
                prev[2].add(kind)
                continue
        merged.append([start, end, {kind}])
    return [(s, e, next(k for k in PRIORITY if k in kinds)) for s, e, kinds in merged]


def parse_text_date(value: str) -> date | None:
    m = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})", value.strip())
    if m:
        d, mo, y = (int(g) for g in m.groups())
        y = y + (1900 if y >= 30 else 2000) if y < 100 else y
    else:
        m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", value.strip())
        if not m:
            return None
        y, mo, d = (int(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def placeholder(kind: str, value: str, anchor: date | None) -> str:
    """The replacement text. A full date becomes its day relative to the patient's anchor, as in the tables."""
    if kind == "date" and anchor is not None:
        parsed = parse_text_date(value)
        if parsed is not None and (anchor - parsed).days < OLD_DATE_DAYS:
            return f"[ДАТА {(parsed - anchor).days:+d}]"
    return PLACEHOLDER[kind]
