"""Text folding before identifier matching, with a map back to the original characters.

Identifiers hide behind characters that look alike or do not show: a Latin "о" or "Е" inside a Cyrillic surname,
a soft hyphen or a zero-width space inside it, full-width digits, a "й" written as "и" plus a combining breve. The
scrubber and the leak gate match on the folded text; the scrubber maps each span back to the original text, so the
replacement covers the original characters (hidden ones included).

Folding, character by character:

- invisible characters (soft hyphen, zero-width space/joiners, word joiner, BOM, bidi marks) are removed;
- NFKC compatibility folding (full-width digits and letters, ligatures, non-breaking spaces, combining marks
  composed); "№" is kept as it is (NFKC would make it "No");
- in a word written mostly in one script, letters of the other script that look alike (Latin a, e, o, p, c, x, y,
  k, m, t, h, b, B, H, M, T ... and their Cyrillic twins) take the word's script. A word evenly mixed is Cyrillic.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache

INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2061\u2062\u2063\u180e"),
    None,
)
# Latin -> Cyrillic look-alikes (both cases).
LATIN_TO_CYRILLIC = {
    "a": "а",
    "e": "е",
    "o": "о",
    "p": "р",
    "c": "с",
    "x": "х",
    "y": "у",
    "k": "к",
    "m": "м",
    "t": "т",
    "h": "н",
    "b": "в",
    "u": "и",
    "n": "п",
    "r": "г",
    "A": "А",
    "B": "В",
    "C": "С",
    "E": "Е",
    "H": "Н",
    "K": "К",
    "M": "М",
    "O": "О",
    "P": "Р",
    "T": "Т",
    "X": "Х",
    "Y": "У",
    "ë": "ё",
    "Ë": "Ё",
}
CYRILLIC_TO_LATIN = {
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "х": "x",
    "у": "y",
    "к": "k",
    "м": "m",
    "т": "t",
    "н": "h",
    "в": "b",
    "и": "u",
    "п": "n",
    "г": "r",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "А": "A",
    "В": "B",
    "С": "C",
    "Е": "E",
    "Н": "H",
    "К": "K",
    "М": "M",
    "О": "O",
    "Р": "P",
    "Т": "T",
    "Х": "X",
    "У": "Y",
    "І": "I",
    "Ј": "J",
    "Ѕ": "S",
}
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN = re.compile(r"[A-Za-z]")
WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def _nfkc(ch: str) -> str:
    if ch == "№" or ch.isascii():
        return ch
    return unicodedata.normalize("NFKC", ch)


def _fold_word(word: str) -> list[tuple[str, int]]:
    """The word in its own script, as (character, position in the word) pairs. In a mostly Cyrillic word, a run of
    Latin letters that all look like Cyrillic ones takes their look-alikes; any other Latin run was typed in the
    wrong keyboard layout or transliterated ("Кукушкinа") and is read back into Cyrillic."""
    cyr, lat = len(CYRILLIC.findall(word)), len(LATIN.findall(word))
    if not cyr or not lat:
        return [(ch, i) for i, ch in enumerate(word)]
    # A letter with no look-alike in the other script (Ж, Ш, Я; d, f, s) tells the script; else the majority does.
    cyrillic_only = any(CYRILLIC.match(ch) and ch not in CYRILLIC_TO_LATIN for ch in word)
    latin_only = any(LATIN.match(ch) and ch not in LATIN_TO_CYRILLIC for ch in word)
    latin_word = latin_only and not cyrillic_only if cyrillic_only != latin_only else cyr < lat
    if latin_word:
        return [(CYRILLIC_TO_LATIN.get(ch, ch), i) for i, ch in enumerate(word)]
    out: list[tuple[str, int]] = []
    for m in re.finditer(r"[A-Za-zëË]+|[^A-Za-zëË]+", word):
        run = m.group()
        if not LATIN.match(run) and run[0] not in "ëË":
            out += [(ch, m.start() + i) for i, ch in enumerate(run)]
        elif all(ch in LATIN_TO_CYRILLIC for ch in run):
            out += [(LATIN_TO_CYRILLIC[ch], m.start() + i) for i, ch in enumerate(run)]
        else:
            from .translit import to_cyrillic

            readings = to_cyrillic(run.lower())
            back = readings[0] if readings else run
            if run[0].isupper():
                back = back[:1].upper() + back[1:]
            out += [(ch, m.start()) for ch in back]
    return out


def fold(text: str) -> tuple[str, Sequence[int]]:
    """The folded text and, for each of its characters, the index of the original character it comes from (plus
    one entry for the end, len(text)). Plain text (ASCII and Cyrillic, no mixed words) folds to itself, and its
    index is the identity, a `range` (a list would hold a Python integer per character: 9 MB of a table took 330
    MB, and a registry's tables are a gigabyte)."""
    if _plain(text):
        return text, range(len(text) + 1)
    if "\n" in text.rstrip("\n"):
        # Line by line: nothing folding looks at (a cluster, a word, letters written apart) crosses a line break, and
        # most lines of a long file are plain, so only the few that are not take the character-by-character path.
        out: list[str] = []
        out_index: list[int] = []
        offset = 0
        for line in text.splitlines(keepends=True):
            if _plain(line):  # folds to itself: the index is the identity (what fold(line) would return)
                out.append(line)
                out_index.extend(range(offset, offset + len(line)))
            else:
                folded, index = fold(line)
                out.append(folded)
                out_index.extend(map(offset.__add__, index[:-1]))
            offset += len(line)
        out_index.append(len(text))
        return "".join(out), out_index
    chars: list[str] = []
    index: list[int] = []
    # Combining marks compose with the preceding character: NFC over each base+marks cluster. A character that folds
    # to itself and has no mark after it is a cluster of its own that stays as it is: runs of them are copied whole,
    # and only the clusters found by `clusters` (a base with its marks, or a character that folding changes) are
    # folded one by one.
    last = 0
    for m in _clusters(text).finditer(text) if not _PLAIN.fullmatch(text) else ():
        i, j = m.span()
        chars.extend(text[last:i])
        index.extend(range(last, i))
        cluster = text[i:j].translate(INVISIBLE)
        if cluster:
            folded = unicodedata.normalize("NFKC", cluster) if len(cluster) > 1 else _nfkc(cluster)
            for ch in folded:
                chars.append(ch)
                index.append(i)
        last = j
    chars.extend(text[last:])
    index.extend(range(last, len(text)))
    # Letters written apart ("И в а н о в"): four or more single letters separated by single spaces are one word.
    joined = "".join(chars)
    if SPACED_LETTERS.search(joined):
        keep = [True] * len(chars)
        for m in SPACED_LETTERS.finditer(joined):
            for k in range(m.start(), m.end()):
                if chars[k] == " ":
                    keep[k] = False
        chars = [c for c, k in zip(chars, keep, strict=True) if k]
        index = [i for i, k in zip(index, keep, strict=True) if k]
    flat = "".join(chars)
    out: list[str] = []
    out_index: list[int] = []
    last = 0
    for m in MIXED_WORDS.finditer(flat):  # a word in one script folds to itself (_fold_word)
        out += chars[last : m.start()]
        out_index += index[last : m.start()]
        for ch, i in _fold_word(m.group()):
            out.append(ch)
            out_index.append(index[m.start() + i])
        last = m.end()
    out += chars[last:]
    out_index += index[last:]
    out_index.append(len(text))
    return "".join(out), out_index


SPACED_LETTERS = re.compile(r"(?<![^\W\d_])[^\W\d_](?: [^\W\d_]){3,}(?![^\W\d_])")
_PLAIN = re.compile(r"[\x00-\x7fА-Яа-яЁё№]*")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


@cache
def _folds_to_itself(ch: str) -> bool:
    """A character that folding leaves as it is: ASCII, Cyrillic, №, or any other that is visible, not a combining
    mark and its own NFKC form (dashes, quotes, ≥, ×: the typography of every results file)."""
    if _PLAIN.fullmatch(ch):
        return True
    return ord(ch) not in INVISIBLE and not unicodedata.combining(ch) and unicodedata.normalize("NFKC", ch) == ch


# The start of a word (a run of [^\W_]) holding both a Cyrillic and a Latin letter; tried at word starts only, so
# a long run (base64 in a page, bytes of a figure) is read once, not once per letter.
MIXED_WORD = re.compile(r"(?<![^\W_])(?=[^\W_]*[А-Яа-яЁё])(?=[^\W_]*[A-Za-z])")

# Such words whole.
MIXED_WORDS = re.compile(MIXED_WORD.pattern + r"[^\W_]+")
_NEVER = re.compile(r"(?!)")


def _clusters(text: str) -> re.Pattern:
    """A pattern for the clusters of `text` that folding may change: a character followed by combining marks (one
    cluster, as the character-by-character reading groups them), or a character that does not fold to itself."""
    return _clusters_of(tuple(sorted(ch for ch in set(text) if not _folds_to_itself(ch))))


@lru_cache(maxsize=4096)
def _clusters_of(changed: tuple[str, ...]) -> re.Pattern:
    if not changed:
        return _NEVER
    marks = "".join(re.escape(ch) for ch in changed if unicodedata.combining(ch))
    others = "[" + "".join(re.escape(ch) for ch in changed) + "]"
    return re.compile((f"(?s:.)[{marks}]+|" if marks else "") + others)


def _plain(text: str) -> bool:
    if not _PLAIN.fullmatch(text) and not all(_folds_to_itself(ch) for ch in set(text)):
        return False
    # Each expression needs what the text may lack: a space (letters written apart), a Cyrillic letter (a mixed
    # word). Looking for that first is a scan in C; the expressions try every position (a file's megabytes).
    return not ((" " in text and SPACED_LETTERS.search(text)) or (_CYRILLIC.search(text) and MIXED_WORD.search(text)))


def fold_text(text: str) -> str:
    return fold(text)[0]


def map_span(index: Sequence[int], start: int, end: int) -> tuple[int, int]:
    """A span of the folded text as a span of the original text (covering every original character it came from,
    and invisible characters between them)."""
    if end <= start:
        return index[start], index[start]
    original_end = index[end] if end < len(index) - 1 else index[-1]
    # The last folded character may come from a multi-character cluster: extend to the next folded character's
    # origin (or the end).
    return index[start], max(original_end, index[end - 1] + 1)
