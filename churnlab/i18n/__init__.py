"""One catalogue per language for every narrative string: English is the source, Chinese (``zh``) a translation.

The study's prose is written in English in the code and the notebooks (the msgid,
as in GNU gettext). A language other than English has one catalogue: the YAML
files of ``churnlab/i18n/<lang>/``, merged, each a mapping *English → translation*.
An entry is either

* an exact string: a notebook paragraph, a figure title, a table heading; or
* a **template** with ``{name}`` fields (format specs allowed, ``{n:,}``): the English
  side is matched against a rendered string (``"{n:,} of {m:,} churners gave a reason."``
  matches ``"41 of 120 churners gave a reason."``) and the translation is filled with
  the matched text, each field translated in turn (so a note inside a sentence is
  translated too).

:meth:`Catalogue.text` translates one rendered string (whole, else line by line, a
Markdown bullet or heading keeping its marker); :meth:`Catalogue.markdown` a notebook
cell (whole, else paragraph by paragraph). What has no entry stays English and is
remembered in :attr:`Catalogue.missing`; :func:`english_prose` finds English prose
in a text (code, names and numbers aside) for the test that no English leaks into a
``zh`` run.

The display language of a notebook session is set by :func:`churnlab.open_study` from
``lang`` in the params (:func:`use`), like a Matplotlib style: :func:`churnlab.display.show`
translates text, tables and figures through :func:`current`. Reports and the index
take the language explicitly.
"""

from __future__ import annotations

import contextlib
import functools
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml

LANGS = ("en", "zh")
DEFAULT = "en"
HERE = Path(__file__).parent

#: candidate Matplotlib fonts with the glyphs of each language, in order of preference
#: (:func:`fonts` picks the first one installed)
FONTS = {"zh": ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC",
                "SimHei", "Microsoft YaHei"]}
#: output metadata key under which a figure's untranslated English is recorded (see :mod:`.leaks`)
UNTRANSLATED = "churnlab_untranslated"
#: the HTML ``lang`` attribute of each language
HTML_LANG = {"en": "en", "zh": "zh-CN"}

FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:![rsa])?(?::[^{}]*)?\}")


@dataclass
class Template:
    """One catalogue entry with fields: the English pattern compiled to a regex, and its translation."""

    source: str
    target: str
    regex: re.Pattern
    literal: int  # characters of the English side outside fields: longer is more specific

    @classmethod
    def compile(cls, source: str, target: str) -> "Template":
        parts, pos, names = [], 0, set()
        for m in FIELD.finditer(source):
            parts.append(re.escape(source[pos:m.start()]))
            name = m.group(1)
            parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
            names.add(name)
            pos = m.end()
        parts.append(re.escape(source[pos:]))
        literal = len(FIELD.sub("", source))
        return cls(source, FIELD.sub(lambda m: "{" + m.group(1) + "}", target),
                   re.compile("".join(parts), re.S), literal)


