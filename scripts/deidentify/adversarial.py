"""An adversarial annotated corpus for the scrubber, written independently of the synthetic twin.

The twin's corpus (deidentify.corpus) is written with the twin's own vocabulary and formats, which the scrubber was
tuned on; its recall says little about records written another way. This generator shares no code or word list
with the twin (it imports neither synthetic_twin nor deidentify.corpus, nor the scrubber's transliteration or
check-digit code): its own names (rare first names, surnames that are common nouns), its own transliterations
(passport ICAO, informal, German-style), its own check digits, and the ways real records carry identifiers:

- names in Latin letters in any case, with a Latin look-alike letter, a soft hyphen or a zero-width character
  inside, surnames the dictionary reads as nouns, initials in Latin;
- phones dotted, without a prefix, seven-digit city numbers, city codes, foreign numbers;
- e-mails with the @ spelled out (собака, at, (at), [at]) and the dot too; social-network addresses;
- SNILS, OMS policy, passport and INN numbers with other separators or split into parts, with or without keywords;
- record numbers written in words ("история болезни 23456", "номер карты ...");
- addresses with no street marker ("Профсоюзная 104-55"), microdistricts, districts, settlements;
- dates with month abbreviations, Roman-numeral months, English month names, spaces as separators;
- ages over 89 and birth years ("93 лет", "1921 г.р.").

Each patient gets a record of several text columns (procedure, revision reason, diagnosis text, note), with every
identifier annotated by column, span, kind and whether it is the patient's own (known to the scrubber from the raw
tables: recall must be 1.0 there). The staff roster (surgeons' names) is what the raw exports' staff column holds.
`clinical_texts()` gives identifier-free clinical text (the codebook's labels and sentences with numbers that are
not identifiers) for precision.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("procedure", "revision_reason", "primary_text", "note")

# Surnames as (masculine nominative, stem kind). Kinds: "ov" (-ов/-ев/-ин: declined), "sky" (-ский), "noun"
# (a common noun used as a surname: Пастух, Соловей; not declined here, as women's are not).
SURNAMES = [
    ("Вяземский", "sky"),
    ("Остроухов", "ov"),
    ("Белозёров", "ov"),
    ("Кречетов", "ov"),
    ("Ладыгин", "ov"),
    ("Шестопалов", "ov"),
    ("Толоконников", "ov"),
    ("Верещагин", "ov"),
    ("Рукавишников", "ov"),
    ("Загоскин", "ov"),
    ("Осокин", "ov"),
    ("Переверзев", "ov"),
    ("Чернышевский", "sky"),
    ("Поливанов", "ov"),
    ("Гладилин", "ov"),
    ("Колокольцев", "ov"),
    ("Ермолин", "ov"),
    ("Щеглов", "ov"),
    ("Добровольский", "sky"),
    ("Аржанов", "ov"),
]
NOUN_SURNAMES = [
    "Пастух",
    "Кузнец",
    "Соловей",
    "Мороз",
    "Бондарь",
    "Гончар",
    "Заяц",
    "Сорока",
    "Ворона",
    "Голова",
    "Коваль",
    "Рыбак",
    "Жук",
    "Лебедь",
    "Сокол",
    "Карась",
    "Щука",
    "Ткач",
    "Мельник",
    "Швец",
    "Шапка",
    "Гвоздь",
    "Плуг",
    "Молот",
]
# First names: nominative, genitive, dative, instrumental.
MALE = [
    ("Всеволод", "Всеволода", "Всеволоду", "Всеволодом"),
    ("Ярослав", "Ярослава", "Ярославу", "Ярославом"),
    ("Тимофей", "Тимофея", "Тимофею", "Тимофеем"),
    ("Арсений", "Арсения", "Арсению", "Арсением"),
    ("Глеб", "Глеба", "Глебу", "Глебом"),
    ("Матвей", "Матвея", "Матвею", "Матвеем"),
    ("Родион", "Родиона", "Родиону", "Родионом"),
    ("Святослав", "Святослава", "Святославу", "Святославом"),
    ("Эдуард", "Эдуарда", "Эдуарду", "Эдуардом"),
    ("Филипп", "Филиппа", "Филиппу", "Филиппом"),
    ("Лука", "Луки", "Луке", "Лукой"),
    ("Гордей", "Гордея", "Гордею", "Гордеем"),
]
FEMALE = [
    ("Ульяна", "Ульяны", "Ульяне", "Ульяной"),
    ("Злата", "Златы", "Злате", "Златой"),
    ("Василиса", "Василисы", "Василисе", "Василисой"),
    ("Есения", "Есении", "Есении", "Есенией"),
    ("Милана", "Миланы", "Милане", "Миланой"),
    ("Таисия", "Таисии", "Таисии", "Таисией"),
    ("Агата", "Агаты", "Агате", "Агатой"),
    ("Эвелина", "Эвелины", "Эвелине", "Эвелиной"),
    ("Стефания", "Стефании", "Стефании", "Стефанией"),
    ("Серафима", "Серафимы", "Серафиме", "Серафимой"),
    ("Аграфена", "Аграфены", "Аграфене", "Аграфеной"),
    ("Прасковья", "Прасковьи", "Прасковье", "Прасковьей"),
]
# Patronymic stems from fathers' names (masculine -ич, feminine -на, the stem before).
PATRONYMIC_STEMS = ["Всеволодов", "Ярославов", "Тимофеев", "Арсеньев", "Глебов", "Матвеев", "Родионов", "Филиппов"]
CASES = ("nom", "gen", "dat", "ins")

STREETS = ["Профсоюзная", "Садовая", "Лесная", "Ленина", "Мира", "Гагарина", "Школьная", "Заводская", "Новая"]
MICRODISTRICTS = ["Северный", "Юбилейный", "Солнечный", "Заречный", "Восточный", "Лесной"]
DISTRICTS = ["Кировский", "Центральный", "Заводской", "Ленинский", "Пролетарский", "Советский", "Алексинский"]
TOWNS = ["Тула", "Алексин", "Ефремов", "Узловая", "Новомосковск", "Богородицк"]
SETTLEMENTS = ["Широносово", "Ясная Поляна", "Петровское", "Дубки", "Каменка"]

MONTH_ABBR = ["янв.", "фев.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.", "нояб.", "дек."]
MONTH_ABBR_BARE = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
ENGLISH = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# Transliterations of its own (not the scrubber's tables).
_ICAO = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch ie y _ e iu ia".split(),
        strict=True,
    )
)
_INFORMAL = dict(_ICAO, й="y", х="h", ц="c", ю="yu", я="ya", щ="sch", ъ="_", ё="yo")
_GERMAN = dict(_ICAO, в="w", ж="sch", з="s", й="j", х="ch", ц="z", ч="tsch", ш="sch", щ="schtsch", ю="ju", я="ja")


def latin(word: str, table: dict[str, str]) -> str:
    out = "".join(table.get(ch, ch) for ch in word.lower()).replace("_", "")
    if table is _INFORMAL:
        out = out.replace("iy", "y") if out.endswith("iy") and len(out) > 5 else out
    return out


LOOKALIKES = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "к": "k", "А": "A", "Е": "E"}
INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u2060", "\ufeff"]


@dataclass
class Person:
    female: bool
    surname: str  # masculine nominative
    kind: str
    first: tuple[str, str, str, str]
    patronymic_stem: str

    def surname_case(self, case: str) -> str:
        s, fem = self.surname, self.female
        if self.kind == "noun":
            return s
        if self.kind == "sky":
            base = s[:-2]
            forms = (
                {"nom": "ая", "gen": "ой", "dat": "ой", "ins": "ой"}
                if fem
                else {"nom": "ий", "gen": "ого", "dat": "ому", "ins": "им"}
            )
            return base + forms[case]
        forms = (
            {"nom": "а", "gen": "ой", "dat": "ой", "ins": "ой"}
            if fem
            else {"nom": "", "gen": "а", "dat": "у", "ins": "ым"}
        )
        return s + forms[case]

    def first_case(self, case: str) -> str:
        return self.first[CASES.index(case)]

    def patronymic(self, case: str = "nom") -> str:
        stem = self.patronymic_stem
        if self.female:
            return stem + {"nom": "на", "gen": "ны", "dat": "не", "ins": "ной"}[case]
        return stem + {"nom": "ич", "gen": "ича", "dat": "ичу", "ins": "ичем"}[case]

    def full(self, case: str = "nom") -> str:
        return f"{self.surname_case(case)} {self.first_case(case)} {self.patronymic(case)}"

    def initials(self) -> str:
        return f"{self.first[0][0]}.{self.patronymic_stem[0]}."


@dataclass
class Record:
    """One patient's free-text columns, the annotations, and what the raw tables know about the patient."""

    columns: dict[str, str]
    spans: list[tuple[str, int, int, str, bool]] = field(default_factory=list)  # column, start, end, kind, own
    full_name: str = ""
    record_number: str = ""
    numbers: tuple[str, ...] = ()
    anchor: dt.date | None = None


