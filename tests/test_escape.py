"""churnlab.escape and the notebooks' output: no value a user controls reaches a page as live HTML.

Rendering goes through nbconvert's own Markdown renderer (the one that turns the executed
notebooks into HTML pages), and the pages are read back with :mod:`html.parser`.
"""

from __future__ import annotations

import inspect
import re
import string
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from churnlab import display, escape, open_study
from churnlab.escape import md, md_code, safe_markdown
from churnlab.kpi.scorecard import style_scorecard

from .conftest import scenario_params

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<javascript:alert(1)>",
    "[click](javascript:alert(1))",
    "![i](javascript:alert(1))",
    "$\\href{javascript:alert(1)}{x}$ \\(x\\) \\[y\\]",
    "`<b>` ``x` \\`",
    "&lt;b&gt; &amp; &#60;i&#62;",
    "*a* _b_ **c** ~~d~~ # e | f |",
    "\n# heading\n- item\n> quote\n    code\n1. one",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | c |",
    "[r]: javascript:alert(1)\n\n[x][r]",
    "x\\",
    "C:\\data\\t*.csv",
    "\u2028<i>line</i>\r\n<u>x</u>",
]


class _Page(HTMLParser):
    """What a browser would run or follow: tags, event-handler attributes, script URLs, text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.live: list[str] = []
        self.links: list[str] = []  # link and image targets other than the page's own anchors
        self.text: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.live.append(f"<{tag} {name}=...>")
            if (value or "").strip().lower().startswith(("javascript:", "vbscript:", "data:text")):
                self.live.append(f"<{tag} {name}={value}>")
            if name in ("href", "src") and not (value or "").startswith("#"):
                self.links.append(value or "")

    def handle_endtag(self, tag):
        self._script = False

    def handle_data(self, data):
        if self._script and "alert" in data:
            self.live.append(f"<script>{data[:40]}")
        self.text.append(data)


def page(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    p.close()
    return p


def rendered(markdown: str) -> _Page:
    """``markdown`` as nbconvert renders a Markdown output of an executed notebook."""
    return page(markdown2html_mistune(markdown))


def flat(text: str) -> str:
    return " ".join(text.split())


# =========================================================================== rules

def test_esc_is_the_reports_escape():
    from churnlab.report import format as report_format

    assert report_format.esc is escape.esc
    assert escape.esc('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert escape.esc(None) == ""


@pytest.mark.parametrize("value", HOSTILE)
def test_md_renders_exactly_the_text(value):
    out = rendered(safe_markdown(f"**Currency:** {md(value)} · done"))
    assert not out.live and set(out.tags) <= {"p", "strong"}
    assert flat("".join(out.text)) == flat(f"Currency: {value} · done")


@pytest.mark.parametrize("value", HOSTILE)
def test_md_code_renders_the_text_in_one_code_span(value):
    out = rendered(safe_markdown(f"Column {md_code(value)} dropped."))
    assert not out.live and out.tags.count("code") == 1 and set(out.tags) <= {"p", "code"}
    assert flat("".join(out.text)) == flat(f"Column {value} dropped.")


@pytest.mark.parametrize("value", HOSTILE)
def test_the_guard_leaves_no_html_or_link_in_raw_text(value):
    """Text a stage composed without escaping (a note naming a column) may render oddly,
    but never as HTML, a link or an image."""
    for text in (f"Note on {value} here.", f"`{value}` and **{value}**", value):
        out = rendered(safe_markdown(text))
        assert not out.live and not out.links, text
        assert not {"script", "img", "u", "i", "b", "iframe"} & set(out.tags), (text, out.tags)


def test_the_guard_keeps_churnlabs_own_markdown():
    text = "**Bold** and *italic*, `a_b` code, p < 0.05 & more:\n\n* one\n* two"
    assert safe_markdown(md("a*b")) == md("a*b")  # escaped text passes unchanged
    html = markdown2html_mistune(safe_markdown(text))
    assert "<strong>Bold</strong>" in html and "<em>italic</em>" in html and "<code>a_b</code>" in html
    assert "<li>one</li>" in html and "p &lt; 0.05" in html


def test_md_round_trips_any_text():
    """Property: any text through md() renders as itself (hypothesis, 200 random strings)."""
    hyp = pytest.importorskip("hypothesis")  # pinned with the fuzz tier (issue 12)
    strategies = pytest.importorskip("hypothesis.strategies")

    @hyp.settings(max_examples=200, deadline=None)
    @hyp.given(strategies.text(alphabet=string.printable + "äß€—·$<>&`\\", max_size=40))
    def round_trip(value):
        out = rendered(safe_markdown(f"start {md(value)} end"))
        assert not out.live and set(out.tags) <= {"p"}
        assert flat("".join(out.text)) == flat(f"start {value} end")

    round_trip()


# =========================================================================== show()

def _capture(monkeypatch) -> list:
    """What show() displays, rendered as the page would have it (Markdown -> HTML, tables -> HTML)."""
    out = []

    def fake_display(item):
        if hasattr(item, "_repr_markdown_"):
            out.append(("markdown", markdown2html_mistune(item._repr_markdown_())))
        elif hasattr(item, "_repr_html_") and item._repr_html_() is not None:
            out.append(("html", item._repr_html_()))  # inside show()'s option context
        else:
            out.append(("other", item))

    monkeypatch.setattr("IPython.display.display", fake_display)
    return out


def test_show_keeps_text_and_tables_away_from_mathjax(monkeypatch):
    out = _capture(monkeypatch)
    df = pd.DataFrame({"<b>c</b>": ["$a$", "<img src=x onerror=alert(1)>"]},
                      index=pd.Index(["<i>r</i>", "s"], name="<u>n</u>"))
    display.show("price $5 to $10", df, df.style.format(escape="html"))
    kinds = [k for k, _ in out]
    assert kinds == ["markdown", "html", "html"]
    assert all(escape.NO_MATH in html for _, html in out)
    assert not page(out[1][1]).live and not {"img", "b", "i", "u"} & set(page(out[1][1]).tags)
    assert pd.get_option("display.html.use_mathjax") and pd.get_option("styler.html.mathjax")


def test_show_never_reads_a_file_or_url(monkeypatch, tmp_path):
    """IPython's Markdown("...") reads a file the text names and downloads an http... text."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the file's content")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda x: shown.append(x))
    display.show(str(secret), "http://localhost:1/never")
    assert [x.data for x in shown] == [str(secret), "http://localhost:1/never"]
    assert [x.filename for x in shown] == [None, None] and [x.url for x in shown] == [None, None]


