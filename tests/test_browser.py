"""The report and the index in a real browser: headless Chromium loads them, images and all.

``--dump-dom`` returns the DOM after the page's load event (with a virtual-time
budget), so the report's hook ``data-broken-images`` on ``<body>`` says how many
``<img>`` failed to load (the report's figures are embedded PNG data URLs);
``--screenshot`` renders the page at 1200 px wide.

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

from churnlab.report import write_index, write_report

from .test_report import make_run

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