class _Builder:
    def __init__(self):
        self.parts: dict[str, list[str]] = {c: [] for c in COLUMNS}
        self.lengths = dict.fromkeys(COLUMNS, 0)
        self.spans: list[tuple[str, int, int, str, bool]] = []

    def text(self, column: str, s: str) -> None:
        self.parts[column].append(s)
        self.lengths[column] += len(s)

    def ident(self, column: str, s: str, kind: str, own: bool = False) -> None:
        self.spans.append((column, self.lengths[column], self.lengths[column] + len(s), kind, own))
        self.text(column, s)


def _person(rng: random.Random, noun_surname: bool = False) -> Person:
    female = rng.random() < 0.5
    if noun_surname:
        surname, kind = rng.choice(NOUN_SURNAMES), "noun"
    else:
        surname, kind = rng.choice(SURNAMES)
    return Person(female, surname, kind, rng.choice(FEMALE if female else MALE), rng.choice(PATRONYMIC_STEMS))


def snils_control(first9: str) -> str:
    total = sum(int(d) * (9 - i) for i, d in enumerate(first9))
    while total > 101:
        total %= 101
    return "00" if total in (100, 101) else f"{total:02d}"


def inn12(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(10)]
    w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    digits.append(sum(d * w for d, w in zip(digits, w11, strict=True)) % 11 % 10)
    w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    digits.append(sum(d * w for d, w in zip(digits, w12, strict=True)) % 11 % 10)
    return "".join(map(str, digits))


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def _snils(rng: random.Random) -> tuple[str, list[str]]:
    """(digits, written forms of the whole number)."""
    first9 = _digits(rng, 9)
    d = first9 + snils_control(first9)
    a, b, c, k = d[:3], d[3:6], d[6:9], d[9:]
    return d, [f"{a}-{b}-{c} {k}", f"{a} {b} {c} {k}", f"{a}.{b}.{c}.{k}", d, f"{a}-{b}-{c}-{k}", f"{a}_{b}_{c}_{k}"]


