"""The report, the index and the notebook pages in a real browser, in English and Chinese.

``--dump-dom`` returns the DOM after the page's load event (with a virtual-time
budget), so the report's hook ``data-broken-images`` on ``<body>`` says how many
``<img>`` failed to load (the report's figures are embedded PNG data URLs);
``--screenshot`` renders the page at 1200 px wide.

:func:`probe` loads a copy of any page with :data:`PROBE` added: at the load event it
writes onto ``<body>`` the document's scroll width and the viewport's width (1280 px),
the elements that stick out of the viewport outside any box that scrolls, the broken
images, and the raw dict dumps (``{'key': ...``) in the visible text. The checks:
no horizontal overflow, no broken image, no dict dump (each with a negative control).
The notebook page comes from ``to_html`` on a small hand-made notebook holding a very
wide table; ``tests/test_notebooks_browser.py`` does the same on really executed notebooks.

Chromium is ``/usr/bin/chromium`` (or ``chromium`` on PATH; ``scripts/ensure_chromium.sh``
installs it; ``CHURNLAB_CHROMIUM`` names another binary). Without it the tests are
skipped locally and fail when ``CI`` is set (to anything but empty, 0, false or no).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

import inspect
import json

import nbformat

from churnlab.report import write_index, write_report
from churnlab.study.runner import to_html

from .test_report import MANIFEST, make_run

TIMEOUT = 60
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium() -> str:
    override = os.environ.get("CHURNLAB_CHROMIUM")
    if override:
        path = override if Path(override).exists() else None
    else:
        path = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if path is None:
        where = override or "/usr/bin/chromium or chromium on PATH"
        msg = f"headless Chromium not found ({where}); install it with scripts/ensure_chromium.sh"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{msg} -- CI must have it", pytrace=False)
        pytest.skip(msg)
    return path


def run_chromium(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Chromium with a fresh profile folder; fails the test on a timeout or a non-zero exit."""
    profile = tmp_path / f"profile-{uuid.uuid4().hex[:8]}"
    cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {TIMEOUT} s: {' '.join(cmd)}")
    assert proc.returncode == 0, f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}"
    return proc


def dump_dom(chromium: str, tmp_path: Path, page: Path) -> str:
    return run_chromium(chromium, tmp_path, "--virtual-time-budget=5000", "--dump-dom",
                        page.resolve().as_uri()).stdout


def broken_images(dom: str) -> str | None:
    m = re.search(r'<body[^>]*\sdata-broken-images="(\d+)"', dom)
    return m.group(1) if m else None


@pytest.fixture
def pages(tmp_path: Path) -> dict[str, Path]:
    out = tmp_path / "outputs"
    alpha, beta = make_run(out, "alpha"), make_run(out, "beta")
    return {"alpha": write_report(alpha), "beta": write_report(beta), "index": write_index(out)}


def test_pages_load_with_all_images(chromium: str, tmp_path: Path, pages: dict[str, Path]):
    for name, heading in [("alpha", "alpha"), ("beta", "beta"), ("index", "Studies compared (2)")]:
        dom = dump_dom(chromium, tmp_path, pages[name])
        assert broken_images(dom) == "0", f"{name}: the load hook did not report 0 broken images"
        assert f"<h1>{heading}</h1>" in dom
        title = "Churn studies compared" if name == "index" else f"Churn study: {name}"
        assert f"<title>{title}</title>" in dom
    assert dump_dom(chromium, tmp_path, pages["alpha"]).count('<img src="data:image/png;base64,') == 3


def test_hook_counts_a_broken_image(chromium: str, tmp_path: Path, pages: dict[str, Path]):
    """Negative control: the hook really sees a failed image (so "0" above means something)."""
    page = pages["alpha"]
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace('src="data:image/png;base64,', 'src="data:image/png;base64,AAAA', 1),
                    encoding="utf-8")
    assert broken_images(dump_dom(chromium, tmp_path, page)) == "1"


def test_screenshots_are_not_blank(chromium: str, tmp_path: Path, pages: dict[str, Path]):
    from PIL import Image

    for name in ("alpha", "index"):
        shot = tmp_path / f"{name}.png"
        run_chromium(chromium, tmp_path, "--window-size=1200,2000", "--hide-scrollbars",
                     f"--screenshot={shot}", pages[name].resolve().as_uri())
        assert shot.exists(), f"{name}: no screenshot written"
        with Image.open(shot) as im:
            assert im.size == (1200, 2000)
            rgb = im.convert("RGB")
            colours = rgb.getcolors(maxcolors=1 << 20)
            assert colours is not None and len(colours) > 50, f"{name}: screenshot has too few colours"
            background = max(colours)[0]
            assert background < 0.97 * rgb.width * rgb.height, f"{name}: screenshot is almost one colour"


