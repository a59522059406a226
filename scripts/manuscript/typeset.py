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
- **Cheap on CPU** (the rule is at the end of the workflow's critical path): the page's embedded images (pandoc's
  `data:` URLs, ~3 MB of base64 for the figures at 300 dpi) are lifted out of the HTML before it is parsed and served
  to WeasyPrint by the URL fetcher, so the HTML parser reads ~0.1 MB, not 3 MB; and an opaque PNG (matplotlib writes
  RGBA with every alpha 255) is embedded as its RGB samples, Flate-compressed once (`opaque_png_x_object`), rather
  than split by WeasyPrint into colour and alpha and PNG-encoded twice. The images keep every pixel (300 dpi for
  print); a PNG with any transparency, or one WeasyPrint would resample, takes WeasyPrint's own path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger("typeset")


# The scheme of the addresses that stand for the page's embedded images once they are lifted out of the HTML.
EMBEDDED_SCHEME = "typeset-embedded"
# An image embedded as pandoc writes it: <img src="data:image/png;base64,...">. Only base64 data URLs of images in a
# src attribute are lifted out; anything else (a data URL in a style, a URL-encoded one) is left for WeasyPrint.
# The page is read as bytes (the HTML parser keeps its own detection of the encoding); the pattern is ASCII, so it
# finds these URLs in UTF-8 (what pandoc writes) and any other ASCII-compatible encoding.
EMBEDDED_IMAGE = re.compile(rb'(?<=\ssrc=")data:(image/[A-Za-z0-9.+-]+);base64,([A-Za-z0-9+/=]*)(?=")')
# zlib level of the images' samples: level 3 compresses matplotlib's flat-coloured figures about as well as
# WeasyPrint's PNG re-encoding (level 6 with PNG row filters) at a quarter of its CPU.
IMAGE_ZLIB_LEVEL = 3


class NetworkRefused(RuntimeError):
    """A URL that would have been fetched from outside the machine."""


def lift_embedded_images(page: bytes) -> tuple[bytes, dict[str, tuple[str, bytes]]]:
    """`page` with each base64 image data URL in a src attribute replaced by a short address
    `typeset-embedded:<n>`, and what each address stands for: (MIME type, decoded bytes). The same image twice is one
    address (WeasyPrint then embeds it once, as it does the same data URL twice). A URL that is not valid base64 is
    left in the page, for WeasyPrint to refuse as it would have."""
    images: dict[str, tuple[str, bytes]] = {}
    addresses: dict[bytes, str] = {}

    def lift(match: re.Match[bytes]) -> bytes:
        uri = match.group(0)
        if uri not in addresses:
            try:
                data = base64.b64decode(match.group(2), validate=True)
            except binascii.Error:
                return uri
            address = f"{EMBEDDED_SCHEME}:{len(addresses)}"
            addresses[uri] = address
            images[address] = (match.group(1).decode("ascii"), data)
        return addresses[uri].encode("ascii")

    return EMBEDDED_IMAGE.sub(lift, page), images


def offline_fetcher(refused: list[str], embedded: dict[str, tuple[str, bytes]] | None = None):
    """A WeasyPrint url_fetcher serving data: URLs, file: URLs on this machine only (no host: a protocol-relative
    `//host/x` resolved against a file's address is file://host/x) and the page's lifted images (`embedded`, from
    `lift_embedded_images`); every other URL is recorded in `refused` and raises (WeasyPrint then skips the resource,
    and `typeset` fails after layout)."""
    from weasyprint import default_url_fetcher

    embedded = embedded or {}

    def fetch(url: str, *args, **kwargs):
        if url in embedded:
            mime_type, data = embedded[url]
            return {"string": data, "mime_type": mime_type, "redirected_url": url}
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


def opaque_png_x_object(image, interpolate: bool, dpi_ratio: float):
    """The PDF image XObject of a WeasyPrint RasterImage that is an opaque PNG, or None for any other image.

    An opaque PNG (RGB, or RGBA with every alpha 255, as matplotlib writes figures) is drawn exactly as its RGB
    samples: the alpha mask WeasyPrint would add (an /SMask of all 255, ISO 32000-1 §11.6.5.3) changes no pixel.
    The samples are written as they are, row after row, Flate-compressed (/FlateDecode without a predictor, §7.4.4),
    each once: WeasyPrint 66 would split the image into colour and alpha and PNG-encode both (two zlib passes with
    PNG row filters), ~0.2 s a 300-dpi figure. None (WeasyPrint's own path) for other formats and modes, for a PNG
    with any transparency, and when WeasyPrint would resample the image (the `dpi` option, ratio below 1)."""
    import pydyf
    from PIL import Image

    if image.format != "PNG" or image.mode not in ("RGB", "RGBA") or dpi_ratio != 1:
        return None
    pillow_image = Image.open(io.BytesIO(image.image_data.data))
    if pillow_image.mode != image.mode or (pillow_image.width, pillow_image.height) != (image.width, image.height):
        return None
    if image.mode == "RGBA" and pillow_image.getchannel("A").getextrema() != (255, 255):
        return None
    samples = zlib.compress(pillow_image.tobytes("raw", "RGB"), IMAGE_ZLIB_LEVEL)
    extra = pydyf.Dictionary(
        {
            "Type": "/XObject",
            "Subtype": "/Image",
            "Width": image.width,
            "Height": image.height,
            "ColorSpace": "/DeviceRGB",
            "BitsPerComponent": 8,
            "Interpolate": "true" if interpolate else "false",
            "Filter": "/FlateDecode",
        }
    )
    return pydyf.Stream([samples], extra)


@contextmanager
def opaque_pngs_embedded_once() -> Iterator[None]:
    """While inside: WeasyPrint embeds opaque PNGs by `opaque_png_x_object`, other images its own way."""
    from weasyprint.images import RasterImage

    weasyprint_x_object = RasterImage.get_x_object

    def get_x_object(self, interpolate, dpi_ratio):
        x_object = opaque_png_x_object(self, interpolate, dpi_ratio)
        return weasyprint_x_object(self, interpolate, dpi_ratio) if x_object is None else x_object

    RasterImage.get_x_object = get_x_object
    try:
        yield
    finally:
        RasterImage.get_x_object = weasyprint_x_object


def typeset(html_path: str | Path, css_paths: list[str | Path], pdf_path: str | Path) -> int:
    """Write `pdf_path` from `html_path` with the stylesheets `css_paths` (after the page's own); return the number
    of pages. Raises NetworkRefused if the page or a stylesheet names a URL other than data: or file:."""
    from weasyprint import CSS, HTML

    html_path, pdf_path = Path(html_path), Path(pdf_path)
    refused: list[str] = []
    page = html_path.read_bytes()
    digest = hashlib.sha256(page)
    lifted, embedded = lift_embedded_images(page)
    fetcher = offline_fetcher(refused, embedded)
    stylesheets = []
    for css in css_paths:
        digest.update(Path(css).read_bytes())
        stylesheets.append(CSS(filename=str(css), url_fetcher=fetcher))
    # base_url: relative addresses resolve against the page's file, as HTML(filename=...) would.
    source = HTML(string=lifted, base_url=os.path.abspath(html_path), url_fetcher=fetcher)
    document = source.render(stylesheets=stylesheets)
    if refused:
        raise NetworkRefused(f"{html_path} names {len(refused)} URL(s) outside the machine: {', '.join(refused)}")
    stamp = source_date()
    document.metadata.created = stamp
    document.metadata.modified = stamp
    # /ID is two byte strings; 16 bytes of the inputs' digest, as ISO 32000-1 suggests (an MD5-sized hash).
    with opaque_pngs_embedded_once():
        document.write_pdf(str(pdf_path), pdf_identifier=digest.hexdigest()[:32].encode("ascii"))
    log.info("typeset %s: %d pages -> %s", html_path, len(document.pages), pdf_path)
    return len(document.pages)