def test_the_scorecard_styler_escapes_its_cells():
    card = pd.DataFrame({"kpi": ["<img src=x onerror=alert(1)>"], "value": [0.123456], "target": [None],
                         "period": ["<script>alert(1)</script>"], "previous": [float("nan")],
                         "trend": [None], "status": ["watch"]})
    html = style_scorecard(card).to_html()
    out = page(html)
    assert not out.live and not {"img", "script"} & set(out.tags)
    assert "0.1235" in html and "–" in html and "#fcf3cf" in html


# =========================================================================== a hostile study

# Valid HTML (an unquoted attribute value may not hold quotes), so unescaped they would run.
COLUMN = "<img src=x onerror=alert(1)>"
LEVELS = {"south": "<script>alert(2)</script>", "east": "<img src=x onerror=alert(3)>",
          "north": "[click](javascript:alert(4))", "west": "under $10 | *over* $20 `x"}
PLAN = "<b onmouseover=alert(5)>one year</b>"
CURRENCY = "<script>alert(6)</script>"
NAME = "<img src=x onerror=alert(7)>"


def hostile_study(folder: Path, n: int = 300) -> Path:
    """A telecom export (simulated, then written as CSV) with hostile text everywhere the user
    controls it: customer ids, an attribute's name (also the value segment) and its values,
    the plan values, and the currency. Exit reasons and offer types are checked against a
    fixed list at collection, so they cannot carry text."""
    from churnlab import collect
    from churnlab.params import validate_params

    p = validate_params(scenario_params("telecom", source={"n_customers": n}))
    col = collect.collect(p, folder / "simulated")
    tables = {}
    for name, path in col.tables.items():
        df = pd.read_parquet(path)
        df["customer_id"] = "<u>" + df["customer_id"].astype(str) + "</u>"
        if name == "customers":
            df = df.rename(columns={"region": COLUMN})
            df[COLUMN] = df[COLUMN].map(lambda v: LEVELS.get(v, v))
        if name == "subscriptions":
            df["plan"] = df["plan"].replace({"one_year": PLAN})
        df.to_csv(folder / f"{name}.csv", index=False)
        tables[name] = {"path": str(folder / f"{name}.csv")}
    data = {k: v for k, v in p.to_notebook().items() if k != "output_dir"}
    data["source"] = {"kind": "files", "shape": "subscriptions", "tables": tables}
    data["value"] = {**data["value"], "currency": CURRENCY, "segment": COLUMN}
    out = folder / "hostile.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return open_study(hostile_study(folder), output_dir=folder / "run")


