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

Before any pass the text is folded (deidentify.normalise: soft hyphens and zero-width characters removed, NFKC,
Latin look-alikes inside Cyrillic words and keyboard-layout mixes read back, letters written apart joined); the passes
match on the folded text and every span is mapped back to the original characters. Issue 14 added to pass 1 the
patient's name in Latin letters (every case form in every transliteration system, compared by skeleton, see
deidentify.translit) and own numbers in any split; to pass 2 the names of the raw exports' name and staff columns
(`learn_names`), Latin words that read as Russian names, names after a word that introduces a person, phones found by
`phonenumbers`, and pattern families for spelled-out e-mails, ID numbers after their keyword, record-number phrases,
addresses without street markers, dates with abbreviated, Roman or English months, and ages over 89.

Each pass returns character spans of the original text; overlapping spans are merged and each merged span becomes
one placeholder ([ФИО], [ДАТА +123], [ТЕЛЕФОН], ...). Recall is measured on a generated annotated corpus
(deidentify.corpus) and on an adversarial corpus written independently (deidentify.adversarial); see
deidentify.recall.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache

import phonenumbers

from . import translit
from .normalise import fold, map_span

MONTHS = ("январ", "феврал", "март", "апрел", "ма[йя]", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр")
MONTH_NAMES = r"(?:" + "|".join(m + r"[а-яё]*" for m in MONTHS) + r")"
NAME_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
PATRONYMIC = r"[А-ЯЁ][а-яё]+(?:вич|вн|ичн|инич|ьич)[а-яё]{0,3}"
INITIALS = r"[А-ЯЁ]\.\s?[А-ЯЁ]\.?"

ABBREVIATED_MONTHS = r"(?:янв|фев|февр|мар|апр|ма[йяе]|июн|июл|авг|сен|сент|окт|ноя|нояб|дек)"
DAY_WORDS = (
    r"(?:перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят|десят|одиннадцат|двенадцат|тринадцат|четырнадцат"
    r"|пятнадцат|шестнадцат|семнадцат|восемнадцат|девятнадцат|двадцат|тридцат)(?:ое|ого|ье|ьего|ий|ый|ом)"
    r"(?:\s(?:перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят)(?:ое|ого|ье|ьего|ом))?"
)
ENGLISH_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
ROMAN_MONTHS = r"(?:XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I)"
YEAR = r"(?:1[89]\d{2}|20\d{2})"
# Street names written without a street marker ("Ленина 5-12"): a small gazetteer of the commonest.
STREET_GAZETTEER = (
    "Ленина Мира Гагарина Пушкина Кирова Чехова Лермонтова Горького Победы Строителей Маяковского Свердлова "
    "Калинина Мичурина Куйбышева Фрунзе Дзержинского Жукова Королёва Королева Гоголя Некрасова Толстого Чкалова "
    "Суворова Кутузова Ломоносова Менделеева Пирогова Тургенева Белинского Крупской Карла Маркса Энгельса "
    "Войкова Щорса Островского Павлова Титова Шевченко Вавилова Арбат Тверская Садовая Советская Центральная "
    "Молодёжная Молодежная Школьная Лесная Новая Набережная Заречная Зелёная Зеленая Полевая Октябрьская "
    "Комсомольская Первомайская Профсоюзная Пролетарская Рабочая Солнечная Луговая Береговая Садовая "
    "Пионерская Заводская Вокзальная Юбилейная Строительная Спортивная Парковая Северная Южная Восточная Западная"
).split()
# Words that introduce a person (a surname that the dictionary reads as a common noun is still a name there).
PERSON_CUES = (
    r"(?:ФИО|Ф\.\s?И\.\s?О\.|[Фф]амилия|[Пп]ациент(?:к[аеиуой]|у|а|ом)?|[Бб]ольн(?:ой|ая|ого|ому|ую|ым)"
    r"|гр-н(?:ка)?|гр\.|[Гг]ражданин(?:а|у|ом)?|[Гг]ражданк[аеиуой]|[Вв]рач(?:а|у|ом)?|[Хх]ирург(?:а|у|ом)?"
    r"|[Дд]октор(?:а|у|ом)?|д-р|проф\.|[Пп]рофессор(?:а|у|ом)?|доц\.|[Дд]оцент(?:а|у|ом)?|зав\.|[Зз]аведующ\w+"
    r"|[Мм]едсестр[аыеуой]|м/с|[Аа]нестезиолог(?:а|у|ом)?|[Тт]равматолог(?:а|у|ом)?|[Оо]ртопед(?:а|у|ом)?"
    r"|[Оо]нколог(?:а|у|ом)?|[Аа]ссистент(?:а|у|ом)?|[Оо]перировал[аи]?|[Аа]ссистировал[аи]?"
    r"|[Кк]онсультировал[аи]?|[Сс]ын(?:а|у|ом)?|[Дд]оч(?:ь|ери|ерью)|[Жж]ен(?:а|ы|е|у|ой)|[Мм]уж(?:а|у|ем)?"
    r"|[Мм]ат(?:ь|ери|ерью)|[Оо]т(?:ец|ца|цу|цом)|[Бб]рат(?:а|у|ом)?|[Сс]естр(?:а|ы|е|у|ой)"
    r"|[Вв]нук(?:а|у|ом)?|[Вв]нучк[аиеуой]|[Рр]одственни(?:к|ца|ку|це|ка|цы)|[Оо]пекун(?:а|у|ом)?)"
)
NAME_TOKEN = r"(?:[А-ЯЁA-Z][а-яёa-z]+(?:-[А-ЯЁA-Z][а-яёa-z]+)?|[А-ЯЁA-Z]{5,})"
RECORD_PHRASE = (
    r"(?:истори[яиюей]\s+болезни|ист\.\s*бол(?:езни|\.)?|и/б|номер(?:а|ом)?\s+(?:карты|истории(?:\s+болезни)?"
    r"|амбулаторной\s+карты|медицинской\s+карты|госпитализации|пациента)|(?:амбулаторн|медицинск|стационарн)\w*"
    r"\s+карт\w*|мед\.\s*карт\w*|карт[аыуеой]{1,2}|рег(?:истрационный|\.)\s*номер|МКСБ|МКАБ|ИБ|МК)"
)
ID_KEYWORDS = (
    r"(?:СНИЛС|ИНН|[Пп]олис\w*(?:\s+ОМС)?|ОМС|[Пп]аспорт\w*|пасп\.|[Сс]ери[яи]|[Дд]окумент\w*|[Уу]достоверени\w+"
    r"|ЕНП|[Сс]траховой\s+(?:номер|полис)|[Лл]ицевой\s+сч[её]т)"
)
DIGITS_PART = r"\d[\d\s.\-_/№N:]{0,30}\d|\d"
EXTRA_PATTERNS: list[tuple[str, re.Pattern]] = [
    # E-mails with the @ spelled out: ivanov собака mail.ru, ivanov (at) mail (dot) ru, ivanov at mail.ru
    (
        "email",
        re.compile(
            r"(?<![\w.])[A-Za-z0-9][A-Za-z0-9._+-]*\s*(?:@+|\(at\)|\[at\]|\{at\}|\(собака\)|\s(?:at|AT|собака|собачка|сабака|гав-гав|гав|dog)\s)"
            r"\s*[A-Za-z0-9-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\s(?:dot|DOT|точка)\s)\s*[A-Za-z0-9-]+)*"
            r"\s*(?:\.|\(dot\)|\[dot\]|\s(?:dot|DOT|точка)\s)\s*(?:ru|com|net|org|su|ua|by|kz|info|biz|de|io|uk|рф)\b"
        ),
    ),
    # Dates: abbreviated Russian months, Roman-numeral months, English month names, spaces as separators.
    (
        "date",
        re.compile(
            r"(?<!\d)«?\d{1,2}»?[\s.\-/]*"
            + ABBREVIATED_MONTHS
            + r"[а-яё]*\.?(?:[\s.\-/,]*(?:"
            + YEAR
            + r"|\d{2}(?!\d)))?"
            r"(?:\s*г(?:ода|\.)?)?",
            re.I,
        ),
    ),
    ("date", re.compile(r"(?<![\w])" + ABBREVIATED_MONTHS + r"[а-яё]*\.?[\s.\-/,]*" + YEAR + r"(?!\d)", re.I)),
    (
        "date",
        re.compile(
            r"(?<![\w.])\d{1,2}[\s.\-/]+"
            + ROMAN_MONTHS
            + r"[\s.\-/]+(?:"
            + YEAR
            + r"|\d{2})(?![\w])(?:\s*г(?:ода|\.)?)?"
        ),
    ),
    ("date", re.compile(r"(?<![\w.])" + ROMAN_MONTHS + r"[.\s/-]" + YEAR + r"(?!\d)")),
    (
        "date",
        re.compile(
            r"(?<![\w])\d{1,2}(?:st|nd|rd|th)?[\s\-./]*"
            + ENGLISH_MONTHS
            + r"(?![a-z])\.?(?:[\s\-./,]*(?:"
            + YEAR
            + r"|\d{2}(?!\d)))?",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"(?<![\w])" + ENGLISH_MONTHS + r"(?![a-z])\.?\s*(?:\d{1,2}(?:st|nd|rd|th)?,?\s*)?" + YEAR + r"(?!\d)",
            re.I,
        ),
    ),
    ("date", re.compile(r"(?<![\w.])\d{1,2}\s\d{1,2}\s" + YEAR + r"(?!\d)")),
    ("date", re.compile(r"(?<![\w.])\d{1,2}[./-]\d{1,2}[./-]" + YEAR + r"г\.?(?![а-яё])")),
    ("date", re.compile(DAY_WORDS + r"\s+" + MONTH_NAMES + r"(?:\s+" + YEAR + r"(?:\s*г(?:ода|\.)?)?)?", re.I)),
    ("date", re.compile(r"(?<![\w.])" + YEAR + r"[-./]" + ROMAN_MONTHS + r"[-./]\d{1,2}(?!\d)")),
    (
        "date",
        re.compile(
            r"(?<![\w])\d{1,2}(?:st|nd|rd|th)?\s+of\s+" + ENGLISH_MONTHS + r"(?![a-z])\.?(?:,?\s*" + YEAR + ")?", re.I
        ),
    ),
    (
        "age",
        re.compile(
            r"(?<![\w])(?:[Вв]озраст\w*|age[ds]?)[\s:,]*(?:(?:составляет|of)\s*)?(?:9\d|1[0-2]\d)(?!\d|[.,]\d)", re.I
        ),
    ),
    # Ages over 89 in words (девяносто три года, сто один год).
    ("age", re.compile(r"(?<![\w])(?:девяност\w*|сто)(?:\s+[а-яё]+)?\s+(?:лет|года?|год)(?![\w])", re.I)),
    # Microdistricts and quarters by number (3-й микрорайон, 14).
    (
        "address",
        re.compile(
            r"(?<![\w])\d{1,3}-?(?:й|я|ий|ый)?\s+(?:микрорайон\w*|мкр\.?|мкрн\.?|квартал\w*|кв-л)"
            r"(?:,?\s*(?:д\.?\s*)?\d+[а-я]?(?:[-/]\d+)?)?"
        ),
    ),
    # Ages over 89, and birth years (which give the age).
    (
        "age",
        re.compile(
            r"(?<![\d.,])(?:9\d|1[0-2]\d)\s*(?:-?\s*(?:ти|и|х|ми)\s*)?(?:лет|года?|годам|л\.|y\.?o\.?|years?)(?![а-яёa-z])"
            r"|(?<![\d.,])(?:9\d|1[0-2]\d)-?\s*летн\w*",
            re.I,
        ),
    ),
    (
        "age",
        re.compile(
            r"(?<![\d./-])" + YEAR + r"\s*(?:г\.?\s*р\.?|года?\s+рожд\w*|г\.\s*рожд\.?|гр\.|года?\s+р\.)"
            r"|(?:[Гг]од\s+рождения|[Гг]\.\s?р\.|[Рр]одил(?:ся|ась)\s+в)[\s:]*" + YEAR + r"(?:\s*г(?:оду|\.)?)?",
        ),
    ),
    # Phones: dotted, unprefixed, city 7- and 5/6-digit forms; foreign numbers come from phonenumbers (find()).
    (
        "phone",
        re.compile(
            r"(?<![\w.,])(?:(?:\+7|8|7)[\s.\-]?)?\(?\d{3,5}\)?[\s.\-]?\d{1,3}[.\-]\d{2}[.\-]\d{2}(?![\w]|[.,]\d)"
        ),
    ),
    ("phone", re.compile(r"(?<![\w.,/\-])\d{1,3}-\d{2}-\d{2}(?![\w\-/]|[.,]\d)")),
    ("phone", re.compile(r"(?<![\w.,/\-])\d{3} \d{2} \d{2}(?![\w\-/]|[.,]\d)")),
    (
        "phone",
        re.compile(r"(?<![\w.,])(?:\+|00)[1-9]\d{0,2}[\s.\-]?\(?\d{1,5}\)?(?:[\s.\-]?\d{2,5}){2,4}(?![\w]|[.,]\d)"),
    ),
    # Identity documents and numbers after their keyword, in any split or separator.
    ("number", re.compile(ID_KEYWORDS + r"[\s:№N#.]*(?:номер|серия|сер\.|No\.?)?[\s:№N#.]*(" + DIGITS_PART + r")")),
    ("number", re.compile(r"(?<![\w.,])\d{2}\s?\d{2}\s*№\s*\d{6}(?!\d)")),
    # Record numbers written in words: "история болезни 23456", "номер карты 12-345/2019", "карта № А-1234".
    (
        "record_number",
        re.compile(r"(?i:" + RECORD_PHRASE + r")\b[\s:№N#.]*(?:[А-ЯЁA-Z]{1,3}[-/ ]?)?(\d[\d\s/\-]{0,20}\d|\d)(?![\d])"),
    ),
    # Addresses with no street marker: microdistricts, districts, "Профсоюзная 104-55", "Ленина 5".
    (
        "address",
        re.compile(
            r"(?:мкр|мкрн|мкр-н|м-н|микрорайон\w*|кв-л|квартал\w*|ЖК|СНТ|ДНТ|ТСН|пос[её]л(?:ок|ке|ка)|дер(?:евня|евне|евни)"
            r"|сел[оеа]|станиц[аеы]|ст-ца|хутор\w*|х\.|р\.\s?п\.|рп|г\.\s?о\.|гор\.|(?<![\d\w])(?<!\d\s)г)\.?\s*[«\"]?[А-ЯЁ0-9][\w-]*"
            r"(?:\s[А-ЯЁ][\w-]*)?[»\"]?(?:[\s,]*\d+[а-я]?(?:[-/]\d+)?)?"
        ),
    ),
    (
        "address",
        re.compile(
            r"[А-ЯЁ][а-яё]+(?:ск|цк)(?:ая|ой|ую|ий|ом|ого)\s+(?:област\w*|обл\.?|кра[йяею]|район\w*|р-н\w*|р-не|округ\w*)"
            r"|[А-ЯЁ][а-яё]+(?:ный|ном|ного|ий|ый|ом|ого)\s+(?:район\w*|р-н\w*|р-не|округ\w*|АО)"
            r"|(?:район\w*|р-н\w*|р-не)\s+[А-ЯЁ][\w-]+(?:\s[А-ЯЁ][\w-]+)?"
            r"|(?:[Рр]еспублик\w+)\s+[А-ЯЁ][\w-]+"
        ),
    ),
    (
        "address",
        re.compile(
            r"(?<![\w-])[А-ЯЁ][а-яё]+(?:ая|яя|ий|ый|ой|ое|ее)\s+\d{1,4}[а-я]?\s*[-/]\s*\d{1,4}(?!\d|[.,]\d)"
            r"|(?<![\w-])(?:" + "|".join(STREET_GAZETTEER) + r")(?:\s+[А-ЯЁ][а-яё]+)?,?\s+\d{1,4}[а-я]?"
            r"(?:\s*[-/,]\s*(?:кв\.?\s*)?\d{1,4})?(?!\d|[.,]\d)"
        ),
    ),
    ("address", re.compile(r"(?<![\w/-])(?:д|дом|кв|корп|стр|к)\s\d{1,4}[а-я]?(?:[-/]\d+)?(?![\w/])")),
    # Social-network and messenger addresses without a scheme.
    (
        "url",
        re.compile(
            r"(?<![\w.@])(?:vk\.com|vkontakte\.ru|t\.me|ok\.ru|instagram\.com|facebook\.com|fb\.com|twitter\.com|x\.com"
            r"|youtube\.com|tiktok\.com)/[\w./-]+"
        ),
    ),
    # The check digits of a SNILS written apart ("контрольное число 64").
    ("snils", re.compile(r"(?:[Кк]онтрольн\w+\s+(?:числ\w+|цифр\w*|сумм\w*)|к\.\s?ч\.)[\s:№-]*(\d{2})(?!\d)")),
    # Names in capitals with initials or a patronymic (У.Г. КУЗНЕЦ, КУЗНЕЦ У.Г., ЖУК МИЛАНА РОДИОНОВНА).
    ("name", re.compile(r"(?<![\w.])" + INITIALS + r"\s?[А-ЯЁ]{3,}(?![а-яё\w])")),
    ("name", re.compile(r"(?<![\w])[А-ЯЁ]{3,}\s[А-ЯЁ]\.\s?[А-ЯЁ]\.")),
    ("name", re.compile(r"(?<![\w])[А-ЯЁ]{2,}\s[А-ЯЁ]{2,}\s[А-ЯЁ]+(?:ВИЧ|ВН|ИЧН|ИНИЧ|ЬИЧ)[А-ЯЁ]{0,3}(?![\w])")),
    # Settlements with a one-letter marker and a two-word name (с. Ясная Поляна, пос. Ясная Поляна).
    ("address", re.compile(r"(?<![\w])(?:с|пос|пгт|дер|д|г|ст)\.\s?[А-ЯЁ][а-яё-]+(?:\s[А-ЯЁ][а-яё-]+)?")),
    # Initials in Latin letters (D.S., D. S.).
    ("name", re.compile(r"(?<![\w.])[A-Z]\.\s?[A-Z]\.(?![\w])")),
    # Names after a word that introduces a person, even when the dictionary reads them as common nouns.
    (
        "name",
        re.compile(
            r"(?<![\w-])"
            + PERSON_CUES
            + r"[\s:,]+("
            + NAME_TOKEN
            + r"(?:\s"
            + NAME_TOKEN
            + r"){0,2}(?:\s?"
            + INITIALS
            + r")?)"
        ),
    ),
]


# Shapes of identifiers, most specific first. Each pattern's class becomes the placeholder.
PATTERNS: list[tuple[str, re.Pattern]] = [
    # A name after a title, in English letters (Dr Smith, Mrs. Anna Brown, Prof. J. Smith): the title stays.
    (
        "name",
        re.compile(
            r"\b(?:Dr|Mr|Mrs|Ms|Miss|Prof|Sir|Dame)\.?\s+((?:[A-Z]\.\s?){0,2}[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)"
        ),
    ),
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
    *EXTRA_PATTERNS,
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
    "age": "[ВОЗРАСТ]",
}
# Which class wins when two spans overlap (the merged span takes the first class present in this order).
PRIORITY = ["name", "address", "date", "phone", "snils", "record_number", "number", "email", "url", "place", "age"]
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
# Digits written with any separators, split into parts ("123.456.789 01", "4506 № 123456"): for own numbers, the
# span is exactly the digits of the number (a loose run may hold neighbouring numbers too).
LOOSE_DIGIT_RUN = re.compile(r"\d(?:[\s.\-_/()№:]{0,3}\d)*")
LATIN_INITIALS_AFTER = re.compile(r"\s?(?:[A-Z]\.\s?)?[A-Z]\.(?![A-Za-z])")
COUNTRY_WORDS = frozenset("рф россия россии россию российская российской федерация федерации ссср russia".split())


@lru_cache(maxsize=65536)
def name_tagged(word: str) -> bool:
    """Does the dictionary read a (lower-case) word as a first name, surname, patronymic or place? Cached: the same
    words recur in every note, and each dictionary look-up costs."""
    return any(g in p.tag for p in translit.morph_analyzer().parse(word) for g in ("Name", "Surn", "Patr", "Geox"))


LATIN_LETTER = re.compile(r"[A-Za-z]")
THREE_LATIN_LETTERS = re.compile(r"[A-Za-z]{3}")
CYRILLIC_LETTER = re.compile(r"[А-Яа-яЁё]")
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9'])[A-Za-z][A-Za-z']*(?:-[A-Za-z]+)?(?![A-Za-z0-9])")
WORD_TOKEN = re.compile(r"(?<![\w])[^\W\d_]+(?![\w])")
LATIN_SURNAME = re.compile(
    r"(?:[bcdfghjklmnpqrstvwxz](?:ov|ev|ow|ew|yov|iev|in|yn)(?:a|u|y|oy|oi|oj|om|ym|im|ykh|ikh|ych|ich)?"
    r"|(?:sk|tsk|zk|ck)(?:iy|ii|ij|y|aya|aia|aja|oy|oi|ogo|omu|im|ym|uyu|oj)|enko|chuk|[cs]huk|yuk|iuk"
    r"|(?:ovich|evich|ovna|evna|ichna|ovicha|evicha|ovny|evny|ovnoy|evnoy))$"
)
# English words with a surname's ending that Russian clinical text may quote (eponymous terms are in kept_terms).
ENGLISH_WORDS = frozenset(
    "vitamin protein insulin heparin aspirin penicillin within begin plugin login margin origin basin cabin "
    "robin latin admin cousin skin spin twin thin grin chin satin resin toxin fibrin actin myosin keratin "
    "collagen elastin ferritin albumin globulin troponin creatinin bilirubin medicine morphine lidocaine "
    "ketorolac tramadol plan main brain train gain pain chain domain certain captain villain mountain "
    "improv".split()
)


