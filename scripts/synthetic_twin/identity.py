"""Fake Russian personal data for the synthetic twin: names that decline, SNILS, policies, phones, addresses.

Everything here is invented. The point is that it *looks* like what a Russian hospital information system
exports, so that the de-identification stage is exercised on realistic material: surnames and first names in the
grammatical cases a clinical note uses them in, initials in both orders, SNILS numbers with a valid check digit.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# Surnames by declension pattern. "ov" and "in" stems take -а in the feminine; "sky" stems are adjectival;
# "indecl" surnames (Ukrainian -енко, Korean) never change.
SURNAMES = {
    "ov": [
        "Иванов",
        "Смирнов",
        "Кузнецов",
        "Попов",
        "Соколов",
        "Лебедев",
        "Козлов",
        "Новиков",
        "Морозов",
        "Петров",
        "Волков",
        "Соловьев",
        "Васильев",
        "Зайцев",
        "Павлов",
        "Семенов",
        "Голубев",
        "Виноградов",
        "Богданов",
        "Воробьев",
        "Федоров",
        "Михайлов",
        "Беляев",
        "Тарасов",
        "Белов",
        "Комаров",
        "Орлов",
        "Киселев",
        "Макаров",
        "Андреев",
        "Ковалев",
        "Гусев",
        "Титов",
        "Кудрявцев",
        "Баранов",
        "Куликов",
        "Алексеев",
        "Степанов",
        "Яковлев",
        "Сергеев",
        "Романов",
        "Захаров",
        "Борисов",
        "Королев",
        "Герасимов",
        "Пономарев",
        "Григорьев",
        "Лазарев",
        "Медведев",
        "Ершов",
        "Никитин",
        "Соболев",
        "Рябов",
        "Поляков",
        "Цветков",
        "Данилов",
        "Жуков",
        "Фролов",
        "Журавлев",
        "Николаев",
        "Крылов",
        "Максимов",
        "Сидоров",
        "Осипов",
        "Белоусов",
        "Федотов",
        "Дорофеев",
        "Егоров",
        "Матвеев",
        "Бобров",
        "Дмитриев",
        "Калинин",
        "Анисимов",
        "Петухов",
        "Антонов",
        "Тимофеев",
        "Никифоров",
        "Веселов",
        "Филиппов",
        "Марков",
        "Большаков",
        "Суханов",
        "Миронов",
        "Ширяев",
        "Александров",
        "Коновалов",
        "Шестаков",
        "Казаков",
        "Ефимов",
        "Денисов",
        "Громов",
        "Фомин",
        "Давыдов",
        "Мельников",
        "Щербаков",
        "Блинов",
        "Колесников",
        "Карпов",
        "Афанасьев",
        "Власов",
        "Маслов",
        "Исаков",
        "Тихонов",
        "Аксенов",
        "Гаврилов",
        "Родионов",
        "Котов",
        "Горбунов",
        "Кудряшов",
        "Быков",
        "Зуев",
        "Третьяков",
        "Савельев",
        "Панов",
        "Рыбаков",
        "Суворов",
        "Абрамов",
        "Воронов",
        "Мухин",
        "Архипов",
        "Трофимов",
    ],
    "in": [
        "Ильин",
        "Кузьмин",
        "Сорокин",
        "Никитин",
        "Калинин",
        "Фомин",
        "Мухин",
        "Зимин",
        "Голубкин",
        "Борисин",
        "Лапин",
        "Щукин",
        "Шубин",
        "Сомин",
        "Ерохин",
        "Пушкин",
        "Федосин",
        "Ломакин",
    ],
    "sky": [
        "Ковальский",
        "Вишневский",
        "Островский",
        "Покровский",
        "Успенский",
        "Троицкий",
        "Введенский",
        "Соколовский",
        "Добровольский",
        "Лозинский",
        "Жуковский",
        "Полянский",
    ],
    "indecl": ["Шевченко", "Бондаренко", "Ким", "Коваленко", "Ткаченко", "Кравченко", "Цой", "Лысенко"],
}

# Male first names: (nominative, genitive, dative, instrumental, patronymic stem).
MALE_FIRST = [
    ("Иван", "Ивана", "Ивану", "Иваном", "Иванов"),
    ("Сергей", "Сергея", "Сергею", "Сергеем", "Сергеев"),
    ("Александр", "Александра", "Александру", "Александром", "Александров"),
    ("Алексей", "Алексея", "Алексею", "Алексеем", "Алексеев"),
    ("Дмитрий", "Дмитрия", "Дмитрию", "Дмитрием", "Дмитриев"),
    ("Андрей", "Андрея", "Андрею", "Андреем", "Андреев"),
    ("Михаил", "Михаила", "Михаилу", "Михаилом", "Михайлов"),
    ("Николай", "Николая", "Николаю", "Николаем", "Николаев"),
    ("Владимир", "Владимира", "Владимиру", "Владимиром", "Владимиров"),
    ("Юрий", "Юрия", "Юрию", "Юрием", "Юрьев"),
    ("Виктор", "Виктора", "Виктору", "Виктором", "Викторов"),
    ("Петр", "Петра", "Петру", "Петром", "Петров"),
    ("Геннадий", "Геннадия", "Геннадию", "Геннадием", "Геннадьев"),
    ("Олег", "Олега", "Олегу", "Олегом", "Олегов"),
    ("Евгений", "Евгения", "Евгению", "Евгением", "Евгеньев"),
    ("Анатолий", "Анатолия", "Анатолию", "Анатолием", "Анатольев"),
    ("Борис", "Бориса", "Борису", "Борисом", "Борисов"),
    ("Василий", "Василия", "Василию", "Василием", "Васильев"),
    ("Григорий", "Григория", "Григорию", "Григорием", "Григорьев"),
    ("Павел", "Павла", "Павлу", "Павлом", "Павлов"),
    ("Константин", "Константина", "Константину", "Константином", "Константинов"),
    ("Валерий", "Валерия", "Валерию", "Валерием", "Валерьев"),
]

# Female first names: (nominative, genitive, dative, instrumental).
FEMALE_FIRST = [
    ("Мария", "Марии", "Марии", "Марией"),
    ("Елена", "Елены", "Елене", "Еленой"),
    ("Ольга", "Ольги", "Ольге", "Ольгой"),
    ("Наталья", "Натальи", "Наталье", "Натальей"),
    ("Татьяна", "Татьяны", "Татьяне", "Татьяной"),
    ("Ирина", "Ирины", "Ирине", "Ириной"),
    ("Светлана", "Светланы", "Светлане", "Светланой"),
    ("Галина", "Галины", "Галине", "Галиной"),
    ("Людмила", "Людмилы", "Людмиле", "Людмилой"),
    ("Анна", "Анны", "Анне", "Анной"),
    ("Надежда", "Надежды", "Надежде", "Надеждой"),
    ("Валентина", "Валентины", "Валентине", "Валентиной"),
    ("Нина", "Нины", "Нине", "Ниной"),
    ("Екатерина", "Екатерины", "Екатерине", "Екатериной"),
    ("Лариса", "Ларисы", "Ларисе", "Ларисой"),
    ("Тамара", "Тамары", "Тамаре", "Тамарой"),
    ("Вера", "Веры", "Вере", "Верой"),
    ("Зинаида", "Зинаиды", "Зинаиде", "Зинаидой"),
]

CASES = ("nom", "gen", "dat", "ins")


def surname_forms(stem: str, pattern: str, female: bool) -> dict[str, str]:
    """The surname in the four cases a clinical note uses (nominative, genitive, dative, instrumental)."""
    if pattern == "indecl":
        return dict.fromkeys(CASES, stem)
    if pattern == "sky":
        base = stem[:-2]  # Ковальск-
        if female:
            return {"nom": base + "ая", "gen": base + "ой", "dat": base + "ой", "ins": base + "ой"}
        return {"nom": stem, "gen": base + "ого", "dat": base + "ому", "ins": base + "им"}
    if female:  # Иванова, Ильина
        return {"nom": stem + "а", "gen": stem + "ой", "dat": stem + "ой", "ins": stem + "ой"}
    return {"nom": stem, "gen": stem + "а", "dat": stem + "у", "ins": stem + "ым"}


def patronymic_forms(father_stem: str, female: bool) -> dict[str, str]:
    """Patronymic from the father's name stem (Иванов- -> Иванович / Ивановна), in four cases."""
    root = father_stem  # the stem already ends in -ов/-ев: Иванов-ич, Сергеев-на
    if female:
        nom = root + "на"
        return {"nom": nom, "gen": root + "ны", "dat": root + "не", "ins": root + "ной"}
    nom = root + "ич"
    return {"nom": nom, "gen": nom + "а", "dat": nom + "у", "ins": nom + "ем"}


