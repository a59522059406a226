"""An executed notebook as one HTML page, the bytes nbconvert's HTMLExporter (lab template) writes, for less CPU.

HTMLExporter renders the template, then parses the page with BeautifulSoup to add alternative text to images without
any and ``tabindex="0"`` to the cells' input and output areas, finding them with CSS selectors; compiling those three
selectors (soupsieve builds its parser's regular expressions on first use) costs about as much as the rest of the
post-processing. Here the same elements are found by walking the parsed page, and the page is serialised by the same
BeautifulSoup, so the output is the exporter's, byte for byte (``tests/test_notebook_page.py`` compares them).
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

MISSING_ALT = "No description has been provided for this image"


def _has_class(tag, name: str) -> bool:
    return name in (tag.get("class") or ())


def _inside(tag, name: str) -> bool:
    """Whether an ancestor of tag has the class `name` (the descendant combinator of ".name tag")."""
    return any(_has_class(parent, name) for parent in tag.parents if parent.name is not None)


def mark_accessible(soup: BeautifulSoup) -> int:
    """What HTMLExporter does after rendering, without CSS selectors: alt text for `img:not([alt])`, and tabindex 0
    on `.jp-Notebook div.jp-Cell-inputWrapper` and `.jp-Notebook div.jp-OutputArea-output`. Returns the number of
    images that had no alt text."""
    missing = 0
    for tag in soup.find_all(True):
        if tag.name == "img" and "alt" not in tag.attrs:
            tag.attrs["alt"] = MISSING_ALT
            missing += 1
    for name in ("jp-Cell-inputWrapper", "jp-OutputArea-output"):
        for tag in soup.find_all("div"):
            if _has_class(tag, name) and _inside(tag, "jp-Notebook"):
                tag.attrs["tabindex"] = "0"
    return missing


class NotebookPage(HTMLExporter):
    """HTMLExporter with its post-processing done by mark_accessible."""

    def from_notebook_node(self, nb, resources: dict[str, Any] | None = None, **kw: Any) -> tuple[str, dict]:  # type: ignore[override]
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        self.register_filter(
            "highlight_code", self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        )
        resources = self._init_resources(resources)
        self.register_filter(
            "filter_data_type",
            WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
        )
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        soup = BeautifulSoup(html, features="html.parser")
        missing = mark_accessible(soup)
        if missing:
            self.log.warning("Alternative text is missing on %s image(s).", missing)
        return str(soup), resources


def notebook_html(notebook) -> str:
    """The notebook as nbconvert's default HTML page."""
    html, _ = NotebookPage().from_notebook_node(notebook)
    return html