@lru_cache(maxsize=4096)
def _own_latin_variants(full_name: str) -> tuple[str, ...]:
    """The Latin spellings (three letters or more) among the name's variants: computed once for the two sets
    below (each case form of each part, in every system, is a dictionary look-up and many transliterations)."""
    return tuple(f for f in translit.name_variants(full_name) if f.isascii() and len(f) >= 3)


@lru_cache(maxsize=4096)
def own_latin_forms(full_name: str) -> frozenset[str]:
    """Every Latin spelling of every case form of each part of the patient's name, case-folded. Looked up word by
    word (a set, not a compiled alternation: compiling one pattern per patient was most of the stage's time)."""
    return frozenset(f.casefold() for f in _own_latin_variants(full_name))


LATIN_TOKEN = re.compile(r"(?<![A-Za-z])[A-Za-z](?:[A-Za-z'-]*[A-Za-z])?(?![A-Za-z])")


@lru_cache(maxsize=4096)
def own_latin_skeletons(full_name: str) -> frozenset[str]:
    return frozenset(translit.skeleton(f) for f in _own_latin_variants(full_name))


def phone_spans(text: str) -> list[tuple[int, int, str]]:
    """Phone numbers phonenumbers finds (Russian and, with their country code, foreign), without its loosest
    guesses: a match needs a + or 00 or 8 prefix, or ten or more digits, or the city form NNN-NN-NN."""
    if sum(map(str.isdigit, text)) < 7:
        return []
    spans = []
    for m in phonenumbers.PhoneNumberMatcher(text, "RU", leniency=phonenumbers.Leniency.POSSIBLE):
        raw = m.raw_string
        n = len(digits(raw))
        if re.search(r"\d{1,2}[./]\d{1,2}[./]\d{2,4}", raw) or not re.search(r"[\s().\-]", raw.strip()):
            continue  # a date with a time, or a bare run of digits (the number pattern's)
        if raw.lstrip("(").startswith(("+", "00", "8")) or n >= 10 or re.fullmatch(r"\d{3}-\d{2}-\d{2}", raw):
            spans.append((m.start, m.end, "phone"))
    return spans


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
    if wanted:
        for m in LOOSE_DIGIT_RUN.finditer(text):
            positions = [m.start() + i for i, ch in enumerate(m.group()) if ch.isdigit()]
            run = "".join(text[i] for i in positions)
            for w in wanted:
                k = run.find(w)
                while k >= 0:
                    spans.append((positions[k], positions[k + len(w) - 1] + 1, "number"))
                    k = run.find(w, k + 1)
    record = patient.record_number.strip().casefold()
    if record:
        folded, start = text.casefold(), 0
        while (start := folded.find(record, start)) >= 0:
            spans.append((start, start + len(record), "record_number"))
            start += len(record)
    return spans