# ------------------------------------------------------------------ layout, images and text, in en and zh

WIDTH = 1280
#: Added to a copy of a page: what the load event sees, written onto <body> for --dump-dom.
PROBE = """<script>
window.addEventListener("load", function () {
  var d = document.documentElement, b = document.body, vw = window.innerWidth, out = [], broken = 0;
  function scrolls(el) {  // inside a box that scrolls sideways and fits the viewport
    for (var a = el.parentElement; a && a !== b && a !== d; a = a.parentElement) {
      var x = getComputedStyle(a).overflowX;
      if ((x === "auto" || x === "scroll") && a.getBoundingClientRect().right <= vw + 1) { return true; }
    }
    return false;
  }
  b.querySelectorAll("*").forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.right > vw + 1 && !scrolls(el)) {
      out.push(el.tagName + "." + String(el.className).split(" ")[0] + "@" + Math.round(r.right));
    }
  });
  document.querySelectorAll("img").forEach(function (img) {
    if (!img.complete || img.naturalWidth === 0) { broken += 1; }
  });
  var dicts = b.innerText.match(/\\{\\s*['"][^'"\\n]{1,80}['"]\\s*:/g) || [];
  b.dataset.probeScrollWidth = String(Math.max(d.scrollWidth, b.scrollWidth));
  b.dataset.probeViewport = String(vw);
  b.dataset.probeOverflow = out.slice(0, 5).join(" ");
  b.dataset.probeBroken = String(broken);
  b.dataset.probeDicts = dicts.slice(0, 3).join(" ");
  b.dataset.probeText = String(b.innerText.trim().length);
});
</script>"""


def probe(chromium: str, tmp_path: Path, page: Path) -> dict[str, str]:
    """What :data:`PROBE` saw of ``page`` at 1280 px: scroll width, viewport, overflow, broken images, dicts."""
    copy = page.with_name(page.stem + ".probe.html")  # beside it: relative links and images still resolve
    html = page.read_text(encoding="utf-8")
    copy.write_text(html.replace("</body>", PROBE + "</body>", 1) if "</body>" in html else html + PROBE,
                    encoding="utf-8")
    dom = run_chromium(chromium, tmp_path, f"--window-size={WIDTH},900", "--hide-scrollbars",
                       "--virtual-time-budget=8000", "--dump-dom", copy.resolve().as_uri()).stdout
    body = re.search(r"<body[^>]*>", dom)
    assert body, f"{page.name}: no <body> in the dumped DOM"
    found = dict(re.findall(r'\sdata-probe-([a-z-]+)="([^"]*)"', body.group(0)))
    assert "viewport" in found, f"{page.name}: the probe did not run"
    found["lang"] = (re.search(r'<html[^>]*\slang="([^"]*)"', dom) or [None, None])[1]
    return found


def assert_clean(name: str, seen: dict[str, str], *, code: bool = False) -> None:
    """No sideways overflow, no broken image, some text and (unless the page shows ``code``) no dict dump."""
    assert int(seen["viewport"]) == WIDTH, seen
    assert int(seen["scroll-width"]) <= WIDTH, f"{name}: the page scrolls sideways ({seen})"
    assert seen["overflow"] == "", f"{name}: elements stick out of the viewport: {seen['overflow']}"
    assert seen["broken"] == "0", f"{name}: {seen['broken']} broken image(s)"
    assert code or seen["dicts"] == "", f"{name}: raw dict dump in the visible text: {seen['dicts']}"
    assert int(seen["text"]) > 20, f"{name}: almost no visible text"


