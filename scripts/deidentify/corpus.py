"""A generated, annotated corpus of clinical sentences for measuring the scrubber's recall.

Each document is a short clinical note about one invented patient, written from templates the way Russian notes
are: the patient's name in the nominative, dative, genitive and in initials (both orders, upper case too), surgeons
and relatives the scrubber cannot know about, dates in several formats, phones, SNILS, record and policy numbers,
addresses and e-mails. Every identifier is annotated with its character span and class; `own` marks the patient's
own identifiers (those the raw tables give the scrubber), for which recall must be 1.0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from synthetic_twin import identity

from .scrub import PatientIdentity

MONTHS_GENITIVE = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
RELATIONS = {True: ("дочь", "дочери"), False: ("сын", "сына")}


@dataclass
class Document:
    text: str
    patient: PatientIdentity
    spans: list[tuple[int, int, str, bool]] = field(default_factory=list)  # start, end, class, own


class _Writer:
    """Builds one document piece by piece, recording the span of every identifier it writes."""

    def __init__(self):
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, str, bool]] = []
        self.length = 0

    def text(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)

    def ident(self, s: str, kind: str, own: bool = False) -> None:
        self.spans.append((self.length, self.length + len(s), kind, own))
        self.text(s)


def _date_forms(rng: np.random.Generator, d: dt.date) -> str:
    style = rng.integers(0, 5)
    if style == 0:
        return d.strftime("%d.%m.%Y")
    if style == 1:
        return d.strftime("%d.%m.%y")
    if style == 2:
        return d.isoformat()
    if style == 3:
        return f"{d.day} {MONTHS_GENITIVE[d.month - 1]} {d.year} г."
    return d.strftime("%d/%m/%Y")


def generate_corpus(n_patients: int = 300, seed: int = 7) -> list[Document]:
    rng = np.random.default_rng(seed)
    female = rng.uniform(size=n_patients) < 0.5
    patients = identity.draw_people(rng, female)
    staff = identity.draw_people(rng, rng.uniform(size=n_patients) < 0.3)
    relatives = identity.draw_people(rng, rng.uniform(size=n_patients) < 0.5)
    phones = identity.draw_phones(rng, 2 * n_patients)
    snils = identity.draw_snils(rng, n_patients)
    policies = identity.draw_policies(rng, n_patients)
    addresses = identity.draw_addresses(rng, n_patients)
    docs = []
    for i in range(n_patients):
        p, s, r = patients[i], staff[i], relatives[i]
        f = p.female
        anchor = dt.date(2006, 1, 1) + dt.timedelta(days=int(rng.integers(0, 15 * 365)))
        birth = anchor - dt.timedelta(days=int(rng.integers(30 * 365, 85 * 365)))
        mrn = f"ИБ-{int(rng.integers(100_000, 9_999_999)):07d}"
        email = f"{''.join(rng.choice(list('abcdefghijklmnopqrstuvwxyz'), 7))}{int(rng.integers(10, 99))}@mail.ru"

        def when(anchor: dt.date = anchor) -> str:
            return _date_forms(rng, anchor + dt.timedelta(days=int(rng.integers(-30, 900))))

        w = _Writer()
        w.text(f"{'Пациентка' if f else 'Пациент'} ")
        w.ident(p.full(), "name", own=True)
        w.text(", ")
        w.ident(birth.strftime("%d.%m.%Y"), "date", own=True)
        w.text(f" г.р., поступил{'а' if f else ''} ")
        w.ident(when(), "date")
        w.text(" с жалобами на боли в области бедра. ")
        w.ident(when(), "date")
        w.text(" ")
        w.ident(p.short("dat"), "name", own=True)
        w.text(" выполнена операция, оперировал ")
        w.ident(s.short(), "name")
        w.text(". Консультация ")
        w.ident(p.short_reversed("gen"), "name", own=True)
        w.text(" хирургом ")
        w.ident(s.short("ins"), "name")
        w.text(". Осмотрен совместно с доц. ")
        w.ident(s.full("ins"), "name")
        w.text(f". {'Пациентке' if f else 'Пациенту'} ")
        w.ident(f"{p.first['dat']} {p.patronymic['dat']}", "name", own=True)
        w.text(" разъяснены риски. Со слов ")
        relation_nom, relation_gen = RELATIONS[r.female]
        w.text(f"{relation_gen} ")
        w.ident(r.first["gen"], "name")
        w.text(f", пациент{'ка' if f else ''} упал{'а' if f else ''} дома. Родственники ({relation_nom} ")
        w.ident(r.full(), "name")
        w.text(", тел. ")
        w.ident(phones[n_patients + i], "phone")
        w.text(") информированы. Контактный телефон: ")
        w.ident(phones[i], "phone", own=True)
        w.text(". Тактика согласована с ")
        w.ident(s.surname["ins"], "name")
        w.text(f". Ассистировал{'а' if r.female else ''} ")
        w.ident(f"{r.first['nom']} {r.surname['nom']}", "name")
        w.text(f". {relation_nom.capitalize()} ")
        w.ident(r.first["nom"], "name")
        w.text(" просит сообщать о состоянии")
        w.text(". СНИЛС ")
        w.ident(snils[i], "snils", own=True)
        w.text(", полис ОМС ")
        w.ident(policies[i], "policy", own=True)
        w.text(", история болезни ")
        w.ident(mrn, "record_number", own=True)
        w.text(". Проживает по адресу: ")
        w.ident(addresses[i], "address", own=True)
        w.text(". E-mail: ")
        w.ident(email, "email", own=True)
        w.text(". ")
        w.ident(f"{p.surname['nom'].upper()} {p.initials()}", "name", own=True)
        w.text(" - повторная госпитализация ")
        w.ident(when(), "date")
        w.text(".")
        identity_ = PatientIdentity(
            full_name=p.full(), record_number=mrn, numbers=(snils[i], policies[i], phones[i]), anchor=anchor
        )
        docs.append(Document("".join(w.parts), identity_, w.spans))
    return docs


def recall(docs: list[Document], scrubber) -> dict:
    """Share of annotated identifiers whose every letter and digit is inside a scrubbed span, overall, for the
    patient's own identifiers, and by class."""
    found = {"all": [0, 0], "own": [0, 0]}
    missed_examples: list[str] = []
    for doc in docs:
        covered = np.zeros(len(doc.text), dtype=bool)
        for start, end, _ in scrubber.find(doc.text, doc.patient):
            covered[start:end] = True
        for start, end, kind, own in doc.spans:
            significant = [k for k in range(start, end) if doc.text[k].isalnum()]
            hit = bool(covered[significant].all())
            for key in ("all", kind) + (("own",) if own else ()):
                found.setdefault(key, [0, 0])
                found[key][0] += hit
                found[key][1] += 1
            if not hit and len(missed_examples) < 20:
                missed_examples.append(f"{kind}: {doc.text[start:end]!r}")
    return {
        "recall": {k: round(v[0] / v[1], 6) for k, v in sorted(found.items())},
        "identifiers": {k: v[1] for k, v in sorted(found.items())},
        "missed_examples": missed_examples,
    }
