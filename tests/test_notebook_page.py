"""common.notebook_page writes the page nbconvert's HTMLExporter writes, byte for byte, without its CSS selectors."""

from __future__ import annotations

import base64

import nbformat
from nbconvert import HTMLExporter

from common.notebook_page import MISSING_ALT, notebook_html

# A 1 x 1 PNG: enough for an image output without alt text.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode("ascii")


def executed_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A title\n\nSome *text* and a [link](https://example.org)."),
        nbformat.v4.new_code_cell(
            "print('hello')\n1 + 1",
            execution_count=1,
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="hello\n"),
                nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1),
            ],
        ),
        nbformat.v4.new_code_cell(
            "display(image)",
            execution_count=2,
            outputs=[nbformat.v4.new_output("display_data", {"image/png": PIXEL, "text/plain": "<Image>"})],
        ),
        nbformat.v4.new_code_cell(
            "table",
            execution_count=3,
            outputs=[
                nbformat.v4.new_output(
                    "execute_result",
                    {"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "1"},
                    execution_count=3,
                )
            ],
        ),
    ]
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"
    return nb


def test_the_page_is_nbconverts_byte_for_byte():
    nb = executed_notebook()
    expected, _ = HTMLExporter().from_notebook_node(nb)
    page = notebook_html(nb)
    assert page == expected
    # The post-processing did happen (so the comparison covers it): alt text, and focusable input and output areas.
    assert f'alt="{MISSING_ALT}"' in page
    assert page.count('tabindex="0"') >= 6, page.count('tabindex="0"')