def _oms(rng: random.Random) -> tuple[str, list[str]]:
    d = _digits(rng, 16)
    g = [d[i : i + 4] for i in range(0, 16, 4)]
    return d, [" ".join(g), "-".join(g), d, f"{d[:6]} {d[6:]}", f"{d[:4]}/{d[4:10]}/{d[10:]}"]


def _phone(rng: random.Random, style: int) -> str:
    code, a, b, c = f"9{rng.randint(0, 99):02d}", f"{rng.randint(100, 999)}", f"{rng.randint(0, 99):02d}", None
    c = f"{rng.randint(0, 99):02d}"
    return [
        f"8.{code}.{a}.{b}.{c}",  # dotted
        f"{code} {a}-{b}-{c}",  # no prefix
        f"({code}) {a} {b} {c}",  # no prefix, brackets
        f"{rng.randint(200, 799)}-{b}-{c}",  # city, seven digits
        f"8 (4872) {rng.randint(20, 79)}-{b}-{c}",  # city code
        f"+49 30 {rng.randint(1000000, 9999999)}",  # Germany
        f"+1 (212) 555-{rng.randint(1000, 9999)}",  # USA
        f"+375 29 {a}-{b}-{c}",  # Belarus
        f"+998 90 {a} {b} {c}",  # Uzbekistan
        f"00 44 20 {rng.randint(7000, 7999)} {rng.randint(1000, 9999)}",  # UK with 00
        f"+7{code}{a}{b}{c}",  # international, no separators
        f"8-{code}-{a}-{b}-{c}",
    ][style]


def _date(rng: random.Random, d: dt.date, style: int) -> str:
    return [
        f"{d.day} {MONTH_ABBR[d.month - 1]} {d.year}",
        f"{d.day:02d}-{MONTH_ABBR_BARE[d.month - 1]}-{d.year}",
        f"{d.day}.{ROMAN[d.month - 1]}.{d.year}",
        f"{d.day} {ROMAN[d.month - 1]} {d.year} г.",
        f"{d.day} {ENGLISH[d.month - 1]} {d.year}",
        f"{ENGLISH[d.month - 1]} {d.day}, {d.year}",
        f"{d.day:02d}-{ENGLISH[d.month - 1][:3]}-{d.year}",
        f"{ENGLISH[d.month - 1][:3]} {d.year}",
        f"{d.day:02d} {d.month:02d} {d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}г",
        f"«{d.day}» {MONTH_ABBR_BARE[d.month - 1]} {d.year} г.",
        f"{d.year}.{d.month:02d}.{d.day:02d}",
    ][style]