def _load(lang: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    folder = HERE / lang
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping English → {lang}")
        for en, tr in data.items():
            if not isinstance(en, str) or not isinstance(tr, str):
                raise ValueError(f"{path}: entry {en!r}: expected text on both sides")
            en, tr = en.strip(), tr.strip()
            if en in entries and entries[en] != tr:
                raise ValueError(f"{path}: {en[:60]!r} is translated twice, differently")
            entries[en] = tr
    return entries


@dataclass
class Catalogue:
    """The translations of one language (see the module docstring); English translates to itself."""

    lang: str
    exact: dict[str, str] = field(default_factory=dict)
    templates: list[Template] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, lang: str) -> "Catalogue":
        if lang not in LANGS:
            raise ValueError(f"lang: expected one of {', '.join(LANGS)}, got {lang!r}")
        cat = cls(lang)
        if lang == DEFAULT:
            return cat
        for en, tr in _load(lang).items():
            if FIELD.search(en):
                cat.templates.append(Template.compile(en, tr))
            else:
                cat.exact[en] = tr
        cat.templates.sort(key=lambda t: -t.literal)
        return cat

    @property
    def english(self) -> bool:
        return self.lang == DEFAULT

    def __call__(self, template: str, /, **fields) -> str:
        """``template`` translated, then filled with ``fields`` (each text field translated too).

        The English template's format specs (``{n:,}``, ``{p:.1%}``) render the values; the
        translation places them (its own specs are ignored).
        """
        if self.english:
            return template.format(**fields) if fields else template
        fields = {k: self.text(v) if isinstance(v, str) else v for k, v in fields.items()}
        key = template.strip()
        target = self.exact.get(key)
        if target is None:
            t = next((t for t in self.templates if t.source == key), None)
            if t is None:
                self.missing.add(key)
                return template.format(**fields) if fields else template
            target = t.target
        if not fields:
            return target
        rendered = {}
        for _, name, spec, conv in string.Formatter().parse(template):
            if name and name in fields:
                value = fields[name]
                value = {"r": repr, "s": str, "a": ascii}[conv](value) if conv else value
                rendered[name] = format(value, spec or "")
        return target.format(**rendered)

    def text(self, s: str) -> str:
        """A rendered string translated: whole, else line by line (see the module docstring)."""
        if self.english or not s or not s.strip():
            return s
        whole = self._one(s.strip())
        if whole is not None:
            return _keep_space(s, whole)
        if "\n" in s:
            return "\n".join(self._line(line) for line in s.split("\n"))
        return self._line(s)

    def markdown(self, s: str) -> str:
        """A Markdown cell translated: whole, else paragraph by paragraph."""
        if self.english or not s.strip():
            return s
        whole = self._one(s.strip())
        if whole is not None:
            return whole
        return "\n\n".join(self.text(p) for p in re.split(r"\n\s*\n", s.strip()))

    _MARKER = re.compile(r"^(\s*(?:[-*+]|\d+\.|#{1,6}|>)\s+)(.*)$", re.S)

    def lookup(self, s: str) -> str:
        """``s`` translated when the catalogue has it (exactly or by a template), else ``s`` unchanged.

        For labels and table cells: a name or data value without an entry is not English prose.
        """
        if self.english or not s.strip():
            return s
        found = self._one(s.strip())
        return s if found is None else _keep_space(s, found)

    def _line(self, line: str) -> str:
        if not line.strip():
            return line
        found = self._one(line.strip())
        if found is not None:
            return _keep_space(line, found)
        m = self._MARKER.match(line)
        if m:
            inner = self._one(m.group(2).strip())
            if inner is not None:
                return m.group(1) + inner
        if english_prose(line):
            self.missing.add(line.strip())
        return line

    def _one(self, s: str) -> str | None:
        found = self.exact.get(s)
        if found is not None:
            return found
        multiline = "\n" in s
        for t in self.templates:
            if multiline and "\n" not in t.source:
                continue  # a one-line template's field must not swallow several lines
            m = t.regex.fullmatch(s)
            if m:
                return t.target.format(**{k: self.lookup(v) for k, v in m.groupdict().items()})
        return None


def _keep_space(original: str, translated: str) -> str:
    lead = original[:len(original) - len(original.lstrip())]
    trail = original[len(original.rstrip()):]
    return lead + translated + trail


@functools.lru_cache(maxsize=None)
def fonts(lang: str) -> list[str]:
    """The Matplotlib font families to draw ``lang``: DejaVu Sans, then its first installed font of :data:`FONTS`.

    Matplotlib (≥ 3.6) falls back glyph by glyph through the listed families, so Latin
    letters keep DejaVu Sans and Chinese glyphs come from the CJK font. Only installed
    fonts are listed: a missing one would log "findfont: Font family … not found" into
    every figure's output. Without any, the list is DejaVu Sans alone.
    """
    from matplotlib import font_manager

    for family in FONTS.get(lang, []):
        try:
            font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        return ["DejaVu Sans", family]
    return ["DejaVu Sans"]