def _flat_surnames() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for pattern, stems in SURNAMES.items():
        for stem in stems:
            seen.setdefault(stem, pattern)
    return sorted(seen.items())


SURNAME_TABLE = _flat_surnames()


class Person:
    """One invented person with every written form of the name the twin may use."""

    __slots__ = ("surname", "first", "patronymic", "female")

    def __init__(self, surname: dict, first: dict, patronymic: dict, female: bool):
        self.surname, self.first, self.patronymic, self.female = surname, first, patronymic, female

    def full(self, case: str = "nom") -> str:
        return f"{self.surname[case]} {self.first[case]} {self.patronymic[case]}"

    def initials(self) -> str:
        return f"{self.first['nom'][0]}.{self.patronymic['nom'][0]}."

    def short(self, case: str = "nom") -> str:
        """'Иванов И.И.' in the given case."""
        return f"{self.surname[case]} {self.initials()}"

    def short_reversed(self, case: str = "nom") -> str:
        """'И.И. Иванов' in the given case."""
        return f"{self.initials()} {self.surname[case]}"

    def all_forms(self) -> list[str]:
        forms = set()
        for case in CASES:
            forms.update({self.full(case), self.short(case), self.short_reversed(case), self.surname[case]})
        return sorted(forms)


def draw_people(rng: np.random.Generator, female: np.ndarray) -> list[Person]:
    """Draw one person per entry of the boolean array `female`."""
    n = len(female)
    s_idx = rng.integers(0, len(SURNAME_TABLE), n)
    f_idx = rng.integers(0, 10_000, n)
    p_idx = rng.integers(0, len(MALE_FIRST), n)
    people = []
    for i in range(n):
        stem, pattern = SURNAME_TABLE[s_idx[i]]
        is_f = bool(female[i])
        if is_f:
            first = dict(zip(CASES, FEMALE_FIRST[f_idx[i] % len(FEMALE_FIRST)], strict=True))
        else:
            first = dict(zip(CASES, MALE_FIRST[f_idx[i] % len(MALE_FIRST)][:4], strict=True))
        father = MALE_FIRST[p_idx[i]][4]
        people.append(Person(surname_forms(stem, pattern, is_f), first, patronymic_forms(father, is_f), is_f))
    return people