CAPITAL = re.compile(r"[А-ЯЁ]")
NER_TOKEN = re.compile(r"[\w.-]+")


@cache
def ner_tagger():
    """natasha's Russian NER (its model ships in the wheel), loaded once per process: every Scrubber shares it.

    Built from natasha's two model files as `natasha.NewsNERTagger(natasha.NewsEmbedding())` builds it (slovnet's NER
    with the navec embedding's arrays injected), minus what only other uses of the embedding need: the navec
    vocabulary (a dictionary of 250,000 words; the NER model carries its own) and the product-quantisation norms
    and centroid products that `Navec.sim` uses (a 250,000 x 100 gather). That was about 0.35 s of CPU of each of
    the two rules that tag. The network, its weights and so its spans are the same:
    `test_the_lean_ner_tagger_tags_as_natasha_does`."""
    import importlib.util
    from pathlib import Path
    from types import SimpleNamespace

    import numpy as np
    from navec.meta import Meta
    from navec.tar import Tar
    from slovnet import NER

    # natasha's data folder, found without importing natasha (its __init__ loads its segmenter, morphology, syntax
    # and extractors, none of which the scrubber uses).
    spec = importlib.util.find_spec("natasha")
    assert spec is not None and spec.submodule_search_locations, "natasha is not installed"
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    with Tar(str(data / "emb" / "navec_news_v1_1B_250K_300d_100q.tar")) as tar:
        meta = Meta.from_file(tar.load("meta.json"))
        Meta.check_protocol(meta.protocol)
        # navec.pq.PQ.from_file's reading of pq.bin, without PQ.__init__'s precompute (similarity only)
        file = tar.load("pq.bin")
        vectors, _dim, qdim, centroids = np.frombuffer(file.read(4 * 4), np.uint32)
        indexes = np.frombuffer(file.read(int(vectors) * int(qdim)), np.uint8).reshape(vectors, qdim)
        codes = np.frombuffer(file.read(), np.float32).reshape(qdim, centroids, -1)
    tagger = NER.load(str(data / "model" / "slovnet_ner_news_v1.tar"))
    # what slovnet's InjectNavecVisitor reads of a Navec: meta.id, pq.indexes, pq.codes
    return tagger.navec(SimpleNamespace(meta=meta, pq=SimpleNamespace(indexes=indexes, codes=codes)))


