"""Typeset the manuscript's HTML as a PDF with WeasyPrint, offline and byte for byte reproducibly.

- **Print stylesheet**: workflow/templates/manuscript_print.css (A4, margins, page numbers, tables and figures fitted
  to the text width) is applied after the page's own styles; the HTML itself is not changed.
- **No network**: every URL the page or the stylesheet names goes through `offline_fetcher`, which serves `data:`
  URLs and local `file:` URLs only. Anything else is refused and, after layout, fails the typesetting (WeasyPrint on
  its own would log a warning and leave the image out of the PDF).
- **Reproducible bytes**: WeasyPrint writes no date unless the page carries one (pandoc writes none); the dates are
  cleared all the same, or set from ``SOURCE_DATE_EPOCH`` when that is set (the reproducible-builds convention,
  https://reproducible-builds.org/specs/source-date-epoch/). The file identifier (/ID, ISO 32000-1 §14.4) is derived
  from the bytes of the page and of the stylesheet, so the same input gives the same file and a different one a
  different identifier. Fonts are subset deterministically (fontTools); the fonts are those fontconfig finds, so the
  bytes are reproducible on one machine or image, not across font installations.
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger("typeset")


class NetworkRefused(RuntimeError):
    """A URL that would have been fetched from outside the machine."""


def offline_fetcher(refused: list[str]):
    """A WeasyPrint url_fetcher serving data: URLs and file: URLs on this machine only (no host: a protocol-relative
    `//host/x` resolved against a file's address is file://host/x); every other URL is recorded in `refused` and
    raises (WeasyPrint then skips the resource, and `typeset` fails after layout)."""
    from weasyprint import default_url_fetcher

    def fetch(url: str, *args, **kwargs):
        parts = urlsplit(url)
        local = parts.scheme == "data" or (parts.scheme == "file" and parts.netloc in ("", "localhost"))
        if not local:
            refused.append(url)
            raise NetworkRefused(f"the typesetter fetches nothing from the network: {url}")
        return default_url_fetcher(url, *args, **kwargs)

    return fetch


def source_date() -> str | None:
    """The date to stamp the PDF with, as W3C date-time: SOURCE_DATE_EPOCH if set, else none."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def typeset(html_path: str | Path, css_paths: list[str | Path], pdf_path: str | Path) -> int:
    """Write `pdf_path` from `html_path` with the stylesheets `css_paths` (after the page's own); return the number
    of pages. Raises NetworkRefused if the page or a stylesheet names a URL other than data: or file:."""
    from weasyprint import CSS, HTML

    html_path, pdf_path = Path(html_path), Path(pdf_path)
    refused: list[str] = []
    fetcher = offline_fetcher(refused)
    digest = hashlib.sha256(html_path.read_bytes())
    stylesheets = []
    for css in css_paths:
        digest.update(Path(css).read_bytes())
        stylesheets.append(CSS(filename=str(css), url_fetcher=fetcher))
    document = HTML(filename=str(html_path), url_fetcher=fetcher).render(stylesheets=stylesheets)
    if refused:
        raise NetworkRefused(f"{html_path} names {len(refused)} URL(s) outside the machine: {', '.join(refused)}")
    stamp = source_date()
    document.metadata.created = stamp
    document.metadata.modified = stamp
    # /ID is two byte strings; 16 bytes of the inputs' digest, as ISO 32000-1 suggests (an MD5-sized hash).
    document.write_pdf(str(pdf_path), pdf_identifier=digest.hexdigest()[:32].encode("ascii"))
    log.info("typeset %s: %d pages -> %s", html_path, len(document.pages), pdf_path)
    return len(document.pages)