def unique_integers(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct integers in [low, high), in random order."""
    out = np.unique(rng.integers(low, high, int(n * 1.2) + 16))
    while len(out) < n:
        out = np.unique(np.concatenate([out, rng.integers(low, high, n)]))
    return rng.permutation(out)[:n]


def digit_columns(values: np.ndarray, width: int) -> np.ndarray:
    """The zero-padded decimal digits of non-negative integers below 10**width, as ASCII codes (n x width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers % 10 + ord("0")).astype(np.uint8)


def ascii_rows(*parts) -> np.ndarray:
    """Rows of text (an object array of str) from pieces side by side: ASCII code matrices (n x k) and constant
    strings, joined column-wise (one string per row at the end, not per piece)."""
    n = next(len(p) for p in parts if not isinstance(p, str))
    blocks = [
        np.broadcast_to(np.frombuffer(p.encode("ascii"), np.uint8), (n, len(p))) if isinstance(p, str) else p
        for p in parts
    ]
    matrix = np.ascontiguousarray(np.concatenate(blocks, axis=1))
    return matrix.view(f"S{matrix.shape[1]}").reshape(-1).astype(f"U{matrix.shape[1]}").astype(object)


def snils_check_numbers(first9: np.ndarray) -> np.ndarray:
    """`snils_check_digits` on a matrix of digit codes (n x 9), as numbers 0-99: sum of digit * weight (9..1);
    below 100 as is, 100 and 101 -> 0, else mod 101 (100 -> 0)."""
    total = ((first9.astype(np.int64) - ord("0")) * np.arange(9, 0, -1)).sum(axis=1)
    rest = total % 101
    return np.where(total < 100, total, np.where((total <= 101) | (rest == 100), 0, rest))


def draw_snils(rng: np.random.Generator, n: int) -> list[str]:
    """SNILS numbers "ddd-ddd-ddd cc" with their check digits (`snils_check_digits`), built column-wise."""
    # Numbers up to 001-001-998 are not issued; start above them.
    digits = digit_columns(unique_integers(rng, n, 2_000_000, 999_999_999), 9)
    check = digit_columns(snils_check_numbers(digits), 2)
    return ascii_rows(digits[:, :3], "-", digits[:, 3:6], "-", digits[:, 6:], " ", check).tolist()


def draw_policies(rng: np.random.Generator, n: int) -> list[str]:
    """16-digit unified OMS policy numbers (no check digit is published for them)."""
    numbers = unique_integers(rng, n, 7_700_000_000_000_000, 7_799_999_999_999_999)
    return ascii_rows(digit_columns(numbers, 16)).tolist()


def draw_phones(rng: np.random.Generator, n: int) -> list[str]:
    """Mobile numbers, written in the two ways Russian records use: "+7 (ddd) ddd-dd-dd" and "8-ddd-ddd-dd-dd"."""
    numbers = unique_integers(rng, n, 9_000_000_000, 9_999_999_999)
    style = rng.integers(0, 2, n)
    d = digit_columns(numbers, 10)
    plus = ascii_rows("+7 (", d[:, :3], ") ", d[:, 3:6], "-", d[:, 6:8], "-", d[:, 8:])
    eight = ascii_rows("8-", d[:, :3], "-", d[:, 3:6], "-", d[:, 6:8], "-", d[:, 8:])
    return np.where(style == 0, plus, eight).tolist()


STREETS = [
    "ул. Ленина",
    "ул. Гагарина",
    "ул. Садовая",
    "Ленинский пр-т",
    "ул. Профсоюзная",
    "ул. Мира",
    "ул. Школьная",
    "ул. Советская",
    "ул. Лесная",
    "ул. Новая",
    "Кутузовский пр-т",
    "ул. Пушкина",
    "ул. Молодежная",
    "ул. Центральная",
    "ш. Энтузиастов",
    "ул. Строителей",
    "Варшавское ш.",
]
CITIES = [
    "г. Москва",
    "г. Москва",
    "г. Москва",
    "Московская обл., г. Химки",
    "Московская обл., г. Подольск",
    "Московская обл., г. Балашиха",
    "Тульская обл., г. Тула",
    "Калужская обл., г. Обнинск",
    "Владимирская обл., г. Ковров",
    "Рязанская обл., г. Рязань",
]


def draw_addresses(rng: np.random.Generator, n: int) -> list[str]:
    city = rng.integers(0, len(CITIES), n)
    street = rng.integers(0, len(STREETS), n)
    house = rng.integers(1, 160, n)
    flat = rng.integers(1, 400, n)
    # "{city}, {street}, д. {house}, кв. {flat}" from the halves, each distinct half spelled once.
    place = np.array([f"{c}, {s}, д. " for c in CITIES for s in STREETS], dtype=object)
    pairs, pair = np.unique(house * 400 + flat, return_inverse=True)
    number = np.array([f"{p // 400}, кв. {p % 400}" for p in pairs.tolist()], dtype=object)
    return (place[city * len(STREETS) + street] + number[pair.reshape(-1)]).tolist()


class Names:
    """Many invented people at once, as columns: the same names `draw_people` gives, with every form an array."""

    def __init__(self, surname: Mapping[str, np.ndarray], first: Mapping[str, np.ndarray], patronymic: Mapping, female):
        self.surname, self.first, self.patronymic, self.female = surname, first, patronymic, np.asarray(female, bool)
        self.initials = (
            _first_letter(first["nom"]) + "." + _first_letter(patronymic["nom"]) + "."  # 'И.И.'
        )

    def __len__(self) -> int:
        return len(self.female)

    def full(self, case: str = "nom") -> np.ndarray:
        return self.surname[case] + " " + self.first[case] + " " + self.patronymic[case]

    def short(self, case: str = "nom") -> np.ndarray:
        """'Иванов И.И.' in the given case."""
        return self.surname[case] + " " + self.initials

    def short_reversed(self, case: str = "nom") -> np.ndarray:
        """'И.И. Иванов' in the given case."""
        return self.initials + " " + self.surname[case]


class Forms(Mapping):
    """Case -> the forms of many people's names (an object array): `table[case][row]`, taken when asked for (six
    arrays of pointers per name part, kept for a million people, would be hundreds of megabytes)."""

    def __init__(self, table: dict[str, np.ndarray], row: np.ndarray):
        self.table, self.row = table, row

    def __getitem__(self, case: str) -> np.ndarray:
        return self.table[case][self.row]

    def __iter__(self):
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


def _first_letter(words: np.ndarray) -> np.ndarray:
    distinct, position = np.unique(words, return_inverse=True)
    return np.array([w[0] for w in distinct], dtype=object)[position.reshape(-1)]


def _forms_table(rows: list[dict[str, str]]) -> dict[str, np.ndarray]:
    return {case: np.array([row[case] for row in rows], dtype=object) for case in CASES}


def draw_names(rng: np.random.Generator, female: np.ndarray) -> Names:
    """`draw_people` as columns: the same draws from `rng`, the same names, without a Python object per person."""
    female = np.asarray(female, dtype=bool)
    n = len(female)
    s_idx = rng.integers(0, len(SURNAME_TABLE), n)
    f_idx = rng.integers(0, 10_000, n)
    p_idx = rng.integers(0, len(MALE_FIRST), n)
    surname_table = _forms_table(
        [surname_forms(stem, pattern, f) for f in (False, True) for stem, pattern in SURNAME_TABLE]
    )
    surname_row = s_idx + female * len(SURNAME_TABLE)
    first_table = _forms_table([dict(zip(CASES, forms[:4], strict=True)) for forms in (*MALE_FIRST, *FEMALE_FIRST)])
    first_row = np.where(female, len(MALE_FIRST) + f_idx % len(FEMALE_FIRST), f_idx % len(MALE_FIRST))
    patronymic_table = _forms_table([patronymic_forms(forms[4], f) for f in (False, True) for forms in MALE_FIRST])
    patronymic_row = p_idx + female * len(MALE_FIRST)
    return Names(
        Forms(surname_table, surname_row),
        Forms(first_table, first_row),
        Forms(patronymic_table, patronymic_row),
        female,
    )