def razdel_tokens(text: str) -> list[tuple[int, int, str]]:
    """razdel's tokenisation (`razdel.tokenize`, which slovnet's NER reads), as (start, stop, text), computed as
    razdel computes it without its per-atom and per-split objects.

    razdel cuts the text into atoms (its regular expression `ATOM`: Cyrillic or Latin letters, digits, one
    punctuation mark, any other non-space character) and joins two neighbouring atoms with nothing between them
    when one of its rules says so, looking at up to three atoms either side (across spaces): a dash or underscore
    between two atoms that are not punctuation (`cho-to`, also `a -b` where the left atom is before the space), a
    point or comma between two integers, a slash between two integers, two punctuation marks that make a smiley,
    two sentence endings, `--` or `**`, an "other" character beside a letter or another "other", `yahoo!`. The same
    tokens on every text: `test_razdel_tokens_are_razdels`."""
    atoms = [(m.start(), m.end(), m.lastgroup, m.group()) for m in _razdel()[0].finditer(text)]
    if not atoms:
        return []
    tokens = []
    start, stop, _, buffer = atoms[0]
    for index in range(1, len(atoms)):
        a_start, a_stop, _, a_text = atoms[index]
        if a_start == stop and _razdel_join(atoms, index, buffer):
            buffer += a_text
        else:
            tokens.append((start, stop, buffer))
            start, buffer = a_start, a_text
        stop = a_stop
    tokens.append((start, stop, buffer))
    return tokens


