"""MkDocs hook: the Sphinx roles of the package's docstrings, made plain in the rendered API pages.

The docstrings cross-reference with Sphinx roles (:func:`sim.simulate`), which
``--help`` already strips (``sim.cli.plain``); mkdocstrings renders them as
text followed by code.  Here the role goes, and ``~a.b.C`` shows as ``C``.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:mod|class|func|meth|data|attr|exc|obj):(<code>)~?([^<]*?)(</code>)")


def on_page_content(html: str, **kwargs) -> str:
    return ROLE.sub(lambda m: f"{m.group(1)}{_shown(m)}{m.group(3)}", html)


def _shown(match: re.Match) -> str:
    text = match.group(2)
    return text.rsplit(".", 1)[-1] if match.group(0).split("<code>", 1)[1].startswith("~") else text
