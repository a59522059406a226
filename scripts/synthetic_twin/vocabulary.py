"""How the hospital's staff wrote things down: the label variants the twin draws from.

Each field maps a harmonised category to the spellings the twin writes for it: the usual Russian term first (the
most frequent), then abbreviations, other cases, English synonyms and typos, as they turn up in real exports. The
cleaning stage's codebook (config/) is written independently and must map all of them; a variant it does not know
stops the run, which is the point of the exercise.
"""

from __future__ import annotations

import numpy as np

# Primary tumour: harmonised group -> (ICD-10 codes, diagnosis texts).
PRIMARY = {
    "breast": (
        ["C50.4", "C50.9", "C50.8", "C50.2"],
        [
            "Рак молочной железы",
            "РМЖ",
            "Рак левой молочной железы",
            "Рак правой молочной железы",
            "Cr молочной железы",
            "Breast cancer",
            "рак молочнй железы",
            "РАК МОЛОЧНОЙ ЖЕЛЕЗЫ",
        ],
    ),
    "kidney": (
        ["C64"],
        [
            "Рак почки",
            "Почечно-клеточный рак",
            "ПКР",
            "Рак правой почки",
            "Светлоклеточный рак почки",
            "Renal cell carcinoma",
            "рак почьки",
        ],
    ),
    "lung": (
        ["C34.1", "C34.9", "C34.3"],
        ["Рак легкого", "Рак лёгкого", "НМРЛ", "Немелкоклеточный рак легкого", "Lung cancer", "рак лекгого"],
    ),
    "prostate": (["C61"], ["Рак предстательной железы", "РПЖ", "Prostate cancer", "Рак простаты"]),
    "rectum": (["C20"], ["Рак прямой кишки", "Аденокарцинома прямой кишки", "рак прям. кишки", "Rectal cancer"]),
    "liver": (["C22.0"], ["Гепатоцеллюлярный рак", "Рак печени", "ГЦР", "Liver cancer"]),
    "ewing_sarcoma": (["C40.2", "C41.4"], ["Саркома Юинга", "Ewing sarcoma", "саркома Юинга"]),
    "thyroid": (["C73"], ["Рак щитовидной железы", "РЩЖ", "Thyroid cancer"]),
    "melanoma": (["C43.5", "C43.7"], ["Меланома кожи", "Меланома", "Melanoma"]),
    "stomach": (["C16.9", "C16.2"], ["Рак желудка", "Gastric cancer", "рак жулудка"]),
    "bladder": (["C67.9"], ["Рак мочевого пузыря", "Bladder cancer", "РМП"]),
    "cervix": (["C53.9"], ["Рак шейки матки", "РШМ", "Cervical cancer"]),
    "unknown_primary": (
        ["C80.0"],
        [
            "Метастазы без выявленного первичного очага",
            "Рак без выявленного первичного очага",
            "Cancer of unknown primary",
        ],
    ),
}

# Diagnoses of patients in the export who have no metastatic disease (excluded by the inclusion criteria).
NON_METASTATIC = [
    ("C40.2", "Остеосаркома бедренной кости"),
    ("D48.0", "Гигантоклеточная опухоль кости"),
    ("C41.4", "Хондросаркома"),
    ("D16.2", "Энхондрома"),
    ("M85.5", "Аневризмальная костная киста"),
]

# The ICD-10 code of a bone metastasis (C79.5), as typed: Latin or Cyrillic "С", case, stray spaces.
BONE_METASTASIS_CODE = ["C79.5", "С79.5", "c79.5", "C79.5 ", "C 79.5"]

INDEX_OPERATION = {
    "endoprosthesis": [
        "Эндопротезирование",
        "Онкологическое эндопротезирование",
        "Резекция кости с эндопротезированием",
        "Сегментарная резекция, эндопротезирование",
        "ЭП",
        "Endoprosthetic replacement",
        "эндопротезирвание",
    ],
    "intramedullary_osteosynthesis": [
        "Интрамедуллярный остеосинтез",
        "Интрамедуллярный блокируемый остеосинтез",
        "БИОС",
        "ИМО",
        "Остеосинтез штифтом",
        "Intramedullary nailing",
        "Интрамедулярный остеосинтез",
    ],
    "plate_osteosynthesis": [
        "Накостный остеосинтез",
        "Остеосинтез пластиной",
        "МОС пластиной",
        "Накостный остеосинтез пластиной LCP",
        "Plate osteosynthesis",
        "накостный остеосинтес",
    ],
    "other": [
        "Резекция опухоли, цементная пластика",
        "Кюретаж, костная цементная пластика",
        "Краевая резекция кости",
        "Curettage and cementation",
    ],
}

