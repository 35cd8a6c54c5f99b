"""``report.html``: one self-contained file that opens in any browser without a server.

Figures are embedded as ``data:image/png;base64`` URIs and the style sheet is
inline, so the file references nothing outside itself (no scripts, fonts or
links): it can be mailed, archived or opened from a USB stick.
"""

from __future__ import annotations

import base64
import re
from html import escape

from .content import FigureItem, Report, Section, Table

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #1a1a1a; background: #fff; max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem;
       line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
code { font-size: 0.9em; background: #f4f4f4; padding: 0 0.2em; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92rem; margin-top: 0.3rem; }
.scroll { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: 0.88rem; }
caption { caption-side: bottom; text-align: left; color: #555; font-size: 0.85rem; padding-top: 0.4rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #999; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.date { white-space: nowrap; }
td.met { color: #006644; } td.missed { color: #b23c00; font-weight: bold; }
footer { margin-top: 3rem; color: #777; font-size: 0.8rem; }
details summary { cursor: pointer; color: #444; }
""".strip()


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _cell_class(index: int, text: str, table: Table) -> str:
    classes = []
    if index in table.numeric:
        classes.append("num")
    if text in ("met", "missed"):
        classes.append(text)
    if ISO_DATE.match(text):
        classes.append("date")
    return f' class="{" ".join(classes)}"' if classes else ""


INLINE = [(re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"), (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
          (re.compile(r"(?<![\w*])\*(?!\s)([^*]+?)\*(?![\w*])"), r"<em>\1</em>")]
"""Markdown's inline marks in paragraphs, list items and cells: strong, code, emphasis."""


def inline(text: str) -> str:
    """``text`` escaped, with its Markdown inline marks as HTML."""
    out = escape(text)
    for pattern, replacement in INLINE:
        out = pattern.sub(replacement, out)
    return out


def table_html(table: Table) -> str:
    out = ['<div class="scroll"><table>']
    if table.caption:
        out.append(f"<caption>{escape(table.caption)}</caption>")
    if any(table.header):
        out.append("<thead><tr>" + "".join(f'<th scope="col">{escape(h)}</th>' for h in table.header)
                   + "</tr></thead>")
    out.append("<tbody>")
    for row in table.rows:
        cells = [f'<th scope="row">{inline(row[0])}</th>']
        cells += [f"<td{_cell_class(i, c, table)}>{inline(c)}</td>" for i, c in enumerate(row[1:], start=1)]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def figure_html(item: FigureItem) -> str:
    data = base64.b64encode(item.png).decode("ascii")
    return (f'<figure id="figure-{_slug(item.name)}">'
            f'<img src="data:image/png;base64,{data}" alt="{escape(item.caption)}">'
            f"<figcaption>{escape(item.caption)}</figcaption></figure>")


def section_html(section: Section) -> str:
    body = [f"<p>{inline(p)}</p>" for p in section.paragraphs]
    if section.items:
        body.append("<ul>" + "".join(f"<li>{inline(item)}</li>" for item in section.items) + "</ul>")
    body += [table_html(t) for t in section.tables]
    body += [figure_html(f) for f in section.figures]
    ident = f' id="{_slug(section.title)}"'
    heading = f"<h{section.level}>{escape(section.title)}</h{section.level}>"
    if section.collapsed:
        return (f"<section{ident}>{heading}<details><summary>show</summary>\n"
                + "\n".join(body) + "\n</details></section>")
    return f"<section{ident}>{heading}\n" + "\n".join(body) + "\n</section>"


def to_html(report: Report) -> str:
    sections = "\n".join(section_html(s) for s in report.sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(report.title)}</title>
<style>
{CSS}
</style>
</head>
<body>
<main>
<h1>{escape(report.title)}</h1>
{sections}
</main>
<footer>{escape(report.footer)}</footer>
</body>
</html>
"""
