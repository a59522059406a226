"""The words of a figure in one language: every label, legend, title and annotation the figure functions draw
(analysis.figures, cleaning.report.flow_figure) comes from the bilingual glossary (workflow/templates/glossary.yaml,
sections `figure` and `terms`), so the Russian figures say what the Russian tables and text say.

One drawing function per figure takes a FigureText and draws the same figure in either language: the English
strings of the glossary are exactly those the English figures printed before, so the English figures are unchanged.
In Russian every formatted number is spelled by common.glossary.russian_number (decimal comma, non-breaking space
before %, the minus sign), and localise_ticks does the same for the tick labels matplotlib formats itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.glossary import load, russian_number


def plain_label(code: str) -> str:
    """A code as words ("ewing_sarcoma" -> "ewing sarcoma"): what a figure prints for a code the glossary lacks."""
    return str(code).replace("_", " ")


@dataclass(frozen=True)
class FigureText:
    """The figure words of one language ("en" or "ru")."""

    lang: str = "en"

    def __call__(self, key: str, **values) -> str:
        """The message `figure.<key>` with `values` formatted in (str.format, the pattern's own number formats), in
        this language's typography."""
        text = load()[f"figure.{key}"][self.lang].format(**values)
        return self.spell(text)

    def spell(self, text: str) -> str:
        """Numbers in this language's typography: English unchanged, Russian by russian_number."""
        return text if self.lang == "en" else russian_number(text)

    def term(self, kind: str, code, form: str = "name") -> str:
        """A term of the glossary (`terms.<kind>.<code>.<form>`), or the code as words when the glossary lacks it
        (a level of real exports that no one has translated yet: visible, never invented)."""
        entry = load().get(f"terms.{kind}.{code}.{form}")
        return entry[self.lang] if entry else plain_label(code)

    def score(self, name: str, section: str = "score", default: str | None = None) -> str:
        """A prognostic score's name (figure.<section>.<name>), or `default` (the name itself) for a score the
        glossary lacks."""
        entry = load().get(f"figure.{section}.{name}")
        return entry[self.lang] if entry else (name if default is None else default)

    def localise_ticks(self, fig) -> None:
        """In Russian, every tick label of the figure's axes in Russian typography (the formatter matplotlib or the
        figure chose, then russian_number); in English nothing changes."""
        if self.lang == "en":
            return
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                for which in ("major", "minor"):
                    ticker = getattr(axis, which)
                    if not isinstance(ticker.formatter, _Spelled):
                        ticker.formatter = _spelled(ticker.formatter, self.spell, axis)


def _spelled(inner, spell, axis):
    """A tick formatter that formats with `inner` and spells each label with `spell` (matplotlib imported here, so
    that this module does not need it)."""
    from matplotlib.ticker import Formatter

    class Spelled(Formatter, _Spelled):
        def set_axis(self, axis) -> None:
            self.axis = axis
            inner.set_axis(axis)

        def set_locs(self, locs) -> None:
            inner.set_locs(locs)

        def __call__(self, x, pos=None) -> str:
            return spell(inner(x, pos))

        def format_ticks(self, values) -> list[str]:
            return [spell(label) for label in inner.format_ticks(values)]

        def get_offset(self) -> str:
            return spell(inner.get_offset())

    spelled = Spelled()
    spelled.set_axis(axis)
    return spelled


class _Spelled:
    """The marker of a formatter already spelled by localise_ticks."""


ENGLISH = FigureText("en")
RUSSIAN = FigureText("ru")
LANGUAGES = (ENGLISH, RUSSIAN)