def _name_form(rng: random.Random, p: Person, style: int) -> tuple[str, str]:
    """(written form, kind) of a person's name, in one of the adversarial styles."""
    case = rng.choice(CASES)
    if style == 0:  # Latin, any letter case
        table = rng.choice([_ICAO, _INFORMAL, _GERMAN])
        s = f"{latin(p.surname_case(case), table).capitalize()} {latin(p.first_case(case), table).capitalize()}"
        return rng.choice([s, s.upper(), s.lower()]), "name_latin"
    if style == 1:  # a Latin look-alike letter inside
        word = p.surname_case(case)
        positions = [i for i, ch in enumerate(word) if ch in LOOKALIKES]
        for i in rng.sample(positions, min(len(positions), rng.randint(1, 2))):
            word = word[:i] + LOOKALIKES[word[i]] + word[i + 1 :]
        return f"{word} {p.initials()}", "name_homoglyph"
    if style == 2:  # an invisible character inside
        word = p.surname_case(case)
        i = rng.randint(1, len(word) - 1)
        return word[:i] + rng.choice(INVISIBLE) + word[i:], "name_invisible"
    if style == 3:  # Cyrillic, in case, full or with initials, any letter case
        s = rng.choice(
            [p.full(case), f"{p.surname_case(case)} {p.initials()}", f"{p.initials()} {p.surname_case(case)}"]
        )
        return rng.choice([s, s, s.upper()]), "name"
    # Latin with Latin initials
    return f"{latin(p.surname_case('nom'), _ICAO).capitalize()} {latin(p.first[0], _ICAO)[0].upper()}.", "name_latin"


