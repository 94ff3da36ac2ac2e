"""The render layer: documentation and pictures of functions.

One path from metadata to documentation (``document`` -> sections) with
text, HTML and Markdown outputs, and matplotlib figures. Functions here take
any object with the attributes they read (an Expression, a MathForge), so
this layer sits below the ones that display themselves through it.
"""

from ._figures import in_notebook, new_figure
from ._history import plot_history
from ._html import as_html, catalog_html
from ._markdown import as_markdown, catalog_markdown
from ._pictures import PICTURE_SIZE, has_picture, picture_png
from ._plots import plot, plot_many
from ._sections import Document, Documented, ParamRow, Section, document, first_sentence, \
    title_latex
from ._text import as_text

__all__ = ["document", "Document", "Section", "ParamRow", "Documented", "first_sentence",
           "title_latex", "as_text", "as_html", "as_markdown", "catalog_html",
           "catalog_markdown", "plot", "plot_many", "plot_history", "new_figure", "in_notebook",
           "picture_png", "has_picture", "PICTURE_SIZE"]