@functools.lru_cache(maxsize=None)
def catalogue(lang: str = DEFAULT) -> Catalogue:
    """The (cached) catalogue of ``lang``; raises ValueError for a language churnlab does not have."""
    return Catalogue.load(lang)


#: the display language of this session (a plain setting like a Matplotlib rcParam: IPython
#: does not keep a ContextVar set in one cell for the next)
_SESSION = {"lang": DEFAULT}


def current() -> Catalogue:
    """The catalogue of the display language (set by :func:`set_language` or :func:`use`; English by default)."""
    return catalogue(_SESSION["lang"])


def set_language(lang: str) -> None:
    """Make ``lang`` the display language of this session (``open_study`` does it from the params)."""
    catalogue(lang)  # fails for an unknown language before anything changes
    _SESSION["lang"] = lang


@contextlib.contextmanager
def use(lang: str) -> Iterator[Catalogue]:
    """Display in ``lang`` inside the ``with`` block, then in the language before it."""
    cat = catalogue(lang)
    before = _SESSION["lang"]
    _SESSION["lang"] = lang
    try:
        yield cat
    finally:
        _SESSION["lang"] = before


def translate_notebook(nb: dict, lang: str) -> dict:
    """A copy of notebook ``nb`` (nbformat JSON as a dict) with its Markdown cells in ``lang``."""
    cat = catalogue(lang)
    if cat.english:
        return nb
    nb = dict(nb)
    cells = []
    for cell in nb["cells"]:
        if cell.get("cell_type") == "markdown":
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            cell = dict(cell, source=cat.markdown(source))
        cells.append(cell)
    nb["cells"] = cells
    nb["metadata"] = dict(nb.get("metadata", {}), language_info=dict(
        nb.get("metadata", {}).get("language_info", {})), churnlab_lang=lang)
    return nb


# --- finding English prose ---------------------------------------------------------------
_CODE = re.compile(r"`[^`]*`|https?://\S+|\$[^$]*\$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
#: words that stay English in a Chinese text: names of methods, models, people, books and units
NAMES = frozenset("""
kaplan meier cox aft weibull lognormal loglogistic log-logistic log-normal exponential sbg bg nbd bg/nbd
gamma gamma-gamma pareto shap xgboost logistic logit auc roc brier platt isotonic wilson
benjamini hochberg benjamini-hochberg nelson aalen nelson-aalen schoenfeld lifelines statsmodels
fader hardie gold chartmogul neslin reichheld sasser kumar rust et al mrr arr nrr grr clv derl
cltv kpi kpis roi csv yaml json html churnlab papermill jupyter jupyterlab python duckdb spark
eur usd cny rmb id ids vs c-index ci cis sd iqr p-value hr hrs or ors df ols mle
telecom retail software uci cdnow
""".split())
#: phrases that stay English (book titles, dataset names), removed before looking for prose
PHRASES = ("Fighting Churn with Data", "Online Retail", "Customer Lifetime Value", "Telco Customer Churn")


def english_prose(text: str, *, min_words: int = 3) -> list[str]:
    """Runs of ``min_words`` or more English words in ``text`` (code spans, URLs, names and numbers aside).

    A run is words of letters separated only by spaces or light punctuation; a word with
    an underscore or a digit is a name (``churn_rate``, ``p05``) and breaks a run, as do
    the names of :data:`NAMES` (methods, models, authors, units).
    """
    text = _CODE.sub(" ", text)
    for phrase in PHRASES:
        text = text.replace(phrase, " ")
    runs, run = [], []
    for token in re.split(r"(\s+|[,;:()\[\]·/|=<>≥≤×%*#\"“”]|[^\x00-\x7F])", text):
        if token is None or not token.strip():
            continue
        word = token.strip(".!?'’")
        lower = word.lower()
        if _WORD.fullmatch(word) and lower not in NAMES and (len(word) > 1 or lower in ("a", "i")):
            run.append(word)
            continue
        if len(run) >= min_words:
            runs.append(" ".join(run))
        run = []
    if len(run) >= min_words:
        runs.append(" ".join(run))
    return runs