REVISION_OPERATION = {
    "preoperative_diagnostic_error": ["Резекция кости с эндопротезированием", "Ампутация", "Реэндопротезирование"],
    "postoperative_infection": [
        "Ревизия, санация, удаление металлоконструкции",
        "Ревизия раны, санация",
        "Удаление эндопротеза, установка спейсера",
    ],
    "endoprosthesis_dislocation": ["Открытое вправление вывиха эндопротеза", "Ревизия эндопротеза"],
    "solitary_metastasis_progression_after_osteosynthesis": [
        "Удаление металлоконструкции, резекция с эндопротезированием",
        "Резекция кости с эндопротезированием",
    ],
    "aseptic_instability_after_intramedullary_osteosynthesis": [
        "Удаление штифта, эндопротезирование",
        "Реостеосинтез",
        "Удаление штифта, повторный остеосинтез",
    ],
    "endoprosthesis_stem_fracture": ["Реэндопротезирование", "Ревизионное эндопротезирование"],
}

REVISION_REASON = {
    "preoperative_diagnostic_error": [
        "Ошибка дооперационной диагностики",
        "Ошибка в диагнозе: первичная опухоль кости",
        "Неверный дооперационный диагноз",
        "Diagnostic error",
    ],
    "postoperative_infection": [
        "Инфекционное осложнение",
        "Нагноение послеоперационной раны",
        "Глубокая перипротезная инфекция",
        "Послеоперационная инфекция",
        "Infection",
    ],
    "endoprosthesis_dislocation": ["Вывих эндопротеза", "Вывих головки эндопротеза", "вывих ЭП", "Dislocation"],
    "solitary_metastasis_progression_after_osteosynthesis": [
        "Продолженный рост солитарного метастаза после остеосинтеза",
        "Прогрессирование солитарного метастаза",
        "Рост опухоли после МОС",
        "Продолженный рост опухоли",
    ],
    "aseptic_instability_after_intramedullary_osteosynthesis": [
        "Асептическая нестабильность",
        "Асептическая нестабильность штифта",
        "Нестабильность металлоконструкции",
        "Миграция штифта",
        "Aseptic loosening",
    ],
    "endoprosthesis_stem_fracture": [
        "Перелом ножки эндопротеза",
        "Травматический перелом ножки эндопротеза",
        "Stem fracture",
    ],
}

BONE = {
    "femur": ["Бедренная кость", "бедро", "Бедренная", "Femur", "бедреная кость"],
    "humerus": ["Плечевая кость", "плечо", "Humerus", "плечевая"],
    "tibia": ["Большеберцовая кость", "ББК", "Tibia", "большеберцовая"],
    "radius": ["Лучевая кость", "Radius"],
    "ulna": ["Локтевая кость", "Ulna"],
    "fibula": ["Малоберцовая кость", "Fibula"],
    # Not long bones: operations here are outside the study.
    "spine": ["Позвоночник", "Тело позвонка L3", "Грудной отдел позвоночника"],
    "pelvis": ["Кости таза", "Вертлужная впадина", "Подвздошная кость"],
}
LONG_BONES = ("femur", "humerus", "tibia", "radius", "ulna", "fibula")

SEGMENT = {
    "proximal": ["проксимальный отдел", "прокс. отдел", "в/3", "Proximal"],
    "diaphysis": ["диафиз", "с/3", "Диафиз", "shaft"],
    "distal": ["дистальный отдел", "дист. отдел", "н/3", "Distal"],
    "none": [""],
}

FRACTURE = {
    "pathological": ["Патологический перелом", "пат. перелом", "ПП", "Pathological fracture"],
    "impending": ["Угроза перелома", "угрожающий перелом", "Impending fracture"],
}

SEX = {"female": ["Ж", "ж", "жен", "женский"], "male": ["М", "м", "муж", "мужской"]}
YES_NO = {"yes": ["да", "Да", "есть", "+"], "no": ["нет", "Нет", "отсутствуют", "-"]}
# Prognostic-score inputs: an empty cell is "not recorded".
YES_NO_UNKNOWN = {"yes": ["да", "Да"], "no": ["нет", "Нет"], "unknown": [""]}
VISCERAL_SPREAD = {
    "none": ["нет", "-"],
    "nodular": ["узловые", "единичные", "узловые метастазы"],
    "disseminated": ["диссеминированные", "канцероматоз"],
}
REVISION_FLAG = {"yes": ["да", "Да", "ДА"], "no": ["нет", "Нет", ""]}
VITAL_STATUS = {"alive": ["жив", "Жив", "жива"], "dead": ["умер", "Умер", "умерла", "летальный исход"]}


def pick(rng: np.random.Generator, variants: list[str], n: int, usual_share: float = 0.5) -> np.ndarray:
    """n spellings: the usual one (first) with probability `usual_share`, the others equally often."""
    if len(variants) == 1:
        return np.full(n, variants[0], dtype=object)
    rest = (1.0 - usual_share) / (len(variants) - 1)
    p = [usual_share] + [rest] * (len(variants) - 1)
    return np.asarray(variants, dtype=object)[rng.choice(len(variants), size=n, p=p)]


def spell(rng: np.random.Generator, table: dict[str, list[str]], categories: np.ndarray) -> np.ndarray:
    """Spell each harmonised category with one of its variants."""
    out = np.empty(len(categories), dtype=object)
    for category in np.unique(categories):
        mask = categories == category
        out[mask] = pick(rng, table[category], int(mask.sum()))
    return out