def generate(n_patients: int = 60, seed: int = 2024) -> tuple[list[Record], list[str]]:
    """Records of `n_patients` invented patients, and the staff roster (the raw exports' surgeon column)."""
    rng = random.Random(seed)
    staff = [_person(rng, noun_surname=rng.random() < 0.5) for _ in range(max(4, n_patients // 4))]
    records = []
    for _ in range(n_patients):
        p = _person(rng, noun_surname=rng.random() < 0.3)
        relative = _person(rng, noun_surname=rng.random() < 0.3)
        surgeon = rng.choice(staff)
        anchor = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randint(0, 5000))
        record_number = f"{rng.randint(10000, 99999)}"
        snils, snils_forms = _snils(rng)
        oms, oms_forms = _oms(rng)
        phone = _phone(rng, rng.randint(0, 11))
        b = _Builder()

        def col() -> str:
            return rng.choice(COLUMNS)

        def sentence(prefix: str, value: str, kind: str, own: bool = False, suffix: str = ". ", b=b) -> None:
            c = col()
            b.text(c, prefix)
            b.ident(c, value, kind, own)
            b.text(c, suffix)

        # The patient's own name, in every adversarial style.
        for style in rng.sample(range(5), 3):
            form, kind = _name_form(rng, p, style)
            sentence(
                rng.choice(["Пациент ", "Со слов больного ", "Осмотр: ", "Направлен ", "Больной "]), form, kind, True
            )
        if p.kind == "noun" or rng.random() < 0.5:
            sentence(
                "Фамилия пациента: ", p.surname_case("nom"), "name_noun_surname" if p.kind == "noun" else "name", True
            )
        # Staff and relatives (not in the patient's record, the surgeon is in the staff column).
        form, kind = _name_form(rng, surgeon, rng.randint(0, 4))
        sentence(rng.choice(["Оперировал ", "Хирург: ", "Консультация ", "Осмотрен совместно с "]), form, kind)
        if surgeon.kind == "noun":
            sentence("Ассистировал д-р ", f"{surgeon.surname} {surgeon.initials()}", "name_noun_surname")
        form, kind = _name_form(rng, relative, rng.choice([0, 3, 3]))
        sentence(rng.choice(["Контакт: дочь ", "Со слов сына ", "Родственник ", "Жена "]), form, kind)
        if relative.kind == "noun":
            sentence("Со слов матери ", f"{relative.first[0]} {relative.surname}", "name_noun_surname")
        # Numbers.
        sentence("Тел. ", phone, "phone", True)
        sentence(rng.choice(["Доп. телефон ", "Звонить: ", "тел. родств. "]), _phone(rng, rng.randint(0, 11)), "phone")
        sentence(rng.choice(["СНИЛС ", "снилс: ", "СНИЛС № "]), rng.choice(snils_forms), "snils", True)
        a, b_, c_, k = snils[:3], snils[3:6], snils[6:9], snils[9:]
        if rng.random() < 0.5:
            column = col()
            b.text(column, "СНИЛС ")
            b.ident(column, f"{a}-{b_}-{c_}", "snils", True)
            b.text(column, ", контрольное число ")
            b.ident(column, k, "snils", True)
            b.text(column, ". ")
        sentence(
            rng.choice(["Полис ОМС ", "полис: ", "ЕНП ", "страховой полис № "]), rng.choice(oms_forms), "oms", True
        )
        series, number = _digits(rng, 4), _digits(rng, 6)
        passport = rng.choice(
            [f"{series[:2]} {series[2:]} {number}", f"{series} № {number}", f"{series}-{number}", f"{series} {number}"]
        )
        sentence(rng.choice(["Паспорт ", "паспорт РФ ", "Документ: паспорт "]), passport, "passport")
        if rng.random() < 0.5:
            column = col()
            b.text(column, "Паспорт: серия ")
            b.ident(column, series, "passport")
            b.text(column, " номер ")
            b.ident(column, number, "passport")
            b.text(column, ". ")
        inn = inn12(rng)
        inn_form = rng.choice([inn, f"{inn[:4]} {inn[4:8]} {inn[8:]}", f"{inn[:2]}-{inn[2:4]}-{inn[4:10]}-{inn[10:]}"])
        sentence("ИНН ", inn_form, "inn")
        # Record numbers in words.
        phrase = rng.choice(
            [
                "История болезни ",
                "история болезни № ",
                "Номер карты ",
                "амбулаторная карта ",
                "медицинская карта стационарного больного № ",
                "и/б ",
                "Карта пациента № ",
            ]
        )
        sentence(phrase, rng.choice([record_number, f"{record_number}/{anchor.year % 100:02d}"]), "record_number", True)
        # Addresses.
        street_form = rng.choice(
            [
                f"{rng.choice(STREETS)} {rng.randint(1, 150)}-{rng.randint(1, 200)}",
                f"{rng.choice(STREETS)}, {rng.randint(1, 150)}",
                f"мкр. {rng.choice(MICRODISTRICTS)}, д. {rng.randint(1, 40)}",
                f"микрорайон {rng.choice(MICRODISTRICTS)} {rng.randint(1, 30)}-{rng.randint(1, 99)}",
                f"ЖК «{rng.choice(MICRODISTRICTS)}»",
            ]
        )
        sentence(
            rng.choice(["Проживает: ", "Адрес: ", "живёт ", "Адрес проживания: "]),
            street_form,
            "address_nomarker",
            True,
        )
        district = rng.choice(
            [
                f"{rng.choice(DISTRICTS)} район",
                f"{rng.choice(DISTRICTS)} р-н",
                f"{rng.choice(DISTRICTS)[:-2]}ом районе",
                f"с. {rng.choice(SETTLEMENTS)}",
                f"г {rng.choice(TOWNS)}",
                f"пос. {rng.choice(SETTLEMENTS)}",
            ]
        )
        sentence(rng.choice(["Проживает в ", "Прописан: ", "Место жительства: "]), district, "address_district")
        # Dates in written forms.
        for _ in range(3):
            d = anchor + dt.timedelta(days=rng.randint(-60, 1500))
            sentence(
                rng.choice(["Операция ", "Осмотр от ", "Госпитализирован ", "Rg-контроль "]),
                _date(rng, d, rng.randint(0, 11)),
                "date",
            )
        # Ages over 89 and birth years.
        age = rng.randint(90, 104)
        sentence("Пациенту ", rng.choice([f"{age} лет", f"{age}-летний", f"{age} года"]), "age_over_89", suffix=", ")
        sentence("", rng.choice([f"{anchor.year - age} г.р.", f"{anchor.year - age} года рождения"]), "age_over_89")
        # E-mails and social networks.
        login = latin(p.surname_case("nom"), _INFORMAL) + str(rng.randint(1, 99))
        email = rng.choice(
            [
                f"{login} собака mail.ru",
                f"{login} at yandex.ru",
                f"{login}(at)gmail.com",
                f"{login} [at] bk.ru",
                f"{login} @ mail . ru",
                f"{login} собака yandex точка ru",
            ]
        )
        sentence(rng.choice(["E-mail: ", "почта ", "эл. почта: "]), email, "email", True)
        sentence(
            "Профиль: ",
            rng.choice([f"vk.com/{login}", f"t.me/{login}", f"ok.ru/profile/{rng.randint(10**8, 10**9)}"]),
            "url",
        )
        # Clinical text around the identifiers (a record is not only identifiers).
        for column in COLUMNS:
            b.text(column, rng.choice(CLINICAL_SENTENCES))
        numbers = (snils, oms, phone)
        records.append(
            Record(
                {c: "".join(b.parts[c]) for c in COLUMNS},
                b.spans,
                p.full(),
                record_number,
                numbers,
                anchor,
            )
        )
    return records, [s.full() for s in staff]


CLINICAL_SENTENCES = [
    "Перелом проксимального отдела бедренной кости. ",
    "Выполнен интрамедуллярный остеосинтез штифтом PFNA, кровопотеря 300 мл. ",
    "Эндопротезирование коленного сустава, ножка 150 мм, цемент 2 дозы. ",
    "Метастаз рака почки в диафиз плечевой кости, размер 4,5 x 3 см. ",
    "По шкале Мирелса 9 баллов, ECOG 2, Карновский 60 %. ",
    "Гемоглобин 98 г/л, лейкоциты 11,2 x 10^9/л, СОЭ 45 мм/ч. ",
    "T2N1M1, стадия IV, C79.5, C64. ",
    "Послеоперационный период без осложнений, швы сняты на 14 сутки. ",
    "Асептическая нестабильность ножки эндопротеза через 3 года. ",
    "Рентгенография: консолидация перелома, положение металлоконструкции стабильное. ",
    "Лучевая терапия СОД 30 Гр за 10 фракций. ",
    "Назначено: цефазолин 2 г в/в, эноксапарин 40 мг п/к 1 раз в сутки. ",
]


def clinical_texts(codebook_path: str | Path | None = None) -> list[str]:
    """Identifier-free clinical text: the codebook's labels (bones, segments, procedures, diagnoses, causes) and
    sentences with numbers that are not identifiers (sizes, doses, laboratory values, scores, stages, years)."""
    texts = [s.strip() for s in CLINICAL_SENTENCES]
    texts += [
        "В 2019 году выполнена резекция, рецидив в 2021 г.",
        "Через 12 месяцев прогрессирование, 2-3 курса химиотерапии.",
        "Сегментарная резекция 12 см, реконструкция модульным эндопротезом.",
        "Отмечается боль 7 из 10 по ВАШ, ходит с опорой на костыли.",
        "Удаление металлоконструкции, резекция с эндопротезированием.",
        "КТ грудной клетки: очаги до 8 мм в S6 и S10 правого легкого.",
        "Саркома Юинга, 3 курса VDC/IE, затем операция.",
        "Доза 1,5 мг/кг, 3 раза в день, 10 дней.",
        "Рост 175 см, вес 82 кг, ИМТ 26,8.",
        "АД 130/80 мм рт. ст., ЧСС 78 в мин.",
        "Пациент в удовлетворительном состоянии, выписан на 9 сутки.",
        "Перелом ножки эндопротеза, реэндопротезирование.",
        "Ревизия раны, санация, установка спейсера с антибиотиком.",
        "Гистология: метастаз светлоклеточного рака почки, G2.",
        "Остеосинтез пластиной LCP 4,5 мм, 10 отверстий.",
        "Лечение по протоколу EURAMOS-1, ответ по Huvos III.",
        "Бедро, плечо и большеберцовая кость: очаги литической деструкции.",
        "Уровень L3-L4, декомпрессия, транспедикулярная фиксация Th12-L2.",
    ]
    if codebook_path is not None:
        import yaml

        codebook = yaml.safe_load(Path(codebook_path).read_text(encoding="utf-8"))

        def walk(node):
            if isinstance(node, dict):
                for v in node.values():
                    yield from walk(v)
            elif isinstance(node, list):
                for v in node:
                    yield from walk(v)
            elif isinstance(node, str) and any(ch.isalpha() for ch in node):
                yield node

        texts += sorted(set(walk(codebook)))
    return texts