def _razdel_join(atoms: list[tuple[int, int, str, str]], index: int, buffer: str) -> bool:
    """razdel's TokenSegmenter rules (segmenters/tokenize.py RULES, in order; each returns JOIN or nothing) for the
    split before atoms[index]; `buffer` is the token built so far."""
    _, smile, dashes, endings = _razdel()
    left_1, right_1 = atoms[index - 1], atoms[index]
    left_2 = atoms[index - 2] if index >= 2 else None
    right_2 = atoms[index + 1] if index + 1 < len(atoms) else None
    left, right = left_1[3], right_1[3]
    # Rule2112 rules: dash, underscore, float, fraction (razdel's `in` is a substring test, kept as it is)
    for test, both_int in (
        (lambda d: d in dashes, False),
        (lambda d: d == "_", False),
        (lambda d: d in ".,", True),
        (lambda d: d in "/\\", True),
    ):
        if test(left):
            a, b = left_2, right_1
        elif test(right):
            a, b = left_1, right_2
        else:
            continue
        if not a or not b:
            continue
        if both_int:
            if a[2] == "INT" and b[2] == "INT":
                return True
        elif a[2] != "PUNCT" and b[2] != "PUNCT":
            return True
    # punct
    if left_1[2] == "PUNCT" and right_1[2] == "PUNCT":
        if smile.match(buffer + right):
            return True
        if left in endings and right in endings:
            return True
        if left + right in ("--", "**"):
            return True
    # other
    lt, rt = left_1[2], right_1[2]
    if lt == "OTHER" and rt in ("OTHER", "RU", "LAT"):
        return True
    if lt in ("OTHER", "RU", "LAT") and rt == "OTHER":
        return True
    # yahoo
    return left.lower() == "yahoo" and right == "!"


@cache
def _razdel():
    """razdel's own atom and smiley expressions and punctuation sets (razdel.segmenters.tokenize and .punct)."""
    import importlib

    tokenize = importlib.import_module("razdel.segmenters.tokenize")
    punct = importlib.import_module("razdel.segmenters.punct")
    return tokenize.ATOM, tokenize.SMILE, punct.DASHES, punct.ENDINGS


