"""The page kit: every page carries a policy that runs no foreign script and reaches no
network, figures are data-URI images, and the kit's own scripts still run (Chromium)."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from dlworkflow.compare import compare_runs, write_compare_page
from dlworkflow.pages import content_security_policy, inline_figure, render
from dlworkflow.report import build_report

from .browser import browser_page, request_recorder
from .html_parse import ReportPage
from .test_compare import runs  # noqa: F401  (the module-scoped sweep fixture)


def crafted_svg(server: str) -> str:
    """An SVG that tries everything: onload, a script element, an external image."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" '
        f"onload=\"fetch('{server}/onload')\">"
        f"<script>document.title='pwned';fetch('{server}/script')</script>"
        f'<image href="{server}/image.png" width="5" height="5"/></svg>'
    )


def test_figures_are_images_with_data_uris(tmp_path: Path):
    svg = tmp_path / "a.svg"
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'><script>x()</script></svg>")
    markup = str(inline_figure(svg, 'a "quoted" <alt>'))
    assert markup.startswith('<img alt="a &#34;quoted&#34; &lt;alt&gt;" src="data:image/svg+xml;')
    assert "<script>" not in markup and "<svg" not in markup
    encoded = markup.split("base64,")[1].rstrip('">')
    assert base64.b64decode(encoded) == svg.read_bytes()
    assert inline_figure(tmp_path / "missing.svg") == ""
    assert inline_figure(tmp_path / "page.html") == ""  # only image types are inlined


def test_the_policy_allows_no_network_and_only_the_kits_scripts():
    policy = content_security_policy()
    assert "default-src 'none'" in policy and "connect-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "connect-src 'self'" in content_security_policy(connect_self=True)


def test_user_strings_are_escaped_in_pages():
    html = render("dlworkflow.interpret", "explain.html.j2", name="<b>x</b>", summary={
        "images": [], "methods": [], "notes": ["<script>alert(1)</script>"], "figures": [],
    }, figures=[], created="now")
    assert "<b>x</b>" not in html and "<script>alert(1)</script>" not in html


def test_a_crafted_svg_in_a_run_folder_runs_nothing_in_chromium(runs, tmp_path):  # noqa: F811
    folder = tmp_path / "run"
    shutil.copytree(runs / "sweep" / "h4-s1", folder)
    with request_recorder() as (server, seen), browser_page() as page:
        for figure in (folder / "figures").glob("*.svg"):
            figure.write_text(crafted_svg(server), encoding="utf-8")
        report = build_report(folder)
        parsed = ReportPage(report.read_text(encoding="utf-8"))
        assert parsed.inline_svg == 0 and parsed.scripts == 0 and parsed.svg_count >= 3
        page.goto(report.as_uri())
        page.wait_for_timeout(500)
        assert page.title() != "pwned"
        assert seen == []  # no request left the report
        # the same SVG opened directly does run: proof that the crafted SVG is live
        direct = tmp_path / "direct.svg"
        direct.write_text(crafted_svg(server), encoding="utf-8")
        page.goto(direct.as_uri())
        page.wait_for_timeout(500)
        assert page.title() == "pwned" and "/script" in seen


def test_the_kits_sort_script_runs_under_the_policy(runs, tmp_path):  # noqa: F811
    page_path = write_compare_page(compare_runs([runs / "sweep"]), tmp_path / "page")
    with browser_page() as page:
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text))
        page.goto(page_path.as_uri())
        table = page.locator("#run-table")
        header = table.locator("th").first
        header.click()
        first = table.locator("tbody tr td").first.inner_text()
        header.click()
        second = table.locator("tbody tr td").first.inner_text()
        assert first != second  # sorted ascending, then descending
        assert not [e for e in errors if "Content Security Policy" in e]


@pytest.mark.parametrize("package, template", [
    ("dlworkflow.report", "report.html.j2"),
    ("dlworkflow.compare", "compare.html.j2"),
    ("dlworkflow.interpret", "explain.html.j2"),
    ("dlworkflow.gallery", "gallery_evaluation.html.j2"),
    ("dlworkflow.serve", "predict.html.j2"),
    ("dlworkflow.serve", "gallery.html.j2"),
    ("dlworkflow.serve", "runs.html.j2"),
    ("dlworkflow.serve", "live.html.j2"),
])
def test_every_page_template_includes_the_policy(package: str, template: str):
    from dlworkflow.pages import environment

    source = environment(package).loader.get_source(environment(package), template)[0]
    assert '{% include "head.html.j2" %}' in source