def wide_notebook(folder: Path, lang: str) -> Path:
    """A small executed notebook 02 holding very wide tables (an HTML output, a Markdown output, a
    Markdown cell) and long unbroken lines."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    wide = pd.DataFrame({f"a long column label number {i}": [f"value_{i}_without_any_break" * 2]
                         for i in range(24)})
    title = "# 02 · 流失原因分析" if lang == "zh" else "# 02 · Cause analysis"
    md_table = ("| " + " | ".join(f"driver label number {i}" for i in range(20)) + " |\n|"
                + "---|" * 20 + "\n| " + " | ".join(f"hazard_ratio_{i}_value" for i in range(20)) + " |\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(title + "\n\n" + "x" * 400 + "\n\n" + md_table),
                nbformat.v4.new_code_cell("show(text)", execution_count=3, outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/markdown": md_table, "text/plain": "<Markdown>"})]),
                nbformat.v4.new_code_cell("wide", execution_count=1, outputs=[nbformat.v4.new_output(
                    "execute_result", data={"text/html": wide.to_html(), "text/plain": "wide"},
                    execution_count=1)]),
                nbformat.v4.new_code_cell("print()", execution_count=2, outputs=[
                    nbformat.v4.new_output("stream", name="stdout", text="y" * 400 + "\n")])]
    path = folder / "02_cause_analysis.ipynb"
    nbformat.write(nb, path)
    return path


#: The report helper's ``lang`` argument; until it is on this branch the zh report cases are expected to fail.
REPORT_LANG = "lang" in inspect.signature(write_report).parameters
INDEX_LANG = "lang" in inspect.signature(write_index).parameters
needs_report_lang = pytest.mark.xfail(not (REPORT_LANG and INDEX_LANG), strict=False,
                                      reason="write_report/write_index(lang=...) not on this branch yet")


def run_in(out: Path, name: str, lang: str) -> Path:
    """A fake run (:func:`tests.test_report.make_run`) whose manifest says ``params.lang``."""
    manifest = json.loads(json.dumps(MANIFEST))
    manifest["study"] = name
    manifest["params"]["lang"] = lang
    return make_run(out, name, manifest=manifest)


def pages_in(tmp_path: Path, lang: str) -> dict[str, Path]:
    """The report and the index of a fake run in ``lang`` (its notebook pages: the test below)."""
    out = tmp_path / f"outputs-{lang}"
    run = run_in(out, f"alpha-{lang}", lang)
    report = write_report(run, **({"lang": lang} if REPORT_LANG else {}))
    index = write_index(out, **({"lang": lang} if INDEX_LANG else {}))
    return {"report": report, "index": index}


def test_notebook_pages_fit_the_width_in_both_languages(chromium: str, tmp_path: Path):
    for lang, html_lang in (("en", "en"), ("zh", "zh-CN")):
        page = to_html(wide_notebook(tmp_path / lang, lang), lang=lang)
        for p in (page, page.with_name("02_cause_analysis.code.html")):
            seen = probe(chromium, tmp_path, p)
            assert_clean(f"{lang} {p.name}", seen)
            assert seen["lang"] == html_lang


def test_english_report_and_index_are_clean(chromium: str, tmp_path: Path):
    for name, page in pages_in(tmp_path, "en").items():
        seen = probe(chromium, tmp_path, page)
        assert_clean(f"en {name}", seen)
        assert seen["lang"] == "en"


@needs_report_lang
def test_chinese_report_and_index_are_clean(chromium: str, tmp_path: Path):
    for name, page in pages_in(tmp_path, "zh").items():
        seen = probe(chromium, tmp_path, page)
        assert_clean(f"zh {name}", seen)
        assert seen["lang"] == "zh-CN", f"zh {name}: <html lang> is {seen['lang']}"
        assert re.search(r"[\u4e00-\u9fff]", page.read_text(encoding="utf-8")), f"zh {name}: no Chinese"


@needs_report_lang
def test_chinese_report_screenshot_is_not_blank(chromium: str, tmp_path: Path):
    from PIL import Image

    page = pages_in(tmp_path, "zh")["report"]
    shot = tmp_path / "report-zh.png"  # kept in the test's tmp folder to look at
    run_chromium(chromium, tmp_path, f"--window-size={WIDTH},2000", "--hide-scrollbars",
                 f"--screenshot={shot}", page.resolve().as_uri())
    with Image.open(shot) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "the Chinese report's screenshot has too few colours"
    assert max(colours)[0] < 0.97 * rgb.width * rgb.height, "the Chinese report's screenshot is almost blank"
    assert re.search(r"[\u4e00-\u9fff]", page.read_text(encoding="utf-8"))


def test_probe_sees_overflow_broken_images_and_dict_dumps(chromium: str, tmp_path: Path):
    """Negative controls: each check of :func:`assert_clean` fails on a page made to fail it."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>'
                    '<p>A page with problems, long enough to count as text.</p>'
                    '<div style="width:3000px">too wide</div><img src="missing.png" alt="x">'
                    "<p>{'churn_rate': 0.31, 'n': 12}</p></body></html>", encoding="utf-8")
    seen = probe(chromium, tmp_path, page)
    assert int(seen["scroll-width"]) > WIDTH and "DIV" in seen["overflow"]
    assert seen["broken"] == "1" and "churn_rate" in seen["dicts"]
    # the same wide content inside a box that scrolls is fine
    page.write_text('<!DOCTYPE html><html lang="en"><body><p>A page without problems, long enough.</p>'
                    '<div style="overflow-x:auto;max-width:100%"><div style="width:3000px">wide</div></div>'
                    "</body></html>", encoding="utf-8")
    seen = probe(chromium, tmp_path, page)
    assert int(seen["scroll-width"]) <= WIDTH and seen["overflow"] == "" and seen["dicts"] == ""