def tag_texts(tagger, texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """slovnet's NER spans (start, stop, type) of each text, as `tagger.map(texts)` gives them, with its network
    run on the same batches (`tagger.batch_size` texts in order, padded to the longest of the batch) and so with
    the same numbers; only the bookkeeping around it is leaner: razdel's tokens by `razdel_tokens`, a word's
    vocabulary and shape ids looked up once per distinct word, BIO tags read into spans without slovnet's markup
    objects (slovnet.exec.infer.NERInfer, exec.encoders.WordShapeEncoder, markup.BIOMarkup.to_span,
    bio.bio_spans), the network's arithmetic without its axis swaps (`_ner_emissions`), the CRF decoded for all
    batches in one pass. `test_tag_texts_is_slovnets_map`."""
    import numpy as np
    from slovnet.shape import word_shape

    infer = tagger.infer
    encoder, model = infer.encoder, infer.model
    words_vocab, shapes_vocab = encoder.words_vocab, encoder.shapes_vocab
    tags = infer.decoder.tags_vocab.items
    ids: dict[str, tuple[int, int]] = {}
    out: list[list[tuple[int, int, str]]] = []
    all_tokens: list[list[tuple[int, int, str]]] = []
    emissions, masks = [], []
    size = tagger.batch_size
    for first in range(0, len(texts), size):
        tokens = [razdel_tokens(text) for text in texts[first : first + size]]
        rows = []
        for toks in tokens:
            row = []
            for _, _, word in toks:
                pair = ids.get(word)
                if pair is None:
                    pair = ids[word] = (words_vocab.encode(word.lower()), shapes_vocab.encode(word_shape(word)))
                row.append(pair)
            rows.append(row)
        # slovnet.exec.pad.pad_sequence: the batch padded to its longest text with the pad ids
        width = max(len(row) for row in rows)
        word_id = np.full((len(rows), width), words_vocab.pad_id)
        shape_id = np.full((len(rows), width), shapes_vocab.pad_id)
        for i, row in enumerate(rows):
            if row:
                word_id[i, : len(row)], shape_id[i, : len(row)] = zip(*row, strict=True)
        pad_mask = word_id == words_vocab.pad_id
        all_tokens += tokens
        emissions.append(_ner_emissions(model, word_id, shape_id, pad_mask))
        masks.append(~pad_mask)
    if not emissions:
        return []
    # The CRF's Viterbi decoding of all batches at once: per text the same additions and argmaxes step by step
    # (each text's scores are its own rows; a position past its end is masked and its history never read).
    width = max(e.shape[1] for e in emissions)
    emission = np.concatenate([np.pad(e, ((0, 0), (0, width - e.shape[1]), (0, 0))) for e in emissions])
    mask = np.concatenate([np.pad(m, ((0, 0), (0, width - m.shape[1]))) for m in masks])
    for toks, prediction in zip(all_tokens, model.head.crf.decode(emission, mask), strict=True):
        out.append(_bio_spans(toks, [tags[i] for i in prediction]))
    return out


def _ner_emissions(model, word_id, shape_id, pad_mask):
    """slovnet's NER network (exec/model.py: `Tag.__call__` of a `NER`: embedding, CNN encoder, projection), the
    same arithmetic on the same matrices in the same order, so the same float32 bits
    (`test_ner_emissions_are_slovnets`): each layer's convolution is one matrix product of the windows (batch x
    positions, channels x kernel) with the filters, then ReLU, batch norm, padded positions zeroed. slovnet builds
    the windows matrix from a strided view of the channels-first input (a scattered gather per element) and swaps
    axes back and forth between layers; here the layers stay positions-last-but-one (batch x positions x
    channels) and the windows matrix is filled by one shifted copy per kernel offset."""
    import numpy as np

    # slovnet's WordShapeEmbedding: the word's navec vector (product-quantised: a gather from the codes) beside its
    # shape's vector; each distinct word's vector gathered once, then copied to its positions
    distinct, where = np.unique(word_id, return_inverse=True)
    words = model.emb.word(distinct)[where.reshape(word_id.shape)]
    x = np.concatenate((words, model.emb.shape(shape_id)), axis=-1)  # batch x positions x channels
    batch, positions, _ = x.shape
    for layer in model.encoder.layers:
        conv, norm = layer.conv, layer.norm
        filters, channels, kernel = conv.weight.shape
        pad = conv.padding
        windows = positions + 2 * pad - kernel + 1
        assert windows == positions, "slovnet's NER convolutions keep the length"
        padded = np.zeros((batch, positions + 2 * pad, channels), dtype=x.dtype)
        padded[:, pad : pad + positions] = x
        columns = np.empty((batch, windows, channels, kernel), dtype=x.dtype)
        for j in range(kernel):
            columns[:, :, :, j] = padded[:, j : j + windows]
        weight = conv.weight.array.reshape(filters, channels * kernel)
        out = np.matmul(columns.reshape(batch * windows, channels * kernel), weight.T) + conv.bias.array
        out = out.reshape(batch, windows, filters).clip(0)
        out = (out - norm.mean.array) / norm.std.array * norm.weight.array + norm.bias.array
        out[pad_mask] = 0
        x = out
    return model.head(x)


def _bio_spans(tokens: list[tuple[int, int, str]], tags: list[str]) -> list[tuple[int, int, str]]:
    """slovnet.bio.bio_spans on (start, stop, text) tokens: B-X opens a span of type X, I- extends it, O closes."""
    spans = []
    previous = start = stop = None
    for (t_start, t_stop, _), tag in zip(tokens, tags, strict=False):
        part, _, type_ = tag.partition("-")
        if part == "O":
            if previous:
                spans.append((start, stop, previous))
                previous = None
        elif part == "B":
            if previous:
                spans.append((start, stop, previous))
            previous, start, stop = type_ or None, t_start, t_stop
        elif part == "I":
            stop = t_stop
    if previous:
        spans.append((start, stop, previous))
    return spans


class Scrubber:
    """Finds identifiers in free text and replaces them with placeholders. One instance per run (loads NER once)."""

    def __init__(self, use_ner: bool = True, kept_terms: tuple[str, ...] = ()):
        self.kept_terms = {t.casefold() for t in kept_terms}
        self.use_ner = use_ner
        self._ner = None
        self._morph = None
        self._ner_cache: dict[str, list[tuple[int, int, str]]] = {}
        self._tagged_cache: dict[str, list[tuple[int, int, str]]] = {}
        self._generic_cache: dict[tuple[str, bool], tuple[tuple[int, int, str], ...]] = {}
        self.known_cyrillic: set[str] = set()
        self.known_latin: set[str] = set()
        self._latin_name_cache: dict[str, bool] = {}
        self.found_names: set[str] = set()  # every text replaced as a name, folded: for the leak gate's list

    # --- pass 3 -----------------------------------------------------------------------------------------------
    def _load_ner(self):
        if self._ner is None:
            self._ner = ner_tagger()
            self._morph = self._morph or translit.morph_analyzer()

    def _name_tagged(self, word: str) -> bool:
        return name_tagged(word.lower())

    def _is_identifying(self, token: str, sentence_initial: bool) -> bool:
        """Is a token NER put in a person or place span really a name? The dictionary decides: a name, surname,
        patronymic or place tag says yes; a known common word says no; an unknown word is a name unless it has
        a medical term's ending or opens the sentence (where NER mistakes capitalised terms for names)."""
        if token.casefold() in self.kept_terms or not re.search(r"[А-ЯЁа-яёA-Za-z]", token):
            return False
        if token.casefold() in COUNTRY_WORDS:
            return False  # a country is not a place that identifies (HIPAA: geography below the state level)
        if not re.search(r"[А-ЯЁа-яё]", token):
            return True  # a Latin word inside a person or place span: a transliterated name
        if self._name_tagged(token):
            return True
        if self._morph.word_is_known(token.lower()):
            return False
        return not (sentence_initial or MEDICAL_ENDING.search(token.lower()))

    def ner_spans(self, text: str) -> list[tuple[int, int, str]]:
        if not self.use_ner or not CAPITAL.search(text):
            return []
        if text not in self._ner_cache:
            self._load_ner()
            spans = []
            for start, stop, type_ in self._tagged(text):
                if type_ not in ("PER", "LOC"):
                    continue
                kind = "name" if type_ == "PER" else "place"
                tokens = list(NER_TOKEN.finditer(text, start, stop))
                initial = [not text[: t.start()].strip() or text[: t.start()].rstrip()[-1] in ".!?;" for t in tokens]
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
                spans += [(t.start(), t.end(), kind) for t, f in zip(tokens, flags, strict=True) if f]
            self._ner_cache[text] = spans
        return self._ner_cache[text]

    def _tagged(self, text: str) -> list[tuple[int, int, str]]:
        """natasha's NER spans (start, stop, type) of a text: primed in batches (prime_ner) or tagged alone. The
        tagger reads the text itself; natasha's sentence and token segmentation (Doc.segment) only serve its
        envelopes, which the scrubber does not use, and are skipped."""
        if text in self._tagged_cache:
            return self._tagged_cache.pop(text)
        return tag_texts(self._ner, [text])[0]

    def prime_ner(self, texts) -> None:
        """Tag the texts that NER would see (folded, with a capital letter) in batches of the tagger's size: one
        pass of the network per batch instead of per text, with the same spans (every text is padded; padded
        positions are masked after each layer). For a caller that knows its texts up front (the recall corpora)."""
        if not self.use_ner:
            return
        folded = dict.fromkeys(fold(t)[0] for t in texts if t)
        todo = [t for t in folded if CAPITAL.search(t) and t not in self._ner_cache and t not in self._tagged_cache]
        if not todo:
            return
        self._load_ner()
        for text, spans in zip(todo, tag_texts(self._ner, todo), strict=True):
            self._tagged_cache[text] = spans

    # --- names known from the raw exports, and names in Latin letters ----------------------------------------
    def learn_names(self, full_names) -> None:
        """Names found anywhere in the raw exports (patients, staff, relatives): every case form, Cyrillic and
        Latin, is a name wherever it occurs (Cyrillic when capitalised, Latin in any case). The forms are those of
        translit.name_variants of each name, taken once per distinct part (parts recur across a registry's names)
        and once per distinct form."""
        parts = {part for full_name in full_names for part in translit.name_parts(str(full_name))}
        forms: set[str] = set()
        for part in parts:
            forms |= translit.part_variants(part, None)
        for form in forms:
            if len(form) < 3 or form in self.kept_terms:
                continue
            if form.isascii():
                self.known_latin.add(translit.skeleton(form))
            else:
                self.known_cyrillic.add(form)
        self._generic_cache.clear()

    def known_name_spans(self, text: str) -> list[tuple[int, int, str]]:
        if not (self.known_cyrillic or self.known_latin):
            return []
        spans = []
        for m in WORD_TOKEN.finditer(text):
            word = m.group()
            low = word.lower().replace("ё", "е")
            if (word.isascii() and translit.skeleton(low) in self.known_latin) or (
                word[0].isupper() and low in self.known_cyrillic
            ):
                spans.append((m.start(), m.end(), "name"))
        return spans

    def latin_name_spans(self, text: str) -> list[tuple[int, int, str]]:
        """Latin words that read as Russian names: a surname ending (Ivanov, Petrova, Kuznetsovoy, Sokolskiy),
        or a first name or patronymic the dictionary knows once written back in Cyrillic."""
        if not LATIN_LETTER.search(text):
            return []
        if not CYRILLIC_LETTER.search(text):
            return self.latin_text_name_spans(text)
        words = list(LATIN_WORD.finditer(text))
        flags = []
        for m in words:
            word = m.group()
            low = word.lower()
            flag = False
            if len(low) >= 3 and low not in self.kept_terms and low not in ENGLISH_WORDS:
                if word.isupper() and len(word) < 6:
                    flag = self._latin_first_name(low)  # GLEB, ANNA; not an abbreviation (LCP, PFNA, ECOG)
                elif not word[0].isupper() and len(word) < 6:
                    flag = False  # a short lower-case word
                elif LATIN_SURNAME.search(low) or self._latin_first_name(low):
                    flag = True
                # A capitalised word with initials after it (Karas S., Melnik A.V.).
                flag = flag or bool(
                    word[0].isupper() and not word.isupper() and LATIN_INITIALS_AFTER.match(text, m.end())
                )
            flags.append(flag)

        def style(word: str) -> str:
            return "upper" if word.isupper() else "lower" if word.islower() else "title"

        # A name's neighbour in the same letter case is the rest of the name (sokol eduardom, PASTUKH IVAN).
        for i in [i for i, f in enumerate(flags) if f]:
            for j in (i - 1, i + 1):
                if 0 <= j < len(words) and not flags[j]:
                    a, b = words[min(i, j)], words[max(i, j)]
                    w = words[j].group()
                    if (
                        text[a.end() : b.start()] == " "
                        and style(w) == style(words[i].group())
                        and len(w) >= 3
                        and w.lower() not in ENGLISH_WORDS
                        and w.lower() not in self.kept_terms
                    ):
                        flags[j] = True
        spans = []
        for m, flag in zip(words, flags, strict=True):
            if flag:
                # With the initials written before or after it (I.I. Ivanov, Ivanov I.I.).
                start, end = m.start(), m.end()
                before = re.search(r"(?:[A-Z]\.\s?){1,2}\s?$", text[:start])
                after = LATIN_INITIALS_AFTER.match(text, end)
                start = before.start() if before else start
                end = after.end() if after else end
                spans.append((start, end, "name"))
        return spans

    def latin_text_name_spans(self, text: str) -> list[tuple[int, int, str]]:
        """Names in an all-Latin text (a letter from abroad, an English consult note): stricter than in Russian
        text, where Latin words are rare, because device names and codes are all-Latin too. Two capitalised words
        side by side, one of five letters or more with a Russian surname's ending: "Olga Volkova", "VOLKOVA Olga"
        (not "Kaplan Meier", not "Femur Nail"). English names are found by their titles (Dr, Mr, Prof: the
        honorific pattern)."""
        words = [m for m in LATIN_WORD.finditer(text) if m.group()[0].isupper() and len(m.group()) >= 3]
        spans = []
        for a, b in zip(words, words[1:], strict=False):
            if text[a.end() : b.start()] != " ":
                continue
            pair = (a.group().lower(), b.group().lower())
            if any(w in ENGLISH_WORDS or w in self.kept_terms for w in pair):
                continue
            if any(len(w) >= 5 and LATIN_SURNAME.search(w) for w in pair):
                spans += [(a.start(), a.end(), "name"), (b.start(), b.end(), "name")]
        return spans

    def _latin_first_name(self, low: str) -> bool:
        if low not in self._latin_name_cache:
            self._latin_name_cache[low] = self._read_as_name(low)
        return self._latin_name_cache[low]

    def _read_as_name(self, low: str) -> bool:
        self._load_morph()
        for candidate in translit.to_cyrillic(low):
            if any(
                {"Name", "Surn", "Patr"} & set(map(str, p.tag.grammemes)) and p.score >= 0.3
                for p in self._morph.parse(candidate)
            ) and self._morph.word_is_known(candidate):
                return True
        return False

    def _load_morph(self):
        if self._morph is None:
            self._morph = translit.morph_analyzer()

    # --- all passes -------------------------------------------------------------------------------------------
    def find(
        self, text: str, patient: PatientIdentity | None = None, ner: bool = True, remember: bool = True
    ) -> list[tuple[int, int, str]]:
        """Spans of the original text. Matching runs on the folded text (normalise.fold: invisible characters
        removed, NFKC, look-alike letters in the word's script); each span is mapped back to the original.
        `remember=False`: a text met once (a note) is not kept in the cache of passes 2 and 3 (the same spans)."""
        original = text
        text, index = fold(text)
        spans = list(self.generic_spans(text, ner, remember))
        if patient is not None:
            # The full pattern (every case form, initials) only where a stem of the name occurs at all: most values
            # hold none, and compiling a pattern per patient is what costs at registry size.
            folded = text.casefold()
            if patient.full_name and any(stem_ in folded for stem_ in name_stems(patient.full_name)):
                pattern = own_name_pattern(patient.full_name)
                if pattern is not None:
                    spans += [(m.start(), m.end(), "name") for m in pattern.finditer(text)]
            # Every Latin spelling is three letters or more: texts without such a word (ICD-10 codes such as C50.4)
            # need no per-patient pattern, which is what would cost (one compiled pattern per patient).
            if patient.full_name and THREE_LATIN_LETTERS.search(text):
                latin_words = [m for m in LATIN_WORD.finditer(text) if len(m.group()) >= 3]
                forms = own_latin_forms(patient.full_name)
                spans += [
                    (m.start(), m.end(), "name") for m in LATIN_TOKEN.finditer(text) if m.group().casefold() in forms
                ]
                # Any mixture of the systems (Zayac, Zaiats, Zajaz): compared by skeleton.
                own = own_latin_skeletons(patient.full_name)
                spans += [(m.start(), m.end(), "name") for m in latin_words if translit.skeleton(m.group()) in own]
            if any(ch.isdigit() for ch in text):  # every number, the record number too, has digits
                spans += own_number_spans(text, patient)
        if text is not original:
            spans = [(*map_span(index, s, e), kind) for s, e, kind in spans]
        return merge(spans, original)

    def generic_spans(self, text: str, ner: bool, remember: bool = True) -> tuple[tuple[int, int, str], ...]:
        """Passes 2 and 3, which depend on the text alone: computed once per distinct text (exports repeat the
        same labels hundreds of thousands of times). `remember=False` computes them without keeping them (for
        texts met once: each note's spans kept took a few hundred bytes per note, gigabytes for a registry)."""
        key = (text, ner)
        if key not in self._generic_cache:
            spans = [
                (*(m.span(1) if pattern.groups and m.group(1) is not None else m.span()), kind)
                for kind, pattern in PATTERNS
                for m in pattern.finditer(text)
            ]
            spans += phone_spans(text)
            spans += self.latin_name_spans(text)
            spans += self.known_name_spans(text)
            if ner:
                spans += self.ner_spans(text)
            if not remember:
                return tuple(spans)
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
            if kind == "name":
                self.found_names.add(fold(text[start:end])[0])
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
    value = re.sub(r"(?<=\d)г\.?$", "", value.strip())  # 12.03.2019г
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
