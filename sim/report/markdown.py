"""``report.md``: the report's Markdown twin, for repositories and code review.

Same content as ``report.html`` (both are laid out from one
:class:`~sim.report.content.Report`), but figures are linked as the PNG files
beside it (``figures/<name>.png``) rather than embedded.
"""

from __future__ import annotations

from .content import Report, Section, Table


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table_md(table: Table) -> str:
    header = table.header if any(table.header) else [" "] * len(table.header)
    align = ["---:" if i in table.numeric else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.caption:
        lines += ["", f"*{table.caption}*"]
    return "\n".join(lines)


def section_md(section: Section) -> str:
    parts = [*section.paragraphs, *(["\n".join(f"- {item}" for item in section.items)] if section.items else []),
             *[table_md(t) for t in section.tables]]
    parts += [f"![{item.caption}]({item.file})\n\n*{item.caption}*" for item in section.figures]
    if section.collapsed:
        parts = ["<details><summary>show</summary>", *parts, "</details>"]
    return "\n\n".join([f"{'#' * section.level} {section.title}", *parts])


def to_markdown(report: Report) -> str:
    body = "\n\n".join(section_md(s) for s in report.sections)
    return f"# {report.title}\n\n{body}\n\n---\n\n{report.footer}\n"