STAGES = {"collect": "collect", "causes": "causes", "survival": "survival", "economics": "economics",
          "kpi": "kpis"}


def _views(module):
    return [f for name, f in inspect.getmembers(module, inspect.isfunction)
            if not name.startswith("_") and f.__module__ == module.__name__]


#: Hostile values each notebook shows (as text) in its tables and notes.
EXPECTED = {"collect": [], "causes": [NAME, COLUMN, "<u>T"], "survival": [COLUMN, "<u>T", PLAN],
            "economics": [NAME, CURRENCY, LEVELS["east"]], "kpi": [LEVELS["east"]]}


@pytest.mark.parametrize("stage", STAGES)
def test_every_view_of_a_hostile_study_shows_text_not_html(hostile, stage, monkeypatch):
    import importlib

    views = importlib.import_module(f"churnlab.{stage}.views")
    res = getattr(hostile, STAGES[stage])()
    args = {"study": hostile, "res": res, "name": NAME, "params": hostile.params}
    out = _capture(monkeypatch)
    for view in _views(views):
        sig = inspect.signature(view)
        view(**{k: args[k] for k, p in sig.parameters.items() if p.default is p.empty})
    texts = []
    for kind, html in out:
        if kind == "other":
            continue
        p = page(html)
        assert not p.live, (stage, p.live)
        assert not {"img", "script", "u", "b", "a"} & set(p.tags), (stage, set(p.tags))
        assert escape.NO_MATH in html
        texts.append("".join(p.text))
    shown = "\n".join(texts)
    for value in EXPECTED[stage]:  # shown, as text
        assert value in shown, (stage, value)


# =========================================================================== the real pages

@pytest.mark.notebooks
def test_the_executed_pages_of_a_hostile_study_run_no_script(tmp_path):
    """The real CLI on the hostile study: every page it publishes shows the values as text."""
    params = hostile_study(tmp_path, n=300)
    cli = str(Path(sys.executable).with_name("churnlab"))
    res = subprocess.run([cli, "run", "--params", str(params), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    pages = sorted((tmp_path / "out").rglob("*.html"))
    names = {p.name for p in pages}
    assert {"01_data_collection.html", "02_cause_analysis.html", "04_cost_of_churn.html",
            "report.html", "index.html"} <= names
    for html_page in pages:
        raw = html_page.read_text(encoding="utf-8")
        # nbconvert rewrites tags (an <img> gets an alt="..."), so look for the payload in any form
        for live in (r"<script[^>]*>\s*alert", r"<[a-z]+\s[^>]*\bon[a-z]+\s*=", r"<u>\s*T",
                     r"(href|src)\s*=\s*[\"']?\s*javascript:"):
            assert not re.search(live, raw, re.I), (html_page.name, live)
        assert not page(raw).live, (html_page.name, page(raw).live)
    text = "".join(page((tmp_path / "out" / "hostile" / "04_cost_of_churn.html").read_text()).text)
    assert CURRENCY in text
    text = "".join(page((tmp_path / "out" / "hostile" / "02_cause_analysis.html").read_text()).text)
    assert LEVELS["east"] in text or COLUMN in text


@pytest.mark.parametrize("label", ["a $x^$ b", "$\\href{javascript:alert(1)}{x}$", "$10 to $20"])
def test_a_dollar_in_a_label_is_drawn_as_written(monkeypatch, label):
    """A segment level with two ``$`` used to be parsed as mathtext: the figure failed to draw."""
    import io

    import matplotlib.pyplot as plt

    drawn = []
    monkeypatch.setattr("IPython.display.display",
                        lambda fig: drawn.append(fig.savefig(io.BytesIO(), format="png") or fig))
    fig, ax = plt.subplots()
    ax.bar([label, "b"], [1, 2])
    ax.set_title(f"churn by {label}")
    display.show(ax)
    assert drawn == [fig] and not plt.fignum_exists(fig.number)
    assert all(not t.get_parse_math() for t in fig.findobj(lambda a: hasattr(a, "get_parse_math")))


def test_the_reports_figures_draw_a_dollar_as_written():
    from churnlab.report.figures import cost_plot, embed

    html = embed(lambda ax: cost_plot({"direct": 10.0, "indirect": 5.0}, currency="a $x^$ b", ax=ax),
                 alt="<script>alert(1)</script>", caption="$\\href{javascript:alert(1)}{x}$")
    assert "data:image/png;base64," in html and "<script>" not in html
