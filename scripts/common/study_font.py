"""StudySans: matplotlib's bundled DejaVu Sans (regular and bold) cut to the characters figures use, with the legacy
`kern` table instead of GPOS and only the default ligatures of GSUB, so that saving a figure as PDF is cheap.

Why: a PDF figure embeds its fonts as Type 42 (TrueType, text stays text, `pdf.fonttype` 42) and matplotlib subsets
the font file for every PDF it writes (fontTools). For the full DejaVu Sans (6,241 glyphs) that means decompiling its
GSUB, GPOS and MATH tables, about 0.2 s per font and figure, 0.45 s per PDF with the bold face. StudySans has
~770 glyphs, no GPOS or MATH and a small GSUB: subsetting it takes about 0.02 s.

What is kept: Basic Latin, Latin-1, Latin Extended-A, Greek, Cyrillic (Russian labels), general punctuation, super-
and subscripts, arrows, the usual mathematical signs (CHARACTERS); outlines and TrueType hinting unchanged; kerning
as the legacy `kern` table, which HarfBuzz (matplotlib's text layout through libraqm) applies when a font has no GPOS,
giving the same glyph positions as DejaVu Sans' GPOS kerning (every pair of the regular face's characters was
compared when the font was made; tests/test_figure_standards.py checks a sample with kerning pairs, the "fi" ligature
of the GSUB kept and Cyrillic). A character outside the set falls back to DejaVu Sans (plotting.STYLE font.family).

Licence: the Bitstream Vera licence of DejaVu Sans allows modified versions if they are renamed without "Bitstream"
and "Vera"; the DejaVu changes are public domain. The fonts are renamed StudySans, their copyright and licence name
records are kept, and scripts/common/fonts/LICENSE_DEJAVU is matplotlib's copy of the licence.

Rebuild (the bytes depend only on the DejaVu files of the pinned matplotlib and on fontTools):
    python scripts/common/study_font.py scripts/common/fonts
"""

from __future__ import annotations

import sys
from pathlib import Path

FAMILY = "StudySans"
FONT_DIR = Path(__file__).resolve().parent / "fonts"  # not resources/: that is the raw side, never committed
# Output file name -> matplotlib's bundled source face.
FACES = {"StudySans.ttf": "DejaVuSans.ttf", "StudySans-Bold.ttf": "DejaVuSans-Bold.ttf"}

_RANGES = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x017F),  # Latin-1 Supplement, Latin Extended-A (degree, plus-minus, multiplication sign, diacritics)
    (0x0370, 0x03FF),  # Greek (alpha, beta, chi, kappa...)
    (0x0400, 0x045F),  # Cyrillic: Russian and the other basic letters
    (0x2000, 0x206F),  # General Punctuation: spaces, dashes, quotes, bullet, ellipsis, per mille
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x20AC, 0x20AC),  # euro sign
    (0x2116, 0x2116),  # numero sign
    (0x2122, 0x2122),  # trade mark
    (0x2190, 0x2195),  # arrows
]
_SYMBOLS = "∓−∕∙√∞∼≈≠≡≤≥■□▲△▼▽◆◇○●"  # mathematical signs and plot markers used in text
CHARACTERS: frozenset[int] = frozenset(
    {c for lo, hi in _RANGES for c in range(lo, hi + 1)} | {ord(s) for s in _SYMBOLS}
)


def build(source: Path, target: Path) -> None:
    """Write the subset of the TrueType font `source` to `target`, renamed to StudySans."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.glyph_names = True
    options.hinting = True
    options.legacy_kern = True  # the `kern` table carries the kerning once GPOS is dropped
    # The substitutions HarfBuzz applies by default (the "fi" and "fl" ligatures of DejaVu Sans); no GPOS.
    options.layout_features = ["ccmp", "liga", "locl", "rlig"]
    options.drop_tables += ["GPOS", "MATH", "FFTM"]
    font = TTFont(source, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=CHARACTERS)
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 3, 4, 6, 16):
            text = record.toUnicode().replace("DejaVu Sans", FAMILY).replace("DejaVuSans", FAMILY)
            record.string = text
        elif record.nameID == 5:
            record.string = record.toUnicode() + f"; {FAMILY}: subset of DejaVu Sans (scripts/common/study_font.py)"
    font.save(target)


def main(out_dir: str) -> None:
    from matplotlib import get_data_path

    fonts = Path(get_data_path()) / "fonts" / "ttf"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, source in FACES.items():
        build(fonts / source, out / name)
    (out / "LICENSE_DEJAVU").write_bytes((fonts / "LICENSE_DEJAVU").read_bytes())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(FONT_DIR))
