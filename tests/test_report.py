"""``report.html`` and ``report.md``: valid, self-contained, and right about the numbers.

The browser test opens the report in a real headless Chromium (Debian's
``chromium`` package, installed by ``.ci/run``) with a probe script injected
into a copy, and checks that every embedded image decoded to its real size.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sim.cli import main
from sim.results import series as S
from sim.plotting.figures import RUN_FIGURES
from sim.results.loading import load_result
from sim.report.content import targets_table
from sim.report.numbers import number

ROOT = Path(__file__).resolve().parents[1]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "tiny"
    assert main(["run", str(ROOT / "tests" / "data" / "tiny.yaml"), "--replications", "3", "--out", str(out),
                 "--workers", "1", "--no-progress"]) == 0
    assert main(["plot", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def comparison_dir(run_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "compared"
    other = tmp_path_factory.mktemp("report") / "other"
    shutil.copytree(run_dir, other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["scenario"]["name"] = "tiny-copy"
    (other / "manifest.json").write_text(json.dumps(manifest))
    assert main(["compare", str(run_dir), str(other), "--metric", "gov_accounts.sina", "--metric", "microbloggers",
                 "--relative-to", str(run_dir), "--out", str(out)]) == 0
    return out


class StrictHTML(HTMLParser):
    """Checks what a validator would: one doctype, proper nesting, unique ids, required head elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.images: list[str] = []
        self.references: list[str] = []
        self.tags: set[str] = set()
        self.doctype = None
        self.attrs: dict[str, dict] = {}

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.attrs.setdefault(tag, attrs)
        if "id" in attrs:
            if attrs["id"] in self.ids:
                self.errors.append(f"duplicate id {attrs['id']}")
            self.ids.add(attrs["id"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
            if not attrs.get("alt"):
                self.errors.append("img without alt")
        for name in ("src", "href", "action", "poster", "data"):
            if name in attrs and not attrs[name].startswith(("data:", "#")):
                self.references.append(attrs[name])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.errors.append(f"self-closed <{tag}/>")
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag for void <{tag}>")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
        else:
            self.stack.pop()


def check_html(text: str) -> StrictHTML:
    parser = StrictHTML()
    parser.feed(text)
    parser.close()
    assert parser.doctype == "DOCTYPE html"
    assert not parser.errors, parser.errors
    assert not parser.stack, f"unclosed: {parser.stack}"
    assert {"html", "head", "title", "body", "main"} <= parser.tags
    assert parser.attrs["html"].get("lang") == "en" and parser.attrs["meta"].get("charset") == "utf-8"
    assert not {"script", "link", "iframe", "object", "embed"} & parser.tags
    assert parser.references == []
    assert not re.search(r"url\(|@import|https?://", text.split("<body>")[0])
    return parser


TIDY = shutil.which("tidy")


@pytest.mark.skipif(TIDY is None, reason="no HTML Tidy installed (Debian: apt-get install tidy)")
@pytest.mark.parametrize("which", ["run_dir", "comparison_dir"])
def test_report_passes_html_tidy(which, request):
    """An independent validator: HTML Tidy reports no error and no warning."""
    report = request.getfixturevalue(which) / "report.html"
    completed = subprocess.run([TIDY, "-q", "-e", str(report)], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def embedded_pngs(parser: StrictHTML) -> list[bytes]:
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in parser.images)
    return [base64.b64decode(src[len(prefix):], validate=True) for src in parser.images]


@pytest.mark.slow
def test_run_report_is_valid_and_self_contained(run_dir):
    parser = check_html((run_dir / "report.html").read_text(encoding="utf-8"))
    pngs = embedded_pngs(parser)
    assert len(pngs) == len(RUN_FIGURES)
    assert pngs == [(run_dir / "figures" / f"{name}.png").read_bytes() for name in RUN_FIGURES]


@pytest.mark.slow
def test_comparison_report_is_valid_and_self_contained(comparison_dir):
    parser = check_html((comparison_dir / "report.html").read_text(encoding="utf-8"))
    assert [png_size(p)[0] > 0 for p in embedded_pngs(parser)] == [True, True]


def test_markdown_twin_links_the_figures_beside_it(run_dir, comparison_dir):
    for directory in (run_dir, comparison_dir):
        text = (directory / "report.md").read_text(encoding="utf-8")
        links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
        assert links and all((directory / link).is_file() for link in links)
        assert "## Reported figures" in text
    assert "| tiny | run |" in (comparison_dir / "report.md").read_text()


def test_reported_figures_table_holds_the_models_values(run_dir):
    result = load_result(run_dir)
    table = targets_table(result, result.targets)
    assert len(table.rows) == len(result.targets.targets)
    for row, (name, target) in zip(table.rows, result.targets.targets.items()):
        value = S.target_value(result, target)
        mean = target.model_value(result.summary.stats[target.metric]["mean"], result.dates[0].astype(object))
        assert value.mean == pytest.approx(mean)
        assert row[4].startswith(number(mean))
        if target.kind == "equal":
            assert row[5] == f"{mean / target.value - 1:+.1%}"
        else:  # one-sided figures and ranges: the distance from the accepted range
            assert row[5] == "in range" if target.met(mean) else row[5].endswith(number(min(target.bounds, key=lambda b: abs(b - mean))))
        assert row[7] == ("met" if target.met(mean) else "missed")
    md = (run_dir / "report.md").read_text()
    assert all(row[4] in md for row in table.rows)


PROBE = """<pre id="probe"></pre><script>
window.addEventListener("load", function () {
  var images = Array.prototype.map.call(document.images, function (img) {
    return {complete: img.complete, width: img.naturalWidth, height: img.naturalHeight};
  });
  document.getElementById("probe").textContent = JSON.stringify(images);
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (Debian: apt-get install chromium); "
                                             "CI installs it in .ci/run")
@pytest.mark.parametrize("which", ["run_dir", "comparison_dir"])
def test_report_images_load_in_headless_chromium(which, request, tmp_path):
    directory = request.getfixturevalue(which)
    html = (directory / "report.html").read_text(encoding="utf-8")
    expected = [png_size(p) for p in embedded_pngs(check_html(html))]
    probe = tmp_path / "page" / "report.html"  # alone in its folder: nothing but the file itself to load
    probe.parent.mkdir()
    probe.write_text(html.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    completed = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--no-default-browser-check", f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000",
         "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', completed.stdout, re.S)
    assert found, completed.stdout[-2000:]
    loaded = json.loads(found.group(1))
    assert [(img["width"], img["height"]) for img in loaded] == expected
    assert all(img["complete"] for img in loaded)


def test_sections_with_lists_subsections_and_inline_marks_read_the_same_in_both_twins():
    """What the calibration report needs of the one report form: a bulleted list, a subsection, Markdown's inline
    marks (strong, emphasis, code) rendered in HTML, escaped where they are not marks."""
    from sim.report.content import Report, Section, Table
    from sim.report.html import to_html
    from sim.report.markdown import to_markdown

    report = Report("Calibration: x", [
        Section("Posterior", paragraphs=["**NOT CONVERGED: every number below is provisional**: see `posterior.nc`."],
                items=["*sigma* in log units", "a < b & 2 * 3 = 6"]),
        Section("Prior and posterior", tables=[Table(["parameter", "posterior"], [["p", "**1.2 (1 .. 2)**"]])],
                level=3)], "footer")
    html = to_html(report)
    check_html(html)
    assert "<strong>NOT CONVERGED: every number below is provisional</strong>" in html
    assert "<code>posterior.nc</code>" in html and "<li><em>sigma</em> in log units</li>" in html
    assert "<li>a &lt; b &amp; 2 * 3 = 6</li>" in html  # a lone star is no mark
    assert "<h3>Prior and posterior</h3>" in html and "<td><strong>1.2 (1 .. 2)</strong></td>" in html
    markdown = to_markdown(report)
    assert "\n- *sigma* in log units\n- a < b & 2 * 3 = 6\n" in markdown
    assert "\n### Prior and posterior\n" in markdown and "## Posterior\n" in markdown


def test_one_number_formatter_writes_nothing_as_a_dash():
    assert number(None) == number(float("nan")) == "\u2013"
    assert number(1234.5) == "1,234" and number(0.01234) == "0.0123"
